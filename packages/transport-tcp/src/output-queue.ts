/**
 * The sending half of one TCP connection (internal to `createTcpServer`; ws splits its `Sender`
 * from its `WebSocket` the same way): encoding, write coalescing, the SendQ cap and the writes.
 *
 * Invariants:
 * - Messages are written in the order they were queued, each encoded once.
 * - Coalescing: a batched message (a reply, or a `ctx.send` inside a receive or `open`) waits for
 *   `flush()`, which the session driver calls at the end of each batch; a message sent from
 *   outside any batch (a chat room broadcasting from another member's receive, a timer) waits
 *   until the end of the event-loop turn (`scheduleFlush`: one `setImmediate` per server), so a
 *   turn's output to one connection is one write. Waiting output is written at once when it holds
 *   `coalesceBytes`; with `coalesceBytes` 0 an unbatched message is written at once. The first
 *   waiting message is kept apart, so that a lone reply (request/response) costs no array.
 * - The SendQ cap: a message that would leave more than `maxOutputBytes` queued in user space
 *   (the socket's buffer plus output waiting to be coalesced) is not queued, and nothing after it
 *   is (IRC's "SendQ exceeded", `ERR_OUTPUT_LIMIT`). Everything queued before it is whole
 *   messages and stays queued; `overflowReply`, when set, is queued after them as the last message
 *   (it may pass the cap by its own size), and the owner ends the connection gracefully, so the
 *   peer receives whole messages and then the reason.
 * - Output for a destroyed socket is dropped before it is encoded (no Node error is built for a
 *   write that cannot happen: a room losing many members at once sends to many dead sockets).
 */
import type { Socket } from 'node:net';
import type { WireFlow } from '@netlab/ground';
import type { CloseMode } from '@netlab/service';
import { TcpError } from './errors.js';
import type { MutableTcpServerStats } from './tcp-server-stats.js';

/** What every output queue of one server shares. */
export interface OutputConfig<Out> {
  /** Encodes one message: a reply, or a `ctx.send` inside a batch. */
  encode(message: Out): Uint8Array;
  /**
   * Encodes a message sent from outside any batch (a broadcast: a chat room sends the same line
   * to every member in a row), remembering the last text it encoded so the line is encoded once.
   * Replies do not go through it: comparing every reply with the last text cost about a fifth
   * of the server's CPU per pipelined message (`pnpm bench transport-tcp`).
   */
  encodeShared(message: Out): Uint8Array;
  readonly maxOutputBytes: number;
  readonly coalesceBytes: number;
  /** Encoded `overflowReply`, queued last when the cap is hit. */
  readonly overflowReply: Uint8Array | undefined;
  readonly stats: MutableTcpServerStats;
  /** Calls `queue.flush()` at the end of the current event-loop turn. */
  scheduleFlush(queue: OutputQueue<Out>): void;
}

/** The connection an output queue belongs to. */
export interface OutputOwner {
  readonly peerId: string;
  /** The connection's wire-tap flow, when traced: every write is recorded with its messages. */
  readonly flow: WireFlow | undefined;
  /** A message could not be queued (encoding failed, the cap was hit): end the connection. */
  outputFailed(error: TcpError, mode: CloseMode): void;
  /** The socket's buffer filled up: reading should pause until it drains. */
  outputBlocked(): void;
}

/**
 * The output half every connection of one server shares: the codec's encoder, remembering the
 * last text it encoded (a broadcast sends the same line to many connections in a row), and the
 * end-of-turn flush list (one `setImmediate` per server, not per connection).
 */
export function createOutputConfig<Out>(
  codec: { encode(message: Out): Uint8Array },
  limits: Pick<OutputConfig<Out>, 'maxOutputBytes' | 'coalesceBytes' | 'overflowReply' | 'stats'>,
): OutputConfig<Out> {
  // Queues with output waiting for the end of this turn. An array iterator sees entries appended
  // while it runs: a flush that closes a connection may make others wait in this same turn (a
  // room announcing who left).
  const flushList: OutputQueue<Out>[] = [];
  let flushScheduled = false;
  const flushTurn = (): void => {
    flushScheduled = false;
    for (const queue of flushList) queue.flush();
    flushList.length = 0;
  };
  let lastText: string | undefined;
  let lastTextBytes: Uint8Array | undefined;
  return {
    encode(message: Out): Uint8Array {
      return codec.encode(message);
    },
    encodeShared(message: Out): Uint8Array {
      // Only strings are remembered (immutable, so equal means the same bytes from a pure codec);
      // an object could be changed between two sends.
      if (typeof message !== 'string') return codec.encode(message);
      if (message === lastText && lastTextBytes !== undefined) return lastTextBytes;
      const bytes = codec.encode(message);
      lastText = message;
      lastTextBytes = bytes;
      return bytes;
    },
    maxOutputBytes: limits.maxOutputBytes,
    coalesceBytes: limits.coalesceBytes,
    overflowReply: limits.overflowReply,
    stats: limits.stats,
    scheduleFlush(queue: OutputQueue<Out>): void {
      flushList.push(queue);
      if (flushScheduled) return;
      flushScheduled = true;
      setImmediate(flushTurn);
    },
  };
}

