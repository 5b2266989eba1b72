/**
 * The pages watching a Live view, shared by the bench's own exercise (live-bench.ts) and attach
 * mode (live-attach.ts): the page sessions, the pending batch of events (at most
 * {@link LIVE_MAX_BATCH}; the rest are counted as skipped), the batch timer (running while at
 * least one page watches), and the `live` service each page's WebSocket is driven by.
 */
import type { Service, SessionContext } from '@netlab/service';

/** Time between two batches sent to a page: 100 ms. */
export const LIVE_BATCH_MS = 100;
/** Events in one batch at most; the rest of a turn is counted as skipped. */
export const LIVE_MAX_BATCH = 1000;

/** One row of the sequence diagram. */
export interface LiveEvent {
  /** Numbers every event shown (the page's byte view finds an event by it). */
  readonly id: number;
  readonly kind: 'message' | 'lost' | 'duplicated' | 'reordered' | 'held' | 'released' | 'reset' | 'note';
  /** `up`: client → server; `down`: server → client. */
  readonly direction: 'up' | 'down';
  readonly time: number;
  /** The datagram's number in its direction (message, lost), the byte offset (TCP) or the hold sequence number. */
  readonly n: number;
  readonly text?: string;
  /** Base64 of at most LIVE_MAX_EVENT_BYTES (live-bench.ts) bytes. */
  readonly bytes?: string;
  /** The size of the datagram or chunk. */
  readonly len?: number;
}

export interface LivePagesHooks {
  /** The `state` message a page gets when it opens (and on every change the owner broadcasts). */
  state(): string;
  /** A page's control message: undefined when done, else the problem to answer with. */
  control(text: string): string | undefined;
  /** The counters sent with each batch. */
  counters(): Readonly<Record<string, number>>;
  /** Called when the first page opens (true) and when the last one closes (false). */
  watching?(watching: boolean): void;
}

export interface LivePages {
  /** The service each page's WebSocket runs. */
  readonly service: Service<string, string>;
  /** True while at least one page is open. */
  readonly watching: boolean;
  /** Queues an event for the next batch (dropped while nobody watches: a page starts from when it opens). */
  push(event: Omit<LiveEvent, 'id'>): void;
  /** Counts an event that could not be shown in the next batch's `skipped`. */
  skip(): void;
  broadcast(message: string): void;
  /** Stops the batch timer (the pages' sockets are closed by the web server). */
  close(): void;
}

export function createLivePages(hooks: LivePagesHooks): LivePages {
  const pages = new Set<SessionContext<string>>();
  let pending: LiveEvent[] = [];
  let skipped = 0;
  let nextId = 1;
  let batcher: ReturnType<typeof setInterval> | undefined;

  const broadcast = (message: string): void => {
    for (const page of pages) page.send(message);
  };
  const flush = (): void => {
    const message = JSON.stringify({ type: 'batch', events: pending, skipped, counters: hooks.counters() });
    pending = [];
    skipped = 0;
    broadcast(message);
  };
  const stopBatches = (): void => {
    clearInterval(batcher);
    batcher = undefined;
  };

  const service: Service<string, string> = {
    name: 'live',
    open(_peer, ctx) {
      pages.add(ctx);
      if (pages.size === 1) {
        batcher = setInterval(flush, LIVE_BATCH_MS);
        hooks.watching?.(true);
      }
      ctx.send(hooks.state());
      return {
        receive(text) {
          const problem = hooks.control(text);
          return problem === undefined ? [] : [JSON.stringify({ type: 'error', message: problem })];
        },
        close() {
          if (!pages.delete(ctx) || pages.size > 0) return;
          stopBatches();
          hooks.watching?.(false);
        },
      };
    },
  };

  return {
    service,
    get watching() {
      return pages.size > 0;
    },
    push(event) {
      if (pages.size === 0) return;
      if (pending.length >= LIVE_MAX_BATCH) skipped += 1;
      else pending.push({ id: nextId++, ...event });
    },
    skip() {
      skipped += 1;
    },
    broadcast,
    close: stopBatches,
  };
}
