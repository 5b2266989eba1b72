/**
 * One accepted TCP connection driving one service session (internal to `createTcpServer`).
 *
 * Invariants:
 * - `session.receive` is called for one message at a time, in order; a returned promise is
 *   awaited before the next message. Replies are written in order, and every reply produced while
 *   handling one received chunk is written with a single `socket.write` (batched per chunk).
 * - Inbound memory is bounded: reading pauses while a `receive` promise is pending, while
 *   `maxQueuedMessages` decoded messages wait, or while the socket's output needs a drain. A
 *   paused socket stops reading from the kernel once its readable buffer is full, so at most one
 *   chunk's worth of messages is queued beyond the limit, and the decoder holds at most its own
 *   limit of partial bytes.
 * - Outbound memory is bounded: a write that would leave more than `maxOutputBytes` queued in
 *   user space closes the connection (`ERR_OUTPUT_LIMIT`, IRC's "SendQ exceeded") instead of
 *   buffering it.
 * - Idle means no complete message: a peer that sends nothing, or dribbles bytes that never form a
 *   message, is closed `idleTimeoutMs` after its last complete message (or after it connected).
 *   Time spent inside a pending `receive` does not count.
 * - Quiet flush: with a flushable codec, a partial message is delivered once no byte has arrived
 *   for `quietFlushMs` while we were reading (a pause on our side is not the peer's silence).
 * - The session ends exactly once, and at most one error per connection is reported.
 */
import type { Socket } from 'node:net';
import { type CodecError, type Decoder, isCodecError, isFlushable, pushChunk } from '@netlab/codec';
import type { CloseReason, Peer, Service, Session, SessionContext } from '@netlab/service';
import type { Clock } from './clock.js';
import { TcpError, fromSocketError } from './errors.js';

/** Traffic of one connection, reported when it closes. */
export interface TcpConnectionStats {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Milliseconds from accept to close, by the injected clock. */
  readonly durationMs: number;
}

/** Server-wide counters, shared by every connection (mutable only inside the package). */
export interface MutableTcpServerStats {
  connectionsAccepted: number;
  connectionsActive: number;
  connectionsRejected: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  errors: number;
  malformed: number;
}

/** What a connection needs from its server. */
export interface ConnectionHost<In, Out> {
  readonly service: Service<In, Out>;
  readonly encode: (message: Out) => Uint8Array;
  readonly createDecoder: () => Decoder<In>;
  readonly flushable: boolean;
  readonly maxOutputBytes: number;
  readonly maxQueuedMessages: number;
  readonly idleTimeoutMs: number;
  readonly quietFlushMs: number;
  readonly closeLingerMs: number;
  readonly clock: Clock;
  readonly stats: MutableTcpServerStats;
  onLog(peer: Peer, message: string): void;
  onError(peer: Peer, error: TcpError): void;
  onClosed(connection: ServerConnection<In, Out>, reason: CloseReason, stats: TcpConnectionStats): void;
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as Partial<PromiseLike<T>> | null)?.then === 'function';
}

