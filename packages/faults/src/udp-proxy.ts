/**
 * A UDP fault proxy: receives datagrams on `listen`, forwards each client's datagrams to the
 * upstream from a socket of that client's own, and sends the upstream's replies back to the
 * client, both ways through {@link createDatagramFaults} (netem impairments, per direction).
 *
 * Invariants:
 * - One upstream socket per client address (address:port), so replies route back to the right
 *   client. The table is bounded: at most `maxClients` entries (the least recently active one is
 *   evicted to make room) and an entry idle for `clientIdleMs` is removed.
 * - Decisions come from `fork("udp:<n>")` of the seed, n = order in which client addresses were
 *   first seen, then `up` / `down`: with the same seed and the same order of clients, every
 *   client sees the same faults.
 * - Every queue is bounded (`maxQueuedPackets`, `maxQueuedBytes` per client and direction).
 * - An upstream that answers with ICMP port unreachable (no server) is counted in
 *   `stats().upstreamErrors` and reported as an event; the client's entry is dropped, and its next
 *   datagram opens a fresh one.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { type FaultCounters, addCounters, createFaultCounters, snapshotCounters } from './counters.js';
import { type DatagramFaults, createDatagramFaults } from './datagram-faults.js';
import { type DatagramImpairmentOptions, resolveDatagramImpairments } from './datagram-impairments.js';
import { FaultError } from './errors.js';
import { type FaultProxy, type ProxyEvent, type ProxyStats, formatAddress } from './proxy-events.js';
import { createPrng } from './prng.js';
import { assertNotSelf } from './self-upstream.js';
import { DEFAULT_SEED } from './stream-faults.js';
import { checkInteger } from './validate.js';

export const DEFAULT_MAX_CLIENTS = 256;
export const DEFAULT_CLIENT_IDLE_MS = 60_000;

export interface UdpFaultProxyOptions {
  /** Host to listen on. Default `'127.0.0.1'`. */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one (read it back from `proxy.port`). Default 0. */
  readonly port?: number;
  /** Upstream host (an IP literal or a name such as `localhost`). Required. */
  readonly upstreamHost: string;
  /** Upstream port. Required. */
  readonly upstreamPort: number;
  /** Seed for every decision. Default 1. */
  readonly seed?: number;
  /** Impairments on client → server datagrams. Default: none. */
  readonly up?: DatagramImpairmentOptions;
  /** Impairments on server → client datagrams. Default: none. */
  readonly down?: DatagramImpairmentOptions;
  /** Client addresses tracked at once (least recently active evicted). Default {@link DEFAULT_MAX_CLIENTS}. */
  readonly maxClients?: number;
  /** A client silent this long is forgotten, ms. Default {@link DEFAULT_CLIENT_IDLE_MS}. */
  readonly clientIdleMs?: number;
  /** Receives events for logging. Default: none. */
  readonly onEvent?: (event: ProxyEvent) => void;
}

interface Client {
  readonly id: number;
  readonly peer: string;
  readonly socket: dgram.Socket;
  readonly up: DatagramFaults;
  readonly down: DatagramFaults;
  lastSeen: number;
}

const familyOf = (host: string): 'udp4' | 'udp6' => (net.isIPv6(host) ? 'udp6' : 'udp4');

