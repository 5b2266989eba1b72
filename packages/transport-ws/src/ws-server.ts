/**
 * A WebSocket server that carries any netlab service: one session per WebSocket, through the
 * same session driver as TCP and UDP (see `ws-connection.ts` for the glue). It listens on its own
 * HTTP server, or attaches to an existing one (`server` option: `netlab web` serves its page and
 * its sockets on one port), handling only the upgrades for its `path`.
 *
 * Limits and their TCP twins: `maxConnections` (+ `busyReply`, close 1013), `maxOutputBytes`
 * (+ `overflowReply`), `maxQueuedMessages` (reading pauses), `idleTimeoutMs`,
 * `firstMessageTimeoutMs`, `closeLingerMs`, graceful `close({ graceMs })`. Frames above
 * `maxPayloadBytes` are refused by ws before they are buffered (close 1009,
 * `ERR_MESSAGE_TOO_LARGE`); frames between the codec's `maxMessageBytes` and that are answered as
 * malformed input, as an over-long line is over TCP.
 *
 * `authorize(request)` sees every upgrade request before the handshake (a per-run token, an
 * Origin check): a refusal is answered `401 Unauthorized` and never reaches the service.
 */
import { type IncomingMessage, type Server as HttpServer, createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_TIMER_MS, type NetServer, type NetServerOptions, type ServerCloseOptions, formatHostPort, resolveNetServerOptions, startOnce, withinGrace } from '@netlab/ground';
import type { CloseReason, Peer, Service } from '@netlab/service';
import { type WebSocket, WebSocketServer } from 'ws';
import { WS_CLOSE_CODES } from './close-codes.js';
import { WsError, assertIntegerOption, fromWsError } from './errors.js';
import type { WsCodec } from './ws-codec.js';
import { WsConnection, type WsConnectionServer, type WsConnectionStats } from './ws-connection.js';
import { type WsServerStats, createWsServerStats } from './ws-server-stats.js';

/** Default simultaneous connections: 1024 (as TCP). */
export const DEFAULT_WS_MAX_CONNECTIONS = 1024;
/** Default cap on output queued for one peer in user space: 1 MiB (as TCP). */
export const DEFAULT_WS_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Default queued output past which reading pauses until the peer reads: 64 KiB. */
export const DEFAULT_WS_HIGH_WATER_BYTES = 64 * 1024;
/** Default decoded messages waiting for the session before reading pauses: 256 (as TCP). */
export const DEFAULT_WS_MAX_QUEUED_MESSAGES = 256;
/** Default idle timeout (no complete message): 5 minutes (as TCP). */
export const DEFAULT_WS_IDLE_TIMEOUT_MS = 300_000;
/** Default first-message deadline: 60 s (as TCP). */
export const DEFAULT_WS_FIRST_MESSAGE_TIMEOUT_MS = 60_000;
/** Default time a gracefully closed WebSocket may take to answer our close frame: 2 s (as TCP's linger). */
export const DEFAULT_WS_CLOSE_LINGER_MS = 2000;
/** Default shutdown grace period of `close()`: 5 s. */
export const DEFAULT_WS_GRACE_MS = 5000;

/** The address a WebSocket server is bound to. */
export interface WsAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
  /** `ws://127.0.0.1:PORT/PATH` */
  readonly url: string;
}

/** What the server reports through `onEvent`. */
export type WsServerEvent =
  | { readonly type: 'listening'; readonly address: WsAddress }
  | { readonly type: 'connection'; readonly peer: Peer }
  | { readonly type: 'rejected'; readonly peer: Peer; readonly error: WsError }
  | { readonly type: 'close'; readonly peer: Peer; readonly reason: CloseReason; readonly stats: WsConnectionStats }
  | { readonly type: 'error'; readonly peer: Peer | undefined; readonly error: WsError }
  | { readonly type: 'log'; readonly peer: Peer; readonly message: string }
  | { readonly type: 'closed'; readonly stats: WsServerStats };

