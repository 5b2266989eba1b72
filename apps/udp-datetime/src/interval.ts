/**
 * `--interval MIN-MAX` for the udp-datetime client: a range of pauses between requests, each end
 * a duration in the one netlab syntax (`250ms`, `2s`, `5min`, `1h`; `@netlab/cli-kit`'s
 * `parseDuration`): `1-2s`, `10-20ms`, `500ms-1.5s`; one value (`500ms`) is a fixed pause. A unit
 * written only after MAX applies to both ends (`1-2s` is 1 s to 2 s); a bare range is ms.
 */
import { CliError, durationUnitOf, formatDuration, parseDuration } from '@netlab/cli-kit';

/** A pause range in whole milliseconds, min ≤ max. */
export interface IntervalRange {
  readonly minMs: number;
  readonly maxMs: number;
}

/** The lab's pace: a request every 1 to 2 seconds. */
export const DEFAULT_INTERVAL: IntervalRange = { minMs: 1000, maxMs: 2000 };
/** Longest pause accepted: one hour. */
export const MAX_INTERVAL_MS = 3_600_000;

/** Parses `MIN-MAX` (or one value); throws `ERR_USAGE` naming the bad value. */
export function parseInterval(value: string): IntervalRange {
  const bad = (why: string): CliError => new CliError('ERR_USAGE', `invalid --interval "${value}": ${why}`);
  const parts = value.trim().split('-');
  if (parts.length > 2 || parts.some((part) => part.trim() === '')) throw bad('expected MIN-MAX durations (1-2s, 10-20ms, 500ms-1.5s) or one duration');
  const [min = '', max] = parts;
  const defaultUnit = max === undefined ? 'ms' : (durationUnitOf(max) ?? 'ms');
  let minMs: number;
  let maxMs: number;
  try {
    minMs = parseDuration(min, '--interval', { defaultUnit });
    maxMs = max === undefined ? minMs : parseDuration(max, '--interval');
  } catch {
    throw bad('expected MIN-MAX durations (1-2s, 10-20ms, 500ms-1.5s) or one duration');
  }
  if (minMs > maxMs) throw bad('MIN is larger than MAX');
  if (maxMs > MAX_INTERVAL_MS) throw bad(`at most ${formatDuration(MAX_INTERVAL_MS)}`);
  return { minMs, maxMs };
}

/** `1-2s`, `10-20ms`, `500ms-1.5s`, `500ms`: how `--help` shows a range, as it is typed. */
export function formatInterval(range: IntervalRange): string {
  if (range.minMs === range.maxMs) return formatDuration(range.minMs);
  const min = formatDuration(range.minMs);
  const max = formatDuration(range.maxMs);
  const unit = durationUnitOf(max);
  // 1s-2s reads as 1-2s: drop MIN's unit when it is MAX's.
  return unit !== undefined && durationUnitOf(min) === unit ? `${min.slice(0, -unit.length)}-${max}` : `${min}-${max}`;
}
