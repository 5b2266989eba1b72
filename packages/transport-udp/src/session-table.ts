/**
 * The per-peer sessions of one UDP server (internal to `createUdpServer`): a map ordered by last
 * activity (a session is re-inserted on every datagram, so the least recently active comes first),
 * one expiry timer for the oldest, and the choice of a session to evict.
 *
 * Invariants:
 * - Expiry work is proportional to the sessions that expire: the walk stops at the first session
 *   that is not yet due. A session busy inside a receive is not silent: it is moved to the back
 *   (its silence counts from now).
 * - While the table is not empty a timer is armed no later than the oldest session's deadline;
 *   an empty table holds no timer.
 * - Eviction picks the least recently active session that is idle (no receive pending), looking
 *   at no more than `scanLimit` of the oldest, so a full table of busy sessions costs a bounded
 *   walk per newcomer.
 */
import type { Clock } from '@netlab/ground';

/** What the table needs from a session. */
export interface TableEntry {
  readonly key: string;
  /** Clock time of the session's last datagram (or its opening). */
  lastSeen: number;
  /** True while a receive is pending. */
  readonly busy: boolean;
}

export class SessionTable<S extends TableEntry> {
  private readonly map = new Map<string, S>();
  private timer: unknown;
  private readonly fire = (): void => {
    this.timer = undefined;
    this.expire(this.clock.now());
    this.arm();
  };

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    /** Ends a session that expired; it must `remove` it. */
    private readonly onExpire: (session: S) => void,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): S | undefined {
    return this.map.get(key);
  }

  values(): S[] {
    return [...this.map.values()];
  }

  add(session: S): void {
    this.map.set(session.key, session);
    this.arm();
  }

  /** A datagram arrived for `session`: it becomes the most recently active. */
  touch(session: S, now: number): void {
    session.lastSeen = now;
    this.map.delete(session.key);
    this.map.set(session.key, session);
  }

  remove(session: S): void {
    if (this.map.get(session.key) !== session) return;
    this.map.delete(session.key);
    if (this.map.size === 0) this.disarm();
  }

  /** The least recently active idle session among the `scanLimit` oldest, if any. */
  leastRecentIdle(scanLimit: number): S | undefined {
    let scanned = 0;
    for (const session of this.map.values()) {
      if (!session.busy) return session;
      if (++scanned >= scanLimit) return undefined;
    }
    return undefined;
  }

  /** Ends every session silent for the whole TTL (busy ones are given another TTL). */
  expire(now: number): void {
    // Live iteration: ending a session deletes it (skipped), a busy one re-inserted at the back is
    // reached again only with a fresh lastSeen, which stops the walk.
    for (const session of this.map.values()) {
      if (now - session.lastSeen < this.ttlMs) break;
      if (session.busy) this.touch(session, now);
      else this.onExpire(session);
    }
  }

  /** Cancels the timer (shutdown). */
  disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    const oldest = this.map.values().next();
    if (oldest.done === true) return;
    this.timer = this.clock.setTimeout(this.fire, Math.max(1, oldest.value.lastSeen + this.ttlMs - this.clock.now()));
  }
}
