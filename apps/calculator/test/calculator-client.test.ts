import { describe, expect, it } from 'vitest';
import { checkRequest } from '../src/calculator-client.js';

describe('checkRequest', () => {
  it('lets well-formed requests through, errors of arithmetic included (the server reports those)', () => {
    for (const line of ['12 + 42', '3.24 - 45', '4.5/-6', '.5 * 5.', '10 / 0', '2 ^ 0.5']) expect(checkRequest(line)).toBeUndefined();
  });

  it('holds back what is not <number> <op> <number>, saying why', () => {
    for (const line of ['5 x 5', '1e5 + 1', '1 + 2 + 3', '5 +', '', 'hello']) expect(checkRequest(line)).toMatch(/^invalid expression \(expected/);
  });

  it('accepts an operand of exactly 100 digits and refuses 101', () => {
    expect(checkRequest(`${'9'.repeat(100)} + 1`)).toBeUndefined();
    expect(checkRequest(`${'9'.repeat(101)} + 1`)).toMatch(/^operand too long \(max 100 digits\)/);
  });
});
