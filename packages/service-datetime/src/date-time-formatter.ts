/**
 * Calendar date (`YYYY-MM-DD`) and 24-hour clock time (`HH:MM:SS`) of an instant in one time
 * zone, through `Intl` (the IANA database shipped with Node), independent of the locale.
 */
import { DatetimeError } from './errors.js';

/** Formats instants (milliseconds since the epoch) in one fixed time zone. */
export interface DateTimeFormatter {
  /** The IANA time zone in use, resolved (`Europe/Paris`, `UTC`). */
  readonly timeZone: string;
  /** `YYYY-MM-DD`, the year zero-padded to four digits. */
  formatDate(epochMs: number): string;
  /** `HH:MM:SS`, 00 to 23 hours. */
  formatTime(epochMs: number): string;
}

export interface DateTimeFormatterOptions {
  /** An IANA time zone name. Default: the process's time zone (`TZ`, else the system's). */
  readonly timeZone?: string;
}

/** Creates a formatter; throws `ERR_INVALID_OPTION` for an unknown time zone. */
export function createDateTimeFormatter(options: DateTimeFormatterOptions = {}): DateTimeFormatter {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }),
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
  } catch (error) {
    throw new DatetimeError('ERR_INVALID_OPTION', `unknown time zone ${JSON.stringify(options.timeZone)}`, { cause: error });
  }
  const parts = (epochMs: number): Partial<Record<Intl.DateTimeFormatPartTypes, string>> => {
    const out: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
    for (const part of format.formatToParts(epochMs)) out[part.type] = part.value;
    return out;
  };
  return {
    timeZone: format.resolvedOptions().timeZone,
    formatDate(epochMs) {
      const p = parts(epochMs);
      return `${(p.year ?? '').padStart(4, '0')}-${p.month ?? ''}-${p.day ?? ''}`;
    },
    formatTime(epochMs) {
      const p = parts(epochMs);
      return `${p.hour ?? ''}:${p.minute ?? ''}:${p.second ?? ''}`;
    },
  };
}