/** Starts a UDP fault proxy; resolves once it is bound. Rejects with ERR_LISTEN or ERR_INVALID_OPTION. */
export async function createUdpFaultProxy(options: UdpFaultProxyOptions): Promise<FaultProxy> {
  const seed = options.seed ?? DEFAULT_SEED;
  const root = createPrng(seed);
  const up = options.up ?? {};
  const down = options.down ?? {};
  resolveDatagramImpairments(up);
  resolveDatagramImpairments(down);
  const maxClients = checkInteger('maxClients', options.maxClients ?? DEFAULT_MAX_CLIENTS, 1);
  const clientIdleMs = checkInteger('clientIdleMs', options.clientIdleMs ?? DEFAULT_CLIENT_IDLE_MS, 1);
  checkInteger('upstreamPort', options.upstreamPort, 1, 65535);
  const listenHost = options.host ?? '127.0.0.1';
  const upstreamAddress = formatAddress(options.upstreamHost, options.upstreamPort);
  const emit = (event: ProxyEvent): void => options.onEvent?.(event);

  const totals = createFaultCounters();
  // Map order is recency order: an active client is deleted and re-inserted, so the first key is
  // the least recently active one.
  const clients = new Map<string, Client>();
  let seen = 0;
  let upstreamErrors = 0;
  let closed = false;

  const listener = dgram.createSocket({ type: familyOf(listenHost) });

  const drop = (key: string, client: Client): void => {
    if (clients.get(key) !== client) return;
    clients.delete(key);
    client.up.close();
    client.down.close();
    addCounters(totals.up, client.up.counters);
    addCounters(totals.down, client.down.counters);
    client.socket.close();
  };

  const open = (key: string, address: string, port: number): Client => {
    const id = seen++;
    const peer = formatAddress(address, port);
    const prng = root.fork(`udp:${id}`);
    const socket = dgram.createSocket({ type: net.isIP(options.upstreamHost) === 0 ? familyOf(listenHost) : familyOf(options.upstreamHost) });
    // Datagrams due before connect() completes wait here (bounded like every queue).
    let pending: Uint8Array[] | undefined = [];
    const upLimit = resolveDatagramImpairments(up).maxQueuedPackets;
    const client: Client = {
      id,
      peer,
      socket,
      lastSeen: performance.now(),
      up: createDatagramFaults({
        ...up,
        prng: prng.fork('up'),
        deliver: (datagram) => {
          if (pending === undefined) socket.send(datagram);
          else if (pending.length < upLimit) pending.push(datagram);
          else client.up.counters.overflowed++;
        },
      }),
      down: createDatagramFaults({
        ...down,
        prng: prng.fork('down'),
        deliver: (datagram) => {
          if (!closed) listener.send(datagram, port, address);
        },
      }),
    };
    socket.on('message', (datagram) => {
      if (clients.get(key) === client) client.down.send(datagram);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      upstreamErrors++;
      const what = error.code === 'ECONNREFUSED' ? 'refused the datagram (no server on that port)' : `failed (${error.code ?? error.message})`;
      emit({
        type: 'upstream-error',
        id,
        peer,
        error: new FaultError('ERR_UPSTREAM_UNREACHABLE', `upstream ${upstreamAddress} ${what}; client ${peer}`, {
          cause: error,
          details: { upstream: upstreamAddress, client: peer },
        }),
      });
      drop(key, client);
    });
    // A connected socket hears ICMP port-unreachable as ECONNREFUSED, and only the upstream's replies.
    socket.connect(options.upstreamPort, options.upstreamHost, () => {
      const ready = pending ?? [];
      pending = undefined;
      if (clients.get(key) === client) for (const datagram of ready) socket.send(datagram);
    });
    if (clients.size >= maxClients) {
      const [oldestKey, oldest] = clients.entries().next().value ?? [];
      if (oldestKey !== undefined && oldest !== undefined) {
        emit({ type: 'evicted', id: oldest.id, peer: oldest.peer });
        drop(oldestKey, oldest);
      }
    }
    clients.set(key, client);
    emit({ type: 'open', id, peer });
    return client;
  };

  listener.on('message', (datagram, rinfo) => {
    if (closed) return;
    const key = formatAddress(rinfo.address, rinfo.port);
    let client = clients.get(key);
    if (client === undefined) {
      client = open(key, rinfo.address, rinfo.port);
    } else {
      clients.delete(key);
      clients.set(key, client);
    }
    client.lastSeen = performance.now();
    client.up.send(datagram);
  });

  await new Promise<void>((resolve, reject) => {
    listener.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new FaultError('ERR_LISTEN', `cannot listen on udp://${formatAddress(listenHost, options.port ?? 0)}: ${error.code ?? error.message}`, {
          cause: error,
        }),
      );
    });
    listener.bind({ address: listenHost, port: options.port ?? 0 }, () => {
      resolve();
    });
  });
  const bound = listener.address();
  try {
    await assertNotSelf('udp', bound.address, bound.port, options.upstreamHost, options.upstreamPort);
  } catch (error) {
    await new Promise<void>((resolve) => listener.close(() => { resolve(); }));
    throw error;
  }
  listener.on('error', () => undefined); // send errors to a vanished client are not the proxy's failure

  const sweeper = setInterval(
    () => {
      const cutoff = performance.now() - clientIdleMs;
      for (const [key, client] of clients) {
        if (client.lastSeen > cutoff) break; // recency order: the rest are newer
        emit({ type: 'close', id: client.id, peer: client.peer });
        drop(key, client);
      }
    },
    Math.max(10, Math.min(clientIdleMs / 2, 5000)),
  );
  sweeper.unref();

  const address = listener.address();
  const current = (): FaultCounters => {
    const sum = snapshotCounters(totals);
    for (const client of clients.values()) {
      addCounters(sum.up, client.up.counters);
      addCounters(sum.down, client.down.counters);
    }
    return sum;
  };
  let closing: Promise<FaultCounters> | undefined;

  return {
    protocol: 'udp',
    host: address.address,
    port: address.port,
    upstreamHost: options.upstreamHost,
    upstreamPort: options.upstreamPort,
    seed,
    counters: current,
    stats: (): ProxyStats => ({ sessions: seen, open: clients.size, upstreamErrors }),
    close() {
      closing ??= new Promise<FaultCounters>((resolve) => {
        closed = true;
        clearInterval(sweeper);
        for (const [key, client] of clients) drop(key, client);
        const final = current();
        listener.close(() => {
          resolve(final);
        });
      });
      return closing;
    },
  };
}