/** `host`, `port`, `clock` and `onEvent` are `NetServerOptions` of `@netlab/ground` (`host`/`port` unused with `server`). */
export interface WsServerOptions<In, Out> extends NetServerOptions<WsServerEvent> {
  /** One message per WebSocket message: `createWsTextCodec()` for line protocols, `createWsMessageCodec()` for framed ones. Required. */
  readonly codec: WsCodec<In, Out>;
  /** The service each WebSocket opens a session of. Required. */
  readonly service: Service<In, Out>;
  /** Attach to this HTTP server (its upgrades for `path`) instead of listening on `host:port`. Default: an own server. */
  readonly server?: HttpServer;
  /** Only upgrades to this path (`/chat`) are accepted; others get 404 (or are left to other listeners with `server`). Default: any path. */
  readonly path?: string;
  /** Decides on each upgrade request before the handshake (token, Origin); false answers 401. Default: accept all. */
  readonly authorize?: (request: IncomingMessage) => boolean;
  /** Connections served at once; the excess is sent `busyReply` (if any) and closed with 1013. Default {@link DEFAULT_WS_MAX_CONNECTIONS}. */
  readonly maxConnections?: number;
  /** Sent to a connection refused for `maxConnections` before it is closed. Default: nothing. */
  readonly busyReply?: Out;
  /** Bytes queued for one peer past which its connection is ended ("SendQ exceeded"). Default {@link DEFAULT_WS_MAX_OUTPUT_BYTES}. */
  readonly maxOutputBytes?: number;
  /** Sent last to a peer whose output passed `maxOutputBytes`. Default: nothing. */
  readonly overflowReply?: Out;
  /** Queued output past which reading pauses until the peer reads. Default {@link DEFAULT_WS_HIGH_WATER_BYTES}. */
  readonly highWaterBytes?: number;
  /** Largest frame ws buffers at all; larger ones close the connection (1009). Default: twice the codec's limit, at least 4 KiB more. */
  readonly maxPayloadBytes?: number;
  /** Decoded messages waiting for the session before reading pauses. Default {@link DEFAULT_WS_MAX_QUEUED_MESSAGES}. */
  readonly maxQueuedMessages?: number;
  /** Close a connection with no complete message for this long; 0 disables. Default {@link DEFAULT_WS_IDLE_TIMEOUT_MS}. */
  readonly idleTimeoutMs?: number;
  /** Close a connection that sends no message within this long of connecting; 0 disables. Default {@link DEFAULT_WS_FIRST_MESSAGE_TIMEOUT_MS}. */
  readonly firstMessageTimeoutMs?: number;
  /** After our close frame, terminate if the peer has not answered within this time. Default {@link DEFAULT_WS_CLOSE_LINGER_MS}. */
  readonly closeLingerMs?: number;
}

/** `close()` options: `graceMs` (default {@link DEFAULT_WS_GRACE_MS}). */
export type WsCloseOptions = ServerCloseOptions;

/** The lifecycle of `@netlab/ground`'s `NetServer`. */
export interface WsServer extends NetServer<WsAddress, WsServerStats> {
  /** Connections currently served. */
  readonly connections: number;
}

