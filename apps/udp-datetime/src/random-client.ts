/**
 * The udp-datetime lab client: sends a random one of `SEND_DATE` / `SEND_TIME`, waits a random
 * pause, repeats `count` times; retries a request whose reply does not come within the timeout
 * (the protocol is stateless, so a repeat is harmless), prints each reply, and ends with a
 * summary: sent, answered, retried, lost. Every random choice comes from one seeded PRNG, so a
 * run is replayable with `--seed`.
 *
 * Output, one line per request: `SEND_DATE → 2024-03-10`, `SEND_TIME → 06:59:58 (after 1 retry)`
 * or `SEND_TIME → lost (no reply after 3 attempts)`; then `summary: sent 5, answered 5, …` and
 * `rtt min/avg/max …` (when a request was answered).
 *
 * A server that goes away mid-run (port unreachable after at least one reply) does not end the
 * run: each request it misses is `lost (no server at HOST:PORT)`, and the summary still comes, so
 * the lab's loss count survives the server's death (a restarted server answers again).
 */
import { createPrng } from '@netlab/faults';
import { type UdpClientSummary, createRttStats, createTextDatagramCodec, formatHostPort, formatRtt, formatSummary, toClientError } from '@netlab/exercise-kit';
import { createUdpClient, isUdpError } from '@netlab/transport-udp';
import type { IntervalRange } from './interval.js';

export const REQUESTS = ['SEND_DATE', 'SEND_TIME'] as const;

export interface RandomClientOptions {
  readonly host: string;
  readonly port: number;
  /** Requests to send. */
  readonly count: number;
  /** Pause between requests. */
  readonly interval: IntervalRange;
  /** Wait per attempt, ms. */
  readonly timeoutMs: number;
  /** Resends after the first send. */
  readonly retries: number;
  /** Seed of every random choice. */
  readonly seed: number;
  /** Writes report lines (stdout). */
  readonly write: (line: string) => void;
  /** Resolves when the run should stop early (Ctrl-C). */
  readonly stopped: Promise<void>;
}

/** Runs the random requests; resolves with the summary (already printed). */
export async function runRandomClient(options: RandomClientOptions): Promise<UdpClientSummary> {
  const prng = createPrng(options.seed);
  let client;
  try {
    client = await createUdpClient({ codec: createTextDatagramCodec(), host: options.host, port: options.port, timeoutMs: options.timeoutMs, retries: options.retries });
  } catch (error) {
    throw toClientError(error, options.host, options.port);
  }
  // Set by the `stopped` callback: an object so the compiler does not narrow it away.
  const state = { stop: false };
  void options.stopped.then(() => (state.stop = true));
  const stopping = (): boolean => state.stop;
  let timer: NodeJS.Timeout | undefined;
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
      void options.stopped.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  let sent = 0;
  let answered = 0;
  let lost = 0;
  const rtt = createRttStats();
  try {
    for (let i = 0; i < options.count && !stopping(); i++) {
      if (i > 0) {
        await pause(options.interval.minMs + prng.int(options.interval.maxMs - options.interval.minMs + 1));
        if (stopping()) break;
      }
      const request = REQUESTS[prng.int(REQUESTS.length)] ?? 'SEND_DATE';
      const before = client.stats().retransmissions;
      sent += 1;
      const started = performance.now();
      try {
        const reply = await client.request(request);
        rtt.add(performance.now() - started);
        answered += 1;
        const retries = client.stats().retransmissions - before;
        options.write(`${request} → ${reply}${retries === 0 ? '' : ` (after ${retries} ${retries === 1 ? 'retry' : 'retries'})`}`);
      } catch (error) {
        if (isUdpError(error, 'ERR_CONNECTION_REFUSED') && answered > 0) {
          lost += 1;
          options.write(`${request} → lost (no server at ${formatHostPort(options.host, options.port)})`);
          continue;
        }
        if (!isUdpError(error, 'ERR_REQUEST_TIMEOUT')) throw toClientError(error, options.host, options.port);
        lost += 1;
        options.write(`${request} → lost (no reply after ${options.retries + 1} attempts)`);
      }
    }
  } finally {
    clearTimeout(timer);
    await client.close();
  }
  const times = rtt.summary();
  const summary: UdpClientSummary = { sent, answered, retried: client.stats().retransmissions, lost, ...(times === undefined ? {} : { rtt: times }) };
  options.write(`summary: ${formatSummary(summary)}`);
  if (summary.rtt !== undefined) options.write(formatRtt(summary.rtt));
  return summary;
}
