/**
 * A WebSocket client for any netlab codec: `request()` (send, then the next message is its
 * reply, FIFO as over TCP), `send()`, and `receive()` for pushed messages (a chat room's lines).
 *
 * Rules: a request that timed out keeps its place in line, so its late reply is consumed and
 * dropped and the replies after it still match their requests. Pushed messages wait in an inbox
 * of at most `maxQueuedMessages`; past it reading pauses (`ws.pause()`) until `receive()` takes
 * one, so a slow consumer slows the server down instead of growing memory. When the connection
 * closes every waiter is rejected with `ERR_CONNECTION_CLOSED` (the close code and reason in
 * `details`).
 */
import { MAX_TIMER_MS } from '@netlab/ground';
import { type RawData, WebSocket } from 'ws';
import { WsError, assertIntegerOption, fromWsError } from './errors.js';
import type { WsCodec } from './ws-codec.js';

/** Default connect (handshake) timeout: 5 s. */
export const DEFAULT_WS_CONNECT_TIMEOUT_MS = 5000;
/** Default request / receive timeout: 5 s. */
export const DEFAULT_WS_REQUEST_TIMEOUT_MS = 5000;
/** Default requests outstanding at once: 1024. */
export const DEFAULT_WS_MAX_PENDING_REQUESTS = 1024;
/** Default pushed messages held before reading pauses: 1024. */
export const DEFAULT_WS_CLIENT_MAX_QUEUED_MESSAGES = 1024;

export interface ConnectWsOptions<In, Out> {
  /** `ws://host:port/path?query`. Required. */
  readonly url: string;
  /** One message per WebSocket message (the client's side: decodes replies, encodes requests). Required. */
  readonly codec: WsCodec<In, Out>;
  /** Extra request headers (an `Origin`, a cookie). Default none. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Give up the handshake after this long (`ERR_CONNECT_TIMEOUT`). Default {@link DEFAULT_WS_CONNECT_TIMEOUT_MS}. */
  readonly connectTimeoutMs?: number;
  /** Default timeout of `request()` and `receive()`. Default {@link DEFAULT_WS_REQUEST_TIMEOUT_MS}. */
  readonly requestTimeoutMs?: number;
  /** Requests outstanding at once (`ERR_TOO_MANY_PENDING` past it). Default {@link DEFAULT_WS_MAX_PENDING_REQUESTS}. */
  readonly maxPendingRequests?: number;
  /** Pushed messages held before reading pauses. Default {@link DEFAULT_WS_CLIENT_MAX_QUEUED_MESSAGES}. */
  readonly maxQueuedMessages?: number;
}

/** How the connection ended. */
export interface WsCloseInfo {
  readonly code: number;
  readonly reason: string;
}

export interface WsClient<In, Out> {
  /** Sends `message` and resolves with the next message received (FIFO over requests). */
  request(message: Out, options?: { readonly timeoutMs?: number }): Promise<In>;
  /** Sends `message`; throws `ERR_CONNECTION_CLOSED` once closed, `ERR_ENCODE` when the codec refuses it. */
  send(message: Out): void;
  /** Resolves with the next pushed message (not a reply to a request). */
  receive(options?: { readonly timeoutMs?: number }): Promise<In>;
  /** Resolves once the connection is closed, with the code and reason of the close frame. */
  readonly closed: Promise<WsCloseInfo>;
  /** Sends a close frame (1000) and resolves once closed. */
  close(): Promise<void>;
}

interface Waiter<In> {
  resolve(message: In): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  timedOut: boolean;
}

