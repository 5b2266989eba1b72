/**
 * Every failure `@netlab/check` reports is a `CheckError` whose `code` comes from this fixed
 * table. A case that does not hold is not an error of the checker: it is a `CaseFailure`
 * (`ERR_CASE_FAILED`), caught by the runner and reported as the case's message.
 */
export const CHECK_ERROR_CODES = {
  /** A factory option or CLI value has a bad value (a negative time scale, an unknown format). */
  ERR_INVALID_OPTION: 'invalid option',
  /** No suite is known for this exercise and role. */
  ERR_UNKNOWN_EXERCISE: 'unknown exercise',
  /** A suite file could not be read or does not have the documented shape; the message names the line. */
  ERR_SUITE_FILE: 'invalid suite file',
  /** `--only` named no case of the suite. */
  ERR_NO_CASES: 'no cases selected',
  /** The target never came up: the command exited, or nothing listened within the start timeout. */
  ERR_TARGET_START: 'the target never came up',
  /** A connection to the target was refused or timed out during a case (reported as an error, not a failure). */
  ERR_TARGET_UNREACHABLE: 'the target could not be reached',
  /** A case could not be judged (the machine was too busy to send pieces of a line close enough together); reported as an error. */
  ERR_CASE_UNJUDGED: 'the case could not be judged',
  /** A case's expectation did not hold (caught by the runner, reported as a failed case). */
  ERR_CASE_FAILED: 'case failed',
} as const;

export type CheckErrorCode = keyof typeof CHECK_ERROR_CODES;

/** The one error class of `@netlab/check`. */
export class CheckError extends Error {
  override readonly name: string = 'CheckError';
  readonly code: CheckErrorCode;

  constructor(code: CheckErrorCode, message?: string, options: { readonly cause?: unknown } = {}) {
    super(message ?? CHECK_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** A case's expectation did not hold: what was sent, what was expected, what came back. */
export class CaseFailure extends CheckError {
  override readonly name = 'CaseFailure';

  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super('ERR_CASE_FAILED', message, options);
  }
}

/** True for a `CaseFailure` (a failed expectation rather than a broken checker or target). */
export function isCaseFailure(error: unknown): error is CaseFailure {
  return error instanceof CaseFailure;
}

/** Throws `ERR_INVALID_OPTION` unless `value` is a finite number in [min, max]. */
export function assertNumberOption(name: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new CheckError('ERR_INVALID_OPTION', `${name} must be a number from ${min} to ${max}, got ${String(value)}`);
  }
}
