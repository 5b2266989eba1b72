/**
 * Every failure `@netlab/service-atm` throws is an `AtmError` whose `code` comes from this fixed
 * table. Declines (insufficient funds, a wrong PIN...) are not errors: they are replies with a
 * response code (see `response-codes.ts`). These codes are for misuse and broken peers.
 */
export const ATM_ERROR_CODES = {
  /** A bad option value (a PIN hash cost out of range, a malformed table prefix...). */
  ERR_INVALID_OPTION: 'invalid option',
  /** A PIN or card number that is not digits of the allowed length (never echoes the PIN). */
  ERR_INVALID_CREDENTIALS: 'invalid card number or PIN format',
  /** The bank's reply did not match the reply schema. */
  ERR_INVALID_REPLY: 'invalid reply from the bank',
  /** An operation that needs a session was called before a successful login. */
  ERR_NOT_LOGGED_IN: 'not logged in',
  /**
   * No definite answer for a step that moves money (a withdrawal's confirmation, or both its
   * authorization and the reversal sent after it): whether it took effect is not known.
   */
  ERR_OUTCOME_UNKNOWN: 'outcome unknown',
  /** The bank key given does not match the key check value the store was made with (no PIN could be verified). */
  ERR_WRONG_BANK_KEY: 'the bank key does not match this store',
  /**
   * The store's file is not a usable netlab bank: empty, damaged (integrity check failed,
   * `SQLITE_CORRUPT`) or another program's database. `details.reason` says which.
   */
  ERR_STORE_INVALID: 'the store is not a usable netlab bank',
  /** The ledger holds a row the rules say cannot exist (a session or withdrawal naming a missing account). */
  ERR_CORRUPT_LEDGER: 'the ledger is inconsistent',
} as const;

export type AtmErrorCode = keyof typeof ATM_ERROR_CODES;

export interface AtmErrorOptions {
  /** The underlying error, if any. */
  readonly cause?: unknown;
  /** Machine-readable context (never a PIN or PIN block). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one error class of `@netlab/service-atm`. */
export class AtmError extends Error {
  override readonly name = 'AtmError';
  readonly code: AtmErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: AtmErrorCode, message?: string, options: AtmErrorOptions = {}) {
    super(message ?? ATM_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `value` is an {@link AtmError}, optionally with the given code. */
export function isAtmError(value: unknown, code?: AtmErrorCode): value is AtmError {
  return value instanceof AtmError && (code === undefined || value.code === code);
}

/** Throws `ERR_INVALID_OPTION` unless `value` is an integer in [min, max]. */
export function assertIntegerOption(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AtmError('ERR_INVALID_OPTION', `${name} must be an integer from ${min} to ${max}, got ${String(value)}`, {
      details: { option: name, value, min, max },
    });
  }
}
