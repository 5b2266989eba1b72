/**
 * PINs. The PIN itself never leaves the ATM and is never stored, logged or put in an error:
 *
 * 1. The ATM turns card + PIN into a **PIN block**: HMAC-SHA256 under a fixed, published lab key
 *    of `"<card>:<pin>"`, 64 hex characters. Only the PIN block travels. (A real ATM encrypts the
 *    ISO 9564 PIN block under a zone PIN key held in tamper-proof hardware. Here anyone can
 *    compute PIN blocks, so a PIN block seen on the wire gives the PIN after 10,000 guesses: the
 *    transport is not confidential, see the threat model in docs/protocols/atm.md.)
 * 2. The bank stores `kscrypt$<log2 N>$<r>$<p>$<salt hex>$<mac hex>` where
 *    `mac = HMAC(PIN subkey of the bank key, scrypt(pinBlock, salt))`: scrypt makes each guess
 *    cost memory and time, and the bank key (kept outside the database) makes guessing impossible
 *    for whoever has only the database.
 * 3. Verification hashes the candidate with the stored salt and parameters (off the event loop,
 *    outside any transaction), applies the same HMAC, and compares with `timingSafeEqual` inside
 *    the transaction. An unknown card is hashed against a dummy salt, so timing does not tell
 *    which cards exist.
 *
 * Stores written before the bank key existed hold `scrypt$…$<hash hex>` (no HMAC):
 * {@link pepperLegacyPinHash} turns such a value into the keyed form without knowing the PIN
 * (the HMAC is applied to the stored scrypt output), which is how an old store is upgraded.
 *
 * Formats: a card number is 6 to 19 digits (ISO/IEC 7812 PAN length); a PIN 4 to 12 digits
 * (ISO 9564).
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { BankKey } from './bank-key.js';
import { AtmError, assertIntegerOption } from './errors.js';

/** Default scrypt cost: N = 2^14 (about 16 MiB and tens of ms per hash). */
export const DEFAULT_PIN_HASH_COST = 14;
/** Smallest and largest accepted log2 N (tests use the smallest). */
export const MIN_PIN_HASH_COST = 4;
export const MAX_PIN_HASH_COST = 20;
/** Wrong PINs in a row that lock a card, counted across sessions. */
export const MAX_PIN_TRIES = 3;

/** The published key of PIN blocks (docs/protocols/atm.md). */
export const PIN_BLOCK_KEY = 'netlab-atm-pin-block-v1';
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const HASH_BYTES = 32;
const SALT_BYTES = 16;
const DUMMY_SALT = Buffer.alloc(SALT_BYTES, 0x5a);
const KEYED = 'kscrypt';
const LEGACY = 'scrypt';

/** Card numbers: 6 to 19 digits. */
export const CARD_PATTERN = /^\d{6,19}$/;
/** PINs: 4 to 12 digits. */
export const PIN_PATTERN = /^\d{4,12}$/;
/** PIN blocks: 64 lowercase hex characters. */
export const PIN_BLOCK_PATTERN = /^[0-9a-f]{64}$/;

/** True for 6 to 19 digits. */
export function isValidCardNumber(card: string): boolean {
  return CARD_PATTERN.test(card);
}

/** True for 4 to 12 digits. */
export function isValidPin(pin: string): boolean {
  return PIN_PATTERN.test(pin);
}

/** True for 64 lowercase hex characters (the shape of a PIN block). */
export function isPinBlock(value: string): boolean {
  return PIN_BLOCK_PATTERN.test(value);
}

/** The PIN block the ATM sends instead of the PIN. Throws `ERR_INVALID_CREDENTIALS` (without the PIN) on a bad format. */
export function createPinBlock(card: string, pin: string): string {
  if (!isValidCardNumber(card)) throw new AtmError('ERR_INVALID_CREDENTIALS', 'a card number is 6 to 19 digits');
  if (!isValidPin(pin)) throw new AtmError('ERR_INVALID_CREDENTIALS', 'a PIN is 4 to 12 digits');
  return createHmac('sha256', PIN_BLOCK_KEY).update(`${card}:${pin}`).digest('hex');
}

