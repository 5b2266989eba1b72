/**
 * `netlab atm server`: the bank. Opens the ledger named by `--store`, puts the request log over
 * it, and serves the ATM protocol over TCP (u32 length-prefixed JSON frames) or UDP (one JSON
 * envelope per datagram), printing the standard startup line.
 *
 * Fault flags reproduce the labs' failures inside the server, decided by a seeded PRNG:
 * - `--drop-requests P`: a request is discarded before it reaches the log (never executed);
 * - `--drop-replies P`: the request is executed and committed, the reply is discarded;
 * - `--crash-after-commit P`: after a fresh request commits, the process kills itself with
 *   SIGKILL before replying. Restarted on the same store, it answers the retransmission from
 *   the log.
 * Nothing here ever logs a payload, so no PIN block can reach a log.
 *
 * Start order: the port is checked first (a busy port is reported before the store is touched),
 * then the store and its bank key are opened (see `store-spec.ts`), then the server listens and
 * prints the startup line. A store that turns out damaged while serving stops the server with one
 * `error: …` line and exit code 1, instead of answering `ERR_UNAVAILABLE` forever.
 */
import { writeSync } from 'node:fs';
import { onShutdown } from '@netlab/cli-kit';
import { createPrng } from '@netlab/faults';
import { DEFAULT_LEASE_MS, DEFAULT_MAX_FRAME_BYTES, type ReplyEnvelope, type RequestEnvelope, createRequestLog, createServerDatagramCodec, createServerStreamCodec } from '@netlab/request-log';
import type { Service } from '@netlab/service';
import { type LedgerLimits, type RateLimit, createAtmService } from '@netlab/service-atm';
import { type RunningServer, type ServerTlsFlags, serveTcp, serveUdp, serveWs } from '@netlab/exercise-kit';
import { createWsDatagramCodec } from '@netlab/transport-ws';
import { probeListen } from './port-probe.js';
import { type StoreSpec, openLedger } from './store-spec.js';

export interface AtmServerOptions {
  readonly host: string;
  readonly port: number;
  readonly transport: 'tcp' | 'udp';
  /** TCP only: the `--tls` flags. Default: plain TCP. */
  readonly tls?: ServerTlsFlags;
  /** `--ws PORT`: also serve the bank over WebSocket (one JSON envelope per binary frame). Default: not. */
  readonly wsPort?: number;
  readonly store: StoreSpec;
  /** `--bank-key FILE`. Default: the store's default key file. */
  readonly bankKeyFile?: string;
  /** Create the SQLite store's directory if missing (the default store only). Default false. */
  readonly createStoreDirectory?: boolean;
  /** Probability that a request is dropped unexecuted. Default 0. */
  readonly dropRequests?: number;
  /** Probability that a reply is dropped after its request committed. Default 0. */
  readonly dropReplies?: number;
  /** Probability that the process dies right after a fresh commit, before replying. Default 0. */
  readonly crashAfterCommit?: number;
  /** Seed of the fault decisions. Default 1. */
  readonly seed?: number;
  readonly limits?: Partial<LedgerLimits>;
  /** One transaction per request (the benchmark's baseline). Default false. */
  readonly noGroupCommit?: boolean;
  /** SQLite: fsync each group commit on the event loop, the old writer (the benchmark's baseline). Default false. */
  readonly inlineSync?: boolean;
  /** scrypt cost of the seeded PINs (tests). Default: the library's. */
  readonly pinHashCost?: number;
  /** Requests that prove no authority, per peer address (the shared limit is 5×). Default: the service's. */
  readonly unauthenticatedRate?: RateLimit;
  /** Log each fault decision on stderr. Default true. */
  readonly logFaults?: boolean;
  /** Writes a log line. Default: stderr. */
  readonly log?: (line: string) => void;
}

/** Largest envelope over WebSocket: the datagram codec's own ceiling (65,507 bytes), below the TCP frame limit. */
const MAX_WS_ENVELOPE_BYTES = 65_507;

const stderrLine = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function percent(p: number): string {
  return `${Math.round(p * 1000) / 10}%`;
}

/** Wraps the bank service with the fault flags. */
function withFaults(inner: Service<RequestEnvelope, ReplyEnvelope>, options: AtmServerOptions, log: (line: string) => void): Service<RequestEnvelope, ReplyEnvelope> {
  const dropRequests = options.dropRequests ?? 0;
  const dropReplies = options.dropReplies ?? 0;
  const crash = options.crashAfterCommit ?? 0;
  if (dropRequests === 0 && dropReplies === 0 && crash === 0) return inner;
  const prng = createPrng(options.seed ?? 1);
  const requestFaults = prng.fork('drop-requests');
  const replyFaults = prng.fork('drop-replies');
  const crashFaults = prng.fork('crash-after-commit');
  const noisy = options.logFaults ?? true;
  return {
    name: inner.name,
    open(peer, ctx) {
      const session = inner.open(peer, ctx);
      return {
        async receive(request) {
          const id = `${request.clientId}:${request.seq}`;
          if (requestFaults.chance(dropRequests)) {
            if (noisy) log(`atm: fault: dropped request ${id} before the log`);
            return [];
          }
          const replies = await session.receive(request);
          const fresh = replies.some((reply) => reply.status === 'done' && !reply.replay);
          if (fresh && crashFaults.chance(crash)) {
            // Synchronous write: the process is about to die and must not lose the line.
            writeSync(2, `atm: fault: crashing after the commit of ${id}, before its reply\n`);
            process.kill(process.pid, 'SIGKILL');
          }
          if (replyFaults.chance(dropReplies)) {
            if (noisy) log(`atm: fault: dropped the reply to ${id} after its commit`);
            return [];
          }
          return replies;
        },
        close: (reason) => session.close?.(reason),
      };
    },
  };
}

