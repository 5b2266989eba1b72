/**
 * The bank key: 32 secret bytes the bank holds OUTSIDE its database (a key file or an
 * environment variable; see docs/protocols/atm.md, "Threat model"). It is the lab's stand-in for
 * the keys a real bank keeps in a hardware security module: the PIN verification key and the
 * key that derives per-session MAC keys. Four independent subkeys are derived from it with
 * HMAC-SHA256 under fixed labels, so no two uses ever share a key:
 *
 * | subkey   | label                         | used for |
 * |---|---|---|
 * | PIN      | `netlab-atm-pin-v1`           | pepper: stored PIN hash = HMAC(PIN, scrypt(pinBlock, salt)) |
 * | proof    | `netlab-atm-login-proof-v1`   | what the request log stores instead of a login's PIN block |
 * | session  | `netlab-atm-session-v1`       | session tokens (bound to a client id) and their MAC keys |
 * | check    | `netlab-atm-key-check-v1`     | the key check value a store keeps to refuse a wrong key |
 *
 * Why a secret at all: the PIN block is an HMAC under a *published* key, and a PIN has 10,000
 * values, so anything computed from a PIN block without a secret (its hash, a salted hash whose
 * salt sits beside it, a fingerprint of the login payload) gives the PIN back after 10,000
 * guesses. With the PIN subkey in every stored value, a stolen database alone reveals no PIN.
 *
 * The key check value (KCV, as HSMs print for a key) is the first 6 bytes of
 * HMAC(check subkey, "kcv") as an integer: it tells two keys apart and says nothing about the key.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { AtmError } from './errors.js';

/** Length of a bank key in bytes. */
export const BANK_KEY_BYTES = 32;

const LABELS = {
  pin: 'netlab-atm-pin-v1',
  proof: 'netlab-atm-login-proof-v1',
  session: 'netlab-atm-session-v1',
  check: 'netlab-atm-key-check-v1',
} as const;

/** The bank's secret, with the operations its subkeys are for. The raw bytes cannot be read back. */
export interface BankKey {
  /** Key check value: equal for equal keys, reveals nothing about the key (a 48-bit integer). */
  readonly check: number;
  /** HMAC-SHA256 under the PIN subkey (the pepper of stored PIN hashes). */
  pinMac(data: Uint8Array): Buffer;
  /** HMAC-SHA256 under the proof subkey, hex. */
  proofMac(text: string): string;
  /** HMAC-SHA256 under the session subkey. */
  sessionMac(text: string): Buffer;
}

class SecretBankKey implements BankKey {
  readonly check: number;
  readonly #pin: Buffer;
  readonly #proof: Buffer;
  readonly #session: Buffer;

  constructor(secret: Uint8Array) {
    const derive = (label: string): Buffer => createHmac('sha256', secret).update(label).digest();
    this.#pin = derive(LABELS.pin);
    this.#proof = derive(LABELS.proof);
    this.#session = derive(LABELS.session);
    this.check = createHmac('sha256', derive(LABELS.check)).update('kcv').digest().readUIntBE(0, 6);
  }

  pinMac(data: Uint8Array): Buffer {
    return createHmac('sha256', this.#pin).update(data).digest();
  }

  proofMac(text: string): string {
    return createHmac('sha256', this.#proof).update(text).digest('hex');
  }

  sessionMac(text: string): Buffer {
    return createHmac('sha256', this.#session).update(text).digest();
  }
}

/** A bank key from its 32 secret bytes. Throws `ERR_INVALID_OPTION` for another length. */
export function createBankKey(secret: Uint8Array): BankKey {
  if (secret.length !== BANK_KEY_BYTES) {
    throw new AtmError('ERR_INVALID_OPTION', `a bank key is ${BANK_KEY_BYTES} bytes, got ${secret.length}`);
  }
  return new SecretBankKey(secret);
}

/** 32 fresh random bytes for a new bank key. */
export function generateBankKeySecret(): Buffer {
  return randomBytes(BANK_KEY_BYTES);
}

/** Parses a bank key written as 64 hex characters (surrounding whitespace allowed). */
export function parseBankKeySecret(text: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new AtmError('ERR_INVALID_OPTION', `a bank key is ${BANK_KEY_BYTES * 2} hex characters`);
  return Buffer.from(hex, 'hex');
}
