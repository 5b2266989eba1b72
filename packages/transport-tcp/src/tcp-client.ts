/**
 * A TCP client for any stream codec.
 *
 * Reply correlation (`request`): FIFO. The next message received answers the oldest pending
 * request. That is the rule of every one-reply-per-request protocol over one ordered stream
 * (HTTP/1.1 pipelining, Redis, SMTP). A request that times out keeps its place in the line: the
 * late reply, when it comes, is consumed and dropped (counted in `stats().lateReplies`) so the
 * replies after it still match their requests. Messages that arrive while no request is pending
 * are pushed messages: they go to the async iterator (`for await (const m of client)`).
 *
 * Limits: at most `maxPendingRequests` requests outstanding; at most `maxQueuedMessages` pushed
 * messages waiting for the iterator, after which reading pauses (the server then sees
 * backpressure) until the consumer catches up; `send` refuses to queue more than
 * `maxOutputBytes` in user space.
 */
import type { Socket } from 'node:net';
import { type CodecError, type Decoder, type StreamCodec, isCodecError } from '@netlab/codec';
import { DEFAULT_HOST, type WireFlow, formatHostPort, processWireTap, wireEndpoint } from '@netlab/ground';
import { ReplyLine } from './reply-line.js';
import { TcpError, fromSocketError } from './errors.js';
import { type TcpAddress, addressOf } from './tcp-address.js';
import { openClientSocket } from './tcp-client-connect.js';
import { type ConnectTcpOptions, DEFAULT_CLIENT_CLOSE_TIMEOUT_MS, type RequestOptions, type TcpClientSettings, type TcpClientStats, resolveClientSettings } from './tcp-client-options.js';
import { normalizeFingerprint } from './tls.js';

export interface TcpClient<In, Out> extends AsyncIterable<In> {
  readonly localAddress: TcpAddress;
  readonly remoteAddress: TcpAddress;
  /** True once the connection is closed (or closing). */
  readonly closed: boolean;
  /** Resolves when the socket is closed: with the error that closed it, or undefined. */
  readonly done: Promise<TcpError | undefined>;
  /**
   * Sends one message. Returns false when the socket buffer is full (await `drained()` before
   * sending much more). Throws `ERR_CONNECTION_CLOSED`, `ERR_OUTPUT_LIMIT` or `ERR_ENCODE`.
   */
  send(message: Out): boolean;
  /** Resolves when the socket's output buffer has drained. */
  drained(): Promise<void>;
  /** Sends `message` and resolves with the reply (FIFO rule, see the module comment). */
  request(message: Out, options?: RequestOptions): Promise<In>;
  /** The next pushed message (one not claimed by a request), or `ERR_REQUEST_TIMEOUT`. */
  receive(options?: RequestOptions): Promise<In>;
  /** Half-closes: no more sends, but replies still arrive until the server closes. */
  end(): void;
  /** Ends the connection gracefully and resolves when it is closed (destroyed after `timeoutMs`, default {@link DEFAULT_CLIENT_CLOSE_TIMEOUT_MS}). */
  close(options?: RequestOptions): Promise<void>;
  /** Closes at once; pending requests fail with `error` (default `ERR_CONNECTION_CLOSED`). */
  destroy(error?: TcpError): void;
  stats(): TcpClientStats;
}

