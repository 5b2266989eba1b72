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
 * - Live toxics (`setToxics`) are layered on the options and applied to every open connection in
 *   the same turn; `drop_first` resets the first N connections that carry data in its stream.
 * - Hold mode queues what the impairments let through, in order, and releases it on step/resume;
 *   a connection whose held bytes reach `highWaterMark` stops being read (nothing is lost).
 */
import net from 'node:net';
import { DEFAULT_HOST, type WireFlow, type WireTap, wireEndpoint } from '@netlab/ground';
import { type Direction, type FaultCounters, addCounters, createFaultCounters, snapshotCounters } from './counters.js';
import { FaultError } from './errors.js';
import { createEventHub } from './event-hub.js';
import type { FaultDecision } from './fault-decision.js';
import { type HoldQueueOptions, createHoldQueue } from './hold-queue.js';
import { type FaultProxy, type ProxyEvent, type ProxyStats, formatAddress } from './proxy-events.js';
import { type LinkToxics, createToxicBoard } from './toxic-board.js';
import { type Toxic, affects, parseToxic, streamOptionsWith } from './toxics.js';
import { createPrng } from './prng.js';
import { assertNotSelf } from './self-upstream.js';
import { DEFAULT_SEED, type StreamFaults, createStreamFaults } from './stream-faults.js';
import { type StreamImpairmentOptions, resolveStreamImpairments } from './stream-impairments.js';
import { checkInteger, checkNumber, checkProbability } from './validate.js';
import { toWireFault } from './wire-fault.js';

export const DEFAULT_MAX_CONNECTIONS = 1024;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** How long a connection closed by `timeout` / `limit_data` may linger half-open before it is destroyed. */
export const CLOSE_GRACE_MS = 2000;

/** Per-direction toxics; `resetPeer` lives on the connection, see {@link TcpFaultProxyOptions}. */
export type TcpDirectionImpairments = Omit<StreamImpairmentOptions, 'resetPeer' | 'resetPeerAfterMs'>;

export interface TcpFaultProxyOptions {
  /** Host to listen on. Default `DEFAULT_HOST` of `@netlab/ground` (`'127.0.0.1'`). */
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
  /** Receives events for logging (never data or fault events; use `subscribe` for those). Default: none. */
  readonly onEvent?: (event: ProxyEvent) => void;
  /** Toxics live from the start (validated as by the control API). Default: none. */
  readonly toxics?: readonly Toxic[];
  /** Bounds of hold mode. Default: 1000 units, 4 MiB. */
  readonly hold?: Pick<HoldQueueOptions, 'maxUnits' | 'maxBytes'>;
  /**
   * Records both legs of every connection or client (`side: 'client'` and `'server'`, the same
   * flow id) and every fault decision with the seed, on the leg where the traffic arrived
   * (`netlab proxy --trace`, `--pcap`). A `@netlab/trace` tracer or any `WireTap`. Default: none.
   */
  readonly tap?: WireTap;
}

interface Connection {
  readonly id: number;
  readonly up: StreamFaults;
  readonly down: StreamFaults;
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  readonly link: LinkToxics;
  /** Recomputes both directions' options from the live toxics. */
  readonly reconfigure: () => void;
  /** Attaches (true) or detaches the decision observers. */
  readonly observe: (on: boolean) => void;
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
  // Decisions are observed only while someone uses them (a listener, or toxics to count):
  // with neither, the models build no decision objects at all.
  const tap = options.tap;
  const observing = (): boolean => hub.wantsFaults || board.list().length > 0 || tap !== undefined;
  const syncObservers = (): void => {
    const on = observing();
    for (const conn of open) conn.observe(on);
  };
  const hub = createEventHub(options.onEvent, () => {
    syncObservers();
  });
  const emit = (event: ProxyEvent): void => {
    hub.emit(event);
  };
  const board = createToxicBoard();
  board.set((options.toxics ?? []).map((toxic) => parseToxic(toxic, 'tcp')), Date.now());
  const peers = new Map<number, string>();
  const holdQueue = createHoldQueue({
    ...options.hold,
    onChange: (what, { seq, unit }) => {
      emit({ type: what, id: unit.id, peer: peers.get(unit.id) ?? '?', direction: unit.direction, time: Date.now(), seq, kind: unit.kind, length: unit.length });
    },
  });
  const highWaterMark = (direction: Direction): number => resolveStreamImpairments(direction === 'up' ? up : down).highWaterMark;

