/**
 * The request/reply envelopes every transport carries (JSON, validated on both sides).
 *
 * Request: `{"kind":"request","clientId":"c1","seq":7,"ack":5,"payload":{...}}`
 * - `clientId`: 1 to {@link MAX_CLIENT_ID_LENGTH} characters of `[A-Za-z0-9._:-]`;
 * - `seq` ≥ 1: the client's sequence number; (clientId, seq) is the request id, never reused
 *   for another payload;
 * - `ack` ≥ 0: the ack watermark: the client has received the reply of every seq ≤ ack
 *   (so `ack < seq` always holds);
 * - `payload`: any JSON value (the service's message);
 * - `mac` (optional): 64 hex, the envelope's MAC under a key the server issued to this client
 *   (see `envelope-mac.ts`); services that issue keys refuse envelopes without a valid one
 *   (`ERR_UNAUTHENTICATED`), the request log itself ignores it.
 *
 * Reply, `status: "done"`: `{"kind":"reply","clientId":"c1","seq":7,"status":"done","replay":false,"body":"{\"ok\":true,\"value\":...}"}`
 * - `body` is the completion record's stored reply text, sent verbatim: a replay is
 *   byte-identical to the first reply. It is `{"ok":true,"value":V}` or, when the effect threw
 *   (and was rolled back), `{"ok":false,"error":{"code":"ERR_EFFECT_FAILED","message":...}}`.
 * - `replay` is true when the body came from an existing record (a duplicate).
 *
 * Reply, `status: "error"`: `{"kind":"reply","clientId":"c1","seq":7,"status":"error","code":"ERR_STALE","message":...}`
 * with optional `fields` (ERR_MISMATCH) and `ack` (ERR_STALE). Nothing was run for it.
 * `ERR_UNAUTHENTICATED` comes from a service that authenticates envelopes before the log: the
 * envelope's MAC (or its session) did not verify, so it was neither run nor recorded and moved
 * no watermark.
 *
 * Limits: over UDP a whole envelope must fit one datagram (1200 bytes by default); over TCP one
 * length-prefixed frame ({@link DEFAULT_MAX_FRAME_BYTES} by default).
 */
import * as v from 'valibot';
import type { JsonValue } from './canonical-json.js';

/** Longest client id accepted. */
export const MAX_CLIENT_ID_LENGTH = 128;
/** Default largest frame over TCP: 64 KiB. */
export const DEFAULT_MAX_FRAME_BYTES = 65_536;

/** The error codes a server may answer with (a subset of the package's error codes). */
export const REPLY_ERROR_CODES = [
  'ERR_STALE',
  'ERR_MISMATCH',
  'ERR_IN_PROGRESS',
  'ERR_SESSION_EXPIRED',
  'ERR_WINDOW_EXCEEDED',
  'ERR_INVALID_REQUEST',
  'ERR_UNAVAILABLE',
  'ERR_UNAUTHENTICATED',
] as const;
export type ReplyErrorCode = (typeof REPLY_ERROR_CODES)[number];

export interface RequestEnvelope {
  readonly kind: 'request';
  readonly clientId: string;
  readonly seq: number;
  readonly ack: number;
  readonly payload: JsonValue;
  /** The envelope's MAC (64 hex), when the client holds a key from the server. */
  readonly mac?: string;
}

export interface DoneReply {
  readonly kind: 'reply';
  readonly clientId: string;
  readonly seq: number;
  readonly status: 'done';
  readonly replay: boolean;
  readonly body: string;
}

export interface ErrorReply {
  readonly kind: 'reply';
  readonly clientId: string;
  readonly seq: number;
  readonly status: 'error';
  readonly code: ReplyErrorCode;
  readonly message: string;
  readonly fields?: readonly string[];
  readonly ack?: number;
}

export type ReplyEnvelope = DoneReply | ErrorReply;

/** A stored reply body, parsed. */
export type ReplyBody =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly error: { readonly code: 'ERR_EFFECT_FAILED'; readonly message: string } };

const clientId = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_CLIENT_ID_LENGTH), v.regex(/^[A-Za-z0-9._:-]+$/));
const seq = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
const ack = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const mac = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'a MAC is 64 lowercase hex characters'));

/** Schema of a request envelope (the payload's JSON-ness is checked by the server's fingerprinting). */
export const requestEnvelopeSchema: v.GenericSchema<unknown, RequestEnvelope> = v.pipe(
  v.strictObject({
    kind: v.literal('request'),
    clientId,
    seq,
    ack,
    payload: v.custom<JsonValue>((value) => value !== undefined, 'payload is required'),
    mac: v.exactOptional(mac),
  }),
  v.check((request) => request.ack < request.seq, 'ack must be below seq'),
);

/** Schema of a reply envelope. */
export const replyEnvelopeSchema: v.GenericSchema<unknown, ReplyEnvelope> = v.variant('status', [
  v.strictObject({
    kind: v.literal('reply'),
    clientId,
    seq,
    status: v.literal('done'),
    replay: v.boolean(),
    body: v.string(),
  }),
  v.strictObject({
    kind: v.literal('reply'),
    clientId,
    seq,
    status: v.literal('error'),
    code: v.picklist(REPLY_ERROR_CODES),
    message: v.string(),
    fields: v.exactOptional(v.array(v.string())),
    ack: v.exactOptional(ack),
  }),
]);
