/**
 * How a session's end is said on the wire: the WebSocket close code (RFC 6455 §7.4.1) and a
 * short reason for each `CloseReason`, so a browser's `CloseEvent` tells what a TCP peer learns
 * from the last line before the FIN.
 */
import type { CloseReason } from '@netlab/service';

/** Close codes netlab sends. */
export const WS_CLOSE_CODES = {
  /** The session ended normally (the service closed it, the peer left, idle timeout). */
  normal: 1000,
  /** The server is shutting down. */
  goingAway: 1001,
  /** Input the codec rejected (a line too long, invalid UTF-8, a bad frame), or SendQ exceeded. */
  policy: 1008,
  /** A frame larger than `maxPayloadBytes`. */
  tooBig: 1009,
  /** The service failed on this session. */
  internal: 1011,
  /** Refused for capacity (`maxConnections`): try again later. */
  tryAgain: 1013,
} as const;

/** Longest close reason a close frame carries: 123 bytes (125 minus the code). */
export const MAX_CLOSE_REASON_BYTES = 123;

function errorCode(reason: CloseReason): string | undefined {
  const code = (reason.error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The close code for a session that ended for `reason`. */
export function closeCodeOf(reason: CloseReason): number {
  switch (reason.kind) {
    case 'shutdown':
      return WS_CLOSE_CODES.goingAway;
    case 'error': {
      const code = errorCode(reason);
      if (code === 'ERR_SESSION_FAILED') return WS_CLOSE_CODES.internal;
      if (code === 'ERR_MESSAGE_TOO_LARGE') return WS_CLOSE_CODES.tooBig;
      return WS_CLOSE_CODES.policy;
    }
    default:
      return WS_CLOSE_CODES.normal;
  }
}

/** The close reason text: the reason's message (or kind), cut to {@link MAX_CLOSE_REASON_BYTES} bytes on a character boundary. */
export function closeTextOf(reason: CloseReason): string {
  let text = reason.message ?? reason.kind;
  while (Buffer.byteLength(text, 'utf8') > MAX_CLOSE_REASON_BYTES) text = text.slice(0, -1);
  return text;
}
