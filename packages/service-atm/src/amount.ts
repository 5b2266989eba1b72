/**
 * Money. On the wire and in every store an amount is an integer number of minor units (cents):
 * `50000` is 500.00. People type currency units with at most two decimals (`500`, `500.5`,
 * `500.50`); `parseAmount` turns that into minor units or says precisely why it cannot.
 *
 * Limits: an amount is at most {@link MAX_AMOUNT_MINOR} minor units (100,000,000.00): anything
 * larger is refused as invalid before any limit is consulted, so no arithmetic ever leaves the
 * safe-integer range (balances are capped far below 2^53 as well).
 */

/** Largest amount accepted anywhere, in minor units: 100,000,000.00. */
export const MAX_AMOUNT_MINOR = 10_000_000_000;
/** Minor units per currency unit. */
export const MINOR_PER_UNIT = 100;

/** Why a typed amount was refused. */
export type AmountProblem = 'empty' | 'not-a-number' | 'negative' | 'zero' | 'too-many-decimals' | 'too-large';

export type ParsedAmount =
  | { readonly ok: true; readonly minor: number }
  | { readonly ok: false; readonly problem: AmountProblem; readonly message: string };

const MESSAGES: Record<AmountProblem, string> = {
  empty: 'no amount given',
  'not-a-number': 'not a number: type an amount like 20 or 20.50',
  negative: 'the amount must be positive',
  zero: 'the amount must be more than zero',
  'too-many-decimals': 'at most two decimals (cents)',
  'too-large': 'the amount is too large (at most 100000000.00)',
};

function refuse(problem: AmountProblem): ParsedAmount {
  return { ok: false, problem, message: MESSAGES[problem] };
}

/** Parses a typed amount in currency units (`"500"`, `"12.5"`, `"0.99"`) into minor units. */
export function parseAmount(text: string): ParsedAmount {
  const trimmed = text.trim();
  if (trimmed === '') return refuse('empty');
  if (/^-\s*\d/.test(trimmed)) return refuse('negative');
  const match = /^(\d+)(?:\.(\d*))?$/.exec(trimmed);
  if (match === null) return refuse('not-a-number');
  const whole = (match[1] ?? '').replace(/^0+(?=\d)/, '');
  const fraction = match[2] ?? '';
  if (fraction.length > 2) return refuse('too-many-decimals');
  // More than 9 significant digits of units is past the limit whatever follows; checking the
  // length first keeps huge inputs away from floating point.
  if (whole.length > 9) return refuse('too-large');
  const minor = Number(whole) * MINOR_PER_UNIT + Number(fraction.padEnd(2, '0'));
  if (minor === 0) return refuse('zero');
  if (minor > MAX_AMOUNT_MINOR) return refuse('too-large');
  return { ok: true, minor };
}

/** True for an amount a store may carry: a safe integer from 1 to {@link MAX_AMOUNT_MINOR}. */
export function isValidMinorAmount(minor: number): boolean {
  return Number.isSafeInteger(minor) && minor >= 1 && minor <= MAX_AMOUNT_MINOR;
}

/** Formats minor units as currency units with two decimals: `50000` → `"500.00"`. */
export function formatAmount(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  const units = Math.floor(abs / MINOR_PER_UNIT);
  const cents = abs % MINOR_PER_UNIT;
  return `${sign}${units}.${String(cents).padStart(2, '0')}`;
}
