import { describe, expect, it } from 'vitest';
import { type CompletionRecord, type LoggedRequest, canonicalJson, decide, fingerprint } from '../../src/index.js';

function logged(seq: number, ack: number, payload: Record<string, number> = { n: seq }): LoggedRequest {
  return { clientId: 'c', seq, ack, payload, canonical: canonicalJson(payload), fingerprint: fingerprint(payload) };
}

function recordOf(request: LoggedRequest): CompletionRecord {
  return { payload: request.canonical, reply: '{"ok":true,"value":1}' };
}

describe('decide', () => {
  it('executes a fresh request of a new client', () => {
    expect(decide(logged(1, 0), undefined, undefined, 8)).toEqual({ kind: 'execute', ack: 0 });
  });

  it('refuses an unknown client that has already had replies (its session was forgotten)', () => {
    expect(decide(logged(5, 4), undefined, undefined, 8)).toEqual({ kind: 'expired' });
  });

  it('replays a record with the same fingerprint and reports a mismatch otherwise', () => {
    const original = logged(3, 2, { n: 1, m: 2 });
    expect(decide(logged(3, 2, { m: 2, n: 1 }), { ack: 2, lastSeen: 0 }, recordOf(original), 8)).toMatchObject({ kind: 'replay' });
    expect(decide(logged(3, 2, { n: 9, m: 2 }), { ack: 2, lastSeen: 0 }, recordOf(original), 8)).toEqual({ kind: 'mismatch', fields: ['n'], ack: 2 });
  });

  it('calls a request at or below the watermark stale, using the larger of stored and carried acks', () => {
    expect(decide(logged(3, 0), { ack: 3, lastSeen: 0 }, undefined, 8)).toEqual({ kind: 'stale', ack: 3 });
    expect(decide(logged(4, 0), { ack: 3, lastSeen: 0 }, undefined, 8)).toEqual({ kind: 'execute', ack: 3 });
    expect(decide(logged(4, 3), { ack: 1, lastSeen: 0 }, undefined, 8)).toEqual({ kind: 'execute', ack: 3 });
  });

  it('accepts seq exactly maxInFlight above the watermark and refuses one more', () => {
    expect(decide(logged(10, 2), { ack: 2, lastSeen: 0 }, undefined, 8)).toEqual({ kind: 'execute', ack: 2 });
    expect(decide(logged(11, 2), { ack: 2, lastSeen: 0 }, undefined, 8)).toEqual({ kind: 'window', ack: 2, maxInFlight: 8 });
  });
});