/** Starts the bank; resolves once it listens (the startup line is printed). */
export async function runAtmServer(options: AtmServerOptions): Promise<RunningServer> {
  const log = options.log ?? stderrLine;
  await probeListen(options.transport, options.host, options.port);
  let stopOnFailure: (error: Error) => void = () => undefined;
  const opened = await openLedger(options.store, {
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.noGroupCommit === true ? { noGroupCommit: true } : {}),
    ...(options.inlineSync === true ? { inlineSync: true } : {}),
    ...(options.pinHashCost === undefined ? {} : { pinHashCost: options.pinHashCost }),
    ...(options.bankKeyFile === undefined ? {} : { bankKeyFile: options.bankKeyFile }),
    ...(options.createStoreDirectory === true ? { createDirectory: true } : {}),
    onFatalError: (error) => {
      stopOnFailure(error);
    },
  });
  const ledger = opened.ledger;
  // A client id that never acknowledged a reply is a login that was declined or abandoned (an
  // ATM takes a new id per login): forget it after twice the session idle time (at least a
  // minute), not after the 24 h lease, so failed logins cannot pile up in the store.
  const requestLog = createRequestLog({ store: ledger.store, unacknowledgedLeaseMs: Math.min(DEFAULT_LEASE_MS, Math.max(60_000, 2 * ledger.limits.sessionIdleMs)) });
  const rate = options.unauthenticatedRate;
  const rateLimits = rate === undefined ? {} : { rateLimits: { perPeer: rate, total: { burst: 5 * rate.burst, perSecond: 5 * rate.perSecond } } };
  const service = withFaults(createAtmService({ ledger, log: requestLog, ...rateLimits }), options, log);
  const writer = options.noGroupCommit === true ? ' (group commit off)' : options.inlineSync === true ? ' (fsync on the event loop)' : '';
  log(`atm: store ${opened.description}${writer}`);
  const faults = [
    ['drop-requests', options.dropRequests ?? 0],
    ['drop-replies', options.dropReplies ?? 0],
    ['crash-after-commit', options.crashAfterCommit ?? 0],
  ] as const;
  if (faults.some(([, p]) => p > 0)) {
    log(`atm: faults: ${faults.filter(([, p]) => p > 0).map(([name, p]) => `${name} ${percent(p)}`).join(', ')} (seed ${options.seed ?? 1})`);
  }
  const common = { exercise: 'atm', host: options.host, port: options.port, handleSignals: false, log: (line: string) => { log(explainFrameError(line)); } };
  let server: RunningServer;
  let wsServer: RunningServer | undefined;
  try {
    server = options.transport === 'tcp'
      ? await serveTcp({ ...common, codec: createServerStreamCodec(), service, ...(options.tls === undefined ? {} : { tls: options.tls }) })
      : await serveUdp({ ...common, codec: createServerDatagramCodec(), service, udp: { sessions: 'per-peer' } });
    if (options.wsPort !== undefined) {
      // The same service (one bank, one request log) behind a second listener; an envelope per
      // binary frame, with the TCP frame limit (the WebSocket framing replaces the length prefix).
      const maxBytes = Math.min(DEFAULT_MAX_FRAME_BYTES, MAX_WS_ENVELOPE_BYTES);
      const codec = createWsDatagramCodec(createServerDatagramCodec({ maxDatagramBytes: maxBytes }));
      try {
        wsServer = await serveWs({ ...common, port: options.wsPort, codec, service });
      } catch (error) {
        await server.close();
        throw error;
      }
    }
  } catch (error) {
    await requestLog.close();
    await ledger.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await wsServer?.close();
      await server.close();
      await requestLog.close();
      await ledger.close();
    })();
    return closing;
  };
  stopOnFailure = (error) => {
    // Synchronous: the line must be out before the process goes.
    writeSync(2, `error: ${error.message}; the server stops (restore the store from a backup)\n`);
    void close().finally(() => process.exit(1));
  };
  onShutdown(async (signal) => {
    log(`atm: ${signal}, stopping`);
    await close();
    log('atm: stopped');
  });
  return { ...server, close };
}

/**
 * A frame length that is four printable ASCII bytes is a text client (`nc`, telnet) on the
 * framed port: say so in the log line (the connection is still closed without a reply, as the
 * protocol says: there is no request id to answer; docs/protocols/atm.md#bad-input).
 */
export function explainFrameError(line: string): string {
  const match = /frame of (\d+) bytes exceeds the limit/u.exec(line);
  if (match === null || !line.startsWith('atm: malformed input ')) return line;
  const length = Number(match[1]);
  if (!(length <= 0xffffffff)) return line;
  const bytes = [24, 16, 8, 0].map((shift) => (length >>> shift) & 0xff);
  if (!bytes.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d)) return line;
  const text = JSON.stringify(String.fromCharCode(...bytes));
  return `${line} (the first bytes were text, ${text}: this port speaks u32 length-prefixed JSON frames, see docs/protocols/atm.md)`;
}

