/**
 * A TCP server that carries any stream codec and any service: one session per connection.
 * The contract's rules live in `@netlab/service`'s session driver; see `server-connection.ts`
 * for the socket glue (flow control, deadlines, quiet flush, lingering) and `output-queue.ts`
 * for the sending half (coalescing, the SendQ cap).
 */
import { type Server, type Socket, createServer } from 'node:net';
import { TLSSocket } from 'node:tls';
import { type StreamCodec, isFlushable } from '@netlab/codec';
import { DEFAULT_HOST, MAX_TIMER_MS, type NetServer, type NetServerOptions, type ServerCloseOptions, formatHostPort, processWireTap, resolveNetServerOptions, startOnce, withinGrace, type WireTap } from '@netlab/ground';
import type { CloseReason, Peer, Service } from '@netlab/service';
import { TcpError, assertIntegerOption, fromSocketError } from './errors.js';
import { IdleList } from './idle-list.js';
import type { OutputConfig, OutputQueue } from './output-queue.js';
import type { ConnectionServer, TcpConnectionStats } from './connection-server.js';
import { ServerConnection } from './server-connection.js';
import { type TcpAddress, addressOf } from './tcp-address.js';
import { type TcpServerStats, createTcpServerStats } from './tcp-server-stats.js';
import { type ServerTls, type TcpServerTlsOptions, createServerTls, fromTlsError } from './tls.js';

export { DEFAULT_HOST };
/** Default simultaneous connections: 1024. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** Default cap on output queued for one peer in user space: 1 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Default decoded messages waiting for the session before reading pauses: 256. */
export const DEFAULT_MAX_QUEUED_MESSAGES = 256;
/**
 * Default size at which output waiting to be coalesced is written at once: 16 KiB. Large enough
 * that a chat room's turn of lines to one member is one write; small enough that one write never
 * approaches the default output cap, so coalescing never makes a reading peer look slow.
 */
export const DEFAULT_COALESCE_BYTES = 16 * 1024;
/** Default idle timeout (no complete message): 5 minutes. */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/**
 * Default first-message deadline: 60 s from connecting to the first complete message. Long
 * enough for a person at netcat or telnet to type a line; short enough that connections that
 * never say anything cannot hold the server's slots for the whole idle timeout.
 */
export const DEFAULT_FIRST_MESSAGE_TIMEOUT_MS = 60_000;
/** Default quiet-flush delay for flushable (line) codecs: 150 ms. */
export const DEFAULT_QUIET_FLUSH_MS = 150;
/** Default time a gracefully closed socket may take to finish before it is destroyed: 2 s. */
export const DEFAULT_CLOSE_LINGER_MS = 2000;
/** Default shutdown grace period of `close()`: 5 s. */
export const DEFAULT_GRACE_MS = 5000;


/** What the server reports through `onEvent`. */
export type TcpServerEvent =
  | { readonly type: 'listening'; readonly address: TcpAddress }
  | { readonly type: 'connection'; readonly peer: Peer }
  | { readonly type: 'rejected'; readonly peer: Peer; readonly error: TcpError }
  | { readonly type: 'close'; readonly peer: Peer; readonly reason: CloseReason; readonly stats: TcpConnectionStats }
  | { readonly type: 'error'; readonly peer: Peer | undefined; readonly error: TcpError }
  | { readonly type: 'log'; readonly peer: Peer; readonly message: string }
  | { readonly type: 'closed'; readonly stats: TcpServerStats };

