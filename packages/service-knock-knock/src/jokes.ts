/**
 * Joke lists. The default list is the Oracle Java tutorial's five jokes, kept as data in
 * `jokes.json` (bundled into the build, shipped in the package). Any list, default or custom, is
 * validated: 1 to {@link MAX_JOKES} jokes, each clue and answer a non-empty line of at most
 * {@link MAX_JOKE_TEXT_LENGTH} characters with no control characters (a CR or LF would split a
 * protocol line in two).
 */
import data from './jokes.json' with { type: 'json' };
import { KnockKnockError } from './errors.js';

/** One knock-knock joke: the server says the clue, then the answer after "<clue> who?". */
export interface Joke {
  readonly clue: string;
  readonly answer: string;
}

/** Most jokes in one list. */
export const MAX_JOKES = 1000;
/** Most characters (UTF-16 code units) in a clue or an answer. */
export const MAX_JOKE_TEXT_LENGTH = 200;

/** True for C0 and C1 control characters (CR and LF among them). */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

function checkText(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new KnockKnockError('ERR_INVALID_JOKES', `${where} must be a string`);
  if (value.trim() === '') throw new KnockKnockError('ERR_INVALID_JOKES', `${where} must not be empty`);
  if (value.length > MAX_JOKE_TEXT_LENGTH) {
    throw new KnockKnockError('ERR_INVALID_JOKES', `${where} is longer than ${MAX_JOKE_TEXT_LENGTH} characters`);
  }
  if (hasControlCharacter(value)) throw new KnockKnockError('ERR_INVALID_JOKES', `${where} contains a control character`);
  return value;
}

// Lists this module produced: checked once, not again for every connection that uses them.
const validated = new WeakSet<object>();

/** Checks a joke list from any source (a parsed JSON file, an option) and returns a frozen copy. */
export function validateJokes(value: unknown): readonly Joke[] {
  if (typeof value === 'object' && value !== null && validated.has(value)) return value as readonly Joke[];
  if (!Array.isArray(value)) throw new KnockKnockError('ERR_INVALID_JOKES', 'jokes must be an array');
  const list: readonly unknown[] = value;
  if (list.length === 0) throw new KnockKnockError('ERR_INVALID_JOKES', 'jokes must not be empty');
  if (list.length > MAX_JOKES) throw new KnockKnockError('ERR_INVALID_JOKES', `more than ${MAX_JOKES} jokes`);
  const jokes = Object.freeze(
    list.map((item, i): Joke => {
      if (typeof item !== 'object' || item === null) throw new KnockKnockError('ERR_INVALID_JOKES', `jokes[${i}] must be an object`);
      const joke = item as Record<string, unknown>;
      return Object.freeze({ clue: checkText(joke.clue, `jokes[${i}].clue`), answer: checkText(joke.answer, `jokes[${i}].answer`) });
    }),
  );
  validated.add(jokes);
  return jokes;
}

/** The tutorial's jokes: Turnip, Little Old Lady, Atch, Who, Who. */
export const DEFAULT_JOKES: readonly Joke[] = validateJokes(data);
