/**
 * `--interval MIN-MAX` for the udp-datetime client: a range of pauses between requests, in
 * milliseconds (`1000-2000`, `10-20ms`) or seconds (`1-2s`, `0.5s-1500ms`); one value
 * (`500ms`) is a fixed pause. A unit written only after MAX applies to both ends.
 */
import { CliError } from '@netlab/cli-kit';

/** A pause range in whole milliseconds, min ≤ max. */
export interface IntervalRange {
  readonly minMs: number;
  readonly maxMs: number;
}

/** The lab's pace: a request every 1 to 2 seconds. */
export const DEFAULT_INTERVAL: IntervalRange = { minMs: 1000, maxMs: 2000 };
/** Longest pause accepted: one hour. */
export const MAX_INTERVAL_MS = 3_600_000;

const toMs = (value: string, unit: string | undefined): number => Math.round(Number(value) * (unit === 's' ? 1000 : 1));

/** Parses `MIN-MAX` (or one value); throws `ERR_USAGE` naming the bad value. */
export function parseInterval(value: string): IntervalRange {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?(?:-(\d+(?:\.\d+)?)(ms|s)?)?$/.exec(value.trim());
  const bad = (why: string): CliError => new CliError('ERR_USAGE', `invalid --interval "${value}": ${why}`);
  if (match === null) throw bad('expected MIN-MAX in ms (1000-2000, 10-20ms) or seconds (1-2s)');
  const [, min = '', minUnit, max, maxUnit] = match;
  const minMs = toMs(min, minUnit ?? maxUnit);
  const maxMs = max === undefined ? minMs : toMs(max, maxUnit);
  if (minMs > maxMs) throw bad('MIN is larger than MAX');
  if (maxMs > MAX_INTERVAL_MS) throw bad(`at most ${MAX_INTERVAL_MS} ms`);
  return { minMs, maxMs };
}
