/**
 * A UDP server that carries any datagram codec and any service.
 *
 * Wire format: one message per datagram, at most `codec.maxDatagramBytes` bytes; replies go to
 * the sender's address and port.
 *
 * Sessions: with `sessions: 'per-peer'` (default) each source address:port gets one session
 * (`service.open` on its first datagram), kept until it has been silent for `sessionTtlMs`
 * (closed with `kind: 'expired'`), until the service closes it, or until shutdown. With
 * `'per-datagram'` every datagram opens a session that ends (`kind: 'expired'`) once its replies
 * are sent: for stateless services.
 *
 * Malformed datagrams (the codec throws: too large, bad UTF-8, bad JSON): when the service
 * defines `malformed`, its replies answer that datagram; otherwise the datagram is dropped. Both
 * cases count in `stats().malformed` and emit a `malformed` event. A malformed datagram never
 * opens or closes a session.
 *
 * Limits: at most `maxSessions` sessions (a new peer past it is refused, `busyReply` sent if
 * set); per session, at most `maxQueuedDatagrams` datagrams wait while a `receive` is pending
 * (more are dropped and counted). The session map is ordered by last activity, so expiry costs
 * only the sessions that expire.
 */
import { type Socket, createSocket } from 'node:dgram';
import type { DatagramCodec } from '@netlab/codec';
import type { CloseReason, Peer, Service, Session, SessionContext } from '@netlab/service';
import { type Clock, systemClock } from './clock.js';
import { UdpError, assertIntegerOption, formatAddress, fromSocketError } from './errors.js';

/** Default bind address: loopback only. */
export const DEFAULT_HOST = '127.0.0.1';
/** Default per-peer session expiry: 60 s of silence. */
export const DEFAULT_SESSION_TTL_MS = 60_000;
/** Default cap on simultaneous peer sessions: 10,000. */
export const DEFAULT_MAX_SESSIONS = 10_000;
/** Default datagrams queued per session while a `receive` is pending: 64. */
export const DEFAULT_MAX_QUEUED_DATAGRAMS = 64;
/** Default shutdown grace period: 2 s. */
export const DEFAULT_GRACE_MS = 2000;

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface UdpAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

/** Server counters (a snapshot). */
export interface UdpServerStats {
  readonly datagramsIn: number;
  readonly datagramsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Datagrams the codec rejected (answered through `service.malformed`, or dropped). */
  readonly malformed: number;
  /** Datagrams dropped: queue full, server closing. */
  readonly dropped: number;
  /** New peers refused for `maxSessions`. */
  readonly rejected: number;
  readonly sessionsOpened: number;
  readonly sessionsActive: number;
  readonly sessionsExpired: number;
  readonly errors: number;
}

export type UdpServerEvent =
  | { readonly type: 'listening'; readonly address: UdpAddress }
  | { readonly type: 'session'; readonly peer: Peer }
  | { readonly type: 'close'; readonly peer: Peer; readonly reason: CloseReason }
  | { readonly type: 'malformed'; readonly peer: Peer; readonly error: UdpError; readonly answered: boolean }
  | { readonly type: 'rejected'; readonly peer: Peer; readonly error: UdpError }
  | { readonly type: 'dropped'; readonly peer: Peer; readonly why: 'queue-full' | 'closing' }
  | { readonly type: 'error'; readonly peer: Peer | undefined; readonly error: UdpError }
  | { readonly type: 'log'; readonly peer: Peer; readonly message: string }
  | { readonly type: 'closed'; readonly stats: UdpServerStats };

export interface UdpServerOptions<In, Out> {
  /** Message codec and datagram size limit. Required. */
  readonly codec: DatagramCodec<In, Out>;
  /** The service sessions are opened from. Required. */
  readonly service: Service<In, Out>;
  /** Bind address; an IPv6 address (`::1`, `::`) binds an IPv6 socket. Default {@link DEFAULT_HOST}. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** `'per-peer'`: one session per address:port, with expiry. `'per-datagram'`: one per datagram. Default `'per-peer'`. */
  readonly sessions?: 'per-peer' | 'per-datagram';
  /** Close a peer session after this much silence. Default {@link DEFAULT_SESSION_TTL_MS}. */
  readonly sessionTtlMs?: number;
  /** Peer sessions at once; new peers past it are refused. Default {@link DEFAULT_MAX_SESSIONS}. */
  readonly maxSessions?: number;
  /** Sent to a new peer refused for `maxSessions`. Default: nothing. */
  readonly busyReply?: Out;
  /** Datagrams per session waiting for a pending `receive`; more are dropped. Default {@link DEFAULT_MAX_QUEUED_DATAGRAMS}. */
  readonly maxQueuedDatagrams?: number;
  /** Clock for `ctx.now()` and expiry. Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Receives every event. Default: none. */
  readonly onEvent?: (event: UdpServerEvent) => void;
}

