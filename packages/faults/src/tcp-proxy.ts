/**
 * A TCP fault proxy: accepts clients on `listen`, opens one upstream connection per client and
 * pumps bytes both ways through {@link createStreamFaults} (toxiproxy impairments, per direction).
 *
 * Invariants:
 * - Bytes are delivered in order and unaltered, or the connection is closed or reset: a fault
 *   never removes bytes from the middle of a stream.
 * - Backpressure end to end: a direction pauses its reading socket once `highWaterMark` bytes
 *   wait in it, and stops writing while the writing socket's buffer is full.
 * - Decisions come from `fork("tcp:<n>")` of the seed, n = accept order, then `up` / `down`:
 *   with the same seed and the same order of connections, every connection sees the same faults,
 *   whatever the timing of the others.
 * - An upstream that refuses (or does not answer within `connectTimeoutMs`) makes the proxy reset
 *   the client connection; it is counted (`stats().upstreamErrors`) and reported as an event.
 */
import net from 'node:net';
import { type Direction, type FaultCounters, addCounters, createFaultCounters, snapshotCounters } from './counters.js';
import { FaultError } from './errors.js';
import { type FaultProxy, type ProxyEvent, type ProxyStats, formatAddress } from './proxy-events.js';
import { createPrng } from './prng.js';
import { assertNotSelf } from './self-upstream.js';
import { DEFAULT_SEED, type StreamFaults, createStreamFaults } from './stream-faults.js';
import { type StreamImpairmentOptions, resolveStreamImpairments } from './stream-impairments.js';
import { checkInteger, checkNumber, checkProbability } from './validate.js';

export const DEFAULT_MAX_CONNECTIONS = 1024;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** How long a connection closed by `timeout` / `limit_data` may linger half-open before it is destroyed. */
export const CLOSE_GRACE_MS = 2000;

/** Per-direction toxics; `resetPeer` lives on the connection, see {@link TcpFaultProxyOptions}. */
export type TcpDirectionImpairments = Omit<StreamImpairmentOptions, 'resetPeer' | 'resetPeerAfterMs'>;

export interface TcpFaultProxyOptions {
  /** Host to listen on. Default `'127.0.0.1'`. */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one (read it back from `proxy.port`). Default 0. */
  readonly port?: number;
  /** Upstream host. Required. */
  readonly upstreamHost: string;
  /** Upstream port. Required. */
  readonly upstreamPort: number;
  /** Seed for every decision. Default {@link DEFAULT_SEED}. */
  readonly seed?: number;
  /** Toxics on client → server bytes. Default: none. */
  readonly up?: TcpDirectionImpairments;
  /** Toxics on server → client bytes. Default: none. */
  readonly down?: TcpDirectionImpairments;
  /** Probability that a connection is reset (toxiproxy `reset_peer`, decided per connection). Default 0. */
  readonly resetPeer?: number;
  /** When a chosen connection is reset: ms after it opened, or 0 = at its first data either way. Default 0. */
  readonly resetPeerAfterMs?: number;
  /** Connections open at once; more are refused by the kernel backlog / closed at once. Default {@link DEFAULT_MAX_CONNECTIONS}. */
  readonly maxConnections?: number;
  /** Give up on an upstream connect after this many ms. Default {@link DEFAULT_CONNECT_TIMEOUT_MS}. */
  readonly connectTimeoutMs?: number;
  /** Receives events for logging. Default: none. */
  readonly onEvent?: (event: ProxyEvent) => void;
}

interface Connection {
  readonly up: StreamFaults;
  readonly down: StreamFaults;
  readonly client: net.Socket;
  readonly upstream: net.Socket;
}

