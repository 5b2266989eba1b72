import { Option } from 'commander';
import { formatDuration, parseDuration } from './duration.js';

/**
 * A `--flag <duration>` option parsed with `parseDuration` whose `--help` default reads as a user
 * would type it (`(default: 1h)`, never `3600000`). The flag name (without dashes) names the
 * value in error messages.
 */
export function durationOption(flags: string, description: string, defaultMs?: number): Option {
  const option = new Option(flags, description);
  const name = option.long ?? flags;
  option.argParser((value: string) => parseDuration(value, name));
  if (defaultMs !== undefined) option.default(defaultMs, formatDuration(defaultMs));
  return option;
}
