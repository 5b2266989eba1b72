/**
 * Every failure `@netlab/ground` reports is a `GroundError` whose `code` comes from this fixed
 * table. The ground pieces are called with options and arguments by other packages; a bad value
 * is a programming mistake, reported at once with the name of what was wrong.
 */
export const GROUND_ERROR_CODES = {
  /** A bad option value (a backoff ceiling below its first delay, ...). */
  ERR_INVALID_OPTION: 'invalid option',
  /** A bad argument (a PRNG seed that is not a safe integer, `int(0)`, ...). */
  ERR_INVALID_ARGUMENT: 'invalid argument',
} as const;

export type GroundErrorCode = keyof typeof GROUND_ERROR_CODES;

export interface GroundErrorOptions {
  readonly cause?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one error class of `@netlab/ground`. */
export class GroundError extends Error {
  override readonly name = 'GroundError';
  readonly code: GroundErrorCode;
  /** Machine-readable context: the option, the value, the accepted range. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: GroundErrorCode, message?: string, options: GroundErrorOptions = {}) {
    super(message ?? GROUND_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `value` is a {@link GroundError}, optionally with the given code. */
export function isGroundError(value: unknown, code?: GroundErrorCode): value is GroundError {
  return value instanceof GroundError && (code === undefined || value.code === code);
}
