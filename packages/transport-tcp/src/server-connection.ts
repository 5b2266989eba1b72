/**
 * One accepted TCP connection driving one service session (internal to `createTcpServer`).
 *
 * Invariants:
 * - `session.receive` is called for one message at a time, in order; a returned promise is
 *   awaited before the next message. Everything sent to the peer (replies and `ctx.send`) is
 *   written in the order it was produced.
 * - Writes are coalesced: the replies to one received chunk go out in one `socket.write` when
 *   the chunk has been handled; messages sent with `ctx.send` from elsewhere (a chat room
 *   broadcasting) wait until the end of the event-loop turn (`scheduleFlush`, one `setImmediate`
 *   per server) and go out in one write per connection per turn. Waiting output is written early
 *   once it holds `coalesceBytes`; with `coalesceBytes` 0, a `ctx.send` outside a receive is
 *   written at once. Waiting output is written before a graceful close and dropped by a destroy.
 * - Inbound memory is bounded: reading pauses while a `receive` promise is pending, while
 *   `maxQueuedMessages` decoded messages wait, or while the socket's output needs a drain. A
 *   paused socket stops reading from the kernel once its readable buffer is full, so at most one
 *   chunk's worth of messages is queued beyond the limit, and the decoder holds at most its own
 *   limit of partial bytes.
 * - Outbound memory is bounded: a message that would leave more than `maxOutputBytes` queued in
 *   user space (the socket's buffer plus output waiting to be coalesced) closes the connection
 *   (`ERR_OUTPUT_LIMIT`, IRC's "SendQ exceeded") instead of buffering it.
 * - Output for a destroyed socket is dropped before it is encoded (no Node error is built for a
 *   write that cannot happen: a room losing many members at once sends to many dead sockets).
 * - Per-connection memory is kept small (a server holds thousands of idle connections): socket
 *   listeners and the session context are prototype methods, not closures; the message queue is
 *   a shared empty array until something is queued.
 * - Idle means no complete message: a peer that sends nothing, or dribbles bytes that never form a
 *   message, is closed `idleTimeoutMs` after its last complete message (or after it connected).
 *   The server keeps every connection's idle period on one timer (`idle-list.ts`).
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
import type { IdleEntry, IdleList } from './idle-list.js';

/** Traffic of one connection, reported when it closes. */
export interface TcpConnectionStats {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Socket writes that carried them: fewer than `messagesOut` when output was coalesced. */
  readonly writes: number;
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
  writes: number;
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
  readonly coalesceBytes: number;
  readonly idleTimeoutMs: number;
  /** The server's idle timeouts; undefined when `idleTimeoutMs` is 0. */
  readonly idle: IdleList | undefined;
  readonly quietFlushMs: number;
  readonly closeLingerMs: number;
  readonly clock: Clock;
  readonly stats: MutableTcpServerStats;
  /** Calls `connection.flushOutput()` at the end of the current event-loop turn. */
  scheduleFlush(connection: ServerConnection<In, Out>): void;
  onLog(peer: Peer, message: string): void;
  onError(peer: Peer, error: TcpError): void;
  onClosed(connection: ServerConnection<In, Out>, reason: CloseReason, stats: TcpConnectionStats): void;
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as Partial<PromiseLike<T>> | null)?.then === 'function';
}

const OWNER: unique symbol = Symbol('netlab.tcp.connection');
type OwnedSocket = Socket & { [OWNER]?: ServerConnection<unknown, unknown> | undefined };
const NO_MESSAGES: readonly never[] = Object.freeze([]);

// Socket listeners shared by every connection: an emitter calls them with `this` = the socket,
// which carries its connection, so no connection needs closures of its own.
function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[OWNER]?.onData(chunk);
}
function onSocketEnd(this: OwnedSocket): void {
  this[OWNER]?.onEnd();
}
function onSocketError(this: OwnedSocket, error: Error & { syscall?: string }): void {
  this[OWNER]?.onSocketError(error);
}
function onSocketDrain(this: OwnedSocket): void {
  this[OWNER]?.onDrain();
}
function onSocketClose(this: OwnedSocket): void {
  const connection = this[OWNER];
  this[OWNER] = undefined;
  connection?.onSocketClose();
}

/**
 * The `ctx` a session gets. Methods live on the prototype (one small object per connection);
 * call them on the context (`ctx.send(m)`), as the `SessionContext` method signatures imply.
 */
class ConnectionContext<Out> implements SessionContext<Out> {
  constructor(private readonly connection: ServerConnection<unknown, Out>) {}

  get peer(): Peer {
    return this.connection.peer;
  }

  get closed(): boolean {
    return this.connection.isClosed();
  }

