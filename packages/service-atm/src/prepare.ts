/**
 * The work done before a request's transaction, and the session a login opens. Outside the
 * transaction because it is slow or needs no rows: a login's PIN candidate is hashed with the
 * account's salt (scrypt on libuv's thread pool) and keyed; its key exchange is answered (about a
 * millisecond). Inside the transaction the store then compares hashes in constant time and, on
 * approval, issues the session token bound to the terminal and wraps its MAC key.
 */
import type { EffectContext } from '@netlab/request-log';
import type { BankKey } from './bank-key.js';
import { createKeyExchange, wrapSessionKey } from './key-exchange.js';
import type { NewSession } from './ledger-core.js';
import type { AtmRequest } from './messages.js';
import { hashPinCandidate } from './pin.js';
import { issueSessionToken, sessionKeyOf } from './session-credentials.js';

/** A request with the work that had to happen before its transaction. */
export interface PreparedRequest {
  readonly request: AtmRequest;
  /** For `login`: the keyed candidate PIN hash, compared in constant time inside the transaction. */
  readonly pinCandidate?: string;
  /** For `login`: the bank's key exchange value and the shared secret (never stored). */
  readonly exchange?: { readonly publicValue: string; readonly shared: Buffer };
}

/**
 * Validated request in, prepared request out; `storedHash` reads the card's PIN hash (undefined:
 * no such card). A login's `dh` must lie in the group (`isKeyExchangePublic`, checked with the
 * rest of the payload by the service): else this throws `ERR_INVALID_REPLY`.
 */
export async function prepareRequest(request: AtmRequest, storedHash: (card: string) => Promise<string | undefined>, key: BankKey): Promise<PreparedRequest> {
  if (request.op !== 'login') return { request };
  const pinCandidate = await hashPinCandidate(request.pinBlock, await storedHash(request.card), key);
  const exchange = createKeyExchange();
  return { request, pinCandidate, exchange: { publicValue: exchange.publicValue, shared: exchange.complete(request.dh) } };
}

/** The session an approved login opens: a token bound to the terminal, its key wrapped for the reply. */
export function newSessionFor(prepared: PreparedRequest, context: EffectContext, key: BankKey): NewSession | undefined {
  const exchange = prepared.exchange;
  if (exchange === undefined) return undefined;
  const token = issueSessionToken(key, context.clientId);
  return { token, dh: exchange.publicValue, wrappedKey: wrapSessionKey(exchange.shared, token, sessionKeyOf(key, token)) };
}
