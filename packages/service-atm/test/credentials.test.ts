import { describe, expect, it } from 'vitest';
import { BANK_KEY_BYTES, createBankKey, generateBankKeySecret, parseBankKeySecret } from '../src/bank-key.js';
import { createKeyExchange, isKeyExchangePublic, unwrapSessionKey, wrapSessionKey } from '../src/key-exchange.js';
import { loginProof } from '../src/login-proof.js';
import { SESSION_TOKEN_PATTERN, isSessionTokenOf, issueSessionToken, sessionKeyOf } from '../src/session-credentials.js';

const secret = generateBankKeySecret();
const key = createBankKey(secret);

describe('the bank key', () => {
  it('is 32 bytes, parses from 64 hex, and its check value tells keys apart without revealing them', () => {
    expect(() => createBankKey(Buffer.alloc(BANK_KEY_BYTES - 1))).toThrow(/32 bytes/);
    expect(() => createBankKey(Buffer.alloc(BANK_KEY_BYTES + 1))).toThrow(/32 bytes/);
    expect(createBankKey(parseBankKeySecret(` ${secret.toString('hex')}\n`)).check).toBe(key.check);
    expect(() => parseBankKeySecret('ab'.repeat(31))).toThrow(/64 hex/);
    expect(createBankKey(generateBankKeySecret()).check).not.toBe(key.check);
    expect(Number.isSafeInteger(key.check)).toBe(true);
    expect(JSON.stringify(key)).not.toContain(secret.toString('hex'));
  });
});

describe('session credentials', () => {
  it('issue a token bound to one client id, whose key only the bank can derive', () => {
    const token = issueSessionToken(key, 'terminal-1');
    expect(token).toMatch(SESSION_TOKEN_PATTERN);
    expect(isSessionTokenOf(key, token, 'terminal-1')).toBe(true);
    expect(isSessionTokenOf(key, token, 'terminal-2')).toBe(false);
    expect(isSessionTokenOf(createBankKey(generateBankKeySecret()), token, 'terminal-1')).toBe(false);
    expect(isSessionTokenOf(key, `${token.slice(0, 63)}${token.endsWith('0') ? '1' : '0'}`, 'terminal-1')).toBe(false);
    expect(isSessionTokenOf(key, 'short', 'terminal-1')).toBe(false);
    expect(issueSessionToken(key, 'terminal-1')).not.toBe(token);
    expect(sessionKeyOf(key, token)).toHaveLength(32);
    expect(sessionKeyOf(key, token).equals(sessionKeyOf(createBankKey(generateBankKeySecret()), token))).toBe(false);
  });

  it('replace a login PIN block by a keyed proof, deterministic for one request id only', () => {
    const block = 'a'.repeat(64);
    expect(loginProof(key, 'c', 1, block)).toBe(loginProof(key, 'c', 1, block));
    expect(loginProof(key, 'c', 1, block)).not.toBe(loginProof(key, 'd', 1, block));
    expect(loginProof(key, 'c', 1, block)).not.toBe(loginProof(key, 'c', 1, 'b'.repeat(64)));
    expect(loginProof(key, 'c', 1, block)).not.toBe(loginProof(createBankKey(generateBankKeySecret()), 'c', 1, block));
  });
});

describe('the login key exchange', () => {
  it('gives both sides the same secret, so the ATM unwraps the key the bank wrapped', () => {
    const atm = createKeyExchange();
    const bank = createKeyExchange();
    expect(atm.publicValue).toMatch(/^[0-9a-f]{512}$/);
    const shared = bank.complete(atm.publicValue);
    expect(shared).toHaveLength(256);
    expect(atm.complete(bank.publicValue).equals(shared)).toBe(true);
    const sessionKey = Buffer.alloc(32, 9);
    const wrapped = wrapSessionKey(shared, 'tok', sessionKey);
    expect(wrapped).not.toBe(sessionKey.toString('hex'));
    expect(unwrapSessionKey(atm.complete(bank.publicValue), 'tok', wrapped).equals(sessionKey)).toBe(true);
    expect(unwrapSessionKey(shared, 'other', wrapped).equals(sessionKey)).toBe(false);
  });

  it('refuses public values outside [2, p − 2] and of the wrong length', () => {
    const p = BigInt(`0x${'f'.repeat(512)}`);
    expect(isKeyExchangePublic('0'.repeat(512))).toBe(false);
    expect(isKeyExchangePublic('1'.padStart(512, '0'))).toBe(false);
    expect(isKeyExchangePublic('2'.padStart(512, '0'))).toBe(true);
    expect(isKeyExchangePublic((p - 1n).toString(16))).toBe(false);
    expect(isKeyExchangePublic('2'.padStart(511, '0'))).toBe(false);
    expect(() => createKeyExchange().complete('1'.padStart(512, '0'))).toThrow(/not in the group/);
  });
});
