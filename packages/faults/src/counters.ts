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
  /** Units that arrived at the proxy (TCP: socket reads; UDP: datagrams), before any fault. */
  received: number;
  /** Units handed to the receiving side (duplicates included). */
  forwarded: number;
  /** Payload bytes handed to the receiving side. */
  bytes: number;
  /** Units discarded by an impairment (UDP loss; TCP data stalled by `timeout` or past `limit_data`). */
  dropped: number;
  /** Extra copies sent (UDP `duplicate`). */
  duplicated: number;
  /** TCP chunks cut into more than one slice (`slicer`). */
  sliced: number;
  /** Units delivered after a later unit overtook them (UDP `reorder`). */
  reordered: number;
  /** Units with a flipped bit (UDP `corrupt`). */
  corrupted: number;
  /**
   * Units that left later than they arrived (delay, jitter, latency, bandwidth, slicer delay,
   * reorder hold, a stall that was lifted): counted on the way out, so at most `forwarded`.
   */
  delayed: number;
  /** Connections reset (TCP `reset_peer`) or closed by `timeout` / `limit_data`. */
  reset: number;
  /** Units discarded because a bounded queue was full (never silently: counted here). */
  overflowed: number;
}

export type FaultCounters = Record<Direction, DirectionCounters>;

export const COUNTER_FIELDS: readonly (keyof DirectionCounters)[] = [
  'received',
  'forwarded',
  'bytes',
  'dropped',
  'duplicated',
  'sliced',
  'reordered',
  'corrupted',
  'delayed',
  'reset',
  'overflowed',
];

/** A zeroed set of counters for one direction. */
export function createDirectionCounters(): DirectionCounters {
  return { received: 0, forwarded: 0, bytes: 0, dropped: 0, duplicated: 0, sliced: 0, reordered: 0, corrupted: 0, delayed: 0, reset: 0, overflowed: 0 };
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

/** The columns that apply to a protocol, in table order (UDP has no slicer or reset, TCP no loss model). */
export const PROTOCOL_COUNTER_FIELDS: Readonly<Record<'tcp' | 'udp', readonly (keyof DirectionCounters)[]>> = {
  tcp: ['received', 'forwarded', 'bytes', 'sliced', 'delayed', 'dropped', 'reset', 'overflowed'],
  udp: ['received', 'forwarded', 'bytes', 'dropped', 'duplicated', 'reordered', 'corrupted', 'delayed', 'overflowed'],
};

/** What each percentage is taken of: units that arrived, or units that left. */
const PERCENT_OF: Partial<Record<keyof DirectionCounters, 'received' | 'forwarded'>> = {
  dropped: 'received',
  duplicated: 'received',
  sliced: 'received',
  reordered: 'forwarded',
  corrupted: 'forwarded',
  delayed: 'forwarded',
  overflowed: 'received',
};

/** `9 (32.1%)`, or just `9` when the base is 0 or the field has no percentage. */
function cell(counters: Readonly<DirectionCounters>, field: keyof DirectionCounters): string {
  const base = PERCENT_OF[field];
  const value = counters[field];
  if (base === undefined || counters[base] === 0) return String(value);
  return `${value} (${((100 * value) / counters[base]).toFixed(1)}%)`;
}

/** The unit each protocol counts in, for table titles and JSON. */
export const COUNTER_UNITS: Readonly<Record<'tcp' | 'udp', string>> = { tcp: 'chunks', udp: 'datagrams' };

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((text, column) => (column === 0 ? text.padEnd(widths[column] ?? 0) : text.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * A small fixed-width table, one row per direction. Without `protocol`, every field, bare numbers
 * (the historical format):
 *
 * ```
 * direction  received  forwarded  bytes  dropped  duplicated  sliced  reordered  corrupted  delayed  reset  overflowed
 * up             1000       1000  12000       98          51       0         49         10      100      0           0
 * ```
 *
 * With `protocol`, only the columns that apply to it, with percentages (dropped, duplicated,
 * sliced and overflowed of `received`; reordered, corrupted and delayed of `forwarded`):
 *
 * ```
 * direction  received  forwarded  bytes     dropped  duplicated  reordered  corrupted      delayed  overflowed
 * up               28         19    190  9 (32.1%)           0          0          0            0           0
 * ```
 */
export function formatCounters(counters: Readonly<FaultCounters>, protocol?: 'tcp' | 'udp'): string {
  const fields = protocol === undefined ? COUNTER_FIELDS : PROTOCOL_COUNTER_FIELDS[protocol];
  const header = ['direction', ...fields];
  const rows = DIRECTIONS.map((direction) => [
    direction,
    ...fields.map((field) => (protocol === undefined ? String(counters[direction][field]) : cell(counters[direction], field))),
  ]);
  if (protocol === undefined) {
    // Historical format: every line padded to the same width.
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
    const line = (cells: readonly string[]): string =>
      cells.map((text, column) => (column === 0 ? text.padEnd(widths[column] ?? 0) : text.padStart(widths[column] ?? 0))).join('  ');
    return [line(header), ...rows.map(line)].join('\n');
  }
  return table(header, rows);
}

/** What the columns mean, printed under the table by `netlab proxy`. */
export function describeCounters(protocol: 'tcp' | 'udp'): string {
  return protocol === 'tcp'
    ? [
        'units: chunks. received = socket reads that arrived; forwarded = writes passed on (a sliced chunk becomes several);',
        'sliced = chunks cut into slices (% of received); delayed = writes that left later than their bytes arrived',
        '(latency, bandwidth, slicer delay, a lifted stall; % of forwarded); dropped = chunks discarded by timeout,',
        'limit_data or a reset; reset = connections reset or closed by a fault.',
      ].join('\n')
    : [
        'units: datagrams. received = datagrams that arrived; forwarded = datagrams passed on (duplicates included);',
        'dropped, duplicated and overflowed are % of received; reordered, corrupted and delayed are % of forwarded;',
        'delayed = datagrams that left later than they arrived (delay, jitter, reorder hold).',
      ].join('\n');
}