  send(message: Out): boolean {
    return this.connection.send(message);
  }

  close(reason?: string): void {
    this.connection.requestClose(reason);
  }

  log(message: string): void {
    this.connection.log(message);
  }

  now(): number {
    return this.connection.now();
  }
}

export class ServerConnection<In, Out> implements IdleEntry {
  idlePrev: IdleEntry | undefined = undefined;
  idleNext: IdleEntry | undefined = undefined;
  /** Last complete message (or accept): the start of the idle period. */
  idleSince: number;
  private readonly decoder: Decoder<In>;
  private session: Session<In, Out> | undefined;
  private queue: readonly In[] = NO_MESSAGES;
  private head = 0;
  /**
   * Encoded output waiting to be coalesced into one write: the first message, the others, and
   * the total size. The first is kept apart so that a lone reply (request/response) costs no array.
   */
  private pendingFirst: Uint8Array | undefined;
  private pendingRest: Uint8Array[] | undefined;
  private pendingBytes = 0;
  /** True while this connection is in the server's end-of-turn flush list. */
  private flushScheduled = false;
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
  private quietTimer: unknown;
  private lingerTimer: unknown;
  private bytesIn = 0;
  private bytesOut = 0;
  private messagesIn = 0;
  private messagesOut = 0;
  private writes = 0;

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost<In, Out>,
    readonly peer: Peer,
  ) {
    this.decoder = host.createDecoder();
    this.openedAt = host.clock.now();
    this.lastByteAt = this.openedAt;
    this.idleSince = this.openedAt;
  }

  /** Wires the socket and opens the session. */
  start(): void {
    const socket = this.socket as OwnedSocket;
    socket[OWNER] = this as ServerConnection<unknown, unknown>;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('drain', onSocketDrain);
    socket.on('close', onSocketClose);
    this.host.idle?.touch(this, this.openedAt);
    this.opening = true;
    // Output of open() (a greeting) is coalesced like a reply: written once open() returns.
    this.inPump = true;
    try {
      this.session = this.host.service.open(this.peer, new ConnectionContext<Out>(this));
    } catch (error) {
      this.opening = false;
      this.inPump = false;
      this.failSession(error, 'open');
      return;
    }
    this.opening = false;
    this.inPump = false;
    this.flushOutput();
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

  /** `ctx.closed`: the session ended, is ending, or its socket is gone. */
  isClosed(): boolean {
    return this.reason !== undefined || this.closing || this.socket.destroyed;
  }

  /** `ctx.send`. */
  send(message: Out): boolean {
    if (this.reason !== undefined || this.closing || this.socket.destroyed) return false;
    this.output(message);
    return true;
  }

  /** `ctx.log`. */
  log(message: string): void {
    this.host.onLog(this.peer, message);
  }

  /** `ctx.now`. */
  now(): number {
    return this.host.clock.now();
  }

  /** `ctx.close`. */
  requestClose(message: string | undefined): void {
    if (this.reason !== undefined || this.closing) return;
    this.closing = true;
    this.closeMessage = message;
    if (!this.busy && !this.inPump && !this.opening) this.settle();
  }

  onData(chunk: Buffer): void {
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

  onEnd(): void {
    if (this.reason !== undefined) return;
    this.remoteEnded = true;
    if (this.decodeError === undefined) {
      try {
        const messages = this.decoder.end();
        if (messages.length > 0) this.enqueue(messages, this.host.clock.now());
      } catch (error) {
        if (!isCodecError(error)) throw error;
        this.decodeError = error;
      }
    }
    if (!this.busy && !this.inPump) this.pump(undefined);
  }

  onSocketError(error: Error & { syscall?: string }): void {
    const reason = error.syscall === 'write' ? 'write' : 'read';
    this.fail(fromSocketError(error, this.peer.address, this.peer.port, reason), true);
  }

  onDrain(): void {
    this.updateFlow();
  }

  private enqueue(messages: In[], now: number): void {
    this.host.idle?.touch(this, now);
    this.messagesIn += messages.length;
    this.host.stats.messagesIn += messages.length;
    if (this.head >= this.queue.length) {
      this.queue = messages;
      this.head = 0;
    } else {
      // A non-empty queue is always an array adopted from the decoder, never NO_MESSAGES.
      const queue = this.queue as In[];
      for (const message of messages) queue.push(message);
    }
  }

  /**
   * Delivers queued messages until one returns a promise, then writes everything they produced
   * in one write. `initial` are the replies of a receive that just resolved.
   */
  private pump(initial: readonly Out[] | undefined): void {
    this.inPump = true;
    if (initial !== undefined) for (const reply of initial) this.output(reply);
    const session = this.session;
    while (session !== undefined && !this.busy && !this.closing && this.reason === undefined && this.head < this.queue.length) {
      const message = this.queue[this.head] as In;
      this.head += 1;
      let result: readonly Out[] | PromiseLike<readonly Out[]>;
      try {
        result = session.receive(message);
      } catch (error) {
        this.inPump = false;
        this.flushOutput();
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
      this.queue = NO_MESSAGES;
      this.head = 0;
    }
    this.inPump = false;
    this.flushOutput();
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
      for (const reply of replies) this.output(reply);
      // fail() closes gracefully, which writes the waiting output (these replies included) first.
      this.fail(error, false);
      return;
    }
    if (this.remoteEnded) this.finish({ kind: 'remote' }, true);
    else if (this.draining) this.finish({ kind: 'shutdown' }, true);
  }

  /** Encodes `message`, checks the output cap, and queues it for the next write. */
  private output(message: Out): void {
    if (this.reason !== undefined) return;
    const socket = this.socket;
    if (socket.destroyed) return;
    let bytes: Uint8Array;
    try {
      bytes = this.host.encode(message);
    } catch (error) {
      this.fail(new TcpError('ERR_ENCODE', `cannot encode a message for ${this.peer.id}: ${String(error)}`, { reason: 'write', cause: error }), false);
      return;
    }
    const queued = socket.writableLength + this.pendingBytes;
    const maxOutputBytes = this.host.maxOutputBytes;
    if (queued + bytes.length > maxOutputBytes) {
      const error = new TcpError(
        'ERR_OUTPUT_LIMIT',
        `SendQ exceeded: ${this.peer.id} does not read its replies (${queued} bytes queued, ${bytes.length} more would pass the limit of ${maxOutputBytes})`,
        { reason: 'write', details: { queuedBytes: queued, writeBytes: bytes.length, maxOutputBytes } },
      );
      this.dropOutput();
      this.fail(error, true);
      return;
    }
    this.messagesOut += 1;
    this.host.stats.messagesOut += 1;
    const coalesceBytes = this.host.coalesceBytes;
    if (!this.inPump && coalesceBytes === 0) {
      this.write(bytes);
      return;
    }
    if (this.pendingFirst === undefined) this.pendingFirst = bytes;
    else if (this.pendingRest === undefined) this.pendingRest = [bytes];
    else this.pendingRest.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= coalesceBytes && coalesceBytes > 0) {
      this.flushOutput();
    } else if (!this.inPump && !this.flushScheduled) {
      this.flushScheduled = true;
      this.host.scheduleFlush(this);
    }
  }

  /** Writes the waiting output, if any, in one write (the server calls it at the end of a turn). */
  flushOutput(): void {
    this.flushScheduled = false;
    const first = this.pendingFirst;
    if (first === undefined) return;
    const rest = this.pendingRest;
    const bytes = this.pendingBytes;
    this.dropOutput();
    if (this.socket.destroyed || !this.socket.writable) return;
    if (rest === undefined) {
      this.write(first);
      return;
    }
    rest.unshift(first);
    this.write(Buffer.concat(rest, bytes));
  }

  private dropOutput(): void {
    this.pendingFirst = undefined;
    this.pendingRest = undefined;
    this.pendingBytes = 0;
  }

  private write(bytes: Uint8Array): void {
    this.bytesOut += bytes.length;
    this.writes += 1;
    const stats = this.host.stats;
    stats.bytesOut += bytes.length;
    stats.writes += 1;
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

  /** The idle list's verdict: no complete message for `idleTimeoutMs`. */
  onIdle(now: number): void {
    if (this.reason !== undefined) return;
    if (this.busy) {
      // Time spent inside a pending receive is ours, not the peer's silence.
      this.host.idle?.touch(this, now);
      return;
    }
    const limit = this.host.idleTimeoutMs;
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
      this.flushOutput();
      this.socket.end();
      // A peer that never closes its side (or never reads) must not hold the socket forever.
      this.lingerTimer = this.host.clock.setTimeout(() => {
        this.socket.destroy();
      }, this.host.closeLingerMs);
    } else {
      this.dropOutput();
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
    this.host.idle?.remove(this);
    if (this.quietTimer !== undefined) clock.clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
  }

  onSocketClose(): void {
    if (this.lingerTimer !== undefined) this.host.clock.clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.reason === undefined) this.finish({ kind: 'remote' }, false);
    const reason = this.reason ?? { kind: 'remote' };
    this.host.onClosed(this, reason, {
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      writes: this.writes,
      durationMs: this.host.clock.now() - this.openedAt,
    });
  }
}