/** `host`, `port`, `clock` (for `ctx.now()`, idle timeouts and quiet flush) and `onEvent` are `NetServerOptions` of `@netlab/ground`. */
export interface TcpServerOptions<In, Out> extends NetServerOptions<TcpServerEvent> {
  /** Framing and message codec of the protocol. Required. */
  readonly codec: StreamCodec<In, Out>;
  /** The service each connection opens a session of. Required. */
  readonly service: Service<In, Out>;
  /** Connections served at once; the excess is sent `busyReply` (if any) and closed. Default {@link DEFAULT_MAX_CONNECTIONS}. */
  readonly maxConnections?: number;
  /** Sent to a connection refused for `maxConnections` before it is closed (`stats().busyReplies`). Default: nothing. */
  readonly busyReply?: Out;
  /**
   * Bytes queued for one peer past which its connection is ended ("SendQ exceeded"): nothing more
   * is queued, what was queued (whole messages) is still written, then `overflowReply`, then a
   * graceful close. Default {@link DEFAULT_MAX_OUTPUT_BYTES}.
   */
  readonly maxOutputBytes?: number;
  /** Sent last to a peer whose output passed `maxOutputBytes` (e.g. `ERROR send queue exceeded`). Default: nothing. */
  readonly overflowReply?: Out;
  /**
   * Write coalescing. The replies to one received chunk always go out in one write; besides,
   * everything `ctx.send` sends a connection during one event-loop turn is written once, at the
   * end of the turn (a room broadcasting N lines costs one write per member, not N). Output
   * waiting to be coalesced is written at once when it reaches this many bytes, and counts
   * against `maxOutputBytes` from the moment it is sent. 0 writes each `ctx.send` at once.
   * Default {@link DEFAULT_COALESCE_BYTES}.
   */
  readonly coalesceBytes?: number;
  /** Decoded messages waiting for the session before reading pauses. Default {@link DEFAULT_MAX_QUEUED_MESSAGES}. */
  readonly maxQueuedMessages?: number;
  /** Close a connection with no complete message for this long; 0 disables. Default {@link DEFAULT_IDLE_TIMEOUT_MS}. */
  readonly idleTimeoutMs?: number;
  /**
   * Close a connection that sends no complete message within this long of connecting (a login
   * deadline, separate from the idle timeout; closes with `kind: 'idle'` and
   * `ERR_FIRST_MESSAGE_TIMEOUT`); 0 disables. Default {@link DEFAULT_FIRST_MESSAGE_TIMEOUT_MS}.
   */
  readonly firstMessageTimeoutMs?: number;
  /** Deliver a partial message after this much silence (flushable codecs only); 0 disables. Default {@link DEFAULT_QUIET_FLUSH_MS}. */
  readonly quietFlushMs?: number;
  /**
   * After a graceful close, destroy the socket if the peer has not closed within this time and
   * read nothing of what still waits for it (a peer that keeps reading gets more periods, up to
   * 30). Default {@link DEFAULT_CLOSE_LINGER_MS}.
   */
  readonly closeLingerMs?: number;
  /** Disable Nagle's algorithm (request/response latency). Default true. */
  readonly noDelay?: boolean;
  /**
   * Reports every connection's events and bytes (`--trace`, `--pcap`): a `@netlab/trace` tracer
   * or any `WireTap`. Default: the process tap (`setProcessWireTap` of `@netlab/ground`), if set.
   */
  readonly tap?: WireTap;
  /**
   * Serve TLS with this certificate and key: each connection's handshake runs first (under its
   * own deadline and cap, see {@link TcpServerTlsOptions}); a failed one is reported as a
   * `rejected` event with an `ERR_TLS_*` code and counted in `stats().tlsHandshakeFailures`.
   * Everything after the handshake (limits, backpressure, deadlines, codes) is as without TLS;
   * byte counters count the plain text. Default: plain TCP.
   */
  readonly tls?: TcpServerTlsOptions;
}

/** `close()` options: `graceMs` (default {@link DEFAULT_GRACE_MS}). */
export type TcpCloseOptions = ServerCloseOptions;

/**
 * The lifecycle of `@netlab/ground`'s `NetServer`. `close()` stops accepting, lets every
 * connection finish the messages it already received and flush its replies, destroys whatever is
 * left after `graceMs`, and resolves once every socket is closed.
 */
export interface TcpServer extends NetServer<TcpAddress, TcpServerStats> {
  /** Connections currently served. */
  readonly connections: number;
  /** SHA-256 fingerprint (colon hex) of the TLS certificate served; undefined without TLS. */
  readonly fingerprint256: string | undefined;
}

let nextConnectionId = 1;

