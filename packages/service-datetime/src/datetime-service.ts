/**
 * udp-datetime (UDP): one request per datagram, one reply per request.
 *
 *   `SEND_DATE` → `YYYY-MM-DD`      `SEND_TIME` → `HH:MM:SS`      anything else → `ERROR unknown request`
 *
 * Requests are case-sensitive; surrounding whitespace is ignored. The instant comes from the
 * transport's injected clock (`ctx.now()`), the zone from the options: the server's local time by
 * default, UTC with `utc: true`. Stateless: a reply depends on the request and the clock only, so
 * a lost or repeated datagram is harmless and a client may simply retry.
 */
import type { Service, Session } from '@netlab/service';
import { createDateTimeFormatter } from './date-time-formatter.js';
import { DatetimeError } from './errors.js';
import { malformedReply } from '@netlab/service';

/** Answer in the server's local time unless told otherwise. */
export const DEFAULT_UTC = false;

export interface DatetimeServiceOptions {
  /** Answer in UTC instead of the server's local time. Default {@link DEFAULT_UTC}. */
  readonly utc?: boolean;
  /**
   * An IANA time zone (`Asia/Kolkata`), for tests and servers that serve another zone.
   * Default: the process's time zone. Setting it together with `utc: true` is an error unless it is `UTC`.
   */
  readonly timeZone?: string;
}

/** Creates the udp-datetime service. */
export function createDatetimeService(options: DatetimeServiceOptions = {}): Service<string, string> {
  const utc = options.utc ?? DEFAULT_UTC;
  if (utc && options.timeZone !== undefined && options.timeZone !== 'UTC') {
    throw new DatetimeError('ERR_INVALID_OPTION', `utc: true conflicts with timeZone ${JSON.stringify(options.timeZone)}`);
  }
  const timeZone = utc ? 'UTC' : options.timeZone;
  const formatter = createDateTimeFormatter(timeZone === undefined ? {} : { timeZone });
  return {
    name: 'udp-datetime',
    open(_peer, ctx): Session<string, string> {
      return {
        receive(message) {
          switch (message.trim()) {
            case 'SEND_DATE':
              return [formatter.formatDate(ctx.now())];
            case 'SEND_TIME':
              return [formatter.formatTime(ctx.now())];
            default:
              return ['ERROR unknown request'];
          }
        },
      };
    },
    malformed: (error) => [malformedReply(error)],
  };
}
