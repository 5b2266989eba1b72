/**
 * Every failure `@netlab/service-text` reports is a `TextServiceError` whose `code` comes from this
 * fixed table. The services themselves never throw at run time: bad input is answered on the wire.
 */
export const TEXT_SERVICE_ERROR_CODES = {
  /** A factory option has a bad value (a reply containing a line terminator, an unknown case). */
  ERR_INVALID_OPTION: 'invalid option',
} as const;

export type TextServiceErrorCode = keyof typeof TEXT_SERVICE_ERROR_CODES;

/** The one error class of `@netlab/service-text`. */
export class TextServiceError extends Error {
  override readonly name = 'TextServiceError';
  readonly code: TextServiceErrorCode;

  constructor(code: TextServiceErrorCode, message?: string, options: { readonly cause?: unknown } = {}) {
    super(message ?? TEXT_SERVICE_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Throws `ERR_INVALID_OPTION` unless `value` can be sent as one line (no CR or LF). */
export function assertLineOption(name: string, value: string): void {
  if (/[\r\n]/u.test(value)) {
    throw new TextServiceError('ERR_INVALID_OPTION', `${name} must be a single line (no CR or LF)`);
  }
}
