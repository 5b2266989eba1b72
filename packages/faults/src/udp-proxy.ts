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
 * - Live toxics (`setToxics`) are layered on the options and applied to every client in the same
 *   turn; `drop_first` drops the first N datagrams in its stream, counted over all clients.
 * - Hold mode queues datagrams the impairments let through, in order; past its bound a datagram
 *   is dropped and counted `overflowed`.
 * - An upstream that answers with ICMP port unreachable (no server) is counted in
 *   `stats().upstreamErrors` and reported as an event; the client's entry is dropped, and its next
 *   datagram opens a fresh one.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { DEFAULT_HOST, type WireFlow, type WireTap, wireEndpoint } from '@netlab/ground';
import { type FaultCounters, addCounters, createFaultCounters, snapshotCounters } from './counters.js';
import { type DatagramFaults, createDatagramFaults } from './datagram-faults.js';
import { type DatagramImpairmentOptions, resolveDatagramImpairments } from './datagram-impairments.js';
import { FaultError } from './errors.js';
import { createEventHub } from './event-hub.js';
import type { FaultDecision } from './fault-decision.js';
import { type HoldQueueOptions, createHoldQueue } from './hold-queue.js';
import { type FaultProxy, type ProxyEvent, type ProxyStats, formatAddress } from './proxy-events.js';
import { type LinkToxics, createToxicBoard } from './toxic-board.js';
import { type Toxic, affects, datagramOptionsWith, parseToxic } from './toxics.js';
import type { Direction } from './counters.js';
import { createPrng } from './prng.js';
import { assertNotSelf } from './self-upstream.js';
import { DEFAULT_SEED } from './stream-faults.js';
import { checkInteger } from './validate.js';
import { toWireFault } from './wire-fault.js';

export const DEFAULT_MAX_CLIENTS = 256;
export const DEFAULT_CLIENT_IDLE_MS = 60_000;

export interface UdpFaultProxyOptions {
  /** Host to listen on. Default `DEFAULT_HOST` of `@netlab/ground` (`'127.0.0.1'`). */
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
  /** Receives events for logging (never data or fault events; use `subscribe` for those). Default: none. */
  readonly onEvent?: (event: ProxyEvent) => void;
  /** Toxics live from the start (validated as by the control API). Default: none. */
  readonly toxics?: readonly Toxic[];
  /** Bounds of hold mode. Default: 1000 datagrams, 4 MiB. */
  readonly hold?: Pick<HoldQueueOptions, 'maxUnits' | 'maxBytes'>;
  /**
   * Records both legs of every client (`side: 'client'` and `'server'`, the same flow id) and
   * every fault decision with the seed, on the leg where the datagram arrived (`netlab proxy
   * --trace`, `--pcap`). A `@netlab/trace` tracer or any `WireTap`. Default: none.
   */
  readonly tap?: WireTap;
}

