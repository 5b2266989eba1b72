/**
 * Stored reply bodies: the exact text a completion record keeps and every duplicate gets back.
 * `{"ok":true,"value":V}` (V in canonical JSON) or, when the effect threw and was rolled back,
 * `{"ok":false,"error":{"code":"ERR_EFFECT_FAILED","message":M}}`. The message is cut to
 * {@link MAX_FAILURE_MESSAGE_LENGTH} characters so a record stays small.
 */
import { canonicalJson } from './canonical-json.js';
import type { ReplyBody } from './messages.js';

/** Longest effect failure message kept in a record. */
export const MAX_FAILURE_MESSAGE_LENGTH = 200;

/** The body of a successful effect's reply (`undefined` is stored as `null`). */
export function successBody(value: unknown): string {
  return `{"ok":true,"value":${canonicalJson(value ?? null)}}`;
}

/** The body of a failed (rolled back) effect's reply. */
export function failureBody(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return canonicalJson({ ok: false, error: { code: 'ERR_EFFECT_FAILED', message: message.slice(0, MAX_FAILURE_MESSAGE_LENGTH) } });
}

/** Parses a stored body. */
export function parseReplyBody(body: string): ReplyBody {
  return JSON.parse(body) as ReplyBody;
}
