/**
 * A long-lived TCP client that reconnects with exponential backoff and jitter (the one backoff
 * formula, `backoffDelay` of `@netlab/ground`) whenever the connection fails or closes, until `close()` or `maxAttempts`
 * consecutive failures. Requests are not retried: whether one took effect before a disconnect is
 * unknown to a transport (use `@netlab/request-log` for exactly-once).
 */
import { type BackoffOptions, DEFAULT_HOST, MAX_TIMER_MS, backoffDelay, formatHostPort, systemClock } from '@netlab/ground';
import { TcpError } from './errors.js';
import { type TcpClient, connectTcp } from './tcp-client.js';
import { type ConnectTcpOptions, DEFAULT_CONNECT_TIMEOUT_MS, type RequestOptions } from './tcp-client-options.js';

/** Default consecutive failed attempts before giving up: unlimited. */
export const DEFAULT_MAX_RECONNECT_ATTEMPTS = Number.POSITIVE_INFINITY;

/** What a reconnecting client reports through `onEvent`. */
export type ReconnectEvent =
  | { readonly type: 'connected'; readonly attempt: number }
  | { readonly type: 'disconnected'; readonly error: TcpError | undefined }
  | { readonly type: 'retry'; readonly attempt: number; readonly delayMs: number; readonly error: TcpError | undefined }
  | { readonly type: 'gave-up'; readonly error: TcpError };

export interface ReconnectingTcpClientOptions<In, Out> extends ConnectTcpOptions<In, Out> {
  /** Delays between attempts. Default: the {@link backoffDelay} defaults (100 ms doubling to 10 s). */
  readonly backoff?: BackoffOptions;
  /** Consecutive failed connects before giving up (`Infinity` allowed). Default {@link DEFAULT_MAX_RECONNECT_ATTEMPTS}. */
  readonly maxAttempts?: number;
  /** Receives connect, disconnect, retry and give-up events. Default: none. */
  readonly onEvent?: (event: ReconnectEvent) => void;
}

export interface ReconnectingTcpClient<In, Out> extends AsyncIterable<In> {
  /** True while a connection is up. */
  readonly connected: boolean;
  /** The live connection, if any. */
  readonly current: TcpClient<In, Out> | undefined;
  /** Resolves with a live connection, waiting up to `timeoutMs` (default: the connect timeout). */
  connection(options?: RequestOptions): Promise<TcpClient<In, Out>>;
  /** Waits for a connection, then sends `message` and resolves with its reply. Never retried. */
  request(message: Out, options?: RequestOptions): Promise<In>;
  /** Sends on the live connection; throws `ERR_CONNECTION_CLOSED` while disconnected. */
  send(message: Out): boolean;
  /** Stops reconnecting and closes the live connection. */
  close(): Promise<void>;
}

interface ConnectionWaiter<In, Out> {
  resolve(client: TcpClient<In, Out>): void;
  reject(error: Error): void;
  timer: unknown;
}