/** Connects; rejects with `ERR_CONNECTION_REFUSED`, `ERR_CONNECT_TIMEOUT`, `ERR_UNAUTHORIZED` (401/403/404) or `ERR_HANDSHAKE`. */
export async function connectWs<In, Out>(options: ConnectWsOptions<In, Out>): Promise<WsClient<In, Out>> {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_WS_CONNECT_TIMEOUT_MS;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_WS_REQUEST_TIMEOUT_MS;
  const maxPending = options.maxPendingRequests ?? DEFAULT_WS_MAX_PENDING_REQUESTS;
  const maxQueued = options.maxQueuedMessages ?? DEFAULT_WS_CLIENT_MAX_QUEUED_MESSAGES;
  assertIntegerOption('connectTimeoutMs', connectTimeoutMs, 1, MAX_TIMER_MS);
  assertIntegerOption('requestTimeoutMs', requestTimeoutMs, 0, MAX_TIMER_MS);
  assertIntegerOption('maxPendingRequests', maxPending, 1, 1_000_000);
  assertIntegerOption('maxQueuedMessages', maxQueued, 1, 1_000_000);
  const codec = options.codec;
  let target: URL;
  try {
    target = new URL(options.url);
  } catch (error) {
    throw new WsError('ERR_INVALID_OPTION', `invalid WebSocket URL "${options.url}"`, { reason: 'open', cause: error });
  }
  const host = target.hostname;
  const port = Number(target.port || (target.protocol === 'wss:' ? 443 : 80));
  const ws = new WebSocket(options.url, {
    handshakeTimeout: connectTimeoutMs,
    perMessageDeflate: false,
    maxPayload: Math.max(2 * codec.maxMessageBytes, codec.maxMessageBytes + 4096),
    ...(options.headers === undefined ? {} : { headers: { ...options.headers } }),
  });

  const requests: Waiter<In>[] = [];
  const receivers: Waiter<In>[] = [];
  let inbox: In[] = [];
  let paused = false;
  let closeInfo: WsCloseInfo | undefined;
  let failure: WsError | undefined;
  let resolveClosed: (info: WsCloseInfo) => void = () => undefined;
  const closed = new Promise<WsCloseInfo>((resolve) => {
    resolveClosed = resolve;
  });

  const closedError = (): WsError =>
    failure ?? new WsError('ERR_CONNECTION_CLOSED', `${options.url}: the connection is closed${closeInfo === undefined ? '' : ` (${closeInfo.code}${closeInfo.reason === '' ? '' : ` ${closeInfo.reason}`})`}`, {
      reason: 'read',
      details: closeInfo === undefined ? {} : { closeCode: closeInfo.code, closeReason: closeInfo.reason },
    });

  const wait = (line: Waiter<In>[], timeoutMs: number, what: string): Promise<In> =>
    new Promise<In>((resolve, reject) => {
      const waiter: Waiter<In> = { resolve, reject, timer: undefined, timedOut: false };
      if (timeoutMs > 0) {
        waiter.timer = setTimeout(() => {
          waiter.timedOut = true;
          if (line === receivers) receivers.splice(receivers.indexOf(waiter), 1);
          reject(new WsError('ERR_REQUEST_TIMEOUT', `${options.url}: no ${what} within ${timeoutMs} ms`, { details: { timeoutMs } }));
        }, timeoutMs);
      }
      line.push(waiter);
    });

  ws.on('message', (data: RawData) => {
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    let message: In;
    try {
      message = codec.decode(bytes);
    } catch (error) {
      failure = new WsError('ERR_MALFORMED_INPUT', `malformed message from ${options.url}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      ws.close(1008, 'malformed message');
      return;
    }
    const request = requests.shift();
    if (request !== undefined) {
      if (request.timedOut) return;
      clearTimeout(request.timer);
      request.resolve(message);
      return;
    }
    const receiver = receivers.shift();
    if (receiver !== undefined) {
      clearTimeout(receiver.timer);
      receiver.resolve(message);
      return;
    }
    inbox.push(message);
    if (inbox.length >= maxQueued && !paused) {
      paused = true;
      ws.pause();
    }
  });
  ws.on('error', (error: Error) => {
    failure ??= fromWsError(error, host, port, 'read');
  });
  ws.on('close', (code: number, reason: Buffer) => {
    closeInfo = { code, reason: reason.toString('utf8') };
    const error = closedError();
    for (const waiter of [...requests.splice(0), ...receivers.splice(0)]) {
      clearTimeout(waiter.timer);
      if (!waiter.timedOut) waiter.reject(error);
    }
    resolveClosed(closeInfo);
  });

  // Listeners are in place before the handshake ends: a greeting may arrive in the same chunk as the 101.
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (error: WsError): void => {
      if (settled) return;
      settled = true;
      ws.terminate();
      reject(error);
    };
    ws.once('open', () => {
      settled = true;
      resolve();
    });
    ws.once('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      const code = status === 401 || status === 403 || status === 404 ? 'ERR_UNAUTHORIZED' : 'ERR_HANDSHAKE';
      fail(new WsError(code, `${options.url}: the server answered the upgrade with HTTP ${status}`, { reason: 'open', details: { status } }));
    });
    ws.once('error', (error: Error) => {
      if (settled) return;
      const timedOut = /timed out|timeout/i.test(error.message);
      fail(timedOut ? new WsError('ERR_CONNECT_TIMEOUT', `${options.url}: no handshake within ${connectTimeoutMs} ms`, { reason: 'open', cause: error }) : fromWsError(error, host, port, 'open'));
    });
  });


  const send = (message: Out): void => {
    if (closeInfo !== undefined || ws.readyState !== WebSocket.OPEN) throw closedError();
    let bytes: Uint8Array;
    try {
      bytes = codec.encode(message);
    } catch (error) {
      throw new WsError('ERR_ENCODE', `cannot encode a message for ${options.url}: ${error instanceof Error ? error.message : String(error)}`, { reason: 'write', cause: error });
    }
    ws.send(bytes, { binary: codec.frames === 'binary' });
  };

  return {
    request(message, requestOptions = {}) {
      if (requests.length >= maxPending) return Promise.reject(new WsError('ERR_TOO_MANY_PENDING', `${maxPending} requests outstanding (maxPendingRequests)`, { reason: 'write' }));
      try {
        send(message);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      return wait(requests, requestOptions.timeoutMs ?? requestTimeoutMs, 'reply');
    },
    send,
    receive(receiveOptions = {}) {
      if (inbox.length > 0) {
        const message = inbox[0] as In;
        inbox = inbox.slice(1);
        if (paused && inbox.length < maxQueued) {
          paused = false;
          ws.resume();
        }
        return Promise.resolve(message);
      }
      if (closeInfo !== undefined) return Promise.reject(closedError());
      return wait(receivers, receiveOptions.timeoutMs ?? requestTimeoutMs, 'message');
    },
    closed,
    async close() {
      if (closeInfo === undefined) {
        if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'bye');
        const timer = setTimeout(() => { ws.terminate(); }, 2000);
        await closed;
        clearTimeout(timer);
      }
    },
  };
}
