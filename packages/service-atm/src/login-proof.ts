/**
 * What the request log keeps of a login instead of its PIN block. The request log stores every
 * request's canonical payload (to name the fields of an `ERR_MISMATCH`) and its SHA-256 until the
 * terminal acknowledges the reply, which a terminal that vanishes after logging in never does. A
 * PIN block there would be as good as the PIN (10,000 guesses), and so would any unkeyed function
 * of it. The bank therefore hands the log a copy of the login with
 *
 *     pinBlock = hex(HMAC(proof subkey of the bank key, clientId + "\0" + seq + "\0" + pinBlock))
 *
 * Deterministic for one request id, so a byte-identical retransmission is still a replay and a
 * retransmission with another PIN block is still an `ERR_MISMATCH` (naming `pinBlock`); keyed, so
 * the stored value gives nothing to whoever lacks the bank key; bound to the request id, so two
 * logins with the same PIN cannot even be told to be the same.
 */
import type { BankKey } from './bank-key.js';

/** The keyed proof that replaces a login's PIN block in what the request log stores. */
export function loginProof(key: BankKey, clientId: string, seq: number, pinBlock: string): string {
  return key.proofMac(`${clientId}\u0000${seq}\u0000${pinBlock}`);
}