function derive(pinBlock: string, salt: Buffer, cost: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** cost;
  return new Promise((resolve, reject) => {
    scrypt(pinBlock, salt, HASH_BYTES, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (error, key) => {
      if (error === null) resolve(key);
      else reject(error);
    });
  });
}

interface StoredHash {
  readonly keyed: boolean;
  readonly cost: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function parseStoredHash(stored: string): StoredHash | undefined {
  const match = /^(k?scrypt)\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([0-9a-f]{2,128})\$([0-9a-f]{64})$/.exec(stored);
  if (match === null) return undefined;
  const cost = Number(match[2]);
  if (cost < MIN_PIN_HASH_COST || cost > MAX_PIN_HASH_COST) return undefined;
  return {
    keyed: match[1] === KEYED,
    cost,
    r: Number(match[3]),
    p: Number(match[4]),
    salt: Buffer.from(match[5] ?? '', 'hex'),
    hash: Buffer.from(match[6] ?? '', 'hex'),
  };
}

function format(prefix: string, parsed: Omit<StoredHash, 'keyed'>): string {
  return `${prefix}$${parsed.cost}$${parsed.r}$${parsed.p}$${parsed.salt.toString('hex')}$${parsed.hash.toString('hex')}`;
}

/** Hashes a PIN block for storage with a fresh random salt, keyed by `key`. `cost` is log2 of scrypt's N. */
export async function hashPinBlock(pinBlock: string, key: BankKey, cost: number = DEFAULT_PIN_HASH_COST): Promise<string> {
  assertIntegerOption('pinHashCost', cost, MIN_PIN_HASH_COST, MAX_PIN_HASH_COST);
  const salt = randomBytes(SALT_BYTES);
  const hash = key.pinMac(await derive(pinBlock, salt, cost, SCRYPT_R, SCRYPT_P));
  return format(KEYED, { cost, r: SCRYPT_R, p: SCRYPT_P, salt, hash });
}

/**
 * Hashes a candidate PIN block with the salt and parameters of `stored` (or a dummy salt when
 * `stored` is undefined or not a keyed hash, so unknown cards cost the same). Resolves to hex, to
 * be compared with {@link pinHashMatches} inside the transaction that reads the account.
 */
export async function hashPinCandidate(pinBlock: string, stored: string | undefined, key: BankKey): Promise<string> {
  const parsed = stored === undefined ? undefined : parseStoredHash(stored);
  if (parsed?.keyed !== true) {
    const dummy = key.pinMac(await derive(pinBlock, DUMMY_SALT, DEFAULT_PIN_HASH_COST, SCRYPT_R, SCRYPT_P));
    // A dummy result can never match: it is marked so that even a hash collision could not.
    return `dummy:${dummy.toString('hex')}`;
  }
  return key.pinMac(await derive(pinBlock, parsed.salt, parsed.cost, parsed.r, parsed.p)).toString('hex');
}

/** Constant-time comparison of a candidate (from {@link hashPinCandidate}) with the stored keyed hash. */
export function pinHashMatches(candidate: string, stored: string): boolean {
  const parsed = parseStoredHash(stored);
  if (parsed?.keyed !== true || !/^[0-9a-f]{64}$/.test(candidate)) return false;
  return timingSafeEqual(Buffer.from(candidate, 'hex'), parsed.hash);
}

/** True for a stored hash written before the bank key existed (`scrypt$…`, no HMAC). */
export function isLegacyPinHash(stored: string): boolean {
  return parseStoredHash(stored)?.keyed === false;
}

/**
 * Upgrades a legacy stored hash (`scrypt$…`) to the keyed form (`kscrypt$…`) by applying the
 * PIN HMAC to its scrypt output; a keyed or unreadable value is returned unchanged.
 */
export function pepperLegacyPinHash(stored: string, key: BankKey): string {
  const parsed = parseStoredHash(stored);
  if (parsed?.keyed !== false) return stored;
  return format(KEYED, { ...parsed, hash: key.pinMac(parsed.hash) });
}

/** The prefix of legacy hashes, for stores that select them. */
export const LEGACY_PIN_HASH_PREFIX = `${LEGACY}$`;