/** Creates a TCP server; call `listen()` to start it. */
export function createTcpServer<In, Out>(options: TcpServerOptions<In, Out>): TcpServer {
  const { host, port, clock, onEvent } = resolveNetServerOptions(options);
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const maxQueuedMessages = options.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES;
  const coalesceBytes = options.coalesceBytes ?? DEFAULT_COALESCE_BYTES;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const firstMessageTimeoutMs = options.firstMessageTimeoutMs ?? DEFAULT_FIRST_MESSAGE_TIMEOUT_MS;
  const quietFlushMs = options.quietFlushMs ?? DEFAULT_QUIET_FLUSH_MS;
  const closeLingerMs = options.closeLingerMs ?? DEFAULT_CLOSE_LINGER_MS;
  assertIntegerOption('port', port, 0, 65_535);
  assertIntegerOption('maxConnections', maxConnections, 1, 1_000_000);
  assertIntegerOption('maxOutputBytes', maxOutputBytes, 1, 2 ** 32);
  assertIntegerOption('maxQueuedMessages', maxQueuedMessages, 1, 1_000_000);
  assertIntegerOption('coalesceBytes', coalesceBytes, 0, 2 ** 32);
  assertIntegerOption('idleTimeoutMs', idleTimeoutMs, 0, MAX_TIMER_MS);
  assertIntegerOption('firstMessageTimeoutMs', firstMessageTimeoutMs, 0, MAX_TIMER_MS);
  assertIntegerOption('quietFlushMs', quietFlushMs, 0, MAX_TIMER_MS);
  assertIntegerOption('closeLingerMs', closeLingerMs, 0, MAX_TIMER_MS);
  const tls: ServerTls | undefined = options.tls === undefined ? undefined : createServerTls(options.tls);
  if (tls !== undefined) {
    assertIntegerOption('tls.handshakeTimeoutMs', tls.handshakeTimeoutMs, 1, MAX_TIMER_MS);
    assertIntegerOption('tls.maxHandshakes', tls.maxHandshakes, 1, 1_000_000);
  }
  const codec = options.codec;
  const busyReply = options.busyReply === undefined ? undefined : codec.encode(options.busyReply);
  const overflowReply = options.overflowReply === undefined ? undefined : codec.encode(options.overflowReply);

  const stats = createTcpServerStats();
  const connections = new Set<ServerConnection<In, Out>>();
  const rejectedSockets = new Set<Socket>();
  let address: TcpAddress | undefined;
  let closing: Promise<void> | undefined;
  let listening: Promise<TcpAddress> | undefined;
  let emptied: (() => void) | undefined;

  // Connections with output waiting for the end of this turn, flushed by one setImmediate. An
  // array iterator sees entries appended while it runs: a flush that closes a connection may make
  // others wait in this same turn (a room announcing who left).
  const flushList: OutputQueue<Out>[] = [];
  let flushScheduled = false;
  const flushTurn = (): void => {
    flushScheduled = false;
    for (const queue of flushList) queue.flush();
    flushList.length = 0;
  };

  let lastText: string | undefined;
  let lastTextBytes: Uint8Array | undefined;

  const output: OutputConfig<Out> = {
    encode(message: Out): Uint8Array {
      // A broadcast sends the same text to many connections in a row: encode it once. Only
      // strings are remembered (immutable, so equal means the same bytes from a pure codec);
      // an object could be changed between two sends.
      if (typeof message === 'string' && message === lastText && lastTextBytes !== undefined) return lastTextBytes;
      const bytes = codec.encode(message);
      if (typeof message === 'string') {
        lastText = message;
        lastTextBytes = bytes;
      }
      return bytes;
    },
    maxOutputBytes,
    coalesceBytes,
    overflowReply,
    stats,
    scheduleFlush(queue: OutputQueue<Out>): void {
      flushList.push(queue);
      if (flushScheduled) return;
      flushScheduled = true;
      setImmediate(flushTurn);
    },
  };

  // Before its first message a connection is on the first-message list, whose timeout is the
  // shorter of the two deadlines (an idle timeout below the first-message deadline still applies).
  const firstDeadline = firstMessageTimeoutMs > 0 && (idleTimeoutMs === 0 || firstMessageTimeoutMs <= idleTimeoutMs);
  const firstListMs = firstDeadline ? firstMessageTimeoutMs : idleTimeoutMs;
  const connectionServer: ConnectionServer<In, Out> = {
    driver: { service: options.service, maxQueued: maxQueuedMessages },
    output,
    createDecoder: () => codec.createDecoder(),
    flushable: isFlushable(codec.createDecoder()),
    quietFlushMs,
    closeLingerMs,
    firstMessage: firstListMs > 0 ? new IdleList(clock, firstListMs) : undefined,
    firstMessageIs: firstDeadline ? 'first-message' : 'idle',
    firstMessageTimeoutMs,
    idle: idleTimeoutMs > 0 ? new IdleList(clock, idleTimeoutMs) : undefined,
    idleTimeoutMs,
    clock,
    stats,
    tap: options.tap ?? processWireTap(),
    onLog(peer: Peer, message: string): void {
      onEvent({ type: 'log', peer, message });
    },
    onError(peer: Peer, error: TcpError): void {
      onEvent({ type: 'error', peer, error });
    },
    onClosed(connection: ServerConnection<In, Out>, reason: CloseReason, connectionStats: TcpConnectionStats): void {
      if (!connections.delete(connection)) return;
      stats.connectionsActive = connections.size;
      onEvent({ type: 'close', peer: connection.peer, reason, stats: connectionStats });
      if (connections.size === 0) emptied?.();
    },
  };

  const peerOf = (socket: Socket): Peer => {
    const remoteAddress = socket.remoteAddress ?? 'unknown';
    const remotePort = socket.remotePort ?? 0;
    // join() makes one flat string; a template literal would keep a tree of parts alive per connection.
    const id = ['tcp:', formatHostPort(remoteAddress, remotePort), '#', String(nextConnectionId++)].join('');
    return { transport: 'tcp', address: remoteAddress, port: remotePort, id };
  };

  const reject = (socket: Socket, peer: Peer, error: TcpError, reply: Uint8Array | undefined): void => {
    stats.connectionsRejected += 1;
    rejectedSockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => rejectedSockets.delete(socket));
    // Whatever the refused client sends is read and ignored so that our FIN is not turned into a RST.
    socket.resume();
    if (reply === undefined) {
      socket.end();
    } else {
      stats.busyReplies += 1;
      socket.end(reply);
    }
    const timer = clock.setTimeout(() => socket.destroy(), closeLingerMs);
    socket.on('close', () => {
      clock.clearTimeout(timer);
    });
    onEvent({ type: 'rejected', peer, error });
  };

  const accept = (socket: Socket, peer: Peer): void => {
    if (closing !== undefined) {
      reject(socket, peer, new TcpError('ERR_SERVER_CLOSED', `refused ${peer.id}: the server is shutting down`, { reason: 'open' }), undefined);
      return;
    }
    if (connections.size >= maxConnections) {
      const error = new TcpError('ERR_TOO_MANY_CONNECTIONS', `refused ${peer.id}: ${maxConnections} connections already open (maxConnections)`, {
        reason: 'open',
        details: { maxConnections },
      });
      reject(socket, peer, error, busyReply);
      return;
    }
    const connection = new ServerConnection(socket, connectionServer, peer);
    connections.add(connection);
    stats.connectionsAccepted += 1;
    stats.connectionsActive = connections.size;
    onEvent({ type: 'connection', peer });
    connection.start();
  };

  // TLS handshakes in progress: bounded by `maxHandshakes`, each under its deadline, destroyed on close.
  const handshaking = new Set<TLSSocket>();
  const handshake = (socket: Socket, peer: Peer, serverTls: ServerTls): void => {
    if (closing !== undefined || handshaking.size >= serverTls.maxHandshakes) {
      stats.connectionsRejected += 1;
      socket.destroy();
      const error = closing !== undefined
        ? new TcpError('ERR_SERVER_CLOSED', `refused ${peer.id}: the server is shutting down`, { reason: 'open' })
        : new TcpError('ERR_TOO_MANY_CONNECTIONS', `refused ${peer.id}: ${serverTls.maxHandshakes} TLS handshakes already in progress (tls.maxHandshakes)`, {
            reason: 'open',
            details: { maxHandshakes: serverTls.maxHandshakes },
          });
      onEvent({ type: 'rejected', peer, error });
      return;
    }
    const secure = new TLSSocket(socket, { isServer: true, secureContext: serverTls.context, requestCert: false, rejectUnauthorized: false });
    handshaking.add(secure);
    // The server's log already names the peer ("refused 127.0.0.1:40312: …").
    const where = 'the client';
    const failed = (error: TcpError): void => {
      if (!handshaking.delete(secure)) return;
      clock.clearTimeout(timer);
      stats.tlsHandshakeFailures += 1;
      secure.destroy();
      onEvent({ type: 'rejected', peer, error });
    };
    const timer = clock.setTimeout(() => {
      failed(new TcpError('ERR_TLS_HANDSHAKE_TIMEOUT', `no TLS handshake within ${serverTls.handshakeTimeoutMs} ms (a plain-text client on the TLS port?)`, {
        reason: 'open',
        details: { handshakeTimeoutMs: serverTls.handshakeTimeoutMs },
      }));
    }, serverTls.handshakeTimeoutMs);
    const onError = (error: Error): void => {
      failed(fromTlsError(error, where, 'server'));
    };
    const onClose = (): void => {
      failed(new TcpError('ERR_TLS_HANDSHAKE', 'the client closed the connection during the TLS handshake (did it refuse our certificate?)', { reason: 'open' }));
    };
    secure.on('error', onError);
    // A peer that gives up mid-handshake (a client refusing our certificate) may only half-close.
    secure.on('end', onClose);
    secure.on('close', onClose);
    secure.once('secure', () => {
      if (!handshaking.delete(secure)) return;
      clock.clearTimeout(timer);
      secure.off('error', onError);
      secure.off('end', onClose);
      secure.off('close', onClose);
      accept(secure, peer);
    });
  };

  const server: Server = createServer({ allowHalfOpen: true, noDelay: options.noDelay ?? true }, (socket) => {
    const peer = peerOf(socket);
    if (tls === undefined) accept(socket, peer);
    else handshake(socket, peer, tls);
  });
  server.on('error', (error) => {
    // Accept failures (EMFILE...) after listening: report, keep serving the connections we have.
    if (address === undefined) return;
    stats.errors += 1;
    onEvent({ type: 'error', peer: undefined, error: fromSocketError(error, host, port, 'open') });
  });

  return {
    get address() {
      return address;
    },
    get connections() {
      return connections.size;
    },
    fingerprint256: tls?.fingerprint256,
    stats: () => ({ ...stats }),
    listen() {
      if (closing !== undefined) return Promise.reject(new TcpError('ERR_SERVER_CLOSED', 'the server is closed', { reason: 'open' }));
      listening ??= startOnce(server, (done) => server.listen({ host, port }, done)).then(
        () => {
          const bound = server.address();
          if (bound === null || typeof bound === 'string') throw new TcpError('ERR_LISTEN', `cannot listen on ${formatHostPort(host, port)}`, { reason: 'open' });
          address = addressOf(bound.address, bound.port, bound.family);
          onEvent({ type: 'listening', address });
          return address;
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
        const serverClosed = new Promise<void>((resolve) => {
          if (!server.listening) {
            resolve();
            return;
          }
          server.close(() => {
            resolve();
          });
        });
        const allClosed = new Promise<void>((resolve) => {
          emptied = resolve;
          if (connections.size === 0) resolve();
        });
        for (const secure of [...handshaking]) secure.destroy();
        handshaking.clear();
        for (const connection of [...connections]) connection.drain();
        await withinGrace(allClosed, graceMs, clock);
        for (const connection of [...connections]) connection.forceClose();
        for (const socket of [...rejectedSockets]) socket.destroy();
        await allClosed;
        await serverClosed;
        onEvent({ type: 'closed', stats: { ...stats } });
      })();
      return closing;
    },
  };
}
