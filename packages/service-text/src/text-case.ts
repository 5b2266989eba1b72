/**
 * text-case (TCP): every line is answered converted to upper (default) or lower case.
 *
 * Conversion is Unicode's full, locale-independent case mapping (`String#toUpperCase` /
 * `toLowerCase`, never the `toLocale*` variants, so a server in a Turkish locale still maps `i`
 * to `I`): `ß` → `SS`, `ﬁ` → `FI`, final sigma `ΟΔΟΣ` → `οδος`, `İ` → `i̇`. A mapping may
 * lengthen a line: at most three times in UTF-8 bytes (U+0390 `ΐ`, 2 bytes → U+0399 U+0308 U+0301, 6 bytes).
 * CRs at the end of a line belong to its terminator (`x\r\r\n` → `X`).
 * Stateless: each reply depends on its line only.
 */
import type { Service, Session } from '@netlab/service';
import { TextServiceError } from './errors.js';
import { malformedReply } from '@netlab/service';
import { stripTrailingCarriageReturns } from './line-end.js';

/** Which case a text-case server converts to. */
export type TextCase = 'upper' | 'lower';

/** Text-case servers convert to upper case unless told otherwise. */
export const DEFAULT_TEXT_CASE: TextCase = 'upper';

export interface TextCaseServiceOptions {
  /** Target case. Default {@link DEFAULT_TEXT_CASE}. */
  readonly to?: TextCase;
}

/** Converts `text` with Unicode's full, locale-independent case mapping. */
export function convertCase(text: string, to: TextCase): string {
  return to === 'upper' ? text.toUpperCase() : text.toLowerCase();
}

/** Creates the text-case service. */
export function createTextCaseService(options: TextCaseServiceOptions = {}): Service<string, string> {
  const to = options.to ?? DEFAULT_TEXT_CASE;
  // Checked at run time too: JavaScript callers and CLI flags are not type-checked.
  if ((to as string) !== 'upper' && (to as string) !== 'lower') {
    throw new TextServiceError('ERR_INVALID_OPTION', `to must be "upper" or "lower", got ${JSON.stringify(to)}`);
  }
  return {
    name: 'text-case',
    open(): Session<string, string> {
      return { receive: (line) => [convertCase(stripTrailingCarriageReturns(line), to)] };
    },
    malformed: (error) => [malformedReply(error)],
  };
}
