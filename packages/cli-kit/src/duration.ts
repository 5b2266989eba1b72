/**
 * The one duration syntax of every netlab command: a number and a unit, `250ms`, `2s`, `1.5s`,
 * `5min` (or `5m`), `1h`; a bare number is milliseconds (`250`). Parsed here, and printed the same
 * way in `--help` defaults (`formatDuration(3_600_000)` → `1h`), so what a user reads is what
 * they can type back.
 *
 * Limits: non-negative, at most {@link MAX_DURATION_MS} (the longest a Node.js timer can wait),
 * rounded to whole milliseconds.
 */
import { CliError } from './errors.js';

/** The units accepted, with their length in milliseconds. `m` is a synonym of `min`. */
export const DURATION_UNITS = { ms: 1, s: 1000, min: 60_000, m: 60_000, h: 3_600_000 } as const;

export type DurationUnit = keyof typeof DURATION_UNITS;

/** The longest duration accepted: 2^31 − 1 ms (about 24.8 days), what `setTimeout` can wait. */
export const MAX_DURATION_MS = 2_147_483_647;

export interface ParseDurationOptions {
  /** Unit of a bare number. Default `'ms'`. */
  readonly defaultUnit?: DurationUnit;
}

const PATTERN = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|min|m|h)?$/;

/** The unit written after a duration (`'s'` for `2s`), or undefined for a bare number or no match. */
export function durationUnitOf(value: string): DurationUnit | undefined {
  const unit = PATTERN.exec(value.trim())?.[2];
  return unit === undefined ? undefined : (unit as DurationUnit);
}

/**
 * Parses a duration to whole milliseconds; throws `CliError` (`ERR_USAGE`) naming `name` and the
 * value when it is malformed, negative or longer than {@link MAX_DURATION_MS}.
 */
export function parseDuration(value: string, name: string, options: ParseDurationOptions = {}): number {
  const match = PATTERN.exec(value.trim());
  if (match === null) {
    throw new CliError('ERR_USAGE', `invalid ${name} "${value}": expected a duration such as 250ms, 2s, 5min or 1h (a bare number is ${options.defaultUnit ?? 'ms'})`);
  }
  const unit = (match[2] ?? options.defaultUnit ?? 'ms') as DurationUnit;
  const ms = Math.round(Number(match[1]) * DURATION_UNITS[unit]);
  if (ms > MAX_DURATION_MS) {
    throw new CliError('ERR_USAGE', `invalid ${name} "${value}": at most ${formatDuration(MAX_DURATION_MS)} (${MAX_DURATION_MS}ms)`);
  }
  return ms;
}

/**
 * Formats milliseconds the way a user types them: the largest unit that gives a whole number or
 * a number with at most one decimal (`250ms`, `1.5s`, `90s`, `5min`, `1h`, `0ms`).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return `${ms}ms`;
  const units: readonly (readonly [Exclude<DurationUnit, 'm'>, number])[] = [
    ['h', DURATION_UNITS.h],
    ['min', DURATION_UNITS.min],
    ['s', DURATION_UNITS.s],
  ];
  for (const [unit, size] of units) {
    if (ms < size) continue;
    const value = ms / size;
    if (Number.isInteger(value)) return `${value}${unit}`;
    // 1.5s reads better than 1500ms; 1.25min does not read better than 75s.
    if (unit === 's' && Number.isInteger(value * 10)) return `${value}${unit}`;
  }
  return `${ms}ms`;
}
