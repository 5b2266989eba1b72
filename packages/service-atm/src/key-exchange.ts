/**
 * The login's key exchange: finite-field Diffie-Hellman in the 2048-bit MODP group of RFC 3526
 * (group 14, generator 2), chosen because both ends can do it with nothing but a standard
 * library (Node's `crypto.getDiffieHellman('modp14')`, Python's `pow`). It lets the bank hand the
 * ATM its session MAC key without the key ever crossing the wire in clear:
 *
 * 1. login request: `dh` = the ATM's public value `A = 2^a mod p`, 512 hex characters (256 bytes,
 *    big-endian, zero-padded);
 * 2. approved reply: `dh` = the bank's public value `B`, and
 *    `wrappedKey = sessionKey XOR HMAC-SHA256(s, "netlab-atm-session-key-v1\n" + token)` (64 hex),
 *    where `s = A^b mod p = B^a mod p` as 256 bytes big-endian;
 * 3. the ATM computes `s`, unwraps the key, and MACs every later envelope with it.
 *
 * A passive observer sees A, B and the wrapped key, not `s`: it cannot learn the session key. An
 * active man in the middle can (nothing authenticates the bank's B): see the threat model in
 * docs/protocols/atm.md. Public values are checked to lie in [2, p − 2].
 */
import { createHmac, getDiffieHellman } from 'node:crypto';
import { AtmError } from './errors.js';

/** The group's name in Node. */
export const KEY_EXCHANGE_GROUP = 'modp14';
/** Bytes of a public value or shared secret. */
export const KEY_EXCHANGE_BYTES = 256;
/** A public value on the wire: 512 lowercase hex characters. */
export const KEY_EXCHANGE_PUBLIC_PATTERN = /^[0-9a-f]{512}$/;
const WRAP_LABEL = 'netlab-atm-session-key-v1';

const PRIME = BigInt(`0x${getDiffieHellman(KEY_EXCHANGE_GROUP).getPrime('hex')}`);

function pad(bytes: Buffer): Buffer {
  if (bytes.length === KEY_EXCHANGE_BYTES) return bytes;
  const out = Buffer.alloc(KEY_EXCHANGE_BYTES);
  bytes.copy(out, KEY_EXCHANGE_BYTES - bytes.length);
  return out;
}

/** True for a well-formed public value in [2, p − 2]. */
export function isKeyExchangePublic(hex: string): boolean {
  if (!KEY_EXCHANGE_PUBLIC_PATTERN.test(hex)) return false;
  const value = BigInt(`0x${hex}`);
  return value >= 2n && value <= PRIME - 2n;
}

/** One side's ephemeral key pair. */
export interface KeyExchange {
  /** This side's public value, 512 hex. */
  readonly publicValue: string;
  /** The shared secret with the other side's public value (256 bytes). Throws `ERR_INVALID_REPLY` for a bad value. */
  complete(otherPublic: string): Buffer;
}

/** A fresh ephemeral key pair (about a millisecond of CPU). */
export function createKeyExchange(): KeyExchange {
  const dh = getDiffieHellman(KEY_EXCHANGE_GROUP);
  const publicValue = pad(dh.generateKeys()).toString('hex');
  return {
    publicValue,
    complete(otherPublic) {
      if (!isKeyExchangePublic(otherPublic)) throw new AtmError('ERR_INVALID_REPLY', 'a key exchange value is not in the group');
      return pad(dh.computeSecret(Buffer.from(otherPublic, 'hex')));
    },
  };
}

function mask(shared: Uint8Array, token: string): Buffer {
  return createHmac('sha256', shared).update(`${WRAP_LABEL}\n${token}`).digest();
}

function xor(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

/** The session key wrapped for the wire (64 hex). */
export function wrapSessionKey(shared: Uint8Array, token: string, sessionKey: Uint8Array): string {
  return xor(sessionKey, mask(shared, token)).toString('hex');
}

/** Unwraps a session key from the login reply. Throws `ERR_INVALID_REPLY` for a malformed one. */
export function unwrapSessionKey(shared: Uint8Array, token: string, wrappedKey: string): Buffer {
  if (!/^[0-9a-f]{64}$/.test(wrappedKey)) throw new AtmError('ERR_INVALID_REPLY', 'the wrapped session key is not 64 hex characters');
  return xor(Buffer.from(wrappedKey, 'hex'), mask(shared, token));
}
