/**
 * Every failure `@netlab/service-numeric` reports is a `NumericError` whose `code` comes from this
 * fixed table. The service never throws at run time: it answers `ERROR <reason>` on the wire.
 */
export const NUMERIC_ERROR_CODES = {
  /** Text that is not an optionally signed run of ASCII decimal digits. */
  ERR_INVALID_INTEGER: 'not an integer',
  /** An integer with more significant digits than the configured cap. */
  ERR_TOO_MANY_DIGITS: 'integer has too many digits',
  /** A factory option has a bad value. */
  ERR_INVALID_OPTION: 'invalid option',
} as const;

export type NumericErrorCode = keyof typeof NUMERIC_ERROR_CODES;

/** The one error class of `@netlab/service-numeric`. */
export class NumericError extends Error {
  override readonly name = 'NumericError';
  readonly code: NumericErrorCode;

  constructor(code: NumericErrorCode, message?: string, options: { readonly cause?: unknown } = {}) {
    super(message ?? NUMERIC_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
