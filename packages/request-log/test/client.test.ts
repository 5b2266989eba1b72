import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type MemoryEffect,
  type ReplyEnvelope,
  type RequestEnvelope,
  createClient,
  createMemoryOutbox,
  createMemoryStore,
  createRequestLog,
  isRequestLogError,
} from '../src/index.js';
import { createSqliteOutbox } from '../src/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'netlab-client-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A server on the memory store and a link to it whose fate per message a test decides. */
function harness() {
  const store = createMemoryStore();
  const log = createRequestLog({ store });
  const count: MemoryEffect = (tx, payload) => {
    const n = tx.get('count');
    const next = (typeof n === 'number' ? n : 0) + (payload as { add: number }).add;
    tx.set('count', next);
    return next;
  };
  let up = true;
  let dropReplies = 0;
  const wire = { requests: 0 };
  const link = (receive: (reply: ReplyEnvelope) => void) => (request: RequestEnvelope) => {
    wire.requests++;
    if (!up) return;
    void log.execute(request, count).then((reply) => {
      if (dropReplies > 0) {
        dropReplies--;
        return;
      }
      receive(reply);
    });
  };
  return {
    store,
    log,
    link,
    wire,
    setUp: (value: boolean) => {
      up = value;
    },
    dropNextReplies: (n: number) => {
      dropReplies = n;
    },
    count: () => store.state.data.get('count'),
  };
}

describe('client', () => {
  it('gets a value through lost replies and applies the request once', async () => {
    const h = harness();
    h.dropNextReplies(3);
    const client = createClient({ send: h.link((reply) => { client.receive(reply); }), initialRetransmitMs: 5, maxRetransmitMs: 20 });
    await expect(client.call({ add: 2 })).resolves.toBe(2);
    expect(h.count()).toBe(2);
    expect(h.log.stats()).toMatchObject({ fresh: 1, duplicates: 3 });
    client.close();
  });

  it('rejects ERR_OUTCOME_UNKNOWN when nothing answers, and retry(seq) resolves it later', async () => {
    const h = harness();
    h.setUp(false);
    const client = createClient({ send: h.link((reply) => { client.receive(reply); }), initialRetransmitMs: 5, maxRetransmitMs: 10, giveUpAfterMs: 50 });
    const error: unknown = await client.call({ add: 7 }).catch((e: unknown) => e);
    expect(isRequestLogError(error, 'ERR_OUTCOME_UNKNOWN')).toBe(true);
    const seq = isRequestLogError(error) ? error.seq : undefined;
    expect(seq).toBe(1);
    h.setUp(true);
    await expect(client.retry(1)).resolves.toBe(7);
    expect(h.count()).toBe(7);
    client.close();
  });

  it('rejects ERR_EFFECT_FAILED with the effect message when the effect threw', async () => {
    const log = createRequestLog({ store: createMemoryStore() });
    const client = createClient({
      send: (request) => {
        void log.execute(request, () => {
          throw new Error('insufficient funds');
        }).then((reply) => {
          client.receive(reply);
        });
      },
    });
    await expect(client.call({})).rejects.toMatchObject({ code: 'ERR_EFFECT_FAILED', message: 'insufficient funds' });
    client.close();
  });

  it('rejects outstanding calls with ERR_CLOSED when closed, and refuses new ones', async () => {
    const client = createClient({ send: () => undefined });
    const pending = client.call(1);
    client.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(client.call(2)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('resumes unfinished requests from a SQLite outbox after a restart, under their original ids', async () => {
    const h = harness();
    const path = join(dir, 'outbox.sqlite');
    h.setUp(false);
    const outbox1 = createSqliteOutbox({ database: path });
    const first = createClient({ send: h.link((reply) => { first.receive(reply); }), outbox: outbox1, initialRetransmitMs: 5 });
    const lost = [first.call({ add: 1 }), first.call({ add: 10 })];
    for (const call of lost) call.catch(() => undefined);
    first.close(); // the "crash": nothing reached the server
    outbox1.close();
    h.setUp(true);
    const outbox2 = createSqliteOutbox({ database: path });
    const second = createClient({ send: h.link((reply) => { second.receive(reply); }), outbox: outbox2, initialRetransmitMs: 5 });
    expect(second.clientId).toBe(first.clientId);
    expect(second.recovered.map((call) => call.seq)).toEqual([1, 2]);
    expect(await Promise.all(second.recovered.map((call) => call.result))).toEqual([1, 11]);
    await expect(second.call({ add: 100 })).resolves.toBe(111);
    expect(outbox2.load()).toMatchObject({ nextSeq: 4, ack: 3, pending: [] });
    second.close();
    outbox2.close();
  });

  it('does not run twice a request whose reply was lost when the client restarted', async () => {
    const h = harness();
    const state = createMemoryOutbox().state;
    h.dropNextReplies(1_000);
    const first = createClient({ send: h.link((reply) => { first.receive(reply); }), outbox: createMemoryOutbox({ state }), initialRetransmitMs: 5 });
    first.call({ add: 5 }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 30));
    first.close();
    expect(h.count()).toBe(5);
    h.dropNextReplies(0);
    const second = createClient({ send: h.link((reply) => { second.receive(reply); }), outbox: createMemoryOutbox({ state }), initialRetransmitMs: 5 });
    await expect(second.recovered[0]?.result).resolves.toBe(5);
    expect(h.count()).toBe(5);
    second.close();
  });

  it('refuses an outbox that belongs to another client id', () => {
    const outbox = createMemoryOutbox({ state: { snapshot: { clientId: 'a', nextSeq: 1, ack: 0, pending: [] } } });
    expect(() => createClient({ send: () => undefined, outbox, clientId: 'b' })).toThrow(/belongs/);
  });
});
