/**
 * Bytes and text shown in failure messages: escaped so a report never carries control
 * characters to a terminal, an XML file or a grader's web page, and truncated to a length a
 * person reads.
 *
 * Format: printable characters as themselves, `\n` `\r` `\t` `\\` `\"` escaped, other control
 * characters, U+2028/U+2029, bidi controls and bytes that are not UTF-8 as `\xNN` / `\u{NNNN}`;
 * the whole quoted. Past `maxChars` characters the text is cut and `… (N more bytes)` appended.
 */

/** Characters shown of one value in a failure message. */
export const DEFAULT_MAX_SHOWN_CHARS = 80;

const SPECIAL: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\', '"': '\\"' };

function isInvisible(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code < 0xa0) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0xfeff
  );
}

function escapeChar(ch: string): string {
  const special = SPECIAL[ch];
  if (special !== undefined) return special;
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x100 && isInvisible(code)) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (isInvisible(code)) return `\\u{${code.toString(16)}}`;
  return ch;
}

/** Decodes UTF-8 leniently, marking each invalid byte as `\xNN`. */
function decodeShowingBadBytes(bytes: Uint8Array): string {
  const strict = new TextDecoder('utf-8', { fatal: true });
  try {
    return Array.from(strict.decode(bytes)).map(escapeChar).join('');
  } catch {
    // Byte by byte: keep valid sequences, mark the rest.
    let out = '';
    let i = 0;
    while (i < bytes.length) {
      const lead = bytes[i] ?? 0;
      const length = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
      if (length > 0 && i + length <= bytes.length) {
        try {
          out += Array.from(strict.decode(bytes.subarray(i, i + length))).map(escapeChar).join('');
          i += length;
          continue;
        } catch {
          // fall through to a marked byte
        }
      }
      out += `\\x${lead.toString(16).padStart(2, '0')}`;
      i += 1;
    }
    return out;
  }
}

/** `"hello\n"`, escaped and truncated, for failure messages. */
export function showBytes(value: string | Uint8Array, maxChars: number = DEFAULT_MAX_SHOWN_CHARS): string {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  const escaped = typeof value === 'string' ? Array.from(value).map(escapeChar).join('') : decodeShowingBadBytes(value);
  const chars = Array.from(escaped);
  if (chars.length <= maxChars) return `"${escaped}"`;
  const shown = chars.slice(0, maxChars).join('');
  const shownBytes = new TextEncoder().encode(shown).length;
  return `"${shown}"… (${Math.max(0, bytes.length - shownBytes)} more bytes)`;
}

/** A regular expression or a line, as a failure message names it. */
export function showExpectation(expected: string | RegExp): string {
  return typeof expected === 'string' ? showBytes(expected) : `a line matching ${String(expected)}`;
}
