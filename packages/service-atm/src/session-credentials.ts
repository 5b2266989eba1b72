/**
 * Session credentials, stateless on the server: a session token names the client id (terminal)
 * it was issued to, and its MAC key is derived from the token, both under the session subkey of
 * the bank key. So the bank checks a request's authority (token bound to the envelope's client
 * id, envelope MAC under the token's key) with three HMACs and no database read, before the
 * request log decides anything; the check survives restarts (the key file does) and works on
 * every replica (they share the key), and retransmissions of a request whose session has ended
 * since (a lost logout reply) still authenticate, so they are answered from the log.
 *
 * Token: 64 lowercase hex = `nonce` (32 hex, random) + `tag` (32 hex), with
 * `tag = first 16 bytes of HMAC(session subkey, "token\0" + clientId + "\0" + nonce)`.
 * Session MAC key: `HMAC(session subkey, "key\0" + token)`, 32 bytes. It reaches the ATM only
 * wrapped under the login's Diffie-Hellman secret (`key-exchange.ts`).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { BankKey } from './bank-key.js';

/** Length of a session token (hex characters). */
export const SESSION_TOKEN_LENGTH = 64;
/** A session token: 64 lowercase hex. */
export const SESSION_TOKEN_PATTERN = /^[0-9a-f]{64}$/;
const NONCE_HEX = 32;

function tagOf(key: BankKey, clientId: string, nonce: string): Buffer {
  return key.sessionMac(`token\u0000${clientId}\u0000${nonce}`).subarray(0, 16);
}

/** A new session token for `clientId`. */
export function issueSessionToken(key: BankKey, clientId: string): string {
  const nonce = randomBytes(NONCE_HEX / 2).toString('hex');
  return `${nonce}${tagOf(key, clientId, nonce).toString('hex')}`;
}

/** True when `token` was issued by this bank key to `clientId` (constant time in the tag). */
export function isSessionTokenOf(key: BankKey, token: string, clientId: string): boolean {
  if (!SESSION_TOKEN_PATTERN.test(token)) return false;
  return timingSafeEqual(tagOf(key, clientId, token.slice(0, NONCE_HEX)), Buffer.from(token.slice(NONCE_HEX), 'hex'));
}

/** The MAC key of a session (32 bytes). */
export function sessionKeyOf(key: BankKey, token: string): Buffer {
  return key.sessionMac(`key\u0000${token}`);
}
