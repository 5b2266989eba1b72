import { describe, expect, it } from 'vitest';
import { type ClientOutput, type ReplyEnvelope, createClientCore, isRequestLogError } from '../../src/index.js';

const done = (seq: number, value = seq, clientId = 'c'): ReplyEnvelope => ({
  kind: 'reply',
  clientId,
  seq,
  status: 'done',
  replay: false,
  body: `{"ok":true,"value":${value}}`,
});
const error = (seq: number, code: 'ERR_IN_PROGRESS' | 'ERR_SESSION_EXPIRED' | 'ERR_STALE' | 'ERR_MISMATCH'): ReplyEnvelope => ({
  kind: 'reply',
  clientId: 'c',
  seq,
  status: 'error',
  code,
  message: code,
});
const seqs = (output: ClientOutput): number[] => output.send.map((request) => request.seq);

describe('client core', () => {
  it('allocates consecutive sequence numbers and carries the watermark', () => {
    const core = createClientCore({ clientId: 'c', jitter: 0 });
    const first = core.submit({ a: 1 }, 0);
    expect(first.output.send).toEqual([{ kind: 'request', clientId: 'c', seq: 1, ack: 0, payload: { a: 1 } }]);
    core.receive(done(1), 5);
    expect(core.submit({ a: 2 }, 10).output.send[0]).toMatchObject({ seq: 2, ack: 1 });
  });

  it('retransmits the same id with exponential backoff capped at the maximum', () => {
    const core = createClientCore({ clientId: 'c', jitter: 0, initialRetransmitMs: 100, maxRetransmitMs: 400, giveUpAfterMs: 0 });
    core.submit('x', 0);
    const times: number[] = [];
    let now = 0;
    for (let i = 0; i < 5; i++) {
      now = core.nextDeadline()!;
      const output = core.poll(now);
      expect(seqs(output)).toEqual([1]);
      times.push(now);
    }
    expect(times).toEqual([100, 300, 700, 1_100, 1_500]);
  });

  it('shortens each delay by the jitter fraction times the random draw', () => {
    const core = createClientCore({ clientId: 'c', jitter: 0.5, random: () => 0.999_999, initialRetransmitMs: 100 });
    core.submit('x', 0);
    expect(core.nextDeadline()).toBe(50);
  });

  it('advances the watermark only over contiguous replies, whatever their order', () => {
    const core = createClientCore({ clientId: 'c' });
    for (let i = 0; i < 3; i++) core.submit(i, 0);
    core.receive(done(3), 1);
    core.receive(done(2), 1);
    expect(core.ack).toBe(0);
    expect(core.receive(done(1), 1).events).toHaveLength(1);
    expect(core.ack).toBe(3);
  });

  it('ignores duplicated replies and replies for other clients', () => {
    const core = createClientCore({ clientId: 'c' });
    core.submit(1, 0);
    expect(core.receive(done(1), 1).events).toHaveLength(1);
    expect(core.receive(done(1), 2).events).toHaveLength(0);
    expect(core.receive(done(1, 1, 'other'), 2).events).toHaveLength(0);
    expect(core.stats().ignoredReplies).toBe(2);
  });

  it('sends exactly maxInFlight requests, queues the rest, and refuses one over maxQueued', () => {
    const core = createClientCore({ clientId: 'c', maxInFlight: 2, maxQueued: 1 });
    expect(seqs(core.submit(1, 0).output)).toEqual([1]);
    expect(seqs(core.submit(2, 0).output)).toEqual([2]);
    expect(seqs(core.submit(3, 0).output)).toEqual([]);
    expect(() => core.submit(4, 0)).toThrow(/queued/);
    expect(seqs(core.receive(done(1), 1))).toEqual([3]);
  });

  it('keeps retransmitting after ERR_IN_PROGRESS', () => {
    const core = createClientCore({ clientId: 'c', jitter: 0 });
    core.submit(1, 0);
    expect(core.receive(error(1, 'ERR_IN_PROGRESS'), 1).events).toEqual([]);
    expect(seqs(core.poll(core.nextDeadline()!))).toEqual([1]);
  });

  it('gives up with ERR_OUTCOME_UNKNOWN, keeps the id below the watermark, and resolves it on retry', () => {
    const core = createClientCore({ clientId: 'c', jitter: 0, initialRetransmitMs: 100, giveUpAfterMs: 250 });
    core.submit('x', 0);
    let now = 0;
    let gaveUp: ClientOutput | undefined;
    while (gaveUp === undefined) {
      now = core.nextDeadline()!;
      const output = core.poll(now);
      if (output.events.length > 0) gaveUp = output;
    }
    expect(now).toBe(250);
    const event = gaveUp.events[0]!;
    expect(event.type).toBe('unknown');
    expect(event.type === 'unknown' && isRequestLogError(event.error, 'ERR_OUTCOME_UNKNOWN') && event.error.seq).toBe(1);
    expect(core.nextDeadline()).toBeUndefined();
    expect(core.ack).toBe(0);
    expect(core.retry(1, 1_000).send).toEqual([{ kind: 'request', clientId: 'c', seq: 1, ack: 0, payload: 'x' }]);
    expect(core.receive(done(1, 42), 1_001).events[0]).toMatchObject({ type: 'done', value: 42 });
    expect(core.ack).toBe(1);
  });

  it('lets the watermark pass a forgotten unknown outcome', () => {
    const core = createClientCore({ clientId: 'c', giveUpAfterMs: 10 });
    core.submit('x', 0);
    core.poll(10);
    core.forget(1, 11);
    expect(core.ack).toBe(1);
    expect(() => core.retry(1, 12)).toThrow(/not awaiting/);
  });

  it('reports every pending request unknown and refuses new calls once the session expired', () => {
    const core = createClientCore({ clientId: 'c' });
    core.submit(1, 0);
    core.submit(2, 0);
    const output = core.receive(error(1, 'ERR_SESSION_EXPIRED'), 1);
    expect(output.events.map((event) => `${event.type}:${event.seq}`)).toEqual(['unknown:1', 'unknown:2']);
    expect(core.expired).toBe(true);
    expect(() => core.submit(3, 2)).toThrow('ERR_SESSION_EXPIRED');
  });

  it('resolves a pending request answered STALE or MISMATCH as failed', () => {
    const core = createClientCore({ clientId: 'c' });
    core.submit(1, 0);
    core.submit(2, 0);
    expect(core.receive(error(1, 'ERR_STALE'), 1).events[0]).toMatchObject({ type: 'failed', error: { code: 'ERR_STALE' } });
    expect(core.receive(error(2, 'ERR_MISMATCH'), 1).events[0]).toMatchObject({ type: 'failed', error: { code: 'ERR_MISMATCH' } });
    expect(core.ack).toBe(2);
  });

  it('resumes from a snapshot: resends pending ids, keeps the counter and the watermark', () => {
    const first = createClientCore({ clientId: 'c' });
    for (let i = 1; i <= 4; i++) first.submit({ i }, 0);
    first.receive(done(1), 1);
    first.receive(done(3), 1);
    const snapshot = first.snapshot();
    expect(snapshot).toMatchObject({ clientId: 'c', nextSeq: 5, ack: 1 });
    const second = createClientCore({ clientId: 'c', restore: snapshot });
    expect(second.poll(10).send.map((request) => [request.seq, request.ack])).toEqual([
      [2, 1],
      [4, 1],
    ]);
    second.receive(done(2), 11);
    expect(second.ack).toBe(3);
    expect(second.submit({ i: 5 }, 12).seq).toBe(5);
  });

  it('refuses a snapshot of another client', () => {
    expect(() => createClientCore({ clientId: 'c', restore: { clientId: 'd', nextSeq: 1, ack: 0, pending: [] } })).toThrow(/belongs/);
  });
});
