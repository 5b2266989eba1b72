/**
 * echo (TCP, RFC 862 in spirit, line-oriented).
 *
 * Wire format: every line is sent back unchanged. A line that is `bye` in any case (surrounding
 * whitespace ignored) is answered `Goodbye` and the server closes the connection. CRs at the end
 * of a line belong to its terminator (`x\r\r\n` is the line `x`).
 * Stateless per line: each reply depends on that line only; the session just ends on `bye`.
 */
import type { Service, Session } from '@netlab/service';
import { assertLineOption } from './errors.js';
import { malformedReply } from '@netlab/service';
import { stripTrailingCarriageReturns } from './line-end.js';

/** The word that ends an echo session, compared case-insensitively. */
export const DEFAULT_ECHO_QUIT_WORD = 'bye';
/** The reply to the quit word, sent before the server closes. */
export const DEFAULT_ECHO_FAREWELL = 'Goodbye';

export interface EchoServiceOptions {
  /** Ends the session when a line equals it, ignoring case and surrounding whitespace. Default {@link DEFAULT_ECHO_QUIT_WORD}. */
  readonly quitWord?: string;
  /** Sent in answer to the quit word before closing (no CR or LF). Default {@link DEFAULT_ECHO_FAREWELL}. */
  readonly farewell?: string;
}

/** Creates the echo service. */
export function createEchoService(options: EchoServiceOptions = {}): Service<string, string> {
  const quitWord = (options.quitWord ?? DEFAULT_ECHO_QUIT_WORD).trim().toLowerCase();
  const farewell = options.farewell ?? DEFAULT_ECHO_FAREWELL;
  assertLineOption('quitWord', quitWord);
  assertLineOption('farewell', farewell);
  return {
    name: 'echo',
    open(_peer, ctx): Session<string, string> {
      return {
        receive(received) {
          const line = stripTrailingCarriageReturns(received);
          if (line.trim().toLowerCase() === quitWord) {
            // Sent through ctx before close so it is flushed whatever the transport does with
            // replies returned after a close.
            ctx.send(farewell);
            ctx.close('client said bye');
            return [];
          }
          return [line];
        },
      };
    },
    malformed: (error) => [malformedReply(error)],
  };
}
