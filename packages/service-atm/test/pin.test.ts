import { describe, expect, it } from 'vitest';
import { isAtmError } from '../src/errors.js';
import { MIN_PIN_HASH_COST, createPinBlock, hashPinBlock, hashPinCandidate, isPinBlock, pinHashMatches } from '../src/pin.js';

describe('PIN blocks and hashes', () => {
  it('turns card and PIN into a PIN block that contains neither', () => {
    const block = createPinBlock('123456789', '4821');
    expect(isPinBlock(block)).toBe(true);
    expect(block).not.toContain('4821');
    expect(createPinBlock('123456789', '4821')).toBe(block);
    expect(createPinBlock('123456780', '4821')).not.toBe(block);
  });

  it('refuses bad formats without echoing the PIN', () => {
    for (const [card, pin] of [['12', '1234'], ['123456789', '98'], ['123456789', '98a7'], ['123456789', '1234567890123']] as const) {
      try {
        createPinBlock(card, pin);
        expect.unreachable();
      } catch (error) {
        expect(isAtmError(error, 'ERR_INVALID_CREDENTIALS')).toBe(true);
        expect((error as Error).message).not.toContain(pin);
      }
    }
  });

  it('matches the right PIN block and no other, with a random salt per hash', async () => {
    const block = createPinBlock('123456789', '1234');
    const stored = await hashPinBlock(block, MIN_PIN_HASH_COST);
    const again = await hashPinBlock(block, MIN_PIN_HASH_COST);
    expect(stored).not.toBe(again);
    expect(stored).toMatch(/^scrypt\$4\$8\$1\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
    expect(pinHashMatches(await hashPinCandidate(block, stored), stored)).toBe(true);
    expect(pinHashMatches(await hashPinCandidate(block, again), again)).toBe(true);
    expect(pinHashMatches(await hashPinCandidate(createPinBlock('123456789', '1235'), stored), stored)).toBe(false);
  });

  it('never matches an unknown card or a damaged stored hash', async () => {
    const block = createPinBlock('123456789', '1234');
    const dummy = await hashPinCandidate(block, undefined);
    const stored = await hashPinBlock(block, MIN_PIN_HASH_COST);
    expect(pinHashMatches(dummy, stored)).toBe(false);
    expect(pinHashMatches(await hashPinCandidate(block, stored), 'scrypt$99$8$1$00$00')).toBe(false);
  });

  it('refuses a cost outside the accepted range', async () => {
    await expect(hashPinBlock(createPinBlock('123456789', '1234'), 3)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});
