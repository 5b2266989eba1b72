/**
 * One accepted TCP connection (internal to `createTcpServer`): socket glue around the service
 * contract's session driver (`@netlab/service`'s `SessionDriver`, which owns the rules: one
 * receive at a time, replies in order, close exactly once, malformed input, a failing session
 * contained) and an output queue (`output-queue.ts`: coalescing, the SendQ cap, writes).
 *
 * Invariants of the glue:
 * - Inbound memory is bounded: reading pauses while the driver does not want input (a receive
 *   promise is pending, `maxQueuedMessages` messages wait, the session is closing, input was
 *   malformed) or while the socket's output needs a drain. A paused socket stops reading from the
 *   kernel once its readable buffer is full, so at most one chunk's worth of messages is queued
 *   beyond the limit, and the decoder holds at most its own limit of partial bytes.
 * - Per-connection memory is kept small (a server holds thousands of idle connections): socket
 *   listeners are module functions that find their connection through the socket
 *   (`connection-socket.ts`), the driver is the session's context, and the message callback is
 *   made on the first data.
 * - Deadlines, on the server's shared timer lists (`idle-list.ts`): a connection that sends no
 *   complete message within `firstMessageTimeoutMs` of connecting is closed (a login deadline, so
 *   silent connections cannot fill the server); after that, one that sends none for
 *   `idleTimeoutMs`. A peer that dribbles bytes that never form a message is idle. Time spent
 *   inside a pending receive does not count.
 * - Quiet flush: with a flushable decoder, a partial message is delivered once no byte has
 *   arrived for `quietFlushMs` while we were reading (a pause on our side is not the peer's
 *   silence).
 * - Ending: a graceful end writes the waiting output, then `end()`s the socket and keeps reading
 *   (and discarding) so our FIN is not turned into a RST. The socket is destroyed once the peer
 *   has not closed within `closeLingerMs`, unless it made progress reading (our output shrank)
 *   during that time, in which case it gets another linger period, up to `MAX_LINGER_PERIODS`
 *   (`linger.ts`): only a peer that reads nothing at all is cut off while whole messages still
 *   wait for it.
 */
import type { Socket } from 'node:net';
import { type Decoder, isCodecError, isFlushable } from '@netlab/codec';
import { type WireFlow, wireEndpoint } from '@netlab/ground';
import { type CloseMode, type CloseReason, type Peer, SessionDriver, type SessionFailure, type SessionHost } from '@netlab/service';
import { type SocketOwner, attachSocket } from './connection-socket.js';
import type { ConnectionServer } from './connection-server.js';
import { linger } from './linger.js';
import { TcpError, deadlineError, fromSocketError, sessionFailureError } from './errors.js';
import type { IdleEntry } from './idle-list.js';
import { type OutputOwner, OutputQueue } from './output-queue.js';

