/**
 * Chat names: 1 to 32 ASCII letters, digits, `_` and `-`, unique in the room ignoring case.
 *
 * ASCII only, on purpose: Unicode letters would let `аlice` (Cyrillic а) impersonate `alice`, and
 * case-insensitive comparison of Unicode has no single answer (`ß`/`SS`, dotted and dotless i).
 * `quit` is reserved: typing it leaves the room.
 */

/** Longest name, in characters. */
export const MAX_NAME_LENGTH = 32;

const NAME = /^[A-Za-z0-9_-]{1,32}$/u;

/** True when `name` follows the naming rule (uniqueness is the room's business). */
export function isValidChatName(name: string): boolean {
  return NAME.test(name) && name.toLowerCase() !== 'quit';
}

/** The key names are compared by: two names collide when their keys are equal. */
export function chatNameKey(name: string): string {
  return name.toLowerCase();
}
