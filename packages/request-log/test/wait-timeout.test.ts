import { createManualClock } from '@netlab/ground';
import { describe, expect, it } from 'vitest';
import { type MemoryEffect, type RequestEnvelope, createMemoryStore, createRequestLog } from '../src/index.js';

const envelope = (seq: number): RequestEnvelope => ({ kind: 'request', clientId: 'c1', seq, ack: 0, payload: { op: 'x' } });
const effect: MemoryEffect = (tx) => {
  tx.set('x', 1);
  return 'done';
};

describe('request log on an injected clock', () => {
  it('bounds the wait of a concurrent duplicate with the injected clock: a manual clock drives it to ERR_IN_PROGRESS without waiting', async () => {
    const clock = createManualClock({ start: 1_000_000 });
    const store = createMemoryStore();
    // A real memory store whose commit waits for a gate: the original stays in progress.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    delete store.executeSync; // the gated store answers through `execute` alone
    const execute = store.execute.bind(store);
    store.execute = async (request, work, settings) => {
      await gate;
      return execute(request, work, settings);
    };
    const log = createRequestLog({ store, clock, waitTimeoutMs: 5_000, sweepIntervalMs: 0 });
    const original = log.execute(envelope(1), effect);
    const duplicate = log.execute(envelope(1), effect);
    await Promise.resolve();
    expect(clock.pending).toBe(1); // the duplicate's wait, on our clock, not on a Node timer
    clock.advance(4_999);
    let settled = false;
    void duplicate.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.advance(1);
    expect(await duplicate).toMatchObject({ status: 'error', code: 'ERR_IN_PROGRESS' });
    open();
    expect(await original).toMatchObject({ status: 'done', replay: false });
    expect(log.stats()).toMatchObject({ fresh: 1, inProgress: 1 });
    expect(clock.pending).toBe(0);
  });
});
