/**
 * The one conformance suite every ledger runs (memory, SQLite, PostgreSQL): each scenario drives
 * a real request log over the ledger's store, as the server does, and reads the outcome back
 * through the ledger's audit.
 */
import { type JsonValue, type RequestLog, createRequestLog, parseReplyBody } from '@netlab/request-log';
import { describe, expect, it } from 'vitest';
import type { SeedAccount } from '../src/demo-accounts.js';
import type { AtmLedger } from '../src/ledger.js';
import type { AtmReply, AtmRequest } from '../src/messages.js';
import { MIN_PIN_HASH_COST, createPinBlock } from '../src/pin.js';

/** Cheap hashes: the suite logs in often. */
export const TEST_PIN_COST = MIN_PIN_HASH_COST;

export const TEST_ACCOUNTS: readonly SeedAccount[] = [
  { card: '123456789', holder: 'Lab User', pin: '1234', balance: 100_000 },
  { card: '1000000002', holder: 'Sami', pin: '5678', balance: 4_572_000 },
];

export interface LedgerHandle<E> {
  readonly ledger: AtmLedger<E>;
  /** Simulates a crash: drops everything in process memory and reopens the same durable state. */
  reopen(): Promise<LedgerHandle<E>>;
  close(): Promise<void>;
}

export interface LedgerHarness<E> {
  readonly name: string;
  /** A new, seeded ledger with {@link TEST_ACCOUNTS}; `now` is the clock its request log uses. */
  open(options: { readonly now: () => number; readonly sessionIdleMs?: number }): Promise<LedgerHandle<E>>;
}

/** One ATM: a request-log client id with its own sequence numbers. */
export class Terminal<E> {
  private seq = 0;
  constructor(
    readonly id: string,
    private log: RequestLog<E>,
    private ledger: AtmLedger<E>,
  ) {}

  attach(log: RequestLog<E>, ledger: AtmLedger<E>): void {
    this.log = log;
    this.ledger = ledger;
  }

  /** Sends a new request (acknowledging every earlier one) and returns the reply value. */
  async send(request: AtmRequest): Promise<AtmReply> {
    this.seq++;
    return this.resend(this.seq, request);
  }

  /** Sends (again) the request with sequence `seq`. */
  async resend(seq: number, request: AtmRequest, ack = seq - 1): Promise<AtmReply> {
    const reply = await this.raw(seq, request, ack);
    if (reply.status !== 'done') throw new Error(`request-log error ${reply.code}: ${reply.message}`);
    const body = parseReplyBody(reply.body);
    if (!body.ok) throw new Error(`effect failed: ${body.error.message}`);
    return body.value as unknown as AtmReply;
  }

  async raw(seq: number, request: AtmRequest | JsonValue, ack = seq - 1): ReturnType<RequestLog<E>['execute']> {
    const payload = request;
    const prepared = await this.ledger.prepare(payload);
    return this.log.execute({ kind: 'request', clientId: this.id, seq, ack, payload }, this.ledger.effect(prepared));
  }

  get lastSeq(): number {
    return this.seq;
  }
}

const login = (card: string, pin: string): AtmRequest => ({ op: 'login', card, pinBlock: createPinBlock(card, pin) });

