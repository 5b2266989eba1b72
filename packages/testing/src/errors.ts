/**
 * Every failure `@netlab/testing` reports itself is a `TestingError` whose `code` comes from this
 * fixed table (the fault model it drives reports `@netlab/faults`' `FaultError`).
 */
export const TESTING_ERROR_CODES = {
  /** A bad option value (a probability outside [0, 1], delays out of order, a bad seed). */
  ERR_INVALID_OPTION: 'invalid option',
  /** A simulation's event queue is full (`maxQueued`). */
  ERR_QUEUE_FULL: 'simulation queue full',
  /** A simulated server or client was used after `close()`. */
  ERR_CLOSED: 'closed',
  /** A simulated client got no reply within its (virtual) timeout. */
  ERR_TIMEOUT: 'timed out',
  /** A service run by `serveSimulated` threw (contained to its session). */
  ERR_SESSION_FAILED: 'session failed',
} as const;

export type TestingErrorCode = keyof typeof TESTING_ERROR_CODES;

/** The one error class of `@netlab/testing`. */
export class TestingError extends Error {
  override readonly name = 'TestingError';
  readonly code: TestingErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: TestingErrorCode, message?: string, options: { readonly cause?: unknown; readonly details?: Readonly<Record<string, unknown>> } = {}) {
    super(message ?? TESTING_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `value` is a {@link TestingError}, optionally with the given code. */
export function isTestingError(value: unknown, code?: TestingErrorCode): value is TestingError {
  return value instanceof TestingError && (code === undefined || value.code === code);
}
