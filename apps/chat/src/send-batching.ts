/**
 * Send batching for a room: every line a session is sent during one turn of the event loop goes
 * to its socket in one write.
 *
 * Why: the chat service hands each line to every member's context at once, and the TCP transport
 * writes each `ctx.send` at once: one `write` system call per delivery. On loopback a write costs
 * several microseconds, so a room of 1,000 would top out near 100k deliveries/s, however few
 * bytes it moves. Here each session collects what it is sent (its own replies included, so the
 * order of one member's lines is exactly the service's order) and one `setImmediate` per event
 * loop turn flushes every session that has lines waiting: lines from all senders whose data
 * arrived in the same turn share one write per member. The delay added is the rest of the current
 * turn, not a timer.
 *
 * Invariants:
 * - A session's lines reach the transport in the order the service produced them.
 * - `ctx.close` flushes the session's waiting lines first, so a `quit` still gets its goodbye.
 * - Before the transport answers malformed input, the session's waiting lines are flushed, so the
 *   error reply comes after them, as it would without batching.
 * - Memory: lines wait at most one turn, and a batch is sent early once it holds
 *   {@link MAX_BATCH_CHARS} characters, so a batch is never what makes a member that reads look
 *   slow; the transport's `maxOutputBytes` still bounds each connection (a batch is one write,
 *   checked against the cap like any other).
 *
 * This belongs in @netlab/transport-tcp as a per-server option (see the chat app's README);
 * until then the chat app composes it here.
 */
import type { StreamCodec } from '@netlab/codec';
import { type LineDecoderOptions, createLineDecoder, encodeLine } from '@netlab/codec';
import type { Service, Session, SessionContext } from '@netlab/service';

/** Lines of encoded text remembered for reuse: a room delivers the same line to every member. */
const ENCODE_CACHE_ENTRIES = 256;
/**
 * A session's batch goes out early once it holds this many characters: one big write could
 * pass the transport's per-connection output cap at once and drop a member that reads fine.
 */
export const MAX_BATCH_CHARS = 16_384;

export interface BatchingServiceOptions {
  /** The line service whose sends are batched. Required. */
  readonly service: Service<string, string>;
  /** Schedules the flush of one turn. Default `setImmediate` (after the current I/O poll phase). */
  readonly schedule?: (flush: () => void) => void;
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as Partial<PromiseLike<T>> | null)?.then === 'function';
}

/** Wraps a line service so that each session's lines go out as one batch per event-loop turn. */
export function createBatchingService(options: BatchingServiceOptions): Service<string, readonly string[]> {
  const inner = options.service;
  const schedule = options.schedule ?? ((flush: () => void): void => void setImmediate(flush));
  const dirty: (() => void)[] = [];
  const flushers = new Map<string, () => void>();
  let scheduled = false;
  const flushAll = (): void => {
    scheduled = false;
    // The array iterator sees flushes appended while it runs: a flush may close a connection
    // whose leave line makes more sessions dirty in this same turn.
    for (const flush of dirty) flush();
    dirty.length = 0;
  };

  return {
    name: inner.name,
    open(peer, ctx): Session<string, readonly string[]> {
      let waiting: string[] | undefined;
      let waitingChars = 0;
      const flush = (): void => {
        const lines = waiting;
        waiting = undefined;
        waitingChars = 0;
        if (lines !== undefined && lines.length > 0) ctx.send(lines);
      };
      const innerCtx: SessionContext<string> = {
        peer,
        get closed() {
          return ctx.closed;
        },
        send(line) {
          if (ctx.closed) return false;
          if (waiting === undefined) {
            waiting = [];
            dirty.push(flush);
            if (!scheduled) {
              scheduled = true;
              schedule(flushAll);
            }
          }
          waiting.push(line);
          waitingChars += line.length + 1;
          if (waitingChars >= MAX_BATCH_CHARS) {
            // Out now; the entry already in `dirty` will find an empty batch and send nothing.
            const lines = waiting;
            waiting = [];
            waitingChars = 0;
            ctx.send(lines);
          }
          return true;
        },
        close(reason) {
          flush();
          ctx.close(reason);
        },
        log: (message) => {
          ctx.log(message);
        },
        now: () => ctx.now(),
      };
      flushers.set(peer.id, flush);
      const session = inner.open(peer, innerCtx);
      const queue = (replies: readonly string[]): readonly (readonly string[])[] => {
        for (const reply of replies) innerCtx.send(reply);
        return [];
      };
      return {
        receive(line) {
          const replies = session.receive(line);
          return isPromiseLike(replies) ? Promise.resolve(replies).then(queue) : queue(replies);
        },
        close(reason) {
          flushers.delete(peer.id);
          waiting = undefined;
          session.close?.(reason);
        },
      };
    },
    ...(inner.malformed === undefined
      ? {}
      : {
          malformed(error, peer): readonly (readonly string[])[] {
            flushers.get(peer.id)?.();
            return [inner.malformed?.(error, peer) ?? []];
          },
        }),
  };
}

/**
 * The line codec for batches: decodes lines as `createLineCodec` does, and encodes a batch of
 * lines as their lines back to back. Each line is checked as `encodeLine` checks it (no LF, at
 * most `maxLineBytes`), and recently encoded lines are reused.
 */
export function createLineBatchCodec(options: LineDecoderOptions = {}): StreamCodec<string, readonly string[]> {
  createLineDecoder(options); // validates the options now
  const cache = new Map<string, Uint8Array>();
  const encodeOne = (line: string): Uint8Array => {
    let bytes = cache.get(line);
    if (bytes === undefined) {
      bytes = encodeLine(line, options);
      if (cache.size >= ENCODE_CACHE_ENTRIES) cache.clear();
      cache.set(line, bytes);
    }
    return bytes;
  };
  return {
    framing: 'line',
    flushable: true,
    createDecoder: () => createLineDecoder(options),
    encode(lines) {
      if (lines.length === 1) return encodeOne(lines[0] ?? '');
      return Buffer.concat(lines.map(encodeOne));
    },
  };
}
