/**
 * Hold / step for a proxy (the web lab bench's pause button): while holding, every unit the
 * impairments let through (a TCP chunk or end of stream, a UDP datagram) waits here, in the order
 * it was ready, across all connections and directions; `step(n)` releases the n oldest, `resume()`
 * releases all and stops holding.
 *
 * Bounds: at most `maxUnits` units and `maxBytes` bytes wait. Past either bound a TCP unit still
 * waits but `offer()` reports `full`, so the proxy stops reading that connection (backpressure:
 * at most one chunk per connection beyond the bound, nothing lost); a UDP datagram is refused
 * (`overflow`): the proxy drops it and counts it `overflowed`.
 */

export const DEFAULT_MAX_HELD_UNITS = 1000;
export const DEFAULT_MAX_HELD_BYTES = 4 * 1024 * 1024;

/** One held unit and how to let it go. */
export interface HeldUnit {
  /** Connection (TCP) or client (UDP) id. */
  readonly id: number;
  readonly direction: 'up' | 'down';
  readonly kind: 'data' | 'end';
  readonly length: number;
  /** Delivers the unit (writes it to its socket). */
  readonly deliver: () => void;
}

export interface HeldInfo {
  /** Sequence number of the held unit, from 0, over the proxy's life. */
  readonly seq: number;
  readonly unit: HeldUnit;
}

export interface HoldQueueOptions {
  /** Units that may wait. Default {@link DEFAULT_MAX_HELD_UNITS}. */
  readonly maxUnits?: number;
  /** Bytes that may wait. Default {@link DEFAULT_MAX_HELD_BYTES}. */
  readonly maxBytes?: number;
  /** Called for every unit held and released. Default: none. */
  readonly onChange?: (what: 'held' | 'released', info: HeldInfo) => void;
}

export interface HoldState {
  readonly holding: boolean;
  readonly units: number;
  readonly bytes: number;
  readonly maxUnits: number;
  readonly maxBytes: number;
  /** Units held and released since the proxy started. */
  readonly heldTotal: number;
  readonly releasedTotal: number;
  /** UDP datagrams refused past the bound. */
  readonly overflowed: number;
}

export interface HoldQueue {
  readonly holding: boolean;
  /** Starts holding (again). */
  hold(): void;
  /**
   * Offers a unit: `passed` (not holding: deliver it yourself), `held`, `full` (held, but the
   * bound is reached: pause the source), or `overflow` (refused: only when `refuseWhenFull`).
   */
  offer(unit: HeldUnit, refuseWhenFull: boolean): 'passed' | 'held' | 'full' | 'overflow';
  /** Releases up to `count` oldest units; returns how many. */
  step(count: number): number;
  /** Releases everything and stops holding; returns how many. */
  resume(): number;
  /** Forgets the units of connection/client `id` (it was reset or closed); returns how many. */
  discard(id: number): number;
  /** Bytes of connection/client `id` and direction waiting. */
  bytesOf(id: number, direction: 'up' | 'down'): number;
  state(): HoldState;
  /** Set limits (an API request may change them). */
  configure(limits: { readonly maxUnits?: number; readonly maxBytes?: number }): void;
}

/** Creates an (initially passing) hold queue. */
export function createHoldQueue(options: HoldQueueOptions = {}): HoldQueue {
  let maxUnits = options.maxUnits ?? DEFAULT_MAX_HELD_UNITS;
  let maxBytes = options.maxBytes ?? DEFAULT_MAX_HELD_BYTES;
  let queue: HeldInfo[] = [];
  let bytes = 0;
  let holding = false;
  let seq = 0;
  let released = 0;
  let overflowed = 0;
  const perLink = new Map<string, number>();
  const key = (id: number, direction: string): string => `${id}:${direction}`;

  const account = (unit: HeldUnit, sign: 1 | -1): void => {
    bytes += sign * unit.length;
    const k = key(unit.id, unit.direction);
    const next = (perLink.get(k) ?? 0) + sign * unit.length;
    if (next === 0) perLink.delete(k);
    else perLink.set(k, next);
  };

  const releaseOne = (): boolean => {
    const info = queue.shift();
    if (info === undefined) return false;
    account(info.unit, -1);
    released++;
    options.onChange?.('released', info);
    info.unit.deliver();
    return true;
  };

  return {
    get holding() {
      return holding;
    },
    hold() {
      holding = true;
    },
    offer(unit, refuseWhenFull) {
      if (!holding && queue.length === 0) return 'passed';
      const full = queue.length >= maxUnits || bytes + unit.length > maxBytes;
      if (full && refuseWhenFull) {
        overflowed++;
        return 'overflow';
      }
      const info = { seq: seq++, unit };
      queue.push(info);
      account(unit, 1);
      options.onChange?.('held', info);
      if (!holding) {
        // Not holding but older units still wait (a resume in progress): keep the order.
        while (queue.length > 0) releaseOne();
        return 'passed';
      }
      return full || queue.length >= maxUnits || bytes >= maxBytes ? 'full' : 'held';
    },
    step(count) {
      let n = 0;
      while (n < count && releaseOne()) n++;
      return n;
    },
    resume() {
      holding = false;
      let n = 0;
      while (releaseOne()) n++;
      return n;
    },
    discard(id) {
      const keep: HeldInfo[] = [];
      let n = 0;
      for (const info of queue) {
        if (info.unit.id === id) {
          account(info.unit, -1);
          n++;
        } else {
          keep.push(info);
        }
      }
      queue = keep;
      return n;
    },
    bytesOf(id, direction) {
      return perLink.get(key(id, direction)) ?? 0;
    },
    state() {
      return { holding, units: queue.length, bytes, maxUnits, maxBytes, heldTotal: seq, releasedTotal: released, overflowed };
    },
    configure(limits) {
      if (limits.maxUnits !== undefined) maxUnits = limits.maxUnits;
      if (limits.maxBytes !== undefined) maxBytes = limits.maxBytes;
    },
  };
}