export interface UdpCloseOptions {
  /** How long pending receives may take to finish before sessions are closed. Default {@link DEFAULT_GRACE_MS}. */
  readonly graceMs?: number;
}

export interface UdpServer {
  /** Binds the socket; resolves with the bound address (`ERR_BIND` on failure). */
  listen(): Promise<UdpAddress>;
  readonly address: UdpAddress | undefined;
  /** Active peer sessions. */
  readonly sessions: number;
  stats(): UdpServerStats;
  /**
   * Stops handling datagrams (new ones are dropped and counted), waits up to `graceMs` for
   * pending receives to reply, closes every session with `kind: 'shutdown'`, then the socket.
   */
  close(options?: UdpCloseOptions): Promise<void>;
}

interface PeerSession<In, Out> {
  readonly key: string;
  readonly peer: Peer;
  session: Session<In, Out> | undefined;
  readonly ctx: SessionContext<Out>;
  lastSeen: number;
  busy: boolean;
  queue: In[];
  reason: CloseReason | undefined;
  closeRequested: string | undefined | null;
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as Partial<PromiseLike<T>> | null)?.then === 'function';
}

let nextSessionId = 1;

/** Creates a UDP server; call `listen()` to bind it. */
export function createUdpServer<In, Out>(options: UdpServerOptions<In, Out>): UdpServer {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? 0;
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
  const clock = options.clock ?? systemClock;
  const onEvent = options.onEvent ?? ((): void => undefined);
  const busyReply = options.busyReply === undefined ? undefined : codec.encode(options.busyReply);

  const counters = {
    datagramsIn: 0,
    datagramsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    malformed: 0,
    dropped: 0,
    rejected: 0,
    sessionsOpened: 0,
    sessionsActive: 0,
    sessionsExpired: 0,
    errors: 0,
  };
  /** Ordered by last activity (re-inserted on every datagram): the oldest is first. */
  const sessions = new Map<string, PeerSession<In, Out>>();
  /** Per-datagram sessions still running (tracked so shutdown can close them). */
  const transient = new Set<PeerSession<In, Out>>();
  /** Receives pending across all sessions (shutdown waits for them). */
  let busyCount = 0;
  const socket: Socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  let address: UdpAddress | undefined;
  let listening: Promise<UdpAddress> | undefined;
  let closing: Promise<void> | undefined;
  let socketClosed = false;
  let expiryTimer: unknown;
  let idleWaiter: (() => void) | undefined;

  const snapshot = (): UdpServerStats => ({ ...counters, sessionsActive: sessions.size });

  const sendBytes = (bytes: Uint8Array, peer: Peer): void => {
    if (socketClosed) return;
    counters.datagramsOut += 1;
    counters.bytesOut += bytes.length;
    socket.send(bytes, peer.port, peer.address);
  };

  const sendMessage = (message: Out, peer: Peer): boolean => {
    let bytes: Uint8Array;
    try {
      bytes = codec.encode(message);
    } catch (error) {
      counters.errors += 1;
      onEvent({
        type: 'error',
        peer,
        error: new UdpError('ERR_ENCODE', `cannot encode a reply to ${peer.id}: ${error instanceof Error ? error.message : String(error)}`, {
          reason: 'write',
          cause: error,
        }),
      });
      return false;
    }
    sendBytes(bytes, peer);
    return true;
  };

  const endSession = (entry: PeerSession<In, Out>, reason: CloseReason): void => {
    if (entry.reason !== undefined) return;
    entry.reason = reason;
    entry.queue = [];
    if (sessions.get(entry.key) === entry) sessions.delete(entry.key);
    transient.delete(entry);
    if (reason.kind === 'expired') counters.sessionsExpired += 1;
    const session = entry.session;
    entry.session = undefined;
    try {
      session?.close?.(reason);
    } catch (error) {
      counters.errors += 1;
      onEvent({ type: 'error', peer: entry.peer, error: new UdpError('ERR_SESSION_FAILED', `session close threw on ${entry.peer.id}: ${String(error)}`, { reason: 'close', cause: error }) });
    }
    onEvent({ type: 'close', peer: entry.peer, reason });
    if (busyCount === 0) idleWaiter?.();
  };

  const failSession = (entry: PeerSession<In, Out>, thrown: unknown): void => {
    const error = new UdpError('ERR_SESSION_FAILED', `service ${service.name} failed on ${entry.peer.id}: ${thrown instanceof Error ? thrown.message : String(thrown)}`, {
      reason: 'read',
      cause: thrown,
    });
    counters.errors += 1;
    onEvent({ type: 'error', peer: entry.peer, error });
    endSession(entry, { kind: 'error', message: error.message, error });
  };

  /** After a receive (and its replies): a requested close, a per-datagram end, or the next queued datagram. */
  const afterReceive = (entry: PeerSession<In, Out>): void => {
    if (entry.reason !== undefined) return;
    if (entry.closeRequested !== null) {
      const message = entry.closeRequested;
      endSession(entry, message === undefined ? { kind: 'local' } : { kind: 'local', message });
      return;
    }
    if (mode === 'per-datagram') {
      endSession(entry, { kind: 'expired', message: 'per-datagram session' });
      return;
    }
    const next = entry.queue.shift();
    if (next !== undefined && closing === undefined) deliver(entry, next);
    else if (busyCount === 0) idleWaiter?.();
  };

  const deliver = (entry: PeerSession<In, Out>, message: In): void => {
    const session = entry.session;
    if (session === undefined) return;
    let result: readonly Out[] | PromiseLike<readonly Out[]>;
    try {
      result = session.receive(message);
    } catch (error) {
      failSession(entry, error);
      return;
    }
    if (isPromiseLike(result)) {
      entry.busy = true;
      busyCount += 1;
      result.then(
        (replies) => {
          entry.busy = false;
          busyCount -= 1;
          if (entry.reason !== undefined || socketClosed) {
            if (busyCount === 0) idleWaiter?.();
            return;
          }
          for (const reply of replies) sendMessage(reply, entry.peer);
          afterReceive(entry);
        },
        (error: unknown) => {
          entry.busy = false;
          busyCount -= 1;
          failSession(entry, error);
        },
      );
      return;
    }
    for (const reply of result) sendMessage(reply, entry.peer);
    afterReceive(entry);
  };

  const armExpiry = (): void => {
    if (expiryTimer !== undefined || mode !== 'per-peer') return;
    const oldest = sessions.values().next();
    if (oldest.done === true) return;
    const delay = Math.max(1, oldest.value.lastSeen + ttl - clock.now());
    expiryTimer = clock.setTimeout(() => {
      expiryTimer = undefined;
      expire();
      armExpiry();
    }, delay);
  };

  const expire = (): void => {
    const now = clock.now();
    for (const entry of [...sessions.values()]) {
      if (now - entry.lastSeen < ttl) break;
      if (entry.busy) {
        // Work in progress is not silence: look again one TTL from now.
        entry.lastSeen = now;
        sessions.delete(entry.key);
        sessions.set(entry.key, entry);
        continue;
      }
      endSession(entry, { kind: 'expired', message: `no datagram for ${ttl} ms` });
    }
  };

  const openSession = (key: string, peer: Peer, now: number): PeerSession<In, Out> | undefined => {
    const ctx: SessionContext<Out> = {
      peer,
      get closed() {
        return entry.reason !== undefined || entry.closeRequested !== null;
      },
      send: (message) => {
        if (entry.reason !== undefined || entry.closeRequested !== null) return false;
        return sendMessage(message, peer);
      },
      close: (message) => {
        if (entry.reason !== undefined || entry.closeRequested !== null) return;
        entry.closeRequested = message;
        if (!entry.busy && entry.session !== undefined) afterReceive(entry);
      },
      log: (message) => {
        onEvent({ type: 'log', peer, message });
      },
      now: () => clock.now(),
    };
    const entry: PeerSession<In, Out> = {
      key,
      peer,
      session: undefined,
      ctx,
      lastSeen: now,
      busy: false,
      queue: [],
      reason: undefined,
      closeRequested: null,
    };
    if (mode === 'per-peer') sessions.set(key, entry);
    else transient.add(entry);
    counters.sessionsOpened += 1;
    onEvent({ type: 'session', peer });
    try {
      entry.session = service.open(peer, ctx);
    } catch (error) {
      failSession(entry, error);
      return undefined;
    }
    if (entry.closeRequested !== null) {
      afterReceive(entry);
      return undefined;
    }
    armExpiry();
    return entry;
  };

  const peerFor = (remote: string, remotePort: number): Peer => ({
    transport: 'udp',
    address: remote,
    port: remotePort,
    id: `udp:${formatAddress(remote, remotePort)}#${nextSessionId++}`,
  });

  socket.on('message', (datagram, rinfo) => {
    counters.datagramsIn += 1;
    counters.bytesIn += datagram.length;
    const key = `${rinfo.address}|${rinfo.port}`;
    const existing = mode === 'per-peer' ? sessions.get(key) : undefined;
    if (closing !== undefined) {
      counters.dropped += 1;
      onEvent({ type: 'dropped', peer: existing?.peer ?? peerFor(rinfo.address, rinfo.port), why: 'closing' });
      return;
    }
    let message: In;
    try {
      message = codec.decode(datagram);
    } catch (thrown) {
      counters.malformed += 1;
      const peer = existing?.peer ?? peerFor(rinfo.address, rinfo.port);
      const cause = thrown instanceof Error ? thrown : new Error(String(thrown));
      const error = new UdpError('ERR_MALFORMED_INPUT', `malformed datagram from ${peer.id}: ${cause.message}`, { reason: 'read', cause });
      let replies: readonly Out[] = [];
      try {
        replies = service.malformed?.(cause, peer) ?? [];
      } catch (inner) {
        counters.errors += 1;
        onEvent({ type: 'error', peer, error: new UdpError('ERR_SESSION_FAILED', `service.malformed threw: ${String(inner)}`, { cause: inner }) });
      }
      onEvent({ type: 'malformed', peer, error, answered: service.malformed !== undefined });
      for (const reply of replies) sendMessage(reply, peer);
      return;
    }
    const now = clock.now();
    let entry = existing;
    if (entry === undefined) {
      if (mode === 'per-peer' && sessions.size >= maxSessions) expire();
      if (mode === 'per-peer' && sessions.size >= maxSessions) {
        counters.rejected += 1;
        const peer = peerFor(rinfo.address, rinfo.port);
        onEvent({
          type: 'rejected',
          peer,
          error: new UdpError('ERR_TOO_MANY_SESSIONS', `refused ${peer.id}: ${maxSessions} sessions already active (maxSessions)`, {
            reason: 'open',
            details: { maxSessions },
          }),
        });
        if (busyReply !== undefined) sendBytes(busyReply, peer);
        return;
      }
      entry = openSession(key, peerFor(rinfo.address, rinfo.port), now);
      if (entry === undefined) return;
    } else {
      entry.lastSeen = now;
      sessions.delete(key);
      sessions.set(key, entry);
    }
    if (entry.busy) {
      if (entry.queue.length >= maxQueued) {
        counters.dropped += 1;
        onEvent({ type: 'dropped', peer: entry.peer, why: 'queue-full' });
        return;
      }
      entry.queue.push(message);
      return;
    }
    deliver(entry, message);
  });

  socket.on('error', (error) => {
    if (address === undefined) return;
    // Errors on an unconnected socket (a send to a vanished peer...) are reported, never fatal.
    counters.errors += 1;
    onEvent({ type: 'error', peer: undefined, error: fromSocketError(error, host, address.port, 'write') });
  });

  return {
    get address() {
      return address;
    },
    get sessions() {
      return sessions.size;
    },
    stats: snapshot,
    listen() {
      if (closing !== undefined) return Promise.reject(new UdpError('ERR_SOCKET_CLOSED', 'the server is closed', { reason: 'open' }));
      listening ??= new Promise<UdpAddress>((resolve, reject) => {
        const onError = (error: Error): void => {
          reject(fromSocketError(error, host, port, 'open'));
        };
        socket.once('error', onError);
        socket.bind({ address: host, port }, () => {
          socket.off('error', onError);
          const bound = socket.address();
          address = { host: bound.address, port: bound.port, family: bound.family === 'IPv6' ? 'IPv6' : 'IPv4' };
          onEvent({ type: 'listening', address });
          resolve(address);
        });
      });
      return listening;
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        const graceMs = closeOptions.graceMs ?? DEFAULT_GRACE_MS;
        assertIntegerOption('graceMs', graceMs, 0, MAX_TIMER_MS);
        if (busyCount > 0) {
          let deadline: unknown;
          await new Promise<void>((resolve) => {
            idleWaiter = resolve;
            deadline = clock.setTimeout(resolve, graceMs);
          });
          clock.clearTimeout(deadline);
          idleWaiter = undefined;
        }
        if (expiryTimer !== undefined) clock.clearTimeout(expiryTimer);
        expiryTimer = undefined;
        for (const entry of [...sessions.values(), ...transient]) endSession(entry, { kind: 'shutdown' });
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
        onEvent({ type: 'closed', stats: snapshot() });
      })();
      return closing;
    },
  };
}
