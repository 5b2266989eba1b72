/**
 * A UDP server that carries any datagram codec and any service.
 *
 * Wire format: one message per datagram, at most `codec.maxDatagramBytes` bytes; replies go to
 * the sender's address and port.
 *
 * Sessions (the contract's rules are the session driver's; see `udp-session.ts` for the glue):
 * with `sessions: 'per-peer'` (default) each source address:port gets one session
 * (`service.open` on its first datagram), kept until it has been silent for `sessionTtlMs`
 * (`kind: 'expired'`), until the service closes it, until it is evicted, or until shutdown. With
 * `'per-datagram'` every datagram opens a session that ends (`kind: 'complete'`) once its replies
 * are sent: for stateless services.
 *
 * New peers are never locked out: at `maxSessions` the least recently active idle session is
 * evicted (`kind: 'evicted'`, `stats().evicted`, an `evicted` event) to make room. Only when the
 * oldest sessions are all busy inside a receive is the newcomer refused (`busyReply` sent if set,
 * `stats().rejected`).
 *
 * Malformed datagrams (the codec throws: too large, bad UTF-8, bad JSON): when the service
 * defines `malformed`, its replies answer that datagram; otherwise the datagram is dropped. Both
 * cases count in `stats().malformed` and emit a `malformed` event. A malformed datagram never
 * opens or closes a session.
 *
 * Limits: at most `maxSessions` sessions; per session, at most `maxQueuedDatagrams` datagrams wait
 * while a `receive` is pending (more are dropped and counted).
 *
 * The options, defaults and events are in `udp-server-options.ts`.
 */
import { type Socket, createSocket } from 'node:dgram';
import { MAX_TIMER_MS, formatHostPort, processWireTap, resolveNetServerOptions, startOnce, withinGrace, type WireFlow, wireEndpoint } from '@netlab/ground';
import type { Peer } from '@netlab/service';
import { UdpError, assertIntegerOption, fromSocketError, messageOf } from './errors.js';
import { SessionTable } from './session-table.js';
import { type UdpAddress, udpAddressOf } from './udp-address.js';
import {
  DEFAULT_GRACE_MS,
  DEFAULT_MAX_QUEUED_DATAGRAMS,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SESSION_TTL_MS,
  EVICTION_SCAN_LIMIT,
  MAX_TRACED_PEERS,
  type UdpServer,
  type UdpServerOptions,
} from './udp-server-options.js';
import { UdpSession, type UdpSessionServer } from './udp-session.js';

let nextSessionId = 1;

