import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_OPERAND_DIGITS, DEFAULT_MAX_RESULT_DIGITS, calculate, parseExpression } from '../src/index.js';

describe('calculate', () => {
  it.each([
    ['12 + 42', '54'],
    ['3.24 - 45', '-41.76'],
    ['4.5 / -6', '-0.75'],
    ['0.1 + 0.2', '0.3'],
    ['1.10 * 2', '2.2'],
    ['2.50 * 4', '10'],
    ['10 / 4', '2.5'],
    ['1 / 1024', '0.0009765625'],
    ['-0 + 0', '0'],
    ['0 * -5', '0'],
    ['-3 * -3', '9'],
    ['+7 - +2', '5'],
    ['123456789012345678901234567890 * 987654321098765432109876543210', '121932631137021795226185032733622923332237463801111263526900'],
  ])('%s = %s exactly', (line, result) => {
    expect(calculate(line)).toBe(result);
  });

  it('rounds non-terminating quotients half-even to 34 significant digits', () => {
    expect(calculate('1 / 3')).toBe(`0.${'3'.repeat(34)}`);
    expect(calculate('2 / 3')).toBe(`0.${'6'.repeat(33)}7`);
    expect(calculate('1 / 7')).toBe('0.1428571428571428571428571428571429');
    expect(calculate('-1 / 3')).toBe(`-0.${'3'.repeat(34)}`);
    expect(calculate('0.0001 / 3')).toBe(`0.0000${'3'.repeat(34)}`);
    expect(calculate('100 / 3')).toBe(`33.${'3'.repeat(32)}`);
  });

  it('keeps every integer digit of a large non-terminating quotient', () => {
    expect(calculate(`1${'0'.repeat(40)} / 3`)).toBe('3'.repeat(40));
    expect(calculate(`2${'0'.repeat(40)} / 3`)).toBe(`${'6'.repeat(39)}7`);
  });

  it('rounds to the nearest value at the chosen precision', () => {
    // A non-terminating quotient is never exactly halfway, so half-even only ever rounds to nearest.
    expect(calculate('1 / 3', { significantDigits: 1 })).toBe('0.3');
    expect(calculate('5 / 3', { significantDigits: 1 })).toBe('2');
    expect(calculate('25 / 3', { significantDigits: 1 })).toBe('8');
  });

  it('computes truncated remainders with the sign of the dividend', () => {
    expect(calculate('7 % 3')).toBe('1');
    expect(calculate('-7 % 3')).toBe('-1');
    expect(calculate('7 % -3')).toBe('1');
    expect(calculate('5.5 % 2')).toBe('1.5');
    expect(calculate('1 % 0.3')).toBe('0.1');
  });

  it('raises to integer powers', () => {
    expect(calculate('2 ^ 10')).toBe('1024');
    expect(calculate('2 ^ -2')).toBe('0.25');
    expect(calculate('-2 ^ 3')).toBe('-8');
    expect(calculate('1.5 ^ 2')).toBe('2.25');
    expect(calculate('3 ^ -1')).toBe(`0.${'3'.repeat(34)}`);
    expect(calculate('0 ^ 0')).toBe('1');
    expect(calculate(`1 ^ ${'9'.repeat(50)}`)).toBe('1');
    expect(calculate(`-1 ^ ${'9'.repeat(50)}`)).toBe('-1');
    expect(calculate('2 ^ 0.5')).toBe('ERROR exponent must be an integer');
  });

  it('refuses a power whose result would be too large, at the limit exactly', () => {
    expect(calculate('9 ^ 1000')).toHaveLength(955);
    expect(calculate('9 ^ 1001')).toBe('ERROR result too large');
    expect(calculate(`7 ^ ${'9'.repeat(30)}`)).toBe('ERROR result too large');
    expect(calculate('0.5 ^ 999')).toHaveLength(DEFAULT_MAX_RESULT_DIGITS + 1);
    expect(calculate('0.5 ^ 1000')).toBe('ERROR result too large');
  });

  it.each(['10 / 0', '10 / 0.000', '1 % 0', '0 ^ -1'])('answers %s with ERROR division by zero', (line) => {
    expect(calculate(line)).toBe('ERROR division by zero');
  });

  it.each(['', 'abc', '5', '5 +', '+ 5', '5 5', '1e5 + 1', '1,000 + 1', '5 x 5', '5 + 5 + 5', '5 ++ 5', '5 + - 5', '.', '- 5 + 1', '0x10 + 1', '١ + ٢'])(
    'answers %j with ERROR invalid expression',
    (line) => {
      expect(calculate(line)).toBe('ERROR invalid expression');
    },
  );

  it('accepts optional whitespace and points without digits on one side', () => {
    expect(calculate('3-4')).toBe('-1');
    expect(calculate('3--4')).toBe('7');
    expect(calculate('  6*7\t')).toBe('42');
    expect(calculate('.5 * 4')).toBe('2');
    expect(calculate('5. * 2')).toBe('10');
  });

  it('accepts operands of exactly the maximum digits and refuses one more', () => {
    const max = '9'.repeat(DEFAULT_MAX_OPERAND_DIGITS);
    expect(calculate(`${max} - ${max}`)).toBe('0');
    expect(calculate(`0.${'1'.repeat(DEFAULT_MAX_OPERAND_DIGITS - 1)} + 0`)).toBe(`0.${'1'.repeat(DEFAULT_MAX_OPERAND_DIGITS - 1)}`);
    expect(calculate(`1${max} + 1`)).toBe(`ERROR operand too long (max ${DEFAULT_MAX_OPERAND_DIGITS} digits)`);
    expect(calculate(`1 + 1${max}`)).toBe(`ERROR operand too long (max ${DEFAULT_MAX_OPERAND_DIGITS} digits)`);
  });

  it('parses in linear time on a line of 8 KiB', () => {
    const start = performance.now();
    expect(calculate(`${'1'.repeat(8190)} +`)).toMatch(/^ERROR/u);
    expect(calculate(`1 ${' '.repeat(8190)}x`)).toBe('ERROR invalid expression');
    expect(performance.now() - start).toBeLessThan(200);
  });

  it('exposes the parser so a client can check a line before sending it', () => {
    const parsed = parseExpression('3.24 - 45');
    expect(parsed).toEqual({ ok: true, value: { left: { coefficient: 324n, scale: 2 }, operator: '-', right: { coefficient: 45n, scale: 0 } } });
    expect(parseExpression('3.24 minus 45')).toEqual({ ok: false, reason: 'invalid expression' });
  });
});

