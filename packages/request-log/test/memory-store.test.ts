import { describe, expect, it } from 'vitest';
import { type MemoryEffect, type MemoryTx, type MemoryStoreState, createMemoryStore, createMemoryStoreState, createRequestLog } from '../src/index.js';
import { type StoreHandle, describeStoreConformance } from '@netlab/testing/compliance';
import { request, valueOf } from './helpers.js';

function balanceOf(state: MemoryStoreState, account: string): number {
  const value = state.data.get(account);
  return typeof value === 'number' ? value : 0;
}

function open(state: MemoryStoreState = createMemoryStoreState()): Promise<StoreHandle<MemoryEffect>> {
  const store = createMemoryStore({ state });
  const add =
    (account: string, amount: number): MemoryEffect =>
    (tx) => {
      const current = tx.get(account);
      const next = (typeof current === 'number' ? current : 0) + amount;
      tx.set(account, next);
      return next;
    };
  return Promise.resolve({
    store,
    createLog: (options) => createRequestLog({ ...options, store }),
    add,
    addThenThrow: (account, amount) => (tx, payload, context) => {
      add(account, amount)(tx, payload, context);
      throw new Error('boom');
    },
    balance: (account) => Promise.resolve(balanceOf(state, account)),
    reopen: () => open(state),
    close: () => store.close(),
  });
}

describeStoreConformance<MemoryEffect>({ name: 'memory', open: () => open() });

describe('memory store', () => {
  it('refuses an asynchronous effect and records the failure without applying its writes', async () => {
    const store = createMemoryStore();
    const log = createRequestLog({ store });
    const reply = await log.execute(request('c1', 1, 0, {}), ((tx: MemoryTx) => {
      tx.set('x', 1);
      return Promise.resolve(1);
    }) as unknown as MemoryEffect);
    expect(reply.status === 'done' && reply.body).toContain('ERR_EFFECT_FAILED');
    expect(store.state.data.has('x')).toBe(false);
  });

  it('lets an effect read its own staged writes, a staged null and a staged delete included', async () => {
    const store = createMemoryStore();
    store.state.data.set('a', 1);
    store.state.data.set('b', 2);
    const log = createRequestLog({ store });
    const reply = await log.execute(request('c1', 1, 0, {}), (tx) => {
      tx.set('a', null);
      tx.delete('b');
      tx.set('c', 3);
      return ['a', 'b', 'c'].map((key) => {
        const value = tx.get(key);
        return value === undefined ? 'missing' : value;
      });
    });
    expect(valueOf(reply)).toEqual([null, 'missing', 3]);
    expect([...store.state.data]).toEqual([['a', null], ['c', 3]]);
  });

  it('holds at most clients × window records after 10^5 operations from 100 clients', async () => {
    const store = createMemoryStore();
    const window = 8;
    const log = createRequestLog({ store, maxInFlight: window, sweepIntervalMs: 0 });
    const effect: MemoryEffect = (tx, _payload, { clientId }) => {
      const n = tx.get(clientId);
      tx.set(clientId, (typeof n === 'number' ? n : 0) + 1);
      return null;
    };
    let maxRecords = 0;
    for (let round = 0; round < 1_000 / window * 1; round++) {
      const base = round * window;
      for (let c = 0; c < 100; c++) {
        for (let k = 1; k <= window; k++) {
          const reply = await log.execute(request(`client-${c}`, base + k, base, { k }), effect);
          if (reply.status !== 'done') throw new Error(`unexpected ${reply.code}`);
        }
      }
      maxRecords = Math.max(maxRecords, (await store.counts()).records);
    }
    expect(log.stats().fresh).toBe(100_000);
    expect(maxRecords).toBeLessThanOrEqual(100 * window);
    expect((await store.counts()).records).toBeLessThanOrEqual(100 * window);
    expect(store.state.data.get('client-42')).toBe(1_000);
    expect(valueOf(await log.execute(request('client-0', 1_001, 1_000, {}), () => 'ok'))).toBe('ok');
  });
});
