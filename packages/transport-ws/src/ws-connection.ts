/**
 * One WebSocket connection of a server: the glue between a ws `WebSocket` and the session driver
 * of `@netlab/service` (internal to `createWsServer`). The contract's rules live in the driver;
 * this file only maps socket events to driver inputs and driver outputs to socket calls, the
 * same duties as transport-tcp's `server-connection.ts`:
 *
 * - Message in: one WebSocket message is one protocol message (`WsCodec.decode`); a message the
 *   codec rejects is `malformedInput` (answered by the service, then a graceful close, 1008).
 * - Bytes out: each message is sent as one frame at once (ws writes header and payload in one
 *   corked write). What is sent but not yet handed to the kernel is counted here (`queuedBytes`,
 *   decreased by ws's write callback), which is the user-space queue of this peer.
 * - SendQ cap: a message that would leave more than `maxOutputBytes` queued is not sent, nor is
 *   anything after it; `overflowReply` goes last and the connection ends gracefully
 *   (`ERR_OUTPUT_LIMIT`), exactly as over TCP.
 * - Flow control: reading pauses (`ws.pause()`, which stops reading the socket) while the driver
 *   wants no input or more than `highWaterBytes` are queued for the peer; it resumes when both
 *   clear (the write callbacks drain the queue).
 * - Deadlines: a first-message deadline and an idle timeout (no complete message), on one timer
 *   per connection that re-arms lazily (a message moves `idleSince`, not the timer). Time spent
 *   inside a pending receive does not count.
 * - Ending: graceful = close frame after everything sent (ws queues it behind the data), then
 *   destroy if the peer has not answered within `closeLingerMs`; destroy = `terminate()`.
 */
import type { Clock } from '@netlab/ground';
import { type CloseMode, type CloseReason, type Peer, SessionDriver, type SessionDriverOptions, type SessionFailure, type SessionHost } from '@netlab/service';
import { isCodecError } from '@netlab/codec';
import type { RawData, WebSocket } from 'ws';
import { closeCodeOf, closeTextOf } from './close-codes.js';
import { WsError, deadlineError, fromWsError, sessionFailureError } from './errors.js';
import type { WsCodec } from './ws-codec.js';
import type { MutableWsServerStats } from './ws-server-stats.js';

/** Traffic of one connection, reported when it closes. */
export interface WsConnectionStats {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Milliseconds from the upgrade to close, by the injected clock. */
  readonly durationMs: number;
}

/** What every connection of one server shares. */
export interface WsConnectionServer<In, Out> {
  readonly driver: SessionDriverOptions<In, Out>;
  readonly codec: WsCodec<In, Out>;
  readonly maxOutputBytes: number;
  readonly highWaterBytes: number;
  readonly overflowReply: Uint8Array | undefined;
  readonly firstMessageTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly closeLingerMs: number;
  readonly clock: Clock;
  readonly stats: MutableWsServerStats;
  onLog(peer: Peer, message: string): void;
  onError(peer: Peer, error: WsError): void;
  onClosed(connection: WsConnection<In, Out>, reason: CloseReason, stats: WsConnectionStats): void;
}

function toBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export class WsConnection<In, Out> implements SessionHost<Out> {
  readonly driver: SessionDriver<In, Out>;
  private readonly openedAt: number;
  private idleSince: number;
  private awaitingFirst = true;
  private deadlineTimer: unknown;
  private lingerTimer: unknown;
  private paused = false;
  private overflowed = false;
  private queuedBytes = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private messagesIn = 0;
  private messagesOut = 0;
  private socketClosed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly server: WsConnectionServer<In, Out>,
    peer: Peer,
  ) {
    this.openedAt = server.clock.now();
    this.idleSince = this.openedAt;
    this.driver = new SessionDriver(server.driver, peer, this);
  }

  get peer(): Peer {
    return this.driver.peer;
  }

  /** Wires the socket, arms the first deadline and opens the session. */
  start(): void {
    const ws = this.ws;
    ws.on('message', (data: RawData) => {
      this.onMessage(data);
    });
    ws.on('error', (error: Error) => {
      this.onSocketError(error);
    });
    ws.on('close', () => {
      this.onSocketClose();
    });
    this.armDeadline();
    this.driver.open();
  }

  /** Server shutdown: finish the messages already received, then close (1001). */
  drain(): void {
    this.driver.shutdown();
  }

  /** Server shutdown deadline: close now, whatever is in progress. */
  forceClose(): void {
    if (this.driver.phase === 'closed') this.ws.terminate();
    else this.driver.abort({ kind: 'shutdown', message: 'shutdown grace period elapsed' }, 'destroy');
  }

  // ---- socket events ----

  private onMessage(data: RawData): void {
    const driver = this.driver;
    if (driver.phase === 'closed') return;
    const server = this.server;
    const bytes = toBytes(data);
    this.bytesIn += bytes.length;
    server.stats.bytesIn += bytes.length;
    let message: In;
    try {
      message = server.codec.decode(bytes);
    } catch (error) {
      if (!isCodecError(error)) throw error;
      driver.malformedInput(error);
      return;
    }
    this.messagesIn += 1;
    server.stats.messagesIn += 1;
    this.idleSince = server.clock.now();
    this.awaitingFirst = false;
    driver.deliver(message);
    driver.pump();
  }

  private onSocketError(error: Error): void {
    const peer = this.peer;
    const wsError = fromWsError(error, peer.address, peer.port, 'read');
    if (this.driver.phase === 'closed') this.ws.terminate();
    else this.driver.fail(wsError, 'destroy');
  }

  private onSocketClose(): void {
    this.socketClosed = true;
    const clock = this.server.clock;
    this.clearTimers();
    this.driver.abort({ kind: 'remote' }, 'destroy');
    this.server.onClosed(this, this.driver.reason ?? { kind: 'remote' }, {
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      durationMs: clock.now() - this.openedAt,
    });
  }

  /** Pauses or resumes reading: the driver's wish, and the peer's unread output. */
  private updateFlow(): void {
    if (this.driver.phase === 'closed' || this.socketClosed) return;
    const pause = !this.driver.wantsInput || this.queuedBytes > this.server.highWaterBytes;
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) this.ws.pause();
    else this.ws.resume();
  }

  // ---- SessionHost (the driver's outputs) ----

  write(message: Out, _reply: boolean): boolean {
    if (this.overflowed || this.socketClosed || this.ws.readyState !== this.ws.OPEN) return false;
    const server = this.server;
    let bytes: Uint8Array;
    try {
      bytes = server.codec.encode(message);
    } catch (error) {
      this.driver.fail(new WsError('ERR_ENCODE', `cannot encode a message for ${this.peer.id}: ${String(error)}`, { reason: 'write', cause: error }), 'graceful');
      return false;
    }
    if (this.queuedBytes + bytes.length > server.maxOutputBytes) {
      this.overflow(bytes.length);
      return false;
    }
    this.send(bytes);
    return true;
  }

  flush(): void {
    // Each message is already one frame handed to the socket; nothing waits here.
  }

  flowChanged(): void {
    this.updateFlow();
  }

  closed(reason: CloseReason, mode: CloseMode): void {
    this.clearDeadline();
    const ws = this.ws;
    if (this.socketClosed) return;
    if (mode === 'destroy') {
      ws.terminate();
      return;
    }
    if (ws.readyState === ws.OPEN) ws.close(closeCodeOf(reason), closeTextOf(reason));
    // A paused socket would never read the peer's close frame.
    if (this.paused) ws.resume();
    this.lingerTimer = this.server.clock.setTimeout(() => {
      this.lingerTimer = undefined;
      ws.terminate();
    }, this.server.closeLingerMs);
  }

  failure(failure: SessionFailure): WsError {
    if (failure.kind === 'input') this.server.stats.malformed += 1;
    return sessionFailureError(failure, this.peer.id, this.server.driver.service.name);
  }

  report(error: Error): void {
    this.server.stats.errors += 1;
    this.server.onError(this.peer, error instanceof WsError ? error : new WsError('ERR_SOCKET', error.message, { cause: error }));
  }

  log(message: string): void {
    this.server.onLog(this.peer, message);
  }

  now(): number {
    return this.server.clock.now();
  }

  // ---- internals ----

  private send(bytes: Uint8Array): void {
    const server = this.server;
    const length = bytes.length;
    this.queuedBytes += length;
    this.bytesOut += length;
    this.messagesOut += 1;
    server.stats.bytesOut += length;
    server.stats.messagesOut += 1;
    this.ws.send(bytes, { binary: server.codec.frames === 'binary' }, () => {
      this.queuedBytes -= length;
      if (this.paused) this.updateFlow();
    });
    if (!this.paused && this.queuedBytes > server.highWaterBytes) this.updateFlow();
  }

  /** The SendQ cap is hit: send nothing more but the overflow reply, and end the connection gracefully. */
  private overflow(writeBytes: number): void {
    const server = this.server;
    const queued = this.queuedBytes;
    const reply = server.overflowReply;
    if (reply !== undefined) this.send(reply);
    this.overflowed = true;
    server.stats.outputOverflows += 1;
    this.driver.fail(
      new WsError(
        'ERR_OUTPUT_LIMIT',
        `SendQ exceeded: ${this.peer.id} does not read its replies (${queued} bytes queued, ${writeBytes} more would pass the limit of ${server.maxOutputBytes})`,
        { reason: 'write', details: { queuedBytes: queued, writeBytes, maxOutputBytes: server.maxOutputBytes } },
      ),
      'graceful',
    );
  }

  /** The deadline that applies now: the first-message one (the shorter of both) before the first message, the idle timeout after. */
  private currentLimit(): { readonly ms: number; readonly first: boolean } {
    const { firstMessageTimeoutMs, idleTimeoutMs } = this.server;
    if (this.awaitingFirst && firstMessageTimeoutMs > 0 && (idleTimeoutMs === 0 || firstMessageTimeoutMs <= idleTimeoutMs)) return { ms: firstMessageTimeoutMs, first: true };
    return { ms: idleTimeoutMs, first: false };
  }

  private armDeadline(): void {
    const limit = this.currentLimit();
    if (limit.ms === 0) return;
    const clock = this.server.clock;
    const due = this.idleSince + limit.ms - clock.now();
    this.deadlineTimer = clock.setTimeout(() => {
      this.onDeadline();
    }, Math.max(1, due));
  }

  private onDeadline(): void {
    this.deadlineTimer = undefined;
    const driver = this.driver;
    if (driver.phase === 'closed') return;
    const server = this.server;
    const now = server.clock.now();
    if (driver.busy) {
      // Time spent inside a pending receive is ours, not the peer's silence.
      this.idleSince = now;
      this.armDeadline();
      return;
    }
    const limit = this.currentLimit();
    if (limit.ms === 0) return;
    if (now - this.idleSince < limit.ms) {
      this.armDeadline();
      return;
    }
    if (limit.first) server.stats.firstMessageTimeouts += 1;
    else server.stats.idleTimeouts += 1;
    const error = deadlineError(limit.first, this.peer.id, limit.ms);
    driver.abort({ kind: 'idle', message: error.message, error }, 'graceful');
  }

  private clearDeadline(): void {
    if (this.deadlineTimer !== undefined) this.server.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }

  private clearTimers(): void {
    this.clearDeadline();
    if (this.lingerTimer !== undefined) this.server.clock.clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }
}
