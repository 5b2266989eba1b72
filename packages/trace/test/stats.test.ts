import { describe, expect, it } from 'vitest';
import { type TraceRecord, computeStats, createTraceWriter, createTracer, formatStats, parseTrace, percentile } from '../src/index.js';
import { proxiedLoss } from './golden.js';
import { atmBalance, atmLogin, atmWithdraw, frame, reply } from './synthetic.js';

/** A client trace with chosen times: each step is [time, dir, bytes]. */
function clientTrace(transport: 'tcp' | 'udp', steps: readonly (readonly [number, 'in' | 'out', string | Uint8Array])[]): TraceRecord[] {
  let text = '';
  let t = 0;
  const writer = createTraceWriter({ write: (line: string) => { text += line; return true; } });
  const tracer = createTracer(writer, { role: 'client', label: 'c', now: () => t });
  const flow = tracer.flow({ transport, local: { addr: '127.0.0.1', port: 40000 }, remote: { addr: '127.0.0.1', port: 7107 }, initiator: 'local' });
  for (const [time, dir, bytes] of steps) {
    t = time;
    flow.data(dir, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
  }
  return parseTrace(text);
}

describe('trace statistics', () => {
  it('counts messages and bytes per side and round trips, skipping a retransmitted request (Karn)', () => {
    const stats = computeStats(
      clientTrace('udp', [
        [1000, 'out', 'SEND_DATE'],
        [1002, 'in', '2024-03-10'],
        [1100, 'out', 'SEND_TIME'],
        [2100, 'out', 'SEND_TIME'],
        [2104, 'in', '06:59:58'],
        [2200, 'out', 'HELLO'],
        [2201, 'in', 'ERROR unknown request'],
      ]),
    );
    expect(stats).toMatchObject({
      records: 7,
      durationS: 1.201,
      flows: { tcp: 0, udp: 1, ws: 0 },
      messages: { fromClients: 4, fromServers: 3 },
      bytes: { fromClients: 9 + 9 + 9 + 5, fromServers: 10 + 8 + 21 },
      retransmissions: 1,
      loss: { requests: 3, unanswered: 0, proxied: 0, dropped: 0 },
    });
    expect(stats.rtt).toEqual({ samples: 2, minMs: 1, avgMs: 1.5, p99Ms: 2, maxMs: 2 });
  });

  it('counts a datagram with no reply before the next request as unanswered', () => {
    const stats = computeStats(clientTrace('udp', [[0, 'out', 'A'], [10, 'out', 'B'], [12, 'in', 'b'], [20, 'out', 'C']]));
    expect(stats.loss).toEqual({ requests: 3, unanswered: 2, proxied: 0, dropped: 0 });
    expect(stats.rtt?.samples).toBe(1);
  });

  it('matches request-log replies to requests by id, so pipelined requests time right', () => {
    const stats = computeStats(
      clientTrace('tcp', [
        [0, 'out', frame(atmLogin)],
        [1, 'out', frame(atmBalance)],
        [5, 'in', frame(reply(1, { code: 'APPROVED' }))],
        [9, 'in', frame(reply(2, { code: 'APPROVED' }))],
        [10, 'out', frame(atmWithdraw)],
        [30, 'out', frame(atmWithdraw)],
        [31, 'in', frame(reply(3, { code: 'APPROVED' }, true))],
      ]),
    );
    expect(stats.retransmissions).toBe(1);
    expect(stats.loss).toMatchObject({ requests: 3, unanswered: 0 });
    expect(stats.rtt).toMatchObject({ samples: 2, minMs: 5, maxMs: 8 });
  });

  it('counts a proxy trace on its client-side leg and reports what the proxy dropped', () => {
    const stats = computeStats(proxiedLoss());
    expect(stats.messages).toEqual({ fromClients: 3, fromServers: 1 });
    expect(stats.loss).toMatchObject({ proxied: 4, dropped: 1 });
    expect(stats.faults).toEqual({ drop: 1, delay: 1, reset: 1 });
    expect(stats.retransmissions).toBe(1);
    expect(stats.resets).toBe(1);
  });

  it('prints a table', () => {
    const table = formatStats(computeStats(proxiedLoss()));
    expect(table).toMatch(/^records +\d+ over [\d.]+ s$/m);
    expect(table).toMatch(/^dropped by proxy {2}1 of 4 \(25\.0 %\)$/m);
    expect(table).toMatch(/^faults +drop 1, delay 1, reset 1$/m);
    expect(formatStats(computeStats([]))).toMatch(/^rtt \(ms\) +no request got a reply$/m);
  });

  it('takes the nearest-rank percentile', () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 99)).toBeNaN();
  });
});