let nextConnectionId = 1;

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.on('error', () => undefined);
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text) + 1}\r\n\r\n${text}\n`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Creates a WebSocket server; call `listen()` to start it (or to start handling the attached server's upgrades). */
export function createWsServer<In, Out>(options: WsServerOptions<In, Out>): WsServer {
  const { host, port, clock, onEvent } = resolveNetServerOptions(options);
  const codec = options.codec;
  const maxConnections = options.maxConnections ?? DEFAULT_WS_MAX_CONNECTIONS;
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_WS_MAX_OUTPUT_BYTES;
  const highWaterBytes = options.highWaterBytes ?? DEFAULT_WS_HIGH_WATER_BYTES;
  const maxPayloadBytes = options.maxPayloadBytes ?? Math.max(2 * codec.maxMessageBytes, codec.maxMessageBytes + 4096);
  const maxQueuedMessages = options.maxQueuedMessages ?? DEFAULT_WS_MAX_QUEUED_MESSAGES;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_WS_IDLE_TIMEOUT_MS;
  const firstMessageTimeoutMs = options.firstMessageTimeoutMs ?? DEFAULT_WS_FIRST_MESSAGE_TIMEOUT_MS;
  const closeLingerMs = options.closeLingerMs ?? DEFAULT_WS_CLOSE_LINGER_MS;
  assertIntegerOption('port', port, 0, 65_535);
  assertIntegerOption('maxConnections', maxConnections, 1, 1_000_000);
  assertIntegerOption('maxOutputBytes', maxOutputBytes, 1, 2 ** 32);
  assertIntegerOption('highWaterBytes', highWaterBytes, 1, 2 ** 32);
  assertIntegerOption('maxPayloadBytes', maxPayloadBytes, codec.maxMessageBytes, 2 ** 31);
  assertIntegerOption('maxQueuedMessages', maxQueuedMessages, 1, 1_000_000);
  assertIntegerOption('idleTimeoutMs', idleTimeoutMs, 0, MAX_TIMER_MS);
  assertIntegerOption('firstMessageTimeoutMs', firstMessageTimeoutMs, 0, MAX_TIMER_MS);
  assertIntegerOption('closeLingerMs', closeLingerMs, 0, MAX_TIMER_MS);
  const busyReply = options.busyReply === undefined ? undefined : codec.encode(options.busyReply);
  const overflowReply = options.overflowReply === undefined ? undefined : codec.encode(options.overflowReply);
  const binary = codec.frames === 'binary';

  const stats = createWsServerStats();
  const connections = new Set<WsConnection<In, Out>>();
  const rejected = new Set<WebSocket>();
  const attached = options.server;
  const http: HttpServer = attached ?? createServer((_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' }).end('this is a WebSocket endpoint\n');
  });
  // No perMessageDeflate: a lab's messages are short, and compression state costs memory per connection.
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxPayloadBytes, perMessageDeflate: false, clientTracking: false });
  let address: WsAddress | undefined;
  let listening: Promise<WsAddress> | undefined;
  let closing: Promise<void> | undefined;
  let emptied: (() => void) | undefined;

  const connectionServer: WsConnectionServer<In, Out> = {
    driver: { service: options.service, maxQueued: maxQueuedMessages },
    codec,
    maxOutputBytes,
    highWaterBytes,
    overflowReply,
    firstMessageTimeoutMs,
    idleTimeoutMs,
    closeLingerMs,
    clock,
    stats,
    onLog(peer, message) {
      onEvent({ type: 'log', peer, message });
    },
    onError(peer, error) {
      onEvent({ type: 'error', peer, error });
    },
    onClosed(connection, reason, connectionStats) {
      if (!connections.delete(connection)) return;
      stats.connectionsActive = connections.size;
      onEvent({ type: 'close', peer: connection.peer, reason, stats: connectionStats });
      if (connections.size === 0) emptied?.();
    },
  };

  const peerOf = (request: IncomingMessage): Peer => {
    const remoteAddress = request.socket.remoteAddress ?? 'unknown';
    const remotePort = request.socket.remotePort ?? 0;
    const id = ['ws:', formatHostPort(remoteAddress, remotePort), '#', String(nextConnectionId++)].join('');
    return { transport: 'ws', address: remoteAddress, port: remotePort, id };
  };

  const reject = (ws: WebSocket, peer: Peer, error: WsError, reply: Uint8Array | undefined, code: number): void => {
    stats.connectionsRejected += 1;
    rejected.add(ws);
    ws.on('error', () => undefined);
    ws.on('close', () => rejected.delete(ws));
    if (reply !== undefined) {
      stats.busyReplies += 1;
      ws.send(reply, { binary });
    }
    ws.close(code, error.code === 'ERR_TOO_MANY_CONNECTIONS' ? 'server busy' : 'server shutting down');
    const timer = clock.setTimeout(() => { ws.terminate(); }, closeLingerMs);
    ws.on('close', () => {
      clock.clearTimeout(timer);
    });
    onEvent({ type: 'rejected', peer, error });
  };

  const accept = (ws: WebSocket, request: IncomingMessage): void => {
    const peer = peerOf(request);
    if (closing !== undefined) {
      reject(ws, peer, new WsError('ERR_SERVER_CLOSED', `refused ${peer.id}: the server is shutting down`, { reason: 'open' }), undefined, WS_CLOSE_CODES.goingAway);
      return;
    }
    if (connections.size >= maxConnections) {
      const error = new WsError('ERR_TOO_MANY_CONNECTIONS', `refused ${peer.id}: ${maxConnections} connections already open (maxConnections)`, { reason: 'open', details: { maxConnections } });
      reject(ws, peer, error, busyReply, WS_CLOSE_CODES.tryAgain);
      return;
    }
    const connection = new WsConnection(ws, connectionServer, peer);
    connections.add(connection);
    stats.connectionsAccepted += 1;
    stats.connectionsActive = connections.size;
    onEvent({ type: 'connection', peer });
    connection.start();
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (options.path !== undefined && pathOf(request) !== options.path) {
      // On a shared server another endpoint may own this path; on our own, nobody does.
      if (attached === undefined) {
        stats.unauthorized += 1;
        refuseUpgrade(socket, 404, 'Not Found');
      }
      return;
    }
    if (address === undefined || closing !== undefined) {
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    if (options.authorize !== undefined && !options.authorize(request)) {
      stats.unauthorized += 1;
      const peer = peerOf(request);
      onEvent({ type: 'rejected', peer, error: new WsError('ERR_UNAUTHORIZED', `refused ${peer.id}: the upgrade request was not authorized`, { reason: 'open' }) });
      refuseUpgrade(socket, 401, 'Unauthorized');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      accept(ws, request);
    });
  };
  http.on('upgrade', onUpgrade);

  const addressFrom = (bound: { address: string; port: number; family: string }): WsAddress => {
    const family = bound.family === 'IPv6' ? 'IPv6' : 'IPv4';
    return { host: bound.address, port: bound.port, family, url: `ws://${formatHostPort(bound.address, bound.port)}${options.path ?? '/'}` };
  };

  return {
    get address() {
      return address;
    },
    get connections() {
      return connections.size;
    },
    stats: () => ({ ...stats }),
    listen() {
      if (closing !== undefined) return Promise.reject(new WsError('ERR_SERVER_CLOSED', 'the server is closed', { reason: 'open' }));
      listening ??= (async () => {
        if (attached === undefined) {
          try {
            await startOnce(http, (done) => http.listen({ host, port }, done));
          } catch (error) {
            throw fromWsError(error, host, port, 'open');
          }
        }
        const bound = http.address();
        if (bound === null || typeof bound === 'string') throw new WsError('ERR_LISTEN', `cannot listen on ${formatHostPort(host, port)}${attached === undefined ? '' : ': the attached HTTP server is not listening'}`, { reason: 'open' });
        address = addressFrom(bound);
        onEvent({ type: 'listening', address });
        return address;
      })();
      return listening;
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        const graceMs = closeOptions.graceMs ?? DEFAULT_WS_GRACE_MS;
        assertIntegerOption('graceMs', graceMs, 0, MAX_TIMER_MS);
        const httpClosed = new Promise<void>((resolve) => {
          if (attached !== undefined || !http.listening) {
            resolve();
            return;
          }
          http.close(() => {
            resolve();
          });
        });
        const allClosed = new Promise<void>((resolve) => {
          emptied = resolve;
          if (connections.size === 0) resolve();
        });
        for (const connection of [...connections]) connection.drain();
        await withinGrace(allClosed, graceMs, clock);
        for (const connection of [...connections]) connection.forceClose();
        for (const ws of [...rejected]) ws.terminate();
        await allClosed;
        if (attached === undefined) http.closeAllConnections();
        await httpClosed;
        http.off('upgrade', onUpgrade);
        onEvent({ type: 'closed', stats: { ...stats } });
      })();
      return closing;
    },
  };
}
