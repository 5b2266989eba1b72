/**
 * Fault counters: one fixed set of fields per direction, so the error-rate report reads the same
 * for TCP and UDP. "up" is client → server (toward the upstream), "down" is server → client.
 *
 * For UDP a unit is a datagram; for TCP it is a chunk (one `data` event in, one write out), and
 * `bytes` counts payload bytes either way. Counters only grow; they are plain mutable numbers so
 * a hot path increments them without allocation, and `snapshotCounters()` copies them for callers.
 */

/** The two directions of a proxied conversation. */
export type Direction = 'up' | 'down';

export const DIRECTIONS: readonly Direction[] = ['up', 'down'];

export interface DirectionCounters {
  /** Units handed to the receiving side (duplicates included). */
  forwarded: number;
  /** Payload bytes handed to the receiving side. */
  bytes: number;
  /** Units discarded by an impairment (UDP loss; TCP data stalled by `timeout` or past `limit_data`). */
  dropped: number;
  /** Extra copies sent (UDP `duplicate`). */
  duplicated: number;
  /** Units delivered after a later unit overtook them (UDP `reorder`). */
  reordered: number;
  /** Units with a flipped bit (UDP `corrupt`). */
  corrupted: number;
  /** Units held back for any time before delivery (delay, jitter, latency, bandwidth, reorder hold). */
  delayed: number;
  /** Connections reset (TCP `reset_peer`) or closed by `timeout` / `limit_data`. */
  reset: number;
  /** Units discarded because a bounded queue was full (never silently: counted here). */
  overflowed: number;
}

export type FaultCounters = Record<Direction, DirectionCounters>;

export const COUNTER_FIELDS: readonly (keyof DirectionCounters)[] = [
  'forwarded',
  'bytes',
  'dropped',
  'duplicated',
  'reordered',
  'corrupted',
  'delayed',
  'reset',
  'overflowed',
];

/** A zeroed set of counters for one direction. */
export function createDirectionCounters(): DirectionCounters {
  return { forwarded: 0, bytes: 0, dropped: 0, duplicated: 0, reordered: 0, corrupted: 0, delayed: 0, reset: 0, overflowed: 0 };
}

/** A zeroed pair of direction counters. */
export function createFaultCounters(): FaultCounters {
  return { up: createDirectionCounters(), down: createDirectionCounters() };
}

/** Adds `from` into `into` (used to fold a closed connection's counters into the totals). */
export function addCounters(into: DirectionCounters, from: Readonly<DirectionCounters>): void {
  for (const field of COUNTER_FIELDS) into[field] += from[field];
}

/** A copy that later increments do not change. */
export function snapshotCounters(counters: Readonly<FaultCounters>): FaultCounters {
  return { up: { ...counters.up }, down: { ...counters.down } };
}

/**
 * A small fixed-width table, one row per direction:
 *
 * ```
 * direction  forwarded  bytes  dropped  duplicated  reordered  corrupted  delayed  reset  overflowed
 * up              1000  12000       98          51         49         10      100      0           0
 * ```
 */
export function formatCounters(counters: Readonly<FaultCounters>): string {
  const header = ['direction', ...COUNTER_FIELDS];
  const rows = DIRECTIONS.map((direction) => [direction, ...COUNTER_FIELDS.map((field) => String(counters[direction][field]))]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