type OutputState = 'open' | 'overflowed';

export class OutputQueue<Out> {
  private pendingFirst: Uint8Array | undefined;
  /** Every waiting message, the first included, once there are two (one array for one concat). */
  private pendingRest: Uint8Array[] | undefined;
  private pendingBytes = 0;
  /** The messages waiting to be written, kept only for a traced connection. */
  private pendingMessages: Out[] | undefined;
  /** True while this queue is in the server's end-of-turn flush list. */
  private scheduled = false;
  private state: OutputState = 'open';
  bytesOut = 0;
  messagesOut = 0;
  writes = 0;

  constructor(
    private readonly socket: Socket,
    private readonly config: OutputConfig<Out>,
    private readonly owner: OutputOwner,
  ) {}

  /** True once the cap was hit: nothing more is queued. */
  get overflowed(): boolean {
    return this.state === 'overflowed';
  }

  /** Encodes `message`, checks the cap and queues it. False when it was not queued. */
  write(message: Out, batched: boolean): boolean {
    const socket = this.socket;
    if (this.state !== 'open' || socket.destroyed) return false;
    let bytes: Uint8Array;
    try {
      bytes = batched ? this.config.encode(message) : this.config.encodeShared(message);
    } catch (error) {
      this.owner.outputFailed(
        new TcpError('ERR_ENCODE', `cannot encode a message for ${this.owner.peerId}: ${String(error)}`, { reason: 'write', cause: error }),
        'graceful',
      );
      return false;
    }
    const queued = socket.writableLength + this.pendingBytes;
    const maxOutputBytes = this.config.maxOutputBytes;
    if (queued + bytes.length > maxOutputBytes) {
      this.overflow(queued, bytes.length);
      return false;
    }
    this.queue(bytes);
    if (this.owner.flow !== undefined) (this.pendingMessages ??= []).push(message);
    const coalesceBytes = this.config.coalesceBytes;
    if (!batched && coalesceBytes === 0) {
      this.flush();
    } else if (this.pendingBytes >= coalesceBytes && coalesceBytes > 0) {
      this.flush();
    } else if (!batched && !this.scheduled) {
      this.scheduled = true;
      this.config.scheduleFlush(this);
    }
    return true;
  }

  /** Writes the waiting output, if any, in one write. */
  flush(): void {
    this.scheduled = false;
    const first = this.pendingFirst;
    if (first === undefined) return;
    const rest = this.pendingRest;
    const bytes = this.pendingBytes;
    const messages = this.pendingMessages;
    this.discard();
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return;
    let chunk = first;
    // `rest` holds every waiting message, the first included, once there are two.
    if (rest !== undefined) chunk = Buffer.concat(rest, bytes);
    this.bytesOut += chunk.length;
    this.writes += 1;
    const stats = this.config.stats;
    stats.bytesOut += chunk.length;
    stats.writes += 1;
    socket.write(chunk);
    const flow = this.owner.flow;
    if (flow !== undefined) {
      flow.data('out', chunk, messages);
    }
    if (socket.writableNeedDrain) this.owner.outputBlocked();
  }

  /** Drops the output waiting to be coalesced (the connection is being destroyed). */
  discard(): void {
    this.pendingFirst = undefined;
    this.pendingRest = undefined;
    this.pendingBytes = 0;
    this.pendingMessages = undefined;
  }

  private queue(bytes: Uint8Array): void {
    this.messagesOut += 1;
    this.config.stats.messagesOut += 1;
    if (this.pendingFirst === undefined) this.pendingFirst = bytes;
    else if (this.pendingRest === undefined) this.pendingRest = [this.pendingFirst, bytes];
    else this.pendingRest.push(bytes);
    this.pendingBytes += bytes.length;
  }

  /** The cap is hit: queue nothing more, the overflow reply last, and end the connection gracefully. */
  private overflow(queued: number, writeBytes: number): void {
    this.state = 'overflowed';
    const maxOutputBytes = this.config.maxOutputBytes;
    this.config.stats.outputOverflows += 1;
    const reply = this.config.overflowReply;
    if (reply !== undefined) this.queue(reply);
    this.owner.outputFailed(
      new TcpError(
        'ERR_OUTPUT_LIMIT',
        `SendQ exceeded: ${this.owner.peerId} does not read its replies (${queued} bytes queued, ${writeBytes} more would pass the limit of ${maxOutputBytes})`,
        { reason: 'write', details: { queuedBytes: queued, writeBytes, maxOutputBytes } },
      ),
      'graceful',
    );
  }
}
