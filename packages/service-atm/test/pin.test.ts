import { createHmac, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createBankKey, generateBankKeySecret } from '../src/bank-key.js';
import { isAtmError } from '../src/errors.js';
import {
  MIN_PIN_HASH_COST,
  createPinBlock,
  hashPinBlock,
  hashPinCandidate,
  isLegacyPinHash,
  isPinBlock,
  pepperLegacyPinHash,
  pinHashMatches,
} from '../src/pin.js';

const key = createBankKey(generateBankKeySecret());

describe('PIN blocks and hashes', () => {
  it('turns card and PIN into the documented PIN block, which contains neither', () => {
    const block = createPinBlock('123456789', '4821');
    expect(isPinBlock(block)).toBe(true);
    expect(block).toBe(createHmac('sha256', 'netlab-atm-pin-block-v1').update('123456789:4821').digest('hex'));
    expect(block).not.toContain('4821');
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
    const stored = await hashPinBlock(block, key, MIN_PIN_HASH_COST);
    const again = await hashPinBlock(block, key, MIN_PIN_HASH_COST);
    expect(stored).not.toBe(again);
    expect(stored).toMatch(/^kscrypt\$4\$8\$1\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
    expect(pinHashMatches(await hashPinCandidate(block, stored, key), stored)).toBe(true);
    expect(pinHashMatches(await hashPinCandidate(block, again, key), again)).toBe(true);
    expect(pinHashMatches(await hashPinCandidate(createPinBlock('123456789', '1235'), stored, key), stored)).toBe(false);
  });

  it('keys the stored hash: scrypt of the PIN block with the stored salt is not it, and another key does not match', async () => {
    const block = createPinBlock('123456789', '1234');
    const stored = await hashPinBlock(block, key, MIN_PIN_HASH_COST);
    const [, , , , salt, hash] = stored.split('$');
    expect(scryptSync(block, Buffer.from(salt ?? '', 'hex'), 32, { N: 16, r: 8, p: 1 }).toString('hex')).not.toBe(hash);
    const other = createBankKey(generateBankKeySecret());
    expect(pinHashMatches(await hashPinCandidate(block, stored, other), stored)).toBe(false);
  });

  it('never matches an unknown card, a legacy hash or a damaged stored hash', async () => {
    const block = createPinBlock('123456789', '1234');
    const stored = await hashPinBlock(block, key, MIN_PIN_HASH_COST);
    expect(pinHashMatches(await hashPinCandidate(block, undefined, key), stored)).toBe(false);
    expect(pinHashMatches(await hashPinCandidate(block, stored, key), 'kscrypt$99$8$1$00$00')).toBe(false);
    const legacy = `scrypt$4$8$1$${'01'.repeat(16)}$${scryptSync(block, Buffer.alloc(16, 1), 32, { N: 16, r: 8, p: 1 }).toString('hex')}`;
    expect(pinHashMatches(await hashPinCandidate(block, legacy, key), legacy)).toBe(false);
  });

  it('upgrades a legacy hash in place, without the PIN, to one the right PIN matches', async () => {
    const block = createPinBlock('123456789', '1234');
    const legacy = `scrypt$4$8$1$${'01'.repeat(16)}$${scryptSync(block, Buffer.alloc(16, 1), 32, { N: 16, r: 8, p: 1 }).toString('hex')}`;
    expect(isLegacyPinHash(legacy)).toBe(true);
    const keyed = pepperLegacyPinHash(legacy, key);
    expect(isLegacyPinHash(keyed)).toBe(false);
    expect(pepperLegacyPinHash(keyed, key)).toBe(keyed);
    expect(pinHashMatches(await hashPinCandidate(block, keyed, key), keyed)).toBe(true);
    expect(pinHashMatches(await hashPinCandidate(createPinBlock('123456789', '4321'), keyed, key), keyed)).toBe(false);
  });

  it('refuses a cost outside the accepted range', async () => {
    await expect(hashPinBlock(createPinBlock('123456789', '1234'), key, 3)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});
