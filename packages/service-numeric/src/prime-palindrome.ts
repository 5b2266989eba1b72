/**
 * prime-palindrome (TCP): one question per line.
 *
 * Request: `<integer> <prime|palindrome>` or `<prime|palindrome> <integer>`, words separated by
 * whitespace, the operation in any case, surrounding whitespace ignored. The integer is an
 * optionally signed run of ASCII digits with at most `maxDigits` significant digits.
 *
 * Replies (n in canonical decimal: no `+`, no leading zeros, `-0` → `0`):
 *   `<n> is prime` | `<n> is not prime` | `<n> is a palindrome` | `<n> is not a palindrome`
 * Errors, one per cause:
 *   `ERROR empty request`
 *   `ERROR expected two words: <integer> <prime|palindrome>`
 *   `ERROR unknown operation (expected prime or palindrome)`
 *   `ERROR expected one integer and one operation`
 *   `ERROR not an integer`
 *   `ERROR too many digits (max <maxDigits>)`
 * Stateless: each reply depends on its line only.
 */
import type { Service, Session } from '@netlab/service';
import { NumericError } from './errors.js';
import { isPalindrome } from './is-palindrome.js';
import { isProbablePrime } from './is-probable-prime.js';
import { malformedReply } from '@netlab/service';
import { DEFAULT_MAX_DIGITS, parseInteger } from './parse-integer.js';

/** The two questions the service answers. */
export type NumericOperation = 'prime' | 'palindrome';

/** A parsed request, or the reason it was refused (the text after `ERROR `). */
export type PrimePalindromeRequest =
  | { readonly ok: true; readonly n: bigint; readonly operation: NumericOperation }
  | { readonly ok: false; readonly reason: string };

export interface PrimePalindromeServiceOptions {
  /** Cap on significant digits of the integer, at least 1. Default {@link DEFAULT_MAX_DIGITS}. */
  readonly maxDigits?: number;
}

const OPERATIONS: ReadonlyMap<string, NumericOperation> = new Map([
  ['prime', 'prime'],
  ['palindrome', 'palindrome'],
]);

/** Parses one request line; never throws. */
export function parsePrimePalindromeRequest(line: string, maxDigits: number = DEFAULT_MAX_DIGITS): PrimePalindromeRequest {
  const trimmed = line.trim();
  if (trimmed === '') return { ok: false, reason: 'empty request' };
  const words = trimmed.split(/\s+/u);
  const [first, second] = words;
  if (words.length !== 2 || first === undefined || second === undefined) {
    return { ok: false, reason: 'expected two words: <integer> <prime|palindrome>' };
  }
  const firstOp = OPERATIONS.get(first.toLowerCase());
  const secondOp = OPERATIONS.get(second.toLowerCase());
  if (firstOp !== undefined && secondOp !== undefined) return { ok: false, reason: 'expected one integer and one operation' };
  const operation = secondOp ?? firstOp;
  if (operation === undefined) return { ok: false, reason: 'unknown operation (expected prime or palindrome)' };
  const digits = secondOp === undefined ? second : first;
  try {
    return { ok: true, n: parseInteger(digits, maxDigits), operation };
  } catch (error) {
    if (error instanceof NumericError && error.code === 'ERR_TOO_MANY_DIGITS') {
      return { ok: false, reason: `too many digits (max ${maxDigits})` };
    }
    return { ok: false, reason: 'not an integer' };
  }
}

/** The service's answer to one line: `<n> is prime`, `<n> is not a palindrome`, `ERROR …`. */
export function answerPrimePalindrome(line: string, maxDigits: number = DEFAULT_MAX_DIGITS): string {
  const request = parsePrimePalindromeRequest(line, maxDigits);
  if (!request.ok) return `ERROR ${request.reason}`;
  const n = request.n.toString();
  if (request.operation === 'prime') return isProbablePrime(request.n) ? `${n} is prime` : `${n} is not prime`;
  return isPalindrome(request.n) ? `${n} is a palindrome` : `${n} is not a palindrome`;
}

/** Creates the prime-palindrome service. */
export function createPrimePalindromeService(options: PrimePalindromeServiceOptions = {}): Service<string, string> {
  const maxDigits = options.maxDigits ?? DEFAULT_MAX_DIGITS;
  if (!Number.isSafeInteger(maxDigits) || maxDigits < 1) {
    throw new NumericError('ERR_INVALID_OPTION', `maxDigits must be a positive integer, got ${String(maxDigits)}`);
  }
  return {
    name: 'prime-palindrome',
    open(): Session<string, string> {
      return { receive: (line) => [answerPrimePalindrome(line, maxDigits)] };
    },
    malformed: (error) => [malformedReply(error)],
  };
}
