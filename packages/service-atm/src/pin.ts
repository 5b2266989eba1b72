/**
 * PINs. The PIN itself never leaves the ATM and is never stored, logged or put in an error:
 *
 * 1. The ATM turns card + PIN into a **PIN block**: HMAC-SHA256 under a fixed lab key of
 *    `"<card>:<pin>"`, 64 hex characters. Only the PIN block travels, so the request log's
 *    records, traces and dumps never hold a PIN. (A real ATM encrypts the ISO 9564 PIN block
 *    under a zone PIN key held in tamper-proof hardware. This lab has no key management: a
 *    PIN block is as good as the PIN for logging in, and four digits fall to 10,000 guesses.
 *    It keeps the PIN out of every record; it does not make a sniffed PIN block useless.)
 * 2. The bank stores `scrypt(pinBlock, salt)` with a random per-account salt, in the
 *    self-describing form `scrypt$<log2 N>$<r>$<p>$<salt hex>$<hash hex>`.
 * 3. Verification hashes the candidate with the stored salt and parameters (off the event loop,
 *    outside any transaction) and compares with `timingSafeEqual` inside the transaction.
 *    An unknown card is hashed against a dummy salt, so timing does not tell which cards exist.
 *
 * Formats: a card number is 6 to 19 digits (ISO/IEC 7812 PAN length); a PIN 4 to 12 digits
 * (ISO 9564).
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { AtmError, assertIntegerOption } from './errors.js';

/** Default scrypt cost: N = 2^14 (about 16 MiB and tens of ms per hash). */
export const DEFAULT_PIN_HASH_COST = 14;
/** Smallest and largest accepted log2 N (tests use the smallest). */
export const MIN_PIN_HASH_COST = 4;
export const MAX_PIN_HASH_COST = 20;
/** Wrong PINs in a row that lock a card, counted across sessions. */
export const MAX_PIN_TRIES = 3;

const PIN_BLOCK_KEY = 'netlab-atm-pin-block-v1';
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const HASH_BYTES = 32;
const SALT_BYTES = 16;
const DUMMY_SALT = Buffer.alloc(SALT_BYTES, 0x5a);

/** True for 6 to 19 digits. */
export function isValidCardNumber(card: string): boolean {
  return /^\d{6,19}$/.test(card);
}

/** True for 4 to 12 digits. */
export function isValidPin(pin: string): boolean {
  return /^\d{4,12}$/.test(pin);
}

/** True for 64 lowercase hex characters (the shape of a PIN block). */
export function isPinBlock(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
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
  readonly cost: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function parseStoredHash(stored: string): StoredHash | undefined {
  const match = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([0-9a-f]{2,128})\$([0-9a-f]{64})$/.exec(stored);
  if (match === null) return undefined;
  const cost = Number(match[1]);
  if (cost < MIN_PIN_HASH_COST || cost > MAX_PIN_HASH_COST) return undefined;
  return { cost, r: Number(match[2]), p: Number(match[3]), salt: Buffer.from(match[4] ?? '', 'hex'), hash: Buffer.from(match[5] ?? '', 'hex') };
}

/** Hashes a PIN block for storage with a fresh random salt. `cost` is log2 of scrypt's N. */
export async function hashPinBlock(pinBlock: string, cost: number = DEFAULT_PIN_HASH_COST): Promise<string> {
  assertIntegerOption('pinHashCost', cost, MIN_PIN_HASH_COST, MAX_PIN_HASH_COST);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(pinBlock, salt, cost, SCRYPT_R, SCRYPT_P);
  return `scrypt$${cost}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('hex')}$${hash.toString('hex')}`;
}

/**
 * Hashes a candidate PIN block with the salt and parameters of `stored` (or a dummy salt when
 * `stored` is undefined, so unknown cards cost the same). Resolves to hex, to be compared with
 * {@link pinHashMatches} inside the transaction that reads the account.
 */
export async function hashPinCandidate(pinBlock: string, stored: string | undefined): Promise<string> {
  const parsed = stored === undefined ? undefined : parseStoredHash(stored);
  const key = parsed === undefined
    ? await derive(pinBlock, DUMMY_SALT, DEFAULT_PIN_HASH_COST, SCRYPT_R, SCRYPT_P)
    : await derive(pinBlock, parsed.salt, parsed.cost, parsed.r, parsed.p);
  // A dummy result can never match: it is marked so that even a hash collision could not.
  return parsed === undefined ? `dummy:${key.toString('hex')}` : key.toString('hex');
}

/** Constant-time comparison of a candidate (from {@link hashPinCandidate}) with the stored hash. */
export function pinHashMatches(candidate: string, stored: string): boolean {
  const parsed = parseStoredHash(stored);
  if (parsed === undefined || !/^[0-9a-f]{64}$/.test(candidate)) return false;
  return timingSafeEqual(Buffer.from(candidate, 'hex'), parsed.hash);
}
