/**
 * Every failure `@netlab/service-calculator` reports is a `CalculatorError` whose `code` comes
 * from this fixed table. The service never throws at run time: it answers `ERROR <reason>`.
 */
export const CALCULATOR_ERROR_CODES = {
  /** A factory option has a bad value (a limit that is not a positive integer). */
  ERR_INVALID_OPTION: 'invalid option',
} as const;

export type CalculatorErrorCode = keyof typeof CALCULATOR_ERROR_CODES;

/** The one error class of `@netlab/service-calculator`. */
export class CalculatorError extends Error {
  override readonly name = 'CalculatorError';
  readonly code: CalculatorErrorCode;

  constructor(code: CalculatorErrorCode, message?: string, options: { readonly cause?: unknown } = {}) {
    super(message ?? CALCULATOR_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Throws `ERR_INVALID_OPTION` unless `value` is an integer in [min, max]. */
export function assertIntegerOption(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CalculatorError('ERR_INVALID_OPTION', `${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
}
