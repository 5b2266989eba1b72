/**
 * Envelope MACs: a request envelope bound to a key that only its client and the server hold, so
 * nobody else can speak for that client id (raise its watermark, plant records in its window,
 * read its replies). The request log itself never needs a key: a service that issues keys (the
 * ATM issues one per session at login) verifies the MAC *before* `log.execute`, and answers
 * `ERR_UNAUTHENTICATED` without touching the store when it fails.
 *
 * Wire format: the envelope's optional `mac` field, 64 lowercase hex characters:
 *
 *     mac = hex(HMAC-SHA256(key, "netlab-request-mac-v1\n" + clientId + "\n" + seq + "\n" + ack + "\n" + canonical(payload)))
 *
 * `seq` and `ack` in decimal, `canonical(payload)` the payload's RFC 8785 canonical JSON (see
 * `canonical-json.ts`), everything UTF-8. The ack is covered, so a retransmission carrying a newer
 * watermark carries a new MAC; `kind` and `mac` are not. Keys are 32 bytes (any length works; the
 * ATM's are 32).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { RequestEnvelope } from './messages.js';

/** The domain-separation prefix of every MAC input. */
export const ENVELOPE_MAC_CONTEXT = 'netlab-request-mac-v1';

/** What a MAC covers. */
export type MacFields = Pick<RequestEnvelope, 'clientId' | 'seq' | 'ack' | 'payload'>;

/** The exact text that is MACed (for implementers of other clients: print it and compare). */
export function envelopeMacInput(envelope: MacFields, canonical: string = canonicalJson(envelope.payload)): string {
  return `${ENVELOPE_MAC_CONTEXT}\n${envelope.clientId}\n${envelope.seq}\n${envelope.ack}\n${canonical}`;
}

/** The MAC of an envelope under `key` (64 hex). */
export function macEnvelope(key: Uint8Array, envelope: MacFields, canonical?: string): string {
  return createHmac('sha256', key).update(envelopeMacInput(envelope, canonical)).digest('hex');
}

/** True when `envelope.mac` is the MAC of the envelope under `key` (compared in constant time). */
export function verifyEnvelopeMac(key: Uint8Array, envelope: MacFields & { readonly mac?: string | undefined }, canonical?: string): boolean {
  const mac = envelope.mac;
  if (mac === undefined || !/^[0-9a-f]{64}$/.test(mac)) return false;
  return timingSafeEqual(Buffer.from(macEnvelope(key, envelope, canonical), 'hex'), Buffer.from(mac, 'hex'));
}