  const totals = createFaultCounters();
  const open = new Set<Connection>();
  let accepted = 0;
  let upstreamErrors = 0;

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    const id = accepted++;
    const peer = formatAddress(client.remoteAddress ?? '?', client.remotePort ?? 0);
    peers.set(id, peer);
    const prng = root.fork(`tcp:${id}`);
    const armed = prng.fork('reset-peer').chance(resetPeer);
    const link = board.forLink(prng);
    const optionsFor = (direction: Direction): StreamImpairmentOptions =>
      streamOptionsWith({ ...(direction === 'up' ? up : down), resetPeer: armed ? 1 : 0, resetPeerAfterMs }, link.applying(direction));
    const seenData = { up: false, down: false };
    const holdPaused = { up: false, down: false };
    const offsets = { up: 0, down: 0 };
    const upstream = net.connect({ host: options.upstreamHost, port: options.upstreamPort, allowHalfOpen: true });
    let connected = false;
    let finished = false;
    let socketsClosed = 0;
    // The two legs as the tap sees them: client side now, server side once the upstream connects.
    const flows: { up: WireFlow | undefined; down: WireFlow | undefined } = { up: undefined, down: undefined };
    if (tap !== undefined) {
      flows.up = tap.flow({
        transport: 'tcp',
        side: 'client',
        id: String(id),
        local: wireEndpoint(client.localAddress, client.localPort),
        remote: wireEndpoint(client.remoteAddress, client.remotePort),
        initiator: 'remote',
      });
      flows.up.open();
    }
    /** The leg where traffic of `direction` arrives (up: the client side) and the one it leaves by. */
    const arrivalFlow = (direction: Direction): WireFlow | undefined => (direction === 'up' ? flows.up : flows.down);
    const departureFlow = (direction: Direction): WireFlow | undefined => (direction === 'up' ? flows.down : flows.up);
    const resetLegs = { client: false, server: false };
    emit({ type: 'open', id, peer });

    const reset = (): void => {
      if (finished) return;
      finished = true;
      holdQueue.discard(id);
      stopFaults();
      if (!resetLegs.client) flows.up?.reset('out');
      if (!resetLegs.server) flows.down?.reset('out');
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    };
    const closeByFault = (reason: 'timeout' | 'limit-data'): void => {
      if (finished) return;
      finished = true;
      holdQueue.discard(id);
      stopFaults();
      emit({ type: 'closed-by-fault', id, peer, reason });
      for (const socket of [client, upstream]) {
        socket.on('data', () => undefined); // keep reading (and discarding) until the peer closes
        socket.resume();
        socket.end();
        setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      }
    };
    const endpoints = { up: { from: peer, to: upstreamAddress }, down: { from: upstreamAddress, to: peer } };
    const writeOut = (direction: Direction, to: net.Socket, bytes: Uint8Array): boolean => {
      if (hub.wantsData) {
        emit({ type: 'data', id, peer, direction, time: Date.now(), ...endpoints[direction], bytes: Uint8Array.from(bytes), offset: offsets[direction] });
      }
      offsets[direction] += bytes.length;
      departureFlow(direction)?.data('out', bytes);
      return to.write(bytes);
    };
    const faultsFor = (direction: Direction, to: net.Socket, from: net.Socket): StreamFaults => {
      const faults: StreamFaults = createStreamFaults({
        ...optionsFor(direction),
        prng: prng.fork(direction),
        onDrain: () => from.resume(),
        sink: {
          write: (bytes) => {
            const unit = {
              id,
              direction,
              kind: 'data' as const,
              length: bytes.length,
              deliver: () => {
                if (finished) return;
                const ok = writeOut(direction, to, bytes);
                if (holdPaused[direction] && holdQueue.bytesOf(id, direction) < highWaterMark(direction)) {
                  holdPaused[direction] = false;
                  if (ok) faults.drained();
                }
              },
            };
            const outcome = holdQueue.offer(unit, false);
            if (outcome === 'passed') return writeOut(direction, to, bytes);
            const full = outcome === 'full' || holdQueue.bytesOf(id, direction) >= highWaterMark(direction);
            if (full) holdPaused[direction] = true;
            return !full;
          },
          end: () => {
            const endTo = (): void => {
              to.end();
              departureFlow(direction)?.end('out');
            };
            const outcome = holdQueue.offer({ id, direction, kind: 'end', length: 0, deliver: endTo }, false);
            if (outcome === 'passed') endTo();
          },
          close: closeByFault,
          reset: () => {
            emit({ type: 'reset', id, peer });
            reset();
          },
        },
      });
      return faults;
    };
    const observerFor =
      (direction: Direction) =>
      (decision: FaultDecision): void => {
        const now = Date.now();
        const toxics = board.record(link, direction, decision, now);
        arrivalFlow(direction)?.fault('in', toWireFault(decision, seed));
        if (hub.wantsFaults) emit({ type: 'fault', id, peer, direction, time: now, seed, toxics, decision });
      };
    const observers = { up: observerFor('up'), down: observerFor('down') };
    const conn: Connection = {
      id,
      up: faultsFor('up', upstream, client),
      down: faultsFor('down', client, upstream),
      client,
      upstream,
      link,
      reconfigure: () => {
        conn.up.reconfigure(optionsFor('up'));
        conn.down.reconfigure(optionsFor('down'));
      },
      observe: (on) => {
        conn.up.observe(on ? observers.up : undefined);
        conn.down.observe(on ? observers.down : undefined);
      },
    };
    conn.observe(observing());
    open.add(conn);