/** Creates a UDP server; call `listen()` to bind it. */
export function createUdpServer<In, Out>(options: UdpServerOptions<In, Out>): UdpServer {
  const { host, port, clock, onEvent } = resolveNetServerOptions(options);
  const mode = options.sessions ?? 'per-peer';
  const ttl = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const maxQueued = options.maxQueuedDatagrams ?? DEFAULT_MAX_QUEUED_DATAGRAMS;
  assertIntegerOption('port', port, 0, 65_535);
  assertIntegerOption('sessionTtlMs', ttl, 1, MAX_TIMER_MS);
  assertIntegerOption('maxSessions', maxSessions, 1, 10_000_000);
  assertIntegerOption('maxQueuedDatagrams', maxQueued, 0, 1_000_000);
  if (!(['per-peer', 'per-datagram'] as readonly string[]).includes(mode)) {
    throw new UdpError('ERR_INVALID_OPTION', `sessions must be 'per-peer' or 'per-datagram', got ${mode}`, { reason: 'open' });
  }
  const { codec, service } = options;
  const busyReply = options.busyReply === undefined ? undefined : codec.encode(options.busyReply);

  const counters = {
    datagramsIn: 0,
    datagramsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    malformed: 0,
    dropped: 0,
    rejected: 0,
    busyReplies: 0,
    evicted: 0,
    sessionsOpened: 0,
    sessionsActive: 0,
    sessionsExpired: 0,
    errors: 0,
  };
  const socket: Socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  let address: UdpAddress | undefined;
  let listening: Promise<UdpAddress> | undefined;
  let closing: Promise<void> | undefined;
  let socketClosed = false;
  let emptied: (() => void) | undefined;

  const tap = options.tap ?? processWireTap();
  const flows = tap === undefined ? undefined : new Map<string, WireFlow>();
  /** The peer's flow (made on its first datagram); undefined when not traced. */
  const flowOf = (remote: string, remotePort: number): WireFlow | undefined => {
    if (tap === undefined || flows === undefined) return undefined;
    const key = `${remote}|${remotePort}`;
    let flow = flows.get(key);
    if (flow === undefined) {
      if (flows.size >= MAX_TRACED_PEERS) {
        const oldest = flows.keys().next();
        if (oldest.done !== true) flows.delete(oldest.value);
      }
      // A wildcard bind has no one local address: name the loopback of its family (what a local capture shows).
      const bound = address?.host ?? host;
      const local = bound === '0.0.0.0' ? '127.0.0.1' : bound === '::' ? '::1' : bound;
      flow = tap.flow({ transport: 'udp', local: wireEndpoint(local, address?.port ?? port), remote: wireEndpoint(remote, remotePort), initiator: 'remote' });
      flows.set(key, flow);
    }
    return flow;
  };

  const sendBytes = (bytes: Uint8Array, peer: Peer, message?: Out): void => {
    if (socketClosed) return;
    counters.datagramsOut += 1;
    counters.bytesOut += bytes.length;
    if (flows !== undefined) flowOf(peer.address, peer.port)?.data('out', bytes, message === undefined ? undefined : [message]);
    socket.send(bytes, peer.port, peer.address);
  };

  const report = (peer: Peer | undefined, error: UdpError): void => {
    counters.errors += 1;
    onEvent({ type: 'error', peer, error });
  };

  const server: UdpSessionServer<In, Out> = {
    driver: { service, maxQueued: Math.max(1, maxQueued) },
    now: () => clock.now(),
    send(message, peer) {
      let bytes: Uint8Array;
      try {
        bytes = codec.encode(message);
      } catch (error) {
        report(peer, new UdpError('ERR_ENCODE', `cannot encode a reply to ${peer.id}: ${messageOf(error)}`, { reason: 'write', cause: error }));
        return false;
      }
      sendBytes(bytes, peer, message);
      return true;
    },
    onClosed(session, reason) {
      table.remove(session);
      transient.delete(session);
      if (reason.kind === 'expired') counters.sessionsExpired += 1;
      onEvent({ type: 'close', peer: session.driver.peer, reason });
      if (table.size === 0 && transient.size === 0) emptied?.();
    },
    onError: report,
    onLog(peer, message) {
      onEvent({ type: 'log', peer, message });
    },
  };

  /** Sessions ordered by last activity (per-peer mode). */
  const table = new SessionTable<UdpSession<In, Out>>(clock, ttl, (session) => {
    session.driver.abort({ kind: 'expired', message: `no datagram for ${ttl} ms` }, 'graceful');
  });
  /** Per-datagram sessions still running (tracked so shutdown can close them). */
  const transient = new Set<UdpSession<In, Out>>();

  const peerFor = (remote: string, remotePort: number): Peer => ({
    transport: 'udp',
    address: remote,
    port: remotePort,
    id: `udp:${formatHostPort(remote, remotePort)}#${nextSessionId++}`,
  });

  /** Makes room for `newcomer` at `maxSessions`: evicts the least recently active idle session, or refuses. */
  const makeRoom = (newcomer: Peer, now: number): boolean => {
    if (table.size < maxSessions) return true;
    table.expire(now);
    if (table.size < maxSessions) return true;
    const victim = table.leastRecentIdle(EVICTION_SCAN_LIMIT);
    if (victim !== undefined) {
      counters.evicted += 1;
      onEvent({ type: 'evicted', peer: victim.driver.peer, newcomer });
      victim.driver.abort({ kind: 'evicted', message: `made room for ${newcomer.id} (${maxSessions} sessions, maxSessions)` }, 'graceful');
      return true;
    }
    counters.rejected += 1;
    const error = new UdpError('ERR_TOO_MANY_SESSIONS', `refused ${newcomer.id}: ${maxSessions} sessions active and the oldest are all busy (maxSessions)`, {
      reason: 'open',
      details: { maxSessions },
    });
    onEvent({ type: 'rejected', peer: newcomer, error });
    if (busyReply !== undefined) {
      counters.busyReplies += 1;
      sendBytes(busyReply, newcomer);
    }
    return false;
  };

  const open = (key: string, peer: Peer): UdpSession<In, Out> | undefined => {
    const session = new UdpSession(key, peer, server);
    if (mode === 'per-peer') table.add(session);
    else transient.add(session);
    counters.sessionsOpened += 1;
    onEvent({ type: 'session', peer });
    session.driver.open();
    return session.driver.closed ? undefined : session;
  };

  const malformed = (thrown: unknown, peer: Peer): void => {
    counters.malformed += 1;
    const cause = thrown instanceof Error ? thrown : new Error(String(thrown));
    const error = new UdpError('ERR_MALFORMED_INPUT', `malformed datagram from ${peer.id}: ${cause.message}`, { reason: 'read', cause });
    let replies: readonly Out[] = [];
    try {
      replies = service.malformed?.(cause, peer) ?? [];
    } catch (inner) {
      report(peer, new UdpError('ERR_SESSION_FAILED', `service.malformed threw: ${messageOf(inner)}`, { cause: inner }));
    }
    onEvent({ type: 'malformed', peer, error, answered: service.malformed !== undefined });
    for (const reply of replies) server.send(reply, peer);
  };

  socket.on('message', (datagram, rinfo) => {
    counters.datagramsIn += 1;
    counters.bytesIn += datagram.length;
    const key = `${rinfo.address}|${rinfo.port}`;
    let session = mode === 'per-peer' ? table.get(key) : undefined;
    if (closing !== undefined) {
      counters.dropped += 1;
      onEvent({ type: 'dropped', peer: session?.driver.peer ?? peerFor(rinfo.address, rinfo.port), why: 'closing' });
      return;
    }
    let message: In;
    try {
      message = codec.decode(datagram);
    } catch (thrown) {
      if (flows !== undefined) flowOf(rinfo.address, rinfo.port)?.data('in', datagram);
      malformed(thrown, session?.driver.peer ?? peerFor(rinfo.address, rinfo.port));
      return;
    }
    if (flows !== undefined) flowOf(rinfo.address, rinfo.port)?.data('in', datagram, [message]);
    const now = clock.now();
    if (session === undefined) {
      const peer = peerFor(rinfo.address, rinfo.port);
      if (mode === 'per-peer' && !makeRoom(peer, now)) return;
      session = open(key, peer);
      if (session === undefined) return;
    } else {
      table.touch(session, now);
    }
    const driver = session.driver;
    if (driver.busy && driver.queued >= maxQueued) {
      counters.dropped += 1;
      onEvent({ type: 'dropped', peer: driver.peer, why: 'queue-full' });
      return;
    }
    driver.deliver(message);
    if (mode === 'per-datagram') driver.endOfInput({ kind: 'complete', message: 'per-datagram session' });
    else driver.pump();
  });

  socket.on('error', (error) => {
    if (address === undefined) return;
    // Errors on an unconnected socket (a send to a vanished peer...) are reported, never fatal.
    report(undefined, fromSocketError(error, host, address.port, 'write'));
  });

  return {
    get address() {
      return address;
    },
    get sessions() {
      return table.size;
    },
    stats: () => ({ ...counters, sessionsActive: table.size }),
    listen() {
      if (closing !== undefined) return Promise.reject(new UdpError('ERR_SERVER_CLOSED', 'the server is closed', { reason: 'open' }));
      listening ??= startOnce(socket, (done) => socket.bind({ address: host, port }, done)).then(
        () => {
          const bound = udpAddressOf(socket.address());
          address = bound;
          onEvent({ type: 'listening', address: bound });
          return bound;
        },
        (error: unknown) => {
          throw fromSocketError(error, host, port, 'open');
        },
      );
      return listening;
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        const graceMs = closeOptions.graceMs ?? DEFAULT_GRACE_MS;
        assertIntegerOption('graceMs', graceMs, 0, MAX_TIMER_MS);
        const allClosed = new Promise<void>((resolve) => {
          emptied = resolve;
        });
        for (const session of [...table.values(), ...transient]) session.driver.shutdown();
        if (table.size + transient.size > 0) await withinGrace(allClosed, graceMs, clock);
        table.disarm();
        for (const session of [...table.values(), ...transient]) {
          session.driver.abort({ kind: 'shutdown', message: 'shutdown grace period elapsed' }, 'destroy');
        }
        if (address !== undefined) {
          // dgram resolves the destination of every send on a later tick: let the last replies
          // reach the kernel before the socket goes away, or closing would silently cancel them.
          await new Promise<void>((resolve) => {
            setImmediate(resolve);
          });
          await new Promise<void>((resolve) => {
            socket.close(() => {
              resolve();
            });
          });
        }
        socketClosed = true;
        onEvent({ type: 'closed', stats: { ...counters, sessionsActive: table.size } });
      })();
      return closing;
    },
  };
}
