/**
 * The request-log store conformance suite: one set of scenarios every store runs (memory,
 * SQLite and PostgreSQL in `@netlab/request-log`, and a user's own). A harness supplies the store
 * wrapped in a request log, plus three effects over a tiny "accounts" table in the store's own
 * transactional space, so the suite can check that effects and records commit together: fresh
 * requests, byte-identical duplicates, key order, mismatch fields, STALE and collection,
 * rolled-back failing effects, window limits, concurrent duplicates, records surviving a crash,
 * lease expiry and bounded records.
 *
 * Structural: the suite depends on no netlab package; `createRequestLog` of
 * `@netlab/request-log` satisfies {@link StoreHandle.createLog}. Import it from a vitest file
 * (vitest is this subpath's peer dependency):
 *
 *     describeStoreConformance({ name: 'mine', open: async () => ({ store, createLog: (o) => createRequestLog({ ...o, store }), … }) });
 */
import { describe, expect, it } from 'vitest';
import type { WireReply, WireRequest } from './atm-terminal.js';

/** The request log's counters the suite reads. */
export interface StoreLogStats {
  readonly fresh: number;
  readonly duplicates: number;
  readonly mismatches: number;
  readonly expired: number;
  readonly swept: number;
}

/** A request log over the store under test. */
export interface StoreLogUnderTest<E> {
  execute(request: WireRequest, effect: E): Promise<WireReply>;
  sweep(): Promise<number>;
  stats(): StoreLogStats;
}

/** Options the suite creates its logs with. */
export interface StoreLogOptions {
  readonly sweepIntervalMs: number;
  readonly maxInFlight?: number;
  readonly leaseMs?: number;
  readonly unacknowledgedLeaseMs?: number;
  readonly now?: () => number;
}

export interface StoreHandle<E> {
  /** The store's sizes. */
  readonly store: { counts(): Promise<{ readonly clients: number; readonly records: number }> };
  /** A request log over this handle's store. */
  createLog(options: StoreLogOptions): StoreLogUnderTest<E>;
  /** Adds `amount` to `account` (creating it at 0) and returns the new balance. */
  add(account: string, amount: number): E;
  /** Adds `amount`, then throws `boom`: the write must be rolled back. */
  addThenThrow(account: string, amount: number): E;
  balance(account: string): Promise<number>;
  /** Simulates a crash: drops everything in process memory, reopens the same durable state. */
  reopen(): Promise<StoreHandle<E>>;
  close(): Promise<void>;
}

export interface StoreHarness<E> {
  readonly name: string;
  open(): Promise<StoreHandle<E>>;
}

function request(clientId: string, seq: number, ack: number, payload: unknown): WireRequest {
  return { kind: 'request', clientId, seq, ack, payload };
}

function valueOf(reply: WireReply): unknown {
  if (reply.status !== 'done') throw new Error(`expected a done reply, got ${reply.code}`);
  const body = JSON.parse(reply.body) as { ok: boolean; value?: unknown; error?: { message: string } };
  if (!body.ok) throw new Error(`effect failed: ${body.error?.message ?? '?'}`);
  return body.value;
}

function codeOf(reply: WireReply): string {
  return reply.status === 'error' ? reply.code : 'done';
}

