/**
 * Every failure `@netlab/service-datetime` reports is a `DatetimeError` whose `code` comes from
 * this fixed table. The service never throws at run time: it answers `ERROR unknown request`.
 */
export const DATETIME_ERROR_CODES = {
  /** A bad option: an unknown IANA time zone, or `utc` together with another time zone. */
  ERR_INVALID_OPTION: 'invalid option',
} as const;

export type DatetimeErrorCode = keyof typeof DATETIME_ERROR_CODES;

/** The one error class of `@netlab/service-datetime`. */
export class DatetimeError extends Error {
  override readonly name = 'DatetimeError';
  readonly code: DatetimeErrorCode;

  constructor(code: DatetimeErrorCode, message?: string, options: { readonly cause?: unknown } = {}) {
    super(message ?? DATETIME_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