/** Starts a TCP fault proxy; resolves once it listens. Rejects with ERR_LISTEN or ERR_INVALID_OPTION. */
export async function createTcpFaultProxy(options: TcpFaultProxyOptions): Promise<FaultProxy> {
  const seed = options.seed ?? DEFAULT_SEED;
  const root = createPrng(seed);
  const up = options.up ?? {};
  const down = options.down ?? {};
  resolveStreamImpairments(up);
  resolveStreamImpairments(down);
  const resetPeer = checkProbability('resetPeer', options.resetPeer ?? 0);
  const resetPeerAfterMs = checkNumber('resetPeerAfterMs', options.resetPeerAfterMs ?? 0, 0);
  const maxConnections = checkInteger('maxConnections', options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, 1);
  const connectTimeoutMs = checkNumber('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 1);
  checkInteger('upstreamPort', options.upstreamPort, 1, 65535);
  const upstreamAddress = formatAddress(options.upstreamHost, options.upstreamPort);
  const emit = (event: ProxyEvent): void => options.onEvent?.(event);

  const totals = createFaultCounters();
  const open = new Set<Connection>();
  let accepted = 0;
  let upstreamErrors = 0;

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    const id = accepted++;
    const peer = formatAddress(client.remoteAddress ?? '?', client.remotePort ?? 0);
    const prng = root.fork(`tcp:${id}`);
    const armed = prng.fork('reset-peer').chance(resetPeer);
    const upstream = net.connect({ host: options.upstreamHost, port: options.upstreamPort, allowHalfOpen: true });
    let connected = false;
    let finished = false;
    let socketsClosed = 0;
    emit({ type: 'open', id, peer });

    const reset = (): void => {
      if (finished) return;
      finished = true;
      stopFaults();
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    };
    const closeByFault = (reason: 'timeout' | 'limit-data'): void => {
      if (finished) return;
      finished = true;
      stopFaults();
      emit({ type: 'closed-by-fault', id, peer, reason });
      for (const socket of [client, upstream]) {
        socket.on('data', () => undefined); // keep reading (and discarding) until the peer closes
        socket.resume();
        socket.end();
        setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      }
    };
    const faultsFor = (direction: Direction, to: net.Socket, from: net.Socket): StreamFaults =>
      createStreamFaults({
        ...(direction === 'up' ? up : down),
        resetPeer: armed ? 1 : 0,
        resetPeerAfterMs,
        prng: prng.fork(direction),
        onDrain: () => from.resume(),
        sink: {
          write: (bytes) => to.write(bytes),
          end: () => to.end(),
          close: closeByFault,
          reset: () => {
            emit({ type: 'reset', id, peer });
            reset();
          },
        },
      });
    const conn: Connection = { up: faultsFor('up', upstream, client), down: faultsFor('down', client, upstream), client, upstream };
    open.add(conn);

    function stopFaults(): void {
      conn.up.destroy();
      conn.down.destroy();
    }
    const pipe = (from: net.Socket, to: net.Socket, faults: StreamFaults): void => {
      from.on('data', (chunk: Buffer) => {
        if (finished) return;
        try {
          if (!faults.write(chunk)) from.pause();
        } catch (error) {
          // ERR_BUFFER_FULL cannot happen with a paused source, but a reset beats a crash.
          emit({ type: 'upstream-error', id, peer, error: new FaultError('ERR_BUFFER_FULL', (error as Error).message, { cause: error }) });
          reset();
        }
      });
      from.on('end', () => {
        if (!finished) faults.end();
      });
      to.on('drain', () => {
        faults.drained();
      });
    };
    pipe(client, upstream, conn.up);
    pipe(upstream, client, conn.down);

    const onClose = (): void => {
      if (++socketsClosed < 2) return;
      finished = true;
      stopFaults();
      open.delete(conn);
      addCounters(totals.up, conn.up.counters);
      addCounters(totals.down, conn.down.counters);
      emit({ type: 'close', id, peer });
    };
    client.on('close', onClose);
    upstream.on('close', onClose);
    client.on('error', () => {
      // The client went away abruptly: pass the abruptness on.
      if (!finished) reset();
    });
    upstream.setTimeout(connectTimeoutMs, () => {
      upstream.destroy(Object.assign(new Error(`no answer within ${connectTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected) {
        upstreamErrors++;
        const what = error.code === 'ECONNREFUSED' ? 'refused the connection' : `is unreachable (${error.code ?? error.message})`;
        emit({
          type: 'upstream-error',
          id,
          peer,
          error: new FaultError('ERR_UPSTREAM_UNREACHABLE', `upstream ${upstreamAddress} ${what}; client ${peer} reset`, {
            cause: error,
            details: { upstream: upstreamAddress, client: peer },
          }),
        });
      }
      if (!finished) reset();
    });
    upstream.once('connect', () => {
      connected = true;
      upstream.setTimeout(0);
      upstream.setNoDelay(true);
      client.setNoDelay(true);
      client.resume();
    });
  });
  server.maxConnections = maxConnections;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new FaultError('ERR_LISTEN', `cannot listen on tcp://${formatAddress(options.host ?? '127.0.0.1', options.port ?? 0)}: ${error.code ?? error.message}`, {
          cause: error,
        }),
      );
    });
    server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, () => {
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  try {
    await assertNotSelf('tcp', address.address, address.port, options.upstreamHost, options.upstreamPort);
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    throw error;
  }
  let closing: Promise<FaultCounters> | undefined;

  const current = (): FaultCounters => {
    const sum = snapshotCounters(totals);
    for (const conn of open) {
      addCounters(sum.up, conn.up.counters);
      addCounters(sum.down, conn.down.counters);
    }
    return sum;
  };

  return {
    protocol: 'tcp',
    host: address.address,
    port: address.port,
    upstreamHost: options.upstreamHost,
    upstreamPort: options.upstreamPort,
    seed,
    counters: current,
    stats: (): ProxyStats => ({ sessions: accepted, open: open.size, upstreamErrors }),
    close() {
      closing ??= new Promise<FaultCounters>((resolve) => {
        server.close(() => {
          resolve(current());
        });
        for (const conn of open) {
          conn.up.destroy();
          conn.down.destroy();
          conn.client.destroy();
          conn.upstream.destroy();
        }
      });
      return closing;
    },
  };
}
