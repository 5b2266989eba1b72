/**
 * A TCP server that carries any stream codec and any service: one session per connection.
 * The contract's rules live in `@netlab/service`'s session driver; see `server-connection.ts`
 * for the socket glue (flow control, deadlines, quiet flush, lingering), `output-queue.ts`
 * for the sending half (coalescing, the SendQ cap), `tls-handshakes.ts` for TLS, and
 * `tcp-server-options.ts` for the options, defaults and events.
 */
import { type Server, type Socket, createServer } from 'node:net';
import { isFlushable } from '@netlab/codec';
import { MAX_TIMER_MS, formatHostPort, processWireTap, resolveNetServerOptions, startOnce, withinGrace } from '@netlab/ground';
import type { CloseReason, Peer } from '@netlab/service';
import { TcpError, assertIntegerOption, fromSocketError } from './errors.js';
import { IdleList } from './idle-list.js';
import { createOutputConfig } from './output-queue.js';
import type { ConnectionServer, TcpConnectionStats } from './connection-server.js';
import { ServerConnection } from './server-connection.js';
import { type TcpAddress, addressOf } from './tcp-address.js';
import { createTcpServerStats } from './tcp-server-stats.js';
import {
  DEFAULT_CLOSE_LINGER_MS,
  DEFAULT_COALESCE_BYTES,
  DEFAULT_FIRST_MESSAGE_TIMEOUT_MS,
  DEFAULT_GRACE_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  DEFAULT_QUIET_FLUSH_MS,
  type TcpServer,
  type TcpServerOptions,
} from './tcp-server-options.js';
import { TlsHandshakes } from './tls-handshakes.js';
import { type ServerTls, createServerTls } from './tls.js';

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

  const output = createOutputConfig(codec, { maxOutputBytes, coalesceBytes, overflowReply, stats });

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

  const handshakes = tls === undefined ? undefined : new TlsHandshakes(tls, clock, stats, onEvent, accept);

  const server: Server = createServer({ allowHalfOpen: true, noDelay: options.noDelay ?? true }, (socket) => {
    const peer = peerOf(socket);
    if (handshakes === undefined) accept(socket, peer);
    else handshakes.start(socket, peer, closing !== undefined);
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
        handshakes?.destroyAll();
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
