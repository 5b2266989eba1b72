/**
 * Every failure `@netlab/service-chat` reports is a `ChatError` whose `code` comes from this
 * fixed table. The service never throws at run time: members get `ERROR <reason>` lines.
 */
export const CHAT_ERROR_CODES = {
  /** A factory option has a bad value (a limit that is not a positive integer, a bad rate). */
  ERR_INVALID_OPTION: 'invalid option',
  /** The shared room's engine cannot be reached (a `RoomBus` write failed); members get `ERROR room unavailable, try again`. */
  ERR_ROOM_UNAVAILABLE: 'room unavailable',
} as const;

export type ChatErrorCode = keyof typeof CHAT_ERROR_CODES;

/** The one error class of `@netlab/service-chat`. */
export class ChatError extends Error {
  override readonly name = 'ChatError';
  readonly code: ChatErrorCode;

  constructor(code: ChatErrorCode, message?: string, options: { readonly cause?: unknown } = {}) {
    super(message ?? CHAT_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Throws `ERR_INVALID_OPTION` unless `value` is a finite number in [min, max] (an integer if asked). */
export function assertNumberOption(name: string, value: number, min: number, max: number, integer: boolean): void {
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new ChatError('ERR_INVALID_OPTION', `${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${String(value)}`);
  }
}