/** A decimal given as coefficient and scale, printed in plain notation. */
const decimalArb = fc.record({ coefficient: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), scale: fc.integer({ min: 0, max: 12 }) });
interface Dec {
  coefficient: bigint;
  scale: number;
}
const toText = ({ coefficient, scale }: Dec): string => {
  const digits = (coefficient < 0n ? -coefficient : coefficient).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return `${coefficient < 0n ? '-' : ''}${text}`;
};
/** The exact rational value of a printed decimal, as [numerator, denominator]. */
const toRational = (text: string): [bigint, bigint] => {
  const [int = '', frac = ''] = text.split('.');
  return [BigInt(int.replace('-', '') + frac) * (text.startsWith('-') ? -1n : 1n), 10n ** BigInt(frac.length)];
};
const abs = (n: bigint): bigint => (n < 0n ? -n : n);

describe('calculate against BigInt rational arithmetic', () => {
  it('adds, subtracts and multiplies exactly, printing canonical decimals', () => {
    fc.assert(
      fc.property(decimalArb, fc.constantFrom('+', '-', '*'), decimalArb, (a, op, b) => {
        const result = calculate(`${toText(a)} ${op} ${toText(b)}`);
        expect(result).toMatch(/^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$/u);
        expect(result).not.toBe('-0');
        const [pa, qa] = toRational(toText(a));
        const [pb, qb] = toRational(toText(b));
        const [p, q] = toRational(result);
        const [ep, eq] = op === '+' ? [pa * qb + pb * qa, qa * qb] : op === '-' ? [pa * qb - pb * qa, qa * qb] : [pa * pb, qa * qb];
        expect(p * eq).toBe(ep * q);
      }),
      { numRuns: 500 },
    );
  });

  it('divides exactly or within half a unit in the 34th significant digit', () => {
    fc.assert(
      fc.property(decimalArb, decimalArb, (a, b) => {
        fc.pre(b.coefficient !== 0n);
        const result = calculate(`${toText(a)} / ${toText(b)}`);
        const [pa, qa] = toRational(toText(a));
        const [pb, qb] = toRational(toText(b));
        const [p, q] = toRational(result);
        // exact = (pa·qb)/(qa·pb); error = |p/q − exact|
        const en = pa * qb;
        const ed = qa * pb;
        const errorNum = abs(p * ed - en * q);
        const errorDen = abs(q * ed);
        if (errorNum === 0n) return;
        // Non-exact: the printed result has at least 34 significant digits or all integer digits,
        // and the error is at most half a unit in its last place (1 / (2·q)).
        expect(2n * errorNum * q).toBeLessThanOrEqual(errorDen);
        const significant = result.replace('-', '').replace('.', '').replace(/^0+/u, '');
        expect(significant.length).toBeGreaterThanOrEqual(result.includes('.') ? 1 : 34);
      }),
      { numRuns: 500 },
    );
  });
});
