/**
 * Colours for the chat client: each member's name gets a colour of its own, the same in every
 * client and every session (a hash of the name, ignoring case as the room does), so a reader
 * follows who is talking at a glance. Colour is applied by the caller's `paint`, which is the
 * identity when the output is not a terminal or NO_COLOR is set.
 *
 * Only the room's own line shapes are recognised (docs/protocols/chat.md); anything else is
 * printed as it came. Member names are 1–32 of `A–Z a–z 0–9 _ -`, so they cannot contain the
 * spaces, colons and parentheses the patterns anchor on.
 */
import type { styleText } from 'node:util';

export type Style = Parameters<typeof styleText>[0];
export type Paint = (style: Style, text: string) => string;

/** Name colours; red stays free for errors. */
export const NAME_STYLES: readonly Style[] = ['cyan', 'magenta', 'green', 'yellow', 'blue', 'cyanBright', 'magentaBright', 'greenBright', 'yellowBright', 'blueBright'];

const NAME = '[A-Za-z0-9_-]{1,32}';
const MESSAGE = new RegExp(`^(${NAME}): (.*)$`, 'su');
const PRIVATE = new RegExp(`^(${NAME}) \\(private(?: to (${NAME}))?\\): (.*)$`, 'su');
const PRESENCE = new RegExp(`^(${NAME}) (has (?:joined|left) the chat\\.)$`, 'u');
const RENAME = new RegExp(`^(${NAME}) is now known as (${NAME})\\.$`, 'u');
const WELCOME = new RegExp(`^Welcome, (${NAME})!$`, 'u');
const MEMBERS = /^(Members \((?:\d+|continued)\): )(.*)$/su;

/** The colour of `name`: FNV-1a of its lower-case form, modulo the palette. */
export function nameStyle(name: string): Style {
  let hash = 0x811c9dc5;
  for (const char of name.toLowerCase()) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return NAME_STYLES[hash % NAME_STYLES.length] ?? 'cyan';
}

/** Colours the names (and errors) of one line from the chat server. */
export function colorChatLine(line: string, paint: Paint): string {
  const name = (n: string): string => paint(nameStyle(n), n);
  let m: RegExpExecArray | null;
  if ((m = PRIVATE.exec(line)) !== null) {
    const [, from = '', to, text = ''] = m;
    const label = to === undefined ? paint('dim', '(private):') : `${paint('dim', '(private to')} ${name(to)}${paint('dim', '):')}`;
    return `${name(from)} ${label} ${text}`;
  }
  if ((m = MESSAGE.exec(line)) !== null) return `${name(m[1] ?? '')}: ${m[2] ?? ''}`;
  if ((m = PRESENCE.exec(line)) !== null) return `${name(m[1] ?? '')} ${paint('dim', m[2] ?? '')}`;
  if ((m = RENAME.exec(line)) !== null) return `${name(m[1] ?? '')} ${paint('dim', 'is now known as')} ${name(m[2] ?? '')}.`;
  if ((m = WELCOME.exec(line)) !== null) return `Welcome, ${name(m[1] ?? '')}!`;
  if ((m = MEMBERS.exec(line)) !== null) return `${m[1] ?? ''}${(m[2] ?? '').split(', ').map(name).join(', ')}`;
  if (line.startsWith('ERROR ')) return paint('red', line);
  return line;
}
