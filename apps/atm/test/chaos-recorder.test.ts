import { describe, expect, it } from 'vitest';
import { SAMPLE_MS, createChaosRecorder } from '../src/chaos-recorder.js';

describe('the chaos recorder', () => {
  it('feeds the exactly-once checker from link events and keeps the lost-reply trace', () => {
    const recorder = createChaosRecorder(0, 'udp');
    recorder.linkEvent(0, { type: 'send', clientId: 'c1', seq: 1, attempt: 1, op: 'login', at: 10 });
    recorder.linkEvent(0, { type: 'reply', clientId: 'c1', seq: 1, replay: false, body: 'b1', at: 20 });
    recorder.linkEvent(0, { type: 'send', clientId: 'c1', seq: 2, attempt: 1, op: 'withdraw', at: 30 });
    recorder.linkEvent(0, { type: 'send', clientId: 'c1', seq: 2, attempt: 2, op: 'withdraw', at: 600 });
    recorder.linkEvent(0, { type: 'reply', clientId: 'c1', seq: 2, replay: true, body: 'b2', at: 650 });
    recorder.linkEvent(0, { type: 'reply', clientId: 'c1', seq: 2, replay: true, body: 'b2-changed', at: 660 });
    recorder.withdrawalDone(0, 5_000);
    recorder.linkEvent(1, { type: 'send', clientId: 'c2', seq: 1, attempt: 1, op: 'login', at: 700 });
    recorder.operation('withdraw dispensed', true);
    recorder.operation('error ERR_OUTCOME_UNKNOWN', false);
    recorder.note('session lost');
    expect(recorder.retries).toBe(1);
    expect([...recorder.clients]).toEqual(['c1', 'c2']);
    expect(recorder.lostReply).toEqual({ clientId: 'c1', seq: 2, amount: 5_000, sends: [0, 570], replyAt: 620, confirmSeq: 3, transport: 'udp' });
    expect({ done: recorder.done, failed: recorder.failed, byKind: recorder.byKind }).toEqual({
      done: 1,
      failed: 1,
      byKind: { 'withdraw dispensed': 1, 'error ERR_OUTCOME_UNKNOWN': 1, 'session lost': 1 },
    });
    const summary = recorder.checker.verify(new Map([['c1:1', 1], ['c1:2', 2], ['c9:1', 1]]));
    expect(summary).toMatchObject({ issued: 3, acknowledged: 2, unresolved: 1 });
    expect(summary.violations.map((v) => `${v.kind} ${v.id}`).sort()).toEqual(['applied-twice c1:2', 'lost-ack c1:2', 'reply-changed c1:2', 'unknown-id c9:1']);
    expect(recorder.samples()).toEqual([
      { t: 0, attempts: 2, retries: 0, errors: 0 },
      { t: SAMPLE_MS, attempts: 2, retries: 1, errors: 0 },
    ]);
  });
});