export class ServerConnection<In, Out> implements IdleEntry, SessionHost<Out>, OutputOwner, SocketOwner {
  idlePrev: IdleEntry | undefined = undefined;
  idleNext: IdleEntry | undefined = undefined;
  /** Last complete message (or accept): the start of the idle period. */
  idleSince: number;
  readonly driver: SessionDriver<In, Out>;
  private readonly decoder: Decoder<In>;
  /** Made on the first write: a connection that never receives output (most idle ones) costs no queue. */
  private output: OutputQueue<Out> | undefined;
  private onMessage: ((message: In) => void) | undefined;
  private readonly openedAt: number;
  private lastByteAt: number;
  private quietTimer: unknown;
  private lingerTimer: unknown;
  private paused = false;
  /** No complete message yet: the entry is on the server's first-message list. */
  private awaitingFirst = true;
  private bytesIn = 0;
  private messagesIn = 0;
  /** The wire tap's record of this connection; undefined when not traced. */
  flow: WireFlow | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly server: ConnectionServer<In, Out>,
    peer: Peer,
  ) {
    this.decoder = server.createDecoder();
    this.openedAt = server.clock.now();
    this.lastByteAt = this.openedAt;
    this.idleSince = this.openedAt;
    this.driver = new SessionDriver(server.driver, peer, this);
  }

  get peer(): Peer {
    return this.driver.peer;
  }

  get peerId(): string {
    return this.driver.peer.id;
  }

  /** Wires the socket and opens the session. */
  start(): void {
    const socket = this.socket;
    attachSocket(socket, this);
    const server = this.server;
    const list = server.firstMessage ?? server.idle;
    this.awaitingFirst = server.firstMessage !== undefined;
    list?.touch(this, this.openedAt);
    const tap = server.tap;
    if (tap !== undefined) {
      this.flow = tap.flow({
        transport: 'tcp',
        local: wireEndpoint(socket.localAddress, socket.localPort),
        remote: wireEndpoint(socket.remoteAddress, socket.remotePort),
        initiator: 'remote',
      });
      this.flow.open();
    }
    this.driver.open();
  }

  /** Server shutdown: finish the messages already received, then close. */
  drain(): void {
    this.driver.shutdown();
  }

  /** Server shutdown deadline: close now, whatever is in progress. */
  forceClose(): void {
    if (this.driver.phase === 'closed') this.socket.destroy();
    else this.driver.abort({ kind: 'shutdown', message: 'shutdown grace period elapsed' }, 'destroy');
  }

  // ---- socket events ----

  onData(chunk: Buffer): void {
    const driver = this.driver;
    if (driver.phase === 'closed') return;
    const server = this.server;
    const now = server.clock.now();
    this.bytesIn += chunk.length;
    server.stats.bytesIn += chunk.length;
    this.lastByteAt = now;
    const before = this.messagesIn;
    const onMessage = (this.onMessage ??= (message: In): void => {
      this.messagesIn += 1;
      driver.deliver(message);
    });
    const flow = this.flow;
    try {
      if (flow === undefined) this.decoder.pushEach(chunk, onMessage);
      else this.tracedPush(flow, chunk, onMessage);
    } catch (error) {
      if (!isCodecError(error)) throw error;
      this.noteMessages(before, now);
      driver.malformedInput(error);
      return;
    }
    this.noteMessages(before, now);
    if (server.quietFlushMs > 0 && server.flushable && this.decoder.bufferedBytes > 0) this.armQuiet(server.quietFlushMs);
    driver.pump();
  }

  onEnd(): void {
    const driver = this.driver;
    if (driver.phase === 'closed') return;
    this.flow?.end('in');
    const before = this.messagesIn;
    let last: In[];
    try {
      last = this.decoder.end();
    } catch (error) {
      if (!isCodecError(error)) throw error;
      driver.malformedInput(error);
      return;
    }
    for (const message of last) {
      this.messagesIn += 1;
      driver.deliver(message);
    }
    this.noteMessages(before, this.server.clock.now());
    driver.endOfInput();
  }

  onSocketError(error: Error & { syscall?: string; code?: string }): void {
    if (error.code === 'ECONNRESET') this.flow?.reset('in');
    const tcpError = fromSocketError(error, this.peer.address, this.peer.port, error.syscall === 'write' ? 'write' : 'read');
    if (this.driver.phase === 'closed') this.socket.destroy();
    else this.driver.fail(tcpError, 'destroy');
  }

  onSocketClose(): void {
    const clock = this.server.clock;
    if (this.lingerTimer !== undefined) clock.clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.driver.abort({ kind: 'remote' }, 'destroy');
    this.flow?.close();
    const output = this.output;
    this.server.onClosed(this, this.driver.reason ?? { kind: 'remote' }, {
      bytesIn: this.bytesIn,
      bytesOut: output?.bytesOut ?? 0,
      messagesIn: this.messagesIn,
      messagesOut: output?.messagesOut ?? 0,
      writes: output?.writes ?? 0,
      durationMs: clock.now() - this.openedAt,
    });
  }

  /** Pauses or resumes reading: the driver's wish, and the socket's need to drain. */
  updateFlow(): void {
    if (this.driver.phase === 'closed') return;
    const pause = !this.driver.wantsInput || this.socket.writableNeedDrain;
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) {
      this.socket.pause();
      return;
    }
    this.socket.resume();
    // Silence while we were not reading is ours, not the peer's: quiet flush counts from now.
    this.lastByteAt = this.server.clock.now();
    if (this.server.quietFlushMs > 0 && this.server.flushable && this.decoder.bufferedBytes > 0) this.armQuiet(this.server.quietFlushMs);
  }

  // ---- SessionHost (the driver's outputs) ----

  write(message: Out, reply: boolean): boolean {
    this.output ??= new OutputQueue(this.socket, this.server.output, this);
    return this.output.write(message, reply || this.driver.inBatch);
  }

  flush(): void {
    this.output?.flush();
  }

  flowChanged(): void {
    this.updateFlow();
  }

  closed(_reason: CloseReason, mode: CloseMode): void {
    const server = this.server;
    const list = this.awaitingFirst ? server.firstMessage : server.idle;
    list?.remove(this);
    if (this.quietTimer !== undefined) server.clock.clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    const socket = this.socket;
    if (mode === 'destroy' || socket.destroyed) {
      this.output?.discard();
      socket.destroy();
      return;
    }
    this.output?.flush();
    socket.end();
    this.flow?.end('out');
    // Read and discard whatever the peer still sends, so our FIN is not turned into a RST.
    socket.resume();
    linger(socket, this.server.clock, this.server.closeLingerMs, (timer) => {
      this.lingerTimer = timer;
    });
  }

  failure(failure: SessionFailure): TcpError {
    if (failure.kind === 'input') this.server.stats.malformed += 1;
    return sessionFailureError(failure, this.peerId, this.server.driver.service.name);
  }

  report(error: Error): void {
    this.server.stats.errors += 1;
    this.server.onError(this.peer, error instanceof TcpError ? error : new TcpError('ERR_SOCKET', error.message, { cause: error }));
  }

  log(message: string): void {
    this.server.onLog(this.peer, message);
  }

  now(): number {
    return this.server.clock.now();
  }

  // ---- OutputOwner ----

  outputFailed(error: TcpError, mode: CloseMode): void {
    this.driver.fail(error, mode);
  }

  outputBlocked(): void {
    if (!this.paused) this.updateFlow();
  }

  // ---- timers ----

  /** The timer list's verdict: the first-message deadline or the idle timeout has passed. */
  onIdle(now: number): void {
    const driver = this.driver;
    if (driver.phase === 'closed') return;
    const server = this.server;
    const list = this.awaitingFirst ? server.firstMessage : server.idle;
    if (driver.busy) {
      // Time spent inside a pending receive is ours, not the peer's silence.
      list?.touch(this, now);
      return;
    }
    const first = this.awaitingFirst && server.firstMessageIs === 'first-message';
    if (first) server.stats.firstMessageTimeouts += 1;
    else server.stats.idleTimeouts += 1;
    const error = deadlineError(first, this.peerId, first ? server.firstMessageTimeoutMs : server.idleTimeoutMs, this.decoder.bufferedBytes);
    // The entry already left its list; closed() must not remove it from the other one.
    this.awaitingFirst = false;
    driver.abort({ kind: 'idle', message: error.message, error }, 'graceful');
  }

  /** Messages arrived (`messagesIn` moved past `before`): the idle period restarts, the first-message deadline is met. */
  private noteMessages(before: number, now: number): void {
    if (this.messagesIn === before) return;
    const server = this.server;
    if (this.awaitingFirst) {
      this.awaitingFirst = false;
      server.firstMessage?.remove(this);
    }
    server.idle?.touch(this, now);
    server.stats.messagesIn += this.messagesIn - before;
  }

  /** Decodes `chunk` and records it with the messages it completes (only for a traced connection). */
  private tracedPush(flow: WireFlow, chunk: Buffer, onMessage: (message: In) => void): void {
    const messages: In[] = [];
    try {
      this.decoder.pushEach(chunk, (message) => {
        messages.push(message);
        onMessage(message);
      });
    } finally {
      flow.data('in', chunk, messages);
    }
  }

  private armQuiet(delay: number): void {
    if (this.quietTimer !== undefined) return;
    this.quietTimer = this.server.clock.setTimeout(() => {
      this.onQuietTimer();
    }, delay);
  }

  private onQuietTimer(): void {
    this.quietTimer = undefined;
    const driver = this.driver;
    const server = this.server;
    if (driver.phase === 'closed' || this.paused || this.socket.readableEnded) return;
    const silentFor = server.clock.now() - this.lastByteAt;
    if (silentFor < server.quietFlushMs) {
      this.armQuiet(server.quietFlushMs - silentFor);
      return;
    }
    const decoder = this.decoder;
    if (decoder.bufferedBytes === 0 || !isFlushable(decoder)) return;
    const before = this.messagesIn;
    let flushed: In[];
    try {
      flushed = decoder.flush();
    } catch (error) {
      if (!isCodecError(error)) throw error;
      driver.malformedInput(error);
      return;
    }
    for (const message of flushed) {
      this.messagesIn += 1;
      driver.deliver(message);
    }
    this.noteMessages(before, server.clock.now());
    driver.pump();
  }
}