/** Registers the suite for `harness`. */
export function describeStoreConformance<E>(harness: StoreHarness<E>): void {
  async function withLog(
    run: (log: StoreLogUnderTest<E>, handle: StoreHandle<E>) => Promise<void>,
    options: { maxInFlight?: number; leaseMs?: number; unacknowledgedLeaseMs?: number; now?: () => number } = {},
  ): Promise<void> {
    const handle = await harness.open();
    const log = handle.createLog({ sweepIntervalMs: 0, ...options });
    try {
      await run(log, handle);
    } finally {
      await handle.close();
    }
  }
  describe(`${harness.name} store conformance`, () => {
    it('runs a fresh request once and replies with its value', async () => {
      await withLog(async (log, h) => {
        const reply = await log.execute(request('c1', 1, 0, { amount: 5 }), h.add('a', 5));
        expect(reply).toMatchObject({ status: 'done', replay: false });
        expect(valueOf(reply)).toBe(5);
        expect(await h.balance('a')).toBe(5);
        expect(log.stats().fresh).toBe(1);
      });
    });

    it('answers a duplicate with the byte-identical stored reply without running the effect again', async () => {
      await withLog(async (log, h) => {
        const first = await log.execute(request('c1', 1, 0, { amount: 5 }), h.add('a', 5));
        const second = await log.execute(request('c1', 1, 0, { amount: 5 }), h.add('a', 5));
        expect(second).toMatchObject({ status: 'done', replay: true });
        expect(second.status === 'done' && first.status === 'done' && second.body === first.body).toBe(true);
        expect(await h.balance('a')).toBe(5);
        expect(log.stats()).toMatchObject({ fresh: 1, duplicates: 1 });
      });
    });

    it('treats a payload with its keys in another order as the same request', async () => {
      await withLog(async (log, h) => {
        await log.execute(request('c1', 1, 0, { amount: 5, note: 'x' }), h.add('a', 5));
        const again = await log.execute(request('c1', 1, 0, { note: 'x', amount: 5 }), h.add('a', 5));
        expect(again).toMatchObject({ status: 'done', replay: true });
        expect(await h.balance('a')).toBe(5);
      });
    });

    it('refuses the same id with a different payload and names the differing fields', async () => {
      await withLog(async (log, h) => {
        await log.execute(request('c1', 1, 0, { amount: 5, to: { account: 'x' }, memo: 'm' }), h.add('a', 5));
        const reply = await log.execute(request('c1', 1, 0, { amount: 7, to: { account: 'y' }, memo: 'm' }), h.add('a', 7));
        expect(reply).toMatchObject({ status: 'error', code: 'ERR_MISMATCH', fields: ['amount', 'to.account'] });
        expect(await h.balance('a')).toBe(5);
        expect(log.stats().mismatches).toBe(1);
      });
    });

    it('answers a request at or below the acknowledged watermark STALE, never re-running it, and collects its record', async () => {
      await withLog(async (log, h) => {
        await log.execute(request('c1', 1, 0, { n: 1 }), h.add('a', 1));
        await log.execute(request('c1', 2, 1, { n: 2 }), h.add('a', 1));
        expect(await h.store.counts()).toEqual({ clients: 1, records: 1 });
        const late = await log.execute(request('c1', 1, 0, { n: 1 }), h.add('a', 1));
        expect(late).toMatchObject({ status: 'error', code: 'ERR_STALE', ack: 1 });
        expect(await h.balance('a')).toBe(2);
      });
    });

    it('rolls back an effect that throws and records its failure, so a duplicate gets the same failure', async () => {
      await withLog(async (log, h) => {
        const first = await log.execute(request('c1', 1, 0, { n: 1 }), h.addThenThrow('a', 9));
        expect(first.status).toBe('done');
        const body: unknown = first.status === 'done' ? JSON.parse(first.body) : undefined;
        expect(body).toMatchObject({ ok: false, error: { code: 'ERR_EFFECT_FAILED', message: 'boom' } });
        expect(await h.balance('a')).toBe(0);
        const again = await log.execute(request('c1', 1, 0, { n: 1 }), h.add('a', 9));
        expect(again.status === 'done' && first.status === 'done' && again.body === first.body).toBe(true);
        expect(await h.balance('a')).toBe(0);
      });
    });

    it('accepts seq exactly maxInFlight above the watermark and refuses one more, storing nothing', async () => {
      await withLog(
        async (log, h) => {
          expect(codeOf(await log.execute(request('c1', 4, 0, { n: 4 }), h.add('a', 1)))).toBe('done');
          const over = await log.execute(request('c1', 5, 0, { n: 5 }), h.add('a', 1));
          expect(over).toMatchObject({ status: 'error', code: 'ERR_WINDOW_EXCEEDED' });
          expect(await h.balance('a')).toBe(1);
          expect((await h.store.counts()).records).toBe(1);
        },
        { maxInFlight: 4 },
      );
    });

    it('runs concurrent duplicates once and gives them all the same reply', async () => {
      await withLog(async (log, h) => {
        const replies = await Promise.all(Array.from({ length: 10 }, () => log.execute(request('c1', 1, 0, { n: 1 }), h.add('a', 3))));
        expect(await h.balance('a')).toBe(3);
        const bodies = new Set(replies.map((reply) => (reply.status === 'done' ? reply.body : reply.code)));
        expect([...bodies]).toHaveLength(1);
        expect(log.stats().fresh).toBe(1);
      });
    });

    it('keeps records across a crash: after reopening, a retransmission replays and does not re-run', async () => {
      const h1 = await harness.open();
      const log1 = h1.createLog({ sweepIntervalMs: 0 });
      const first = await log1.execute(request('c1', 1, 0, { n: 1 }), h1.add('a', 4));
      const h2 = await h1.reopen();
      try {
        const log2 = h2.createLog({ sweepIntervalMs: 0 });
        const again = await log2.execute(request('c1', 1, 0, { n: 1 }), h2.add('a', 4));
        expect(again).toMatchObject({ status: 'done', replay: true });
        expect(again.status === 'done' && first.status === 'done' && again.body === first.body).toBe(true);
        expect(await h2.balance('a')).toBe(4);
      } finally {
        await h2.close();
      }
    });

    it('forgets clients idle longer than the lease and then refuses their old ids as expired', async () => {
      let clock = 1_000;
      await withLog(
        async (log, h) => {
          await log.execute(request('idle', 1, 0, { n: 1 }), h.add('a', 1));
          await log.execute(request('idle', 2, 1, { n: 2 }), h.add('a', 1));
          clock += 500;
          await log.execute(request('busy', 1, 0, { n: 1 }), h.add('b', 1));
          clock += 600; // idle: 1100 ms since last seen; busy: 600 ms
          expect(await log.sweep()).toBe(1);
          expect(await h.store.counts()).toEqual({ clients: 1, records: 1 });
          const late = await log.execute(request('idle', 2, 1, { n: 2 }), h.add('a', 1));
          expect(late).toMatchObject({ status: 'error', code: 'ERR_SESSION_EXPIRED' });
          expect(await h.balance('a')).toBe(2);
          expect(log.stats()).toMatchObject({ expired: 1, swept: 1 });
        },
        { leaseMs: 1_000, now: () => clock },
      );
    });

    it('forgets clients that never acknowledged a reply after the shorter unacknowledged lease, and keeps the others', async () => {
      let clock = 1_000;
      await withLog(
        async (log, h) => {
          await log.execute(request('once', 1, 0, { n: 1 }), h.add('a', 1));
          await log.execute(request('twice', 1, 0, { n: 1 }), h.add('b', 1));
          await log.execute(request('twice', 2, 1, { n: 2 }), h.add('b', 1));
          clock += 200; // past the unacknowledged lease (100), far inside the lease (10,000)
          expect(await log.sweep()).toBe(1);
          expect(await h.store.counts()).toEqual({ clients: 1, records: 1 });
          const again = await log.execute(request('twice', 2, 1, { n: 2 }), h.add('b', 1));
          expect(again).toMatchObject({ status: 'done', replay: true });
          expect(await h.balance('b')).toBe(2);
        },
        { leaseMs: 10_000, unacknowledgedLeaseMs: 100, now: () => clock },
      );
    });

    it('refuses a payload that is not JSON', async () => {
      await withLog(async (log, h) => {
        const reply = await log.execute(request('c1', 1, 0, { amount: Number.NaN }), h.add('a', 1));
        expect(reply).toMatchObject({ status: 'error', code: 'ERR_INVALID_REQUEST' });
        expect(await h.balance('a')).toBe(0);
      });
    });

    it('keeps at most clients × window records after many operations from many clients', async () => {
      const clients = 20;
      const window = 4;
      const rounds = 50;
      await withLog(
        async (log, h) => {
          for (let round = 0; round < rounds; round++) {
            const batch: Promise<WireReply>[] = [];
            for (let c = 0; c < clients; c++) {
              for (let k = 1; k <= window; k++) {
                const seq = round * window + k;
                batch.push(log.execute(request(`c${c}`, seq, round * window, { seq }), h.add(`acct${c}`, 1)));
              }
            }
            const replies = await Promise.all(batch);
            expect(replies.every((reply) => reply.status === 'done')).toBe(true);
            const { records } = await h.store.counts();
            expect(records).toBeLessThanOrEqual(clients * window);
          }
          expect(await h.balance('acct7')).toBe(rounds * window);
        },
        { maxInFlight: window },
      );
    });
  });
}
