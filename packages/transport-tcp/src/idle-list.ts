/**
 * The idle timeouts of every connection of a server, on one timer (internal to `createTcpServer`).
 *
 * Why: a server holds thousands of idle connections, and a Node timer per connection (a
 * `Timeout`, its callback and that callback's context) costs about 250 bytes each. All the
 * connections of a server share one `idleTimeoutMs`, so ordering them by the start of their idle
 * period orders them by deadline: a doubly linked list in activity order, most recently active at
 * the tail, and one timer for the head.
 *
 * Invariants:
 * - `touch` is O(1) (unlink, append) and restarts the entry's idle period at `now`.
 * - While the list is not empty a timer is armed no later than the head's deadline; a timer that
 *   finds the head not yet due re-arms for it. An empty list holds no timer.
 * - An entry is handed to `onIdle` once its deadline has passed, after it has been removed; it
 *   may `touch` itself again (a session busy inside `receive` does not count as idle).
 * - With a clock that jumps backwards, the order may be off by the jump: an entry may then close
 *   up to that much later, never earlier than its own deadline.
 */
import type { Clock } from '@netlab/ground';

/** A member of an {@link IdleList}: the list's links live on the entry, so it allocates nothing. */
export interface IdleEntry {
  idlePrev: IdleEntry | undefined;
  idleNext: IdleEntry | undefined;
  /** Clock time the current idle period started. */
  idleSince: number;
  /** Called once the idle period has lasted the list's timeout; the entry is no longer listed. */
  onIdle(now: number): void;
}

export class IdleList {
  private head: IdleEntry | undefined;
  private tail: IdleEntry | undefined;
  private timer: unknown;
  /** True while the timer's callback runs: it arms the next timer itself, once, at the end. */
  private firing = false;
  private readonly fire = (): void => {
    this.onTimer();
  };

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  /** Starts (or restarts) the idle period of `entry` at `now`. */
  touch(entry: IdleEntry, now: number): void {
    entry.idleSince = now;
    if (this.tail === entry) return;
    if (this.has(entry)) this.unlink(entry);
    entry.idlePrev = this.tail;
    entry.idleNext = undefined;
    if (this.tail === undefined) this.head = entry;
    else this.tail.idleNext = entry;
    this.tail = entry;
    if (this.timer === undefined && !this.firing) this.arm(this.timeoutMs);
  }

  /** Takes `entry` out of the list (its connection closed); no-op if it is not listed. */
  remove(entry: IdleEntry): void {
    if (!this.has(entry)) return;
    this.unlink(entry);
    if (this.head === undefined && this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private has(entry: IdleEntry): boolean {
    return entry.idlePrev !== undefined || this.head === entry;
  }

  private unlink(entry: IdleEntry): void {
    const { idlePrev: prev, idleNext: next } = entry;
    if (prev === undefined) this.head = next;
    else prev.idleNext = next;
    if (next === undefined) this.tail = prev;
    else next.idlePrev = prev;
    entry.idlePrev = undefined;
    entry.idleNext = undefined;
  }

  private arm(delay: number): void {
    this.timer = this.clock.setTimeout(this.fire, Math.max(0, delay));
  }

  private onTimer(): void {
    this.timer = undefined;
    this.firing = true;
    const now = this.clock.now();
    let head = this.head;
    try {
      while (head !== undefined && now - head.idleSince >= this.timeoutMs) {
        this.unlink(head);
        head.onIdle(now);
        head = this.head;
      }
    } finally {
      this.firing = false;
      head = this.head;
      if (head !== undefined) this.arm(head.idleSince + this.timeoutMs - now);
    }
  }
}