    function stopFaults(): void {
      conn.up.destroy();
      conn.down.destroy();
    }
    const pipe = (from: net.Socket, to: net.Socket, faults: StreamFaults, direction: Direction): void => {
      from.on('data', (chunk: Buffer) => {
        if (finished) return;
        arrivalFlow(direction)?.data('in', chunk);
        if (!seenData[direction]) {
          seenData[direction] = true;
          const now = Date.now();
          const dropper = board.takeDropFirst(link, direction, now);
          if (dropper !== undefined) {
            faults.counters.received++;
            faults.counters.dropped++;
            faults.counters.reset++;
            const decision: FaultDecision = { decision: 'reset', cause: 'drop_first', offset: 0, length: chunk.length };
            arrivalFlow(direction)?.fault('in', toWireFault(decision, seed));
            if (hub.wantsFaults) {
              emit({ type: 'fault', id, peer, direction, time: now, seed, toxics: [dropper], decision });
            }
            emit({ type: 'reset', id, peer });
            reset();
            return;
          }
        }
        try {
          if (!faults.write(chunk)) from.pause();
        } catch (error) {
          // ERR_BUFFER_FULL cannot happen with a paused source, but a reset beats a crash.
          emit({ type: 'upstream-error', id, peer, error: new FaultError('ERR_BUFFER_FULL', (error as Error).message, { cause: error }) });
          reset();
        }
      });
      from.on('end', () => {
        arrivalFlow(direction)?.end('in');
        if (!finished) faults.end();
      });
      to.on('drain', () => {
        faults.drained();
      });
    };
    pipe(client, upstream, conn.up, 'up');
    pipe(upstream, client, conn.down, 'down');

    const onClose = (): void => {
      if (++socketsClosed < 2) return;
      finished = true;
      stopFaults();
      holdQueue.discard(id);
      peers.delete(id);
      open.delete(conn);
      addCounters(totals.up, conn.up.counters);
      addCounters(totals.down, conn.down.counters);
      flows.up?.close();
      flows.down?.close();
      emit({ type: 'close', id, peer });
    };
    client.on('close', onClose);
    upstream.on('close', onClose);
    client.on('error', (error: NodeJS.ErrnoException) => {
      // The client went away abruptly: pass the abruptness on.
      if (error.code === 'ECONNRESET' && !finished) {
        resetLegs.client = true;
        flows.up?.reset('in');
      }
      if (!finished) reset();
    });
    upstream.setTimeout(connectTimeoutMs, () => {
      upstream.destroy(Object.assign(new Error(`no answer within ${connectTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (connected && error.code === 'ECONNRESET' && !finished) {
        resetLegs.server = true;
        flows.down?.reset('in');
      }
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
      if (tap !== undefined) {
        flows.down = tap.flow({
          transport: 'tcp',
          side: 'server',
          id: String(id),
          local: wireEndpoint(upstream.localAddress, upstream.localPort),
          remote: wireEndpoint(upstream.remoteAddress, upstream.remotePort),
          initiator: 'local',
        });
        flows.down.open();
      }
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
        new FaultError('ERR_LISTEN', `cannot listen on tcp://${formatAddress(options.host ?? DEFAULT_HOST, options.port ?? 0)}: ${error.code ?? error.message}`, {
          cause: error,
        }),
      );
    });
    server.listen({ host: options.host ?? DEFAULT_HOST, port: options.port ?? 0 }, () => {
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
    toxics: () => board.list(),
    setToxics(toxics) {
      board.set(toxics.map((toxic) => parseToxic(toxic, 'tcp')), Date.now());
      for (const conn of open) conn.reconfigure();
      syncObservers();
      emit({ type: 'toxics', time: Date.now(), toxics: board.list().map((toxic) => toxic.name), links: open.size * 2 });
      return open.size * 2;
    },
    toxicStats: () =>
      board.stats((toxic) => {
        let n = 0;
        for (const conn of open) for (const direction of ['up', 'down'] as const) if (affects(toxic, direction) && conn.link.applying(direction).includes(toxic)) n++;
        return n;
      }),
    hold(limits) {
      if (limits !== undefined) holdQueue.configure(limits);
      holdQueue.hold();
    },
    step: (count = 1) => holdQueue.step(count),
    resume: () => holdQueue.resume(),
    holdState: () => holdQueue.state(),
    subscribe: (listener, subscription) => hub.subscribe(listener, subscription),
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