class Client<In, Out> implements TcpClient<In, Out> {
  readonly localAddress: TcpAddress;
  readonly remoteAddress: TcpAddress;
  readonly done: Promise<TcpError | undefined>;
  private readonly decoder: Decoder<In>;
  private readonly line: ReplyLine<In>;
  private error: TcpError | undefined;
  private isClosed = false;
  private ended = false;
  private paused = false;
  private resolveDone: (error: TcpError | undefined) => void = () => undefined;
  private counters = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0, lateReplies: 0 };

  constructor(
    private readonly socket: Socket,
    private readonly codec: StreamCodec<In, Out>,
    private readonly options: TcpClientSettings<In, Out>,
    private readonly where: string,
    private readonly flow: WireFlow | undefined,
  ) {
    this.decoder = codec.createDecoder();
    this.line = new ReplyLine(options.clock, where);
    this.localAddress = addressOf(socket.localAddress, socket.localPort, socket.localFamily);
    this.remoteAddress = addressOf(socket.remoteAddress, socket.remotePort, socket.remoteFamily);
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    socket.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    socket.on('end', () => {
      this.onEnd();
    });
    socket.on('error', (error: Error & { syscall?: string; code?: string }) => {
      if (error.code === 'ECONNRESET') this.flow?.reset('in');
      this.fail(fromSocketError(error, this.remoteAddress.host, this.remoteAddress.port, error.syscall === 'write' ? 'write' : 'read'));
    });
    socket.on('close', () => {
      this.onClose();
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  stats(): TcpClientStats {
    return { ...this.counters };
  }

  send(message: Out): boolean {
    if (this.isClosed || this.ended) {
      throw this.error ?? new TcpError('ERR_CONNECTION_CLOSED', `connection to ${this.where} is closed`, { reason: 'write' });
    }
    let bytes: Uint8Array;
    try {
      bytes = this.codec.encode(message);
    } catch (error) {
      throw new TcpError('ERR_ENCODE', `cannot encode a message for ${this.where}: ${String(error)}`, { reason: 'write', cause: error });
    }
    const queued = this.socket.writableLength;
    if (queued + bytes.length > this.options.maxOutputBytes) {
      throw new TcpError('ERR_OUTPUT_LIMIT', `${queued} bytes already queued for ${this.where}; ${bytes.length} more would pass maxOutputBytes`, {
        reason: 'write',
        details: { queuedBytes: queued, maxOutputBytes: this.options.maxOutputBytes },
      });
    }
    this.counters.bytesOut += bytes.length;
    this.counters.messagesOut += 1;
    this.flow?.data('out', bytes, [message]);
    return this.socket.write(bytes);
  }

  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  request(message: Out, options: RequestOptions = {}): Promise<In> {
    if (this.line.pendingRequests >= this.options.maxPendingRequests) {
      return Promise.reject(
        new TcpError('ERR_TOO_MANY_PENDING', `${this.line.pendingRequests} requests already pending on ${this.where}`, {
          reason: 'write',
          details: { maxPendingRequests: this.options.maxPendingRequests },
        }),
      );
    }
    try {
      this.send(message);
      return this.line.reply(options.timeoutMs ?? this.options.requestTimeoutMs);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  receive(options: RequestOptions = {}): Promise<In> {
    const queued = this.shift();
    if (queued !== undefined) return Promise.resolve(queued.message);
    if (this.isClosed) return Promise.reject(this.closedError());
    try {
      return this.line.receive(options.timeoutMs ?? this.options.requestTimeoutMs);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  end(): void {
    if (this.ended || this.isClosed) return;
    this.ended = true;
    this.socket.end();
    this.flow?.end('out');
  }

  async close(options: RequestOptions = {}): Promise<void> {
    if (!this.isClosed) {
      this.end();
      const timer = this.options.clock.setTimeout(() => {
        this.destroy();
      }, options.timeoutMs ?? DEFAULT_CLIENT_CLOSE_TIMEOUT_MS);
      await this.done;
      this.options.clock.clearTimeout(timer);
    }
    await this.done;
  }

  destroy(error?: TcpError): void {
    if (error !== undefined) this.fail(error);
    else this.socket.destroy();
  }

  [Symbol.asyncIterator](): AsyncIterator<In> {
    return {
      next: async (): Promise<IteratorResult<In>> => {
        const queued = this.shift();
        if (queued !== undefined) return { done: false, value: queued.message };
        if (this.isClosed) {
          if (this.error !== undefined) throw this.error;
          return { done: true, value: undefined };
        }
        try {
          const value = await this.line.receive(0);
          return { done: false, value };
        } catch (error) {
          if (error === this.error) throw error;
          return { done: true, value: undefined };
        }
      },
      return: (): Promise<IteratorResult<In>> => Promise.resolve({ done: true, value: undefined }),
    };
  }

  /** The oldest pushed message; reading resumes once the inbox is below `maxQueuedMessages` again. */
  private shift(): { readonly message: In } | undefined {
    const queued = this.line.shift();
    if (this.paused && this.line.queued < this.options.maxQueuedMessages) {
      this.paused = false;
      this.socket.resume();
    }
    return queued;
  }

  private deliver(message: In): void {
    this.counters.messagesIn += 1;
    const delivery = this.line.deliver(message);
    if (delivery === 'late') this.counters.lateReplies += 1;
    else if (delivery === 'inbox' && !this.paused && this.line.queued >= this.options.maxQueuedMessages) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private readonly onMessage = (message: In): void => {
    this.deliver(message);
  };

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    this.counters.bytesIn += chunk.length;
    const flow = this.flow;
    try {
      if (flow === undefined) this.decoder.pushEach(chunk, this.onMessage);
      else this.tracedPush(flow, chunk);
    } catch (error) {
      if (!isCodecError(error)) throw error;
      this.fail(this.malformed(error));
    }
  }

  /** Decodes `chunk` and records it with the messages it completes (traced clients only). */
  private tracedPush(flow: WireFlow, chunk: Buffer): void {
    const messages: In[] = [];
    try {
      this.decoder.pushEach(chunk, (message) => {
        messages.push(message);
        this.deliver(message);
      });
    } finally {
      flow.data('in', chunk, messages);
    }
  }

  private onEnd(): void {
    this.flow?.end('in');
    try {
      for (const message of this.decoder.end()) this.deliver(message);
    } catch (error) {
      if (!isCodecError(error)) throw error;
      this.fail(this.malformed(error));
      return;
    }
    // The server finished: answer with our own FIN so the socket closes.
    if (!this.ended) {
      this.ended = true;
      this.socket.end();
      this.flow?.end('out');
    }
  }

  private malformed(error: CodecError): TcpError {
    return new TcpError('ERR_MALFORMED_INPUT', `malformed reply from ${this.where}: ${error.message}`, { reason: 'read', cause: error });
  }

  private fail(error: TcpError): void {
    if (this.error === undefined && !this.isClosed) this.error = error;
    this.socket.destroy();
  }

  private closedError(): TcpError {
    return this.error ?? new TcpError('ERR_CONNECTION_CLOSED', `connection to ${this.where} closed`, { reason: 'close' });
  }

  private onClose(): void {
    this.isClosed = true;
    this.flow?.close();
    this.line.rejectAll(this.closedError());
    this.resolveDone(this.error);
  }
}

/**
 * Connects to a TCP server. Rejects with `ERR_CONNECTION_REFUSED` ("no server at
 * 127.0.0.1:5000"), `ERR_CONNECT_TIMEOUT`, `ERR_HOST_UNREACHABLE` or `ERR_HOST_NOT_FOUND`.
 */
export function connectTcp<In, Out>(options: ConnectTcpOptions<In, Out>): Promise<TcpClient<In, Out>> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port;
  let settings: ReturnType<typeof resolveClientSettings<In, Out>>;
  try {
    settings = resolveClientSettings(options);
    if (options.tls?.fingerprint256 !== undefined) normalizeFingerprint(options.tls.fingerprint256);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  const where = formatHostPort(host, port);
  const target = { host, port, where, noDelay: options.noDelay ?? true, tls: options.tls, connectTimeoutMs: settings.connectTimeoutMs, clock: settings.clock };
  return openClientSocket(target, (socket) => {
    const tap = options.tap ?? processWireTap();
    const flow = tap?.flow({
      transport: 'tcp',
      local: wireEndpoint(socket.localAddress, socket.localPort),
      remote: wireEndpoint(socket.remoteAddress, socket.remotePort),
      initiator: 'local',
    });
    flow?.open();
    return new Client(socket, options.codec, settings, where, flow);
  });
}