export function describeLedgerConformance<E>(harness: LedgerHarness<E>): void {
  describe(`${harness.name} ledger`, () => {
    async function withLedger(
      body: (ctx: { handle: LedgerHandle<E>; log: RequestLog<E>; terminal: (id: string) => Terminal<E>; clock: { now: number } }) => Promise<void>,
      sessionIdleMs?: number,
    ): Promise<void> {
      const clock = { now: 1_700_000_000_000 };
      const handle = await harness.open({ now: () => clock.now, ...(sessionIdleMs === undefined ? {} : { sessionIdleMs }) });
      const log = createRequestLog({ store: handle.ledger.store, now: () => clock.now, sweepIntervalMs: 0 });
      try {
        await body({ handle, log, terminal: (id) => new Terminal(id, log, handle.ledger), clock });
      } finally {
        await log.close();
        await handle.close();
      }
    }

    it('seeds the accounts and balances the books from the start', async () => {
      await withLedger(async ({ handle }) => {
        const accounts = await handle.ledger.accounts();
        expect(accounts.map((a) => [a.card, a.holder, a.balance, a.locked])).toEqual([
          ['1000000002', 'Sami', 4_572_000, false],
          ['123456789', 'Lab User', 100_000, false],
        ]);
        const audit = await handle.ledger.audit();
        expect(audit).toMatchObject({ initialTotal: 4_672_000, balances: 4_672_000, deposited: 0, held: 0, dispensed: 0, balanced: true, journalEntries: 0 });
      });
    });

    it('logs in, answers the balance, deposits, withdraws with confirmation, and logs out', async () => {
      await withLedger(async ({ handle, terminal }) => {
        const atm = terminal('atm-1');
        const opened = await atm.send(login('123456789', '1234'));
        expect(opened).toMatchObject({ code: 'APPROVED', holder: 'Lab User' });
        const session = opened.session ?? '';
        expect(await atm.send({ op: 'balance', session })).toMatchObject({ code: 'APPROVED', balance: 100_000 });
        expect(await atm.send({ op: 'deposit', session, amount: 20_000 })).toMatchObject({ code: 'APPROVED', balance: 120_000 });
        expect(await atm.send({ op: 'withdraw', session, withdrawal: 'w-1', amount: 50_000 })).toMatchObject({ code: 'APPROVED', balance: 70_000 });
        expect(await handle.ledger.audit()).toMatchObject({ held: 50_000, dispensed: 0, balanced: true });
        expect(await atm.send({ op: 'confirm', withdrawal: 'w-1' })).toMatchObject({ code: 'APPROVED', amount: 50_000 });
        expect(await atm.send({ op: 'logout', session })).toMatchObject({ code: 'APPROVED' });
        expect(await atm.send({ op: 'balance', session })).toMatchObject({ code: 'UNKNOWN_SESSION' });
        const audit = await handle.ledger.audit();
        expect(audit).toMatchObject({ deposited: 20_000, held: 0, dispensed: 50_000, balances: 4_642_000, balanced: true, journalEntries: 7 });
        expect([...audit.applied.values()].every((n) => n === 1)).toBe(true);
      });
    });

    it('replays a retransmitted withdrawal from the log instead of withdrawing twice', async () => {
      await withLedger(async ({ handle, terminal }) => {
        const atm = terminal('atm-1');
        const session = (await atm.send(login('123456789', '1234'))).session ?? '';
        const request: AtmRequest = { op: 'withdraw', session, withdrawal: 'w-1', amount: 10_000 };
        const first = await atm.raw(2, request, 1);
        const second = await atm.raw(2, request, 1);
        expect(first.status === 'done' && !first.replay).toBe(true);
        expect(second).toMatchObject({ status: 'done', replay: true });
        expect(second.status === 'done' && first.status === 'done' && second.body === first.body).toBe(true);
        const audit = await handle.ledger.audit();
        expect(audit).toMatchObject({ held: 10_000, balances: 4_662_000, balanced: true });
        expect(audit.applied.get('atm-1:2')).toBe(1);
      });
    });

    it('locks a card after three wrong PINs counted across sessions and terminals', async () => {
      await withLedger(async ({ handle, terminal }) => {
        expect(await terminal('a').send(login('123456789', '1111'))).toMatchObject({ code: 'INCORRECT_PIN', triesLeft: 2 });
        expect(await terminal('b').send(login('123456789', '2222'))).toMatchObject({ code: 'INCORRECT_PIN', triesLeft: 1 });
        expect(await terminal('c').send(login('123456789', '3333'))).toMatchObject({ code: 'PIN_TRIES_EXCEEDED' });
        expect(await terminal('d').send(login('123456789', '1234'))).toMatchObject({ code: 'PIN_TRIES_EXCEEDED' });
        expect((await handle.ledger.accounts()).find((a) => a.card === '123456789')?.locked).toBe(true);
        expect(await terminal('e').send(login('1000000002', '5678'))).toMatchObject({ code: 'APPROVED' });
      });
    });

    it('resets the count after a right PIN, and answers UNKNOWN_CARD for a card it does not have', async () => {
      await withLedger(async ({ terminal }) => {
        const atm = terminal('a');
        expect(await atm.send(login('123456789', '1111'))).toMatchObject({ code: 'INCORRECT_PIN' });
        expect(await atm.send(login('123456789', '1111'))).toMatchObject({ code: 'INCORRECT_PIN', triesLeft: 1 });
        expect(await atm.send(login('123456789', '1234'))).toMatchObject({ code: 'APPROVED' });
        expect(await atm.send(login('123456789', '1111'))).toMatchObject({ code: 'INCORRECT_PIN', triesLeft: 2 });
        expect(await atm.send(login('555555555', '1234'))).toMatchObject({ code: 'UNKNOWN_CARD' });
      });
    });

    it('expires an idle session', async () => {
      await withLedger(async ({ terminal, clock }) => {
        const atm = terminal('a');
        const session = (await atm.send(login('123456789', '1234'))).session ?? '';
        clock.now += 500;
        expect(await atm.send({ op: 'balance', session })).toMatchObject({ code: 'APPROVED' });
        clock.now += 999;
        expect(await atm.send({ op: 'balance', session })).toMatchObject({ code: 'APPROVED' });
        clock.now += 1_000;
        expect(await atm.send({ op: 'balance', session })).toMatchObject({ code: 'SESSION_EXPIRED' });
        expect(await atm.send({ op: 'balance', session })).toMatchObject({ code: 'UNKNOWN_SESSION' });
      }, 1_000);
    });

    it('reverses a withdrawal whose cash did not come out, idempotently, and refuses to confirm it then', async () => {
      await withLedger(async ({ handle, terminal }) => {
        const atm = terminal('a');
        const session = (await atm.send(login('123456789', '1234'))).session ?? '';
        await atm.send({ op: 'withdraw', session, withdrawal: 'w-1', amount: 30_000 });
        expect(await atm.send({ op: 'reverse', withdrawal: 'w-1' })).toMatchObject({ code: 'APPROVED', balance: 100_000 });
        expect(await atm.send({ op: 'reverse', withdrawal: 'w-1' })).toMatchObject({ code: 'APPROVED' });
        expect(await atm.send({ op: 'confirm', withdrawal: 'w-1' })).toMatchObject({ code: 'WITHDRAWAL_REVERSED' });
        expect(await atm.send({ op: 'balance', session })).toMatchObject({ balance: 100_000 });
        expect(await handle.ledger.audit()).toMatchObject({ held: 0, dispensed: 0, balanced: true, withdrawals: { reversed: 1 } });
      });
    });

    it('acknowledges a reversal that overtook its original, and then declines the late original', async () => {
      await withLedger(async ({ handle, terminal }) => {
        const atm = terminal('a');
        const session = (await atm.send(login('123456789', '1234'))).session ?? '';
        // seq 2 is the authorization, delayed in the network; seq 3 the reversal the ATM sent after giving up.
        expect(await atm.resend(3, { op: 'reverse', withdrawal: 'w-late' }, 1)).toMatchObject({ code: 'APPROVED', amount: 0 });
        expect(await atm.resend(2, { op: 'withdraw', session, withdrawal: 'w-late', amount: 40_000 }, 1)).toMatchObject({ code: 'WITHDRAWAL_REVERSED' });
        expect(await handle.ledger.audit()).toMatchObject({ balances: 4_672_000, held: 0, balanced: true });
      });
    });

    it('refuses to reverse dispensed cash and to reuse a withdrawal id', async () => {
      await withLedger(async ({ terminal }) => {
        const atm = terminal('a');
        const session = (await atm.send(login('123456789', '1234'))).session ?? '';
        await atm.send({ op: 'withdraw', session, withdrawal: 'w-1', amount: 1_000 });
        await atm.send({ op: 'confirm', withdrawal: 'w-1' });
        expect(await atm.send({ op: 'reverse', withdrawal: 'w-1' })).toMatchObject({ code: 'WITHDRAWAL_COMPLETED' });
        expect(await atm.send({ op: 'withdraw', session, withdrawal: 'w-1', amount: 1_000 })).toMatchObject({ code: 'DUPLICATE_TRANSACTION' });
        expect(await atm.send({ op: 'confirm', withdrawal: 'w-none' })).toMatchObject({ code: 'UNKNOWN_WITHDRAWAL' });
      });
    });

    it('declines insufficient funds, invalid amounts and amounts over the limits', async () => {
      await withLedger(async ({ handle, terminal }) => {
        const atm = terminal('a');
        const session = (await atm.send(login('123456789', '1234'))).session ?? '';
        expect(await atm.send({ op: 'withdraw', session, withdrawal: 'w-1', amount: 100_001 })).toMatchObject({ code: 'INSUFFICIENT_FUNDS', balance: 100_000 });
        expect(await atm.send({ op: 'withdraw', session, withdrawal: 'w-2', amount: 0 })).toMatchObject({ code: 'INVALID_AMOUNT' });
        expect(await atm.send({ op: 'deposit', session, amount: -5 })).toMatchObject({ code: 'INVALID_AMOUNT' });
        expect(await atm.send({ op: 'deposit', session, amount: 12.5 })).toMatchObject({ code: 'INVALID_AMOUNT' });
        expect(await atm.send({ op: 'deposit', session, amount: 5_000_001 })).toMatchObject({ code: 'LIMIT_EXCEEDED' });
        expect(await atm.send({ op: 'withdraw', session, withdrawal: 'w-3', amount: 2_000_001 })).toMatchObject({ code: 'LIMIT_EXCEEDED' });
        expect(await atm.send({ op: 'withdraw', session, withdrawal: 'w-4', amount: 100_000 })).toMatchObject({ code: 'APPROVED', balance: 0 });
        const audit = await handle.ledger.audit();
        expect(audit).toMatchObject({ balanced: true, negativeAccounts: [] });
      });
    });

    it('records an invalid payload as INVALID_REQUEST, naming the field but never its value', async () => {
      await withLedger(async ({ terminal }) => {
        const atm = terminal('a');
        const reply = await atm.resend(1, { op: 'login', card: '123456789', pin: '7391' } as unknown as AtmRequest);
        expect(reply.code).toBe('INVALID_REQUEST');
        expect(reply.message).not.toContain('7391');
        expect(reply.message).toContain('pin');
      });
    });

    it('never drives an account negative when many ATMs withdraw from it at the same moment', async () => {
      await withLedger(async ({ handle, terminal }) => {
        const atms = Array.from({ length: 12 }, (_, i) => terminal(`atm-${i}`));
        const sessions = await Promise.all(atms.map(async (atm) => (await atm.send(login('123456789', '1234'))).session ?? ''));
        // 12 × 10,000.00 against 1,000.00... no: 12 × 100.00 = 1,200.00 against 1,000.00.
        const replies = await Promise.all(atms.map((atm, i) => atm.send({ op: 'withdraw', session: sessions[i] ?? '', withdrawal: `w-${i}`, amount: 10_000 })));
        const approved = replies.filter((r) => r.code === 'APPROVED').length;
        expect(approved).toBe(10);
        expect(replies.filter((r) => r.code === 'INSUFFICIENT_FUNDS').length).toBe(2);
        const audit = await handle.ledger.audit();
        expect(audit).toMatchObject({ negativeAccounts: [], held: 100_000, balanced: true });
        expect((await handle.ledger.accounts()).find((a) => a.card === '123456789')?.balance).toBe(0);
      });
    });

    it('keeps every committed change and record across a crash', async () => {
      const clock = { now: 1_700_000_000_000 };
      let handle = await harness.open({ now: () => clock.now });
      let log = createRequestLog({ store: handle.ledger.store, now: () => clock.now, sweepIntervalMs: 0 });
      const atm = new Terminal('atm-1', log, handle.ledger);
      try {
        const session = (await atm.send(login('123456789', '1234'))).session ?? '';
        const withdraw: AtmRequest = { op: 'withdraw', session, withdrawal: 'w-1', amount: 25_000 };
        const first = await atm.raw(2, withdraw, 1);
        await log.close();
        handle = await handle.reopen();
        log = createRequestLog({ store: handle.ledger.store, now: () => clock.now, sweepIntervalMs: 0 });
        atm.attach(log, handle.ledger);
        const replay = await atm.raw(2, withdraw, 1);
        expect(replay).toMatchObject({ status: 'done', replay: true });
        expect(replay.status === 'done' && first.status === 'done' && replay.body === first.body).toBe(true);
        expect(await atm.resend(3, { op: 'confirm', withdrawal: 'w-1' }, 2)).toMatchObject({ code: 'APPROVED' });
        expect(await atm.resend(4, { op: 'balance', session }, 3)).toMatchObject({ code: 'APPROVED', balance: 75_000 });
        const audit = await handle.ledger.audit();
        expect(audit).toMatchObject({ dispensed: 25_000, balanced: true, journalEntries: 4 });
      } finally {
        await log.close();
        await handle.close();
      }
    });
  });
}