/** Creates the client and starts connecting at once. */
export function createReconnectingTcpClient<In, Out>(options: ReconnectingTcpClientOptions<In, Out>): ReconnectingTcpClient<In, Out> {
  const clock = options.clock ?? systemClock;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_RECONNECT_ATTEMPTS;
  if (!(maxAttempts >= 1)) throw new TcpError('ERR_INVALID_OPTION', `maxAttempts must be at least 1, got ${String(maxAttempts)}`, { reason: 'open' });
  const onEvent = options.onEvent ?? ((): void => undefined);
  const where = formatHostPort(options.host ?? DEFAULT_HOST, options.port);
  let current: TcpClient<In, Out> | undefined;
  // An object, not a `let`: closures flip it, which control-flow narrowing cannot see.
  const state = { stopped: false };
  const isStopped = (): boolean => state.stopped;
  let gaveUp: TcpError | undefined;
  let wake: (() => void) | undefined;
  let sleepTimer: unknown;
  const waiters = new Set<ConnectionWaiter<In, Out>>();

  const settleWaiters = (client: TcpClient<In, Out> | undefined, error: Error | undefined): void => {
    for (const waiter of waiters) {
      clock.clearTimeout(waiter.timer);
      if (client !== undefined) waiter.resolve(client);
      else waiter.reject(error ?? new TcpError('ERR_CONNECTION_CLOSED', `client for ${where} is closed`, { reason: 'close' }));
    }
    waiters.clear();
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      wake = resolve;
      sleepTimer = clock.setTimeout(resolve, ms);
    });

  // A certificate the client refuses (or a server that does not speak TLS) will not change by
  // retrying: give up at once instead of hammering the server for `maxAttempts`.
  const permanent: ReadonlySet<string> = new Set(['ERR_TLS_CONFIG', 'ERR_TLS_UNKNOWN_CA', 'ERR_TLS_NAME_MISMATCH', 'ERR_TLS_CERT_EXPIRED', 'ERR_TLS_CERT_NOT_YET_VALID', 'ERR_TLS_FINGERPRINT_MISMATCH', 'ERR_TLS_NOT_TLS']);

  const run = async (): Promise<void> => {
    let failures = 0;
    let connects = 0;
    while (!isStopped()) {
      let lastError: TcpError | undefined;
      try {
        const client = await connectTcp(options);
        if (isStopped()) {
          await client.close();
          break;
        }
        failures = 0;
        connects += 1;
        current = client;
        onEvent({ type: 'connected', attempt: connects });
        settleWaiters(client, undefined);
        lastError = await client.done;
        current = undefined;
        onEvent({ type: 'disconnected', error: lastError });
      } catch (error) {
        lastError = error instanceof TcpError ? error : new TcpError('ERR_SOCKET', String(error), { reason: 'open', cause: error });
        failures += 1;
        if (failures >= maxAttempts || permanent.has(lastError.code)) {
          gaveUp = permanent.has(lastError.code)
            ? lastError
            : new TcpError(lastError.code, `gave up on ${where} after ${failures} attempts: ${lastError.message}`, { reason: 'open', cause: lastError });
          onEvent({ type: 'gave-up', error: gaveUp });
          settleWaiters(undefined, gaveUp);
          return;
        }
      }
      if (isStopped()) break;
      const delayMs = backoffDelay(failures, options.backoff);
      onEvent({ type: 'retry', attempt: failures + 1, delayMs, error: lastError });
      await sleep(delayMs);
    }
    settleWaiters(undefined, undefined);
  };
  void run();

  const connection = (requestOptions: RequestOptions = {}): Promise<TcpClient<In, Out>> => {
    if (current !== undefined && !current.closed) return Promise.resolve(current);
    if (gaveUp !== undefined) return Promise.reject(gaveUp);
    if (isStopped()) return Promise.reject(new TcpError('ERR_CONNECTION_CLOSED', `client for ${where} is closed`, { reason: 'close' }));
    const timeoutMs = requestOptions.timeoutMs ?? options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const waiter: ConnectionWaiter<In, Out> = { resolve, reject, timer: undefined };
      waiter.timer = clock.setTimeout(() => {
        waiters.delete(waiter);
        reject(new TcpError('ERR_CONNECT_TIMEOUT', `not connected to ${where} within ${timeoutMs} ms`, { reason: 'open', details: { timeoutMs } }));
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  return {
    get connected() {
      return current !== undefined && !current.closed;
    },
    get current() {
      return current;
    },
    connection,
    async request(message, requestOptions) {
      const client = await connection(requestOptions);
      return client.request(message, requestOptions);
    },
    send(message) {
      if (current === undefined || current.closed) {
        throw new TcpError('ERR_CONNECTION_CLOSED', `not connected to ${where}`, { reason: 'write' });
      }
      return current.send(message);
    },
    async close() {
      state.stopped = true;
      if (sleepTimer !== undefined) clock.clearTimeout(sleepTimer);
      wake?.();
      settleWaiters(undefined, undefined);
      await current?.close();
    },
    [Symbol.asyncIterator](): AsyncIterator<In> {
      return {
        next: async (): Promise<IteratorResult<In>> => {
          while (!isStopped()) {
            let client: TcpClient<In, Out>;
            try {
              client = await connection({ timeoutMs: MAX_TIMER_MS });
            } catch (error) {
              if (isStopped()) break;
              throw error;
            }
            const result = await client[Symbol.asyncIterator]()
              .next()
              .catch((): IteratorResult<In> => ({ done: true, value: undefined }));
            if (result.done !== true) return result;
          }
          return { done: true, value: undefined };
        },
        return: (): Promise<IteratorResult<In>> => Promise.resolve({ done: true, value: undefined }),
      };
    },
  };
}
