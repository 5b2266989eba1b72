/**
 * Every failure `@netlab/service-knock-knock` reports is a `KnockKnockError` whose `code` comes
 * from this fixed table. The service never throws at run time: wrong answers are part of the game.
 */
export const KNOCK_KNOCK_ERROR_CODES = {
  /** A joke list that is empty, too long, or has a clue or answer that is not one short line. */
  ERR_INVALID_JOKES: 'invalid joke list',
} as const;

export type KnockKnockErrorCode = keyof typeof KNOCK_KNOCK_ERROR_CODES;

/** The one error class of `@netlab/service-knock-knock`. */
export class KnockKnockError extends Error {
  override readonly name = 'KnockKnockError';
  readonly code: KnockKnockErrorCode;

  constructor(code: KnockKnockErrorCode, message?: string, options: { readonly cause?: unknown } = {}) {
    super(message ?? KNOCK_KNOCK_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
