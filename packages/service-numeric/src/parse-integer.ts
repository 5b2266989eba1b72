/**
 * Decimal integer syntax: an optional `+` or `-`, then one or more ASCII digits `0-9`, nothing
 * else (no spaces, no `_`, no exponent, no hex). Leading zeros are allowed and ignored; `-0` is 0.
 * The digit cap counts significant digits (leading zeros excluded) since they decide the work.
 */
import { NumericError } from './errors.js';

/** Default cap on significant digits of an integer: a 500-digit prime takes about 25 ms, so no request blocks the event loop for long. */
export const DEFAULT_MAX_DIGITS = 500;

const INTEGER = /^[+-]?[0-9]+$/u;

/** Counts the significant digits of a string already known to match the integer syntax. */
function significantDigits(text: string): number {
  let start = text.startsWith('+') || text.startsWith('-') ? 1 : 0;
  while (start < text.length - 1 && text[start] === '0') start++;
  return text.length - start;
}

/**
 * Parses `text` as a decimal integer. Throws `ERR_INVALID_INTEGER` for bad syntax and
 * `ERR_TOO_MANY_DIGITS` past `maxDigits` significant digits (exactly `maxDigits` passes).
 */
export function parseInteger(text: string, maxDigits: number = DEFAULT_MAX_DIGITS): bigint {
  if (!INTEGER.test(text)) throw new NumericError('ERR_INVALID_INTEGER', `not an integer: ${JSON.stringify(text.slice(0, 40))}`);
  const digits = significantDigits(text);
  if (digits > maxDigits) {
    throw new NumericError('ERR_TOO_MANY_DIGITS', `integer has ${digits} digits, more than the maximum of ${maxDigits}`);
  }
  return BigInt(text);
}