interface Client {
  readonly id: number;
  readonly peer: string;
  readonly socket: dgram.Socket;
  readonly up: DatagramFaults;
  readonly down: DatagramFaults;
  readonly link: LinkToxics;
  /** Attaches (true) or detaches the decision observers. */
  readonly observe: (on: boolean) => void;
  /** The tap's flows: `up` = the client side (where client datagrams arrive), `down` = the server side. */
  readonly flows: { up: WireFlow | undefined; down: WireFlow | undefined };
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
  const listenHost = options.host ?? DEFAULT_HOST;
  const upstreamAddress = formatAddress(options.upstreamHost, options.upstreamPort);
  // Decisions are observed only while someone uses them (a listener, or toxics to count).
  const tap = options.tap;
  const observing = (): boolean => hub.wantsFaults || board.list().length > 0 || tap !== undefined;
  const syncObservers = (): void => {
    const on = observing();
    for (const client of clients.values()) client.observe(on);
  };
  const hub = createEventHub(options.onEvent, () => {
    syncObservers();
  });
  const emit = (event: ProxyEvent): void => {
    hub.emit(event);
  };
  const board = createToxicBoard();
  board.set((options.toxics ?? []).map((toxic) => parseToxic(toxic, 'udp')), Date.now());
  const peers = new Map<number, string>();
  const holdQueue = createHoldQueue({
    ...options.hold,
    onChange: (what, { seq, unit }) => {
      emit({ type: what, id: unit.id, peer: peers.get(unit.id) ?? '?', direction: unit.direction, time: Date.now(), seq, kind: unit.kind, length: unit.length });
    },
  });

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
    holdQueue.discard(client.id);
    peers.delete(client.id);
    client.up.close();
    client.down.close();
    client.flows.up?.close();
    client.flows.down?.close();
    addCounters(totals.up, client.up.counters);
    addCounters(totals.down, client.down.counters);
    client.socket.close();
  };

  /** Into the impairments, unless a drop_first toxic takes it first. */
  const send = (client: Client, direction: Direction, datagram: Uint8Array): void => {
    const now = Date.now();
    const dropper = board.takeDropFirst(client.link, direction, now);
    if (dropper === undefined) {
      client[direction].send(datagram);
      return;
    }
    const counters = client[direction].counters;
    counters.received++;
    counters.dropped++;
    const decision: FaultDecision = { decision: 'dropped', cause: 'drop_first', length: datagram.length };
    client.flows[direction]?.fault('in', toWireFault(decision, seed));
    if (hub.wantsFaults) {
      emit({ type: 'fault', id: client.id, peer: client.peer, direction, time: now, seed, toxics: [dropper], decision });
    }
  };

  const open = (key: string, address: string, port: number): Client => {
    const id = seen++;
    const peer = formatAddress(address, port);
    const prng = root.fork(`udp:${id}`);
    const link = board.forLink(prng);
    peers.set(id, peer);
    const numbers = { up: 0, down: 0 };
    const bound = listener.address();
    const flows: Client['flows'] = {
      up: tap?.flow({
        transport: 'udp',
        side: 'client',
        id: String(id),
        local: wireEndpoint(bound.address === '0.0.0.0' ? '127.0.0.1' : bound.address === '::' ? '::1' : bound.address, bound.port),
        remote: wireEndpoint(address, port),
        initiator: 'remote',
      }),
      down: undefined,
    };
    const endpoints = { up: { from: peer, to: upstreamAddress }, down: { from: upstreamAddress, to: peer } };
    /** Hands a datagram on, through hold mode and the data events. */
    const out = (direction: Direction, datagram: Uint8Array, send: (datagram: Uint8Array) => void): void => {
      const number = numbers[direction]++;
      const deliver = (): void => {
        if (clients.get(key) !== client && direction === 'up') return;
        if (hub.wantsData) emit({ type: 'data', id, peer, direction, time: Date.now(), ...endpoints[direction], bytes: Uint8Array.from(datagram), datagram: number });
        send(datagram);
      };
      const outcome = holdQueue.offer({ id, direction, kind: 'data', length: datagram.length, deliver }, true);
      if (outcome === 'passed') deliver();
      else if (outcome === 'overflow') {
        client[direction].counters.overflowed++;
        emit({ type: 'hold-overflow', id, peer, direction, time: Date.now(), length: datagram.length });
      }
    };
    const socket = dgram.createSocket({ type: net.isIP(options.upstreamHost) === 0 ? familyOf(listenHost) : familyOf(options.upstreamHost) });
    // Datagrams due before connect() completes wait here (bounded like every queue).
    let pending: Uint8Array[] | undefined = [];
    const upLimit = resolveDatagramImpairments(up).maxQueuedPackets;
    const client: Client = {
      id,
      peer,
      socket,
      lastSeen: performance.now(),
      link,
      flows,
      observe: (on) => {
        for (const direction of ['up', 'down'] as const) {
          client[direction].observe(
            on
              ? (decision: FaultDecision) => {
                  const now = Date.now();
                  const toxics = board.record(link, direction, decision, now);
                  flows[direction]?.fault('in', toWireFault(decision, seed));
                  if (hub.wantsFaults) emit({ type: 'fault', id, peer, direction, time: now, seed, toxics, decision });
                }
              : undefined,
          );
        }
      },
      up: createDatagramFaults({
        ...datagramOptionsWith(up, link.applying('up')),
        prng: prng.fork('up'),
        deliver: (datagram) => {
          out('up', datagram, (bytes) => {
            if (pending === undefined) {
              flows.down?.data('out', bytes);
              socket.send(bytes);
            }
            else if (pending.length < upLimit) pending.push(bytes);
            else client.up.counters.overflowed++;
          });
        },
      }),
      down: createDatagramFaults({
        ...datagramOptionsWith(down, link.applying('down')),
        prng: prng.fork('down'),
        deliver: (datagram) => {
          out('down', datagram, (bytes) => {
            if (closed) return;
            flows.up?.data('out', bytes);
            listener.send(bytes, port, address);
          });
        },
      }),
    };
    client.observe(observing());
    socket.on('message', (datagram) => {
      if (clients.get(key) !== client) return;
      flows.down?.data('in', datagram);
      send(client, 'down', datagram);
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
      if (tap !== undefined) {
        const local = socket.address();
        const remote = socket.remoteAddress();
        flows.down = tap.flow({ transport: 'udp', side: 'server', id: String(id), local: wireEndpoint(local.address, local.port), remote: wireEndpoint(remote.address, remote.port), initiator: 'local' });
      }
      if (clients.get(key) === client) {
        for (const datagram of ready) {
          flows.down?.data('out', datagram);
          socket.send(datagram);
        }
      }
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
    client.flows.up?.data('in', datagram);
    send(client, 'up', datagram);
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
    toxics: () => board.list(),
    setToxics(toxics) {
      board.set(toxics.map((toxic) => parseToxic(toxic, 'udp')), Date.now());
      for (const client of clients.values()) {
        client.up.reconfigure(datagramOptionsWith(up, client.link.applying('up')));
        client.down.reconfigure(datagramOptionsWith(down, client.link.applying('down')));
      }
      syncObservers();
      emit({ type: 'toxics', time: Date.now(), toxics: board.list().map((toxic) => toxic.name), links: clients.size * 2 });
      return clients.size * 2;
    },
    toxicStats: () =>
      board.stats((toxic) => {
        let n = 0;
        for (const client of clients.values()) for (const direction of ['up', 'down'] as const) if (affects(toxic, direction) && client.link.applying(direction).includes(toxic)) n++;
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