export class ServerConnection<In, Out> {
  readonly peer: Peer;
  private readonly decoder: Decoder<In>;
  private readonly ctx: SessionContext<Out>;
  private session: Session<In, Out> | undefined;
  private queue: In[] = [];
  private head = 0;
  private batch: Uint8Array[] | undefined;
  private batchBytes = 0;
  private busy = false;
  private inPump = false;
  private opening = false;
  private paused = false;
  private remoteEnded = false;
  private draining = false;
  private closing = false;
  private closeMessage: string | undefined;
  private decodeError: CodecError | undefined;
  private reason: CloseReason | undefined;
  private errorReported = false;
  private readonly openedAt: number;
  private lastByteAt: number;
  private lastMessageAt: number;
  private idleTimer: unknown;
  private quietTimer: unknown;
  private lingerTimer: unknown;
  private bytesIn = 0;
  private bytesOut = 0;
  private messagesIn = 0;
  private messagesOut = 0;

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost<In, Out>,
    peer: Peer,
  ) {
    this.peer = peer;
    this.decoder = host.createDecoder();
    this.openedAt = host.clock.now();
    this.lastByteAt = this.openedAt;
    this.lastMessageAt = this.openedAt;
    // Arrow functions capture `this` so the context can be handed to service code as a plain object.
    const getReason = (): CloseReason | undefined => this.reason;
    const isClosing = (): boolean => this.closing;
    this.ctx = {
      peer,
      get closed() {
        return getReason() !== undefined || isClosing();
      },
      send: (message) => {
        if (this.reason !== undefined || this.closing) return false;
        this.output(message);
        return true;
      },
      close: (message) => {
        this.requestClose(message);
      },
      log: (message) => {
        host.onLog(peer, message);
      },
      now: () => host.clock.now(),
    };
  }

  /** Wires the socket and opens the session. */
  start(): void {
    const socket = this.socket;
    socket.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    socket.on('end', () => {
      this.onEnd();
    });
    socket.on('error', (error: Error & { syscall?: string }) => {
      const reason = error.syscall === 'write' ? 'write' : 'read';
      this.fail(fromSocketError(error, this.peer.address, this.peer.port, reason), true);
    });
    socket.on('drain', () => {
      this.updateFlow();
    });
    socket.on('close', () => {
      this.onSocketClose();
    });
    if (this.host.idleTimeoutMs > 0) this.armIdle(this.host.idleTimeoutMs);
    this.opening = true;
    try {
      this.session = this.host.service.open(this.peer, this.ctx);
    } catch (error) {
      this.opening = false;
      this.failSession(error, 'open');
      return;
    }
    this.opening = false;
    if (this.reason !== undefined) {
      // The session was ended (a failed greeting write, ctx.close) while it was being opened.
      this.closeSession(this.reason);
    } else if (this.closing) {
      this.settle();
    }
  }

  /** Server shutdown: finish the messages already received, then close. */
  drain(): void {
    this.draining = true;
    if (this.reason === undefined && !this.busy && !this.inPump) this.pump(undefined);
  }

  /** Server shutdown deadline: close now, whatever is in progress. */
  forceClose(): void {
    this.finish({ kind: 'shutdown', message: 'shutdown grace period elapsed' }, false);
  }

  private onData(chunk: Buffer): void {
    if (this.reason !== undefined || this.decodeError !== undefined) return;
    const now = this.host.clock.now();
    this.bytesIn += chunk.length;
    this.host.stats.bytesIn += chunk.length;
    this.lastByteAt = now;
    const { messages, error } = pushChunk(this.decoder, chunk);
    if (messages.length > 0) this.enqueue(messages, now);
    if (error !== undefined) this.decodeError = error;
    else if (this.host.quietFlushMs > 0 && this.host.flushable && this.decoder.bufferedBytes > 0) this.armQuiet(this.host.quietFlushMs);
    this.pump(undefined);
  }

  private onEnd(): void {
    if (this.reason !== undefined) return;
    this.remoteEnded = true;
    if (this.decodeError === undefined) {
      try {
        const messages = this.decoder.end();
        if (messages.length > 0) this.enqueue(messages, this.host.clock.now());
      } catch (error) {
        if (!isCodecError(error)) throw error;
        if (error.decoded.length > 0) this.enqueue(error.decoded as In[], this.host.clock.now());
        this.decodeError = error;
      }
    }
    if (!this.busy && !this.inPump) this.pump(undefined);
  }

  private enqueue(messages: In[], now: number): void {
    this.lastMessageAt = now;
    this.messagesIn += messages.length;
    this.host.stats.messagesIn += messages.length;
    if (this.head >= this.queue.length) {
      this.queue = messages;
      this.head = 0;
    } else {
      for (const message of messages) this.queue.push(message);
    }
  }

  /**
   * Delivers queued messages until one returns a promise, batching every reply into one write.
   * `initial` are the replies of a receive that just resolved.
   */
  private pump(initial: readonly Out[] | undefined): void {
    this.inPump = true;
    this.batch = [];
    this.batchBytes = 0;
    if (initial !== undefined) for (const reply of initial) this.output(reply);
    const session = this.session;
    while (session !== undefined && !this.busy && !this.closing && this.reason === undefined && this.head < this.queue.length) {
      const message = this.queue[this.head] as In;
      this.head += 1;
      let result: readonly Out[] | PromiseLike<readonly Out[]>;
      try {
        result = session.receive(message);
      } catch (error) {
        this.flushBatch();
        this.inPump = false;
        this.failSession(error, 'read');
        return;
      }
      if (isPromiseLike(result)) {
        this.busy = true;
        result.then(
          (replies) => {
            this.busy = false;
            if (this.reason === undefined) this.pump(replies);
          },
          (error: unknown) => {
            this.busy = false;
            this.failSession(error, 'read');
          },
        );
        break;
      }
      for (const reply of result) this.output(reply);
    }
    if (this.head >= this.queue.length && this.head > 0) {
      this.queue = [];
      this.head = 0;
    }
    this.flushBatch();
    this.inPump = false;
    if (this.reason !== undefined) return;
    if (!this.busy) this.settle();
    this.updateFlow();
  }

  /** Decides, with no receive in progress, whether the connection should end now. */
  private settle(): void {
    if (this.reason !== undefined || this.session === undefined) return;
    if (this.closing) {
      const message = this.closeMessage;
      this.finish(message === undefined ? { kind: 'local' } : { kind: 'local', message }, true);
      return;
    }
    if (this.head < this.queue.length) return;
    const decodeError = this.decodeError;
    if (decodeError !== undefined) {
      this.host.stats.malformed += 1;
      const error = new TcpError('ERR_MALFORMED_INPUT', `malformed input from ${this.peer.id}: ${decodeError.message}`, {
        reason: 'read',
        cause: decodeError,
        details: { codecCode: decodeError.code },
      });
      let replies: readonly Out[] = [];
      try {
        replies = this.host.service.malformed?.(decodeError, this.peer) ?? [];
      } catch (thrown) {
        this.failSession(thrown, 'read');
        return;
      }
      this.batch = [];
      this.batchBytes = 0;
      for (const reply of replies) this.output(reply);
      this.flushBatch();
      this.fail(error, false);
      return;
    }
    if (this.remoteEnded) this.finish({ kind: 'remote' }, true);
    else if (this.draining) this.finish({ kind: 'shutdown' }, true);
  }

  private requestClose(message: string | undefined): void {
    if (this.reason !== undefined || this.closing) return;
    this.closing = true;
    this.closeMessage = message;
    if (!this.busy && !this.inPump && !this.opening) this.settle();
  }

  private output(message: Out): void {
    if (this.reason !== undefined) return;
    let bytes: Uint8Array;
    try {
      bytes = this.host.encode(message);
    } catch (error) {
      this.fail(new TcpError('ERR_ENCODE', `cannot encode a message for ${this.peer.id}: ${String(error)}`, { reason: 'write', cause: error }), false);
      return;
    }
    this.messagesOut += 1;
    this.host.stats.messagesOut += 1;
    if (this.batch !== undefined) {
      this.batch.push(bytes);
      this.batchBytes += bytes.length;
    } else {
      this.write(bytes);
    }
  }

  private flushBatch(): void {
    const batch = this.batch;
    this.batch = undefined;
    if (batch === undefined || this.reason !== undefined) return;
    const [first] = batch;
    if (first === undefined) return;
    this.write(batch.length === 1 ? first : Buffer.concat(batch, this.batchBytes));
  }

  private write(bytes: Uint8Array): void {
    const queued = this.socket.writableLength;
    if (queued + bytes.length > this.host.maxOutputBytes) {
      const error = new TcpError(
        'ERR_OUTPUT_LIMIT',
        `SendQ exceeded: ${this.peer.id} does not read its replies (${queued} bytes queued, ${bytes.length} more would pass the limit of ${this.host.maxOutputBytes})`,
        { reason: 'write', details: { queuedBytes: queued, writeBytes: bytes.length, maxOutputBytes: this.host.maxOutputBytes } },
      );
      this.fail(error, true);
      return;
    }
    this.bytesOut += bytes.length;
    this.host.stats.bytesOut += bytes.length;
    this.socket.write(bytes);
    if (this.socket.writableNeedDrain && !this.paused) this.updateFlow();
  }

  private updateFlow(): void {
    if (this.reason !== undefined) return;
    const pause =
      this.busy ||
      this.closing ||
      this.decodeError !== undefined ||
      this.queue.length - this.head >= this.host.maxQueuedMessages ||
      this.socket.writableNeedDrain;
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) {
      this.socket.pause();
    } else {
      this.socket.resume();
      // Silence while we were not reading is ours, not the peer's: quiet flush counts from now.
      this.lastByteAt = this.host.clock.now();
      if (this.host.quietFlushMs > 0 && this.host.flushable && this.decoder.bufferedBytes > 0) this.armQuiet(this.host.quietFlushMs);
    }
  }

  private armIdle(delay: number): void {
    this.idleTimer = this.host.clock.setTimeout(() => {
      this.onIdleTimer();
    }, delay);
  }

  private onIdleTimer(): void {
    this.idleTimer = undefined;
    if (this.reason !== undefined) return;
    const limit = this.host.idleTimeoutMs;
    if (this.busy) {
      this.armIdle(limit);
      return;
    }
    const quietFor = this.host.clock.now() - this.lastMessageAt;
    if (quietFor < limit) {
      this.armIdle(limit - quietFor);
      return;
    }
    const error = new TcpError('ERR_IDLE_TIMEOUT', `closed ${this.peer.id}: no complete message for ${limit} ms`, {
      reason: 'read',
      details: { idleTimeoutMs: limit, bufferedBytes: this.decoder.bufferedBytes },
    });
    this.finish({ kind: 'idle', message: error.message, error }, true);
  }

  private armQuiet(delay: number): void {
    if (this.quietTimer !== undefined) return;
    this.quietTimer = this.host.clock.setTimeout(() => {
      this.onQuietTimer();
    }, delay);
  }

  private onQuietTimer(): void {
    this.quietTimer = undefined;
    if (this.reason !== undefined || this.decodeError !== undefined || this.remoteEnded || this.paused) return;
    const silentFor = this.host.clock.now() - this.lastByteAt;
    if (silentFor < this.host.quietFlushMs) {
      this.armQuiet(this.host.quietFlushMs - silentFor);
      return;
    }
    const decoder = this.decoder;
    if (decoder.bufferedBytes === 0 || !isFlushable(decoder)) return;
    try {
      const messages = decoder.flush();
      if (messages.length > 0) this.enqueue(messages, this.host.clock.now());
    } catch (error) {
      if (!isCodecError(error)) throw error;
      this.decodeError = error;
    }
    if (!this.busy && !this.inPump) this.pump(undefined);
  }

  private failSession(error: unknown, reason: 'open' | 'read'): void {
    const message = error instanceof Error ? error.message : String(error);
    this.fail(
      new TcpError('ERR_SESSION_FAILED', `service ${this.host.service.name} failed on ${this.peer.id}: ${message}`, { reason, cause: error }),
      true,
    );
  }

  /** Reports `error` (once per connection) and ends the connection. */
  private fail(error: TcpError, destroy: boolean): void {
    if (!this.errorReported && this.reason === undefined) {
      this.errorReported = true;
      this.host.stats.errors += 1;
      this.host.onError(this.peer, error);
    }
    this.finish({ kind: 'error', message: error.message, error }, !destroy);
  }

  /** Ends the session (exactly once) and the socket: gracefully (`end`) or at once (`destroy`). */
  private finish(reason: CloseReason, graceful: boolean): void {
    if (this.reason !== undefined) {
      if (!graceful) this.socket.destroy();
      return;
    }
    this.reason = reason;
    this.clearTimers();
    if (!this.opening) this.closeSession(reason);
    if (graceful && !this.socket.destroyed) {
      this.socket.end();
      // A peer that never closes its side (or never reads) must not hold the socket forever.
      this.lingerTimer = this.host.clock.setTimeout(() => {
        this.socket.destroy();
      }, this.host.closeLingerMs);
    } else {
      this.socket.destroy();
    }
  }

  private closeSession(reason: CloseReason): void {
    const session = this.session;
    this.session = undefined;
    if (session?.close === undefined) return;
    try {
      session.close(reason);
    } catch (error) {
      if (!this.errorReported) {
        this.errorReported = true;
        this.host.stats.errors += 1;
        this.host.onError(
          this.peer,
          new TcpError('ERR_SESSION_FAILED', `session close threw on ${this.peer.id}: ${String(error)}`, { reason: 'close', cause: error }),
        );
      }
    }
  }

  private clearTimers(): void {
    const clock = this.host.clock;
    if (this.idleTimer !== undefined) clock.clearTimeout(this.idleTimer);
    if (this.quietTimer !== undefined) clock.clearTimeout(this.quietTimer);
    this.idleTimer = undefined;
    this.quietTimer = undefined;
  }

  private onSocketClose(): void {
    if (this.lingerTimer !== undefined) this.host.clock.clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.reason === undefined) this.finish({ kind: 'remote' }, false);
    const reason = this.reason ?? { kind: 'remote' };
    this.host.onClosed(this, reason, {
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      durationMs: this.host.clock.now() - this.openedAt,
    });
  }
}
