/**
 * Exact decimal arithmetic on BigInt: a value is `coefficient / 10^scale`.
 *
 * Invariants of every Decimal this module returns: `scale >= 0`; the coefficient has no trailing
 * zero digit when `scale > 0` (so each value has exactly one representation); zero is `0n / 10^0`.
 * Sums, differences, products and remainders are exact. A quotient is exact when it terminates
 * (its reduced denominator has no prime factors but 2 and 5); otherwise it is rounded half-even
 * to `significantDigits` significant digits, but never to fewer digits than its integer part.
 * (A non-terminating quotient never lies exactly halfway between two candidates, since a tie
 * would make it terminate; half-even is the rule stated for completeness.)
 */

/** A decimal number: `coefficient × 10^−scale`. */
export interface Decimal {
  readonly coefficient: bigint;
  readonly scale: number;
}

const TEN = 10n;
const pow10 = (n: number): bigint => TEN ** BigInt(n);
const abs = (n: bigint): bigint => (n < 0n ? -n : n);

/** Strips trailing zeros so each value has one representation. */
export function normalizeDecimal(coefficient: bigint, scale: number): Decimal {
  if (coefficient === 0n) return { coefficient: 0n, scale: 0 };
  let c = coefficient;
  let s = scale;
  while (s > 0 && c % TEN === 0n) {
    c /= TEN;
    s--;
  }
  if (s < 0) return { coefficient: c * pow10(-s), scale: 0 };
  return { coefficient: c, scale: s };
}

/** Canonical text: `-41.76`, `0.3`, `54`; no exponent, no trailing zeros, no `-0`, no `+`. */
export function formatDecimal(value: Decimal): string {
  const { coefficient, scale } = value;
  if (scale === 0) return coefficient.toString();
  const digits = abs(coefficient).toString().padStart(scale + 1, '0');
  const point = digits.length - scale;
  return `${coefficient < 0n ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const align = (a: Decimal, b: Decimal): [bigint, bigint, number] => {
  const scale = Math.max(a.scale, b.scale);
  return [a.coefficient * pow10(scale - a.scale), b.coefficient * pow10(scale - b.scale), scale];
};

export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return normalizeDecimal(x + y, scale);
}

export function subtractDecimal(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return normalizeDecimal(x - y, scale);
}

export function multiplyDecimal(a: Decimal, b: Decimal): Decimal {
  return normalizeDecimal(a.coefficient * b.coefficient, a.scale + b.scale);
}

/** Truncated remainder, the sign of the dividend (as `%` in C, Java and JavaScript). `b` must not be zero. */
export function remainderDecimal(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return normalizeDecimal(x % y, scale);
}

function gcd(a: bigint, b: bigint): bigint {
  let x = abs(a);
  let y = abs(b);
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** True when p / q ≥ 10^e, for p ≥ 0, q > 0. */
const atLeastPow10 = (p: bigint, q: bigint, e: number): boolean => (e >= 0 ? p >= q * pow10(e) : p * pow10(-e) >= q);

/**
 * The rational `numerator / denominator` (denominator ≠ 0) as a Decimal: exact when it
 * terminates, otherwise rounded half-even as described in the module header.
 */
export function rationalToDecimal(numerator: bigint, denominator: bigint, significantDigits: number): Decimal {
  if (denominator === 0n) throw new RangeError('division by zero');
  const sign = numerator < 0n !== denominator < 0n ? -1n : 1n;
  const g = gcd(numerator, denominator);
  if (g === 0n) return { coefficient: 0n, scale: 0 };
  let p = abs(numerator) / g;
  const q = abs(denominator) / g;
  if (p === 0n) return { coefficient: 0n, scale: 0 };
  let rest = q;
  let twos = 0;
  let fives = 0;
  while (rest % 2n === 0n) {
    rest /= 2n;
    twos++;
  }
  while (rest % 5n === 0n) {
    rest /= 5n;
    fives++;
  }
  if (rest === 1n) {
    const scale = Math.max(twos, fives);
    return normalizeDecimal((sign * p * pow10(scale)) / q, scale);
  }
  // Order of magnitude e: 10^e ≤ p/q < 10^(e+1), starting from the digit counts.
  let e = p.toString().length - q.toString().length;
  while (!atLeastPow10(p, q, e)) e--;
  while (atLeastPow10(p, q, e + 1)) e++;
  const scale = Math.max(significantDigits - 1 - e, 0);
  p *= pow10(scale);
  let m = p / q;
  const twice = 2n * (p - m * q);
  if (twice > q || (twice === q && m % 2n === 1n)) m++;
  return normalizeDecimal(sign * m, scale);
}

/** `a / b`, `b` not zero; see {@link rationalToDecimal} for rounding. */
export function divideDecimal(a: Decimal, b: Decimal, significantDigits: number): Decimal {
  return rationalToDecimal(a.coefficient * pow10(b.scale), b.coefficient * pow10(a.scale), significantDigits);
}

/** Digits printed by {@link formatDecimal} (sign and point excluded, leading `0.` zeros included). */
export function printedDigits(value: Decimal): number {
  return Math.max(abs(value.coefficient).toString().length, value.scale + 1);
}
