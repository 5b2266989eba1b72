/**
 * Calculator requests: `<number> <operator> <number>`.
 *
 * Number: an optional `+`/`-`, then ASCII digits with an optional decimal point (`12`, `-3.24`,
 * `.5`, `5.`); no exponent, no thousands separators. At most `maxOperandDigits` digits each
 * (all digits typed, leading zeros included): `ERROR operand too long (max <n> digits)`.
 * Operator: `+ - * / % ^`. Whitespace around the operator is optional (`3-4`, `3 - -4`).
 *
 * Semantics (exact decimal arithmetic, see decimal.ts):
 *   + - *   exact
 *   /       exact if the quotient terminates, else rounded half-even to `significantDigits`
 *           significant digits (never fewer digits than its integer part); `/ 0` is an error
 *   %       truncated remainder, sign of the dividend (`-7 % 3` = `-1`), exact; `% 0` is an error
 *   ^       integer exponents only (`2 ^ -2` = `0.25`, `0 ^ 0` = `1`); a negative exponent divides,
 *           so `0 ^ -1` is division by zero; refused up front when |exponent| × max(digits of the
 *           base's coefficient, its decimal places) exceeds `maxResultDigits`
 * Any result printing more than `maxResultDigits` digits is `ERROR result too large`.
 */
import {
  type Decimal,
  formatDecimal,
  addDecimal,
  divideDecimal,
  multiplyDecimal,
  normalizeDecimal,
  printedDigits,
  rationalToDecimal,
  remainderDecimal,
  subtractDecimal,
} from './decimal.js';

/** The operators a request may use. */
export type Operator = '+' | '-' | '*' | '/' | '%' | '^';

/** A parsed request. */
export interface Expression {
  readonly left: Decimal;
  readonly operator: Operator;
  readonly right: Decimal;
}

/** A value, or the reason for an error (the text after `ERROR `). */
export type CalculationResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** Most digits in one operand. */
export const DEFAULT_MAX_OPERAND_DIGITS = 100;
/** Significant digits of a rounded quotient: 34, as IEEE 754 decimal128. */
export const DEFAULT_SIGNIFICANT_DIGITS = 34;
/** Most digits in a printed result. */
export const DEFAULT_MAX_RESULT_DIGITS = 1000;

export interface ExpressionOptions {
  /** Most digits in one operand. Default {@link DEFAULT_MAX_OPERAND_DIGITS}. */
  readonly maxOperandDigits?: number;
  /** Significant digits of a non-terminating quotient. Default {@link DEFAULT_SIGNIFICANT_DIGITS}. */
  readonly significantDigits?: number;
  /** Most digits in a printed result. Default {@link DEFAULT_MAX_RESULT_DIGITS}. */
  readonly maxResultDigits?: number;
}

const OPERATORS = new Set<string>(['+', '-', '*', '/', '%', '^']);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/u.test(c);

const INVALID: CalculationResult<never> = { ok: false, reason: 'invalid expression' };

/**
 * Parses a request line; never throws. A hand-written scanner, linear in the line length (a
 * backtracking regular expression could be quadratic on an 8 KiB line).
 */
export function parseExpression(line: string, options: ExpressionOptions = {}): CalculationResult<Expression> {
  const maxOperandDigits = options.maxOperandDigits ?? DEFAULT_MAX_OPERAND_DIGITS;
  let pos = 0;
  const skipSpaces = (): void => {
    while (isSpace(line[pos])) pos++;
  };
  const scanNumber = (): Decimal | 'none' | 'too long' => {
    let negative = false;
    if (line[pos] === '+' || line[pos] === '-') negative = line[pos++] === '-';
    const intStart = pos;
    while (isDigit(line[pos])) pos++;
    const intDigits = line.slice(intStart, pos);
    let fracDigits = '';
    if (line[pos] === '.') {
      const fracStart = ++pos;
      while (isDigit(line[pos])) pos++;
      fracDigits = line.slice(fracStart, pos);
    }
    const digits = intDigits + fracDigits;
    if (digits === '') return 'none';
    if (digits.length > maxOperandDigits) return 'too long';
    const magnitude = BigInt(digits);
    return normalizeDecimal(negative ? -magnitude : magnitude, fracDigits.length);
  };

  skipSpaces();
  const left = scanNumber();
  skipSpaces();
  const operator = line[pos];
  if (operator !== undefined && OPERATORS.has(operator)) pos++;
  skipSpaces();
  const right = typeof left === 'string' ? 'none' : scanNumber();
  skipSpaces();
  if (left === 'too long' || right === 'too long') return { ok: false, reason: `operand too long (max ${maxOperandDigits} digits)` };
  if (left === 'none' || right === 'none' || operator === undefined || !OPERATORS.has(operator) || pos !== line.length) {
    return INVALID;
  }
  return { ok: true, value: { left, operator: operator as Operator, right } };
}

/** Evaluates a parsed request; never throws. */
export function evaluateExpression(expression: Expression, options: ExpressionOptions = {}): CalculationResult<Decimal> {
  const significantDigits = options.significantDigits ?? DEFAULT_SIGNIFICANT_DIGITS;
  const maxResultDigits = options.maxResultDigits ?? DEFAULT_MAX_RESULT_DIGITS;
  const { left, operator, right } = expression;
  const divisionByZero: CalculationResult<never> = { ok: false, reason: 'division by zero' };
  const tooLarge: CalculationResult<never> = { ok: false, reason: 'result too large' };
  let value: Decimal;
  switch (operator) {
    case '+':
      value = addDecimal(left, right);
      break;
    case '-':
      value = subtractDecimal(left, right);
      break;
    case '*':
      value = multiplyDecimal(left, right);
      break;
    case '/':
      if (right.coefficient === 0n) return divisionByZero;
      value = divideDecimal(left, right, significantDigits);
      break;
    case '%':
      if (right.coefficient === 0n) return divisionByZero;
      value = remainderDecimal(left, right);
      break;
    case '^': {
      if (right.scale !== 0) return { ok: false, reason: 'exponent must be an integer' };
      const exponent = right.coefficient < 0n ? -right.coefficient : right.coefficient;
      const baseDigits = Math.max((left.coefficient < 0n ? -left.coefficient : left.coefficient).toString().length, left.scale);
      const isTrivialBase = left.scale === 0 && (left.coefficient === 0n || left.coefficient === 1n || left.coefficient === -1n);
      if (!isTrivialBase && exponent * BigInt(baseDigits) > BigInt(maxResultDigits)) return tooLarge;
      // For 0, 1 and -1 only zero-ness and parity of the exponent matter, and the exponent may be huge.
      let e = exponent;
      if (isTrivialBase && exponent > 0n) e = exponent % 2n === 0n ? 2n : 1n;
      const power = normalizeDecimal(left.coefficient ** e, left.scale * Number(e));
      if (right.coefficient >= 0n) {
        value = power;
      } else {
        if (power.coefficient === 0n) return divisionByZero;
        value = rationalToDecimal(10n ** BigInt(power.scale), power.coefficient, significantDigits);
      }
      break;
    }
  }
  if (printedDigits(value) > maxResultDigits) return tooLarge;
  return { ok: true, value };
}

/** The service's answer to one request line: the canonical result, or `ERROR <reason>`. */
export function calculate(line: string, options: ExpressionOptions = {}): string {
  const parsed = parseExpression(line, options);
  if (!parsed.ok) return `ERROR ${parsed.reason}`;
  const result = evaluateExpression(parsed.value, options);
  return result.ok ? formatDecimal(result.value) : `ERROR ${result.reason}`;
}
