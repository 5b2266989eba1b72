/**
 * chat (TCP): one room, shared by every session of one service instance.
 *
 * Login (state LOGIN): each line is a desired name (trimmed). Replies: `Welcome, <name>!` (then the
 * room gets `<name> has joined the chat.`, the newcomer included), or `ERROR invalid name`,
 * `ERROR name taken`, `ERROR room full`; the client may try again on the same connection.
 *
 * In the room (state MEMBER), a line is:
 *   `quit` or `/quit`     → every member, the leaver included, gets `<name> has left the chat.`; close
 *   `/who`                → `Members (<n>): a, b, c` (long lists continue on `Members (continued): …` lines)
 *   `/msg <name> <text>`  → the target gets `<from> (private): <text>`, the sender `<from> (private to <to>): <text>`
 *   `/nick <new>`         → every member gets `<old> is now known as <new>.`
 *   `/help`               → the command list
 *   `//text`              → a message `/text` (how to send a line that starts with a slash)
 *   `/<anything else>`    → `ERROR unknown command (try /help)`
 *   whitespace only       → ignored
 *   anything else         → every member, the sender included, gets `<name>: <text>` (text trimmed):
 *                           the room's order is the one order everybody sees.
 * A member whose session closes any other way (peer gone, idle, send queue overflow, shutdown) is
 * removed and the others get `<name> has left the chat.`.
 *
 * Limits: every line costs a token from the sender's bucket (`floodRate` per second, `floodBurst`
 * at most): an empty bucket answers `ERROR flood limit, slow down` and drops the line; a line over
 * `maxMessageBytes` UTF-8 bytes gets `ERROR message too long (max <n> bytes)`; control characters
 * (tab excepted), bidi embeddings/overrides/isolates and U+2028/U+2029 get `ERROR control characters
 * are not allowed`; at most `maxMembers` members.
 * A slow reader is the transport's job: its bounded output queue closes a client that stops
 * reading, and this service then announces the leave like any other.
 *
 * Stateful: the room (who is in it, under which name) is shared state, and each connection has a
 * login state and a flood bucket.
 */
import type { CloseReason, Service, Session, SessionContext } from '@netlab/service';
import { chatNameKey, isValidChatName } from './chat-name.js';
import { assertNumberOption } from './errors.js';
import { malformedReply } from '@netlab/service';
import { type TokenBucket, createTokenBucket } from './token-bucket.js';

/** Most members in the room. */
export const DEFAULT_MAX_MEMBERS = 1000;
/** Most UTF-8 bytes in one line a member types. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024;
/** Lines per second a client may sustain. */
export const DEFAULT_FLOOD_RATE = 5;
/** Lines a client may send in a burst. */
export const DEFAULT_FLOOD_BURST = 10;

/** The `/help` reply, one line per entry. */
export const CHAT_HELP: readonly string[] = [
  'Commands:',
  '/who                list the members',
  '/msg <name> <text>  send a private message',
  '/nick <name>        change your name',
  '/quit               leave the chat (or type quit)',
  '//text              send a message that starts with /',
];

// Bytes of member names per `/who` line, so a full room never makes a line near the transport's cap.
const WHO_LINE_BYTES = 1000;

export interface ChatServiceOptions {
  /** Most members at once. Default {@link DEFAULT_MAX_MEMBERS}. */
  readonly maxMembers?: number;
  /** Most UTF-8 bytes in one received line. Default {@link DEFAULT_MAX_MESSAGE_BYTES}. */
  readonly maxMessageBytes?: number;
  /** Sustained lines per second per client (token refill rate). Default {@link DEFAULT_FLOOD_RATE}. */
  readonly floodRate?: number;
  /** Burst of lines per client (bucket capacity). Default {@link DEFAULT_FLOOD_BURST}. */
  readonly floodBurst?: number;
}

/** A chat service; its room lives as long as the service object. */
export interface ChatService extends Service<string, string> {
  /** Members in the room now. */
  readonly memberCount: number;
  /** Members' names, in the order they joined (a rename moves a member to the end). */
  memberNames(): readonly string[];
}

/** A member in the room: its session (one object per member, see {@link ChatSession}). */
interface Member {
  readonly name: string;
  readonly ctx: SessionContext<string>;
}

/** UTF-8 length of a string without encoding it (a lone surrogate counts as the 3 bytes of U+FFFD, as it is sent). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * True for characters a member may not send: C0 and C1 controls (tab excepted), which carry
 * terminal escape sequences; the bidi embeddings, overrides and isolates U+202A–U+202E and
 * U+2066–U+2069, which let a message render in another order than it reads ("Trojan Source":
 * `txt.exe\u202Egnp.` shows as `txt.png.exe`) in a browser or a terminal; and the line and
 * paragraph separators U+2028/U+2029, which browsers and editors render as line breaks, so one
 * line could fake a second, forged line. Implicit marks (U+200E, U+200F, U+061C) stay allowed:
 * right-to-left writers need them and they cannot reorder other text.
 */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || (c >= 0x7f && c <= 0x9f)) return true;
    if (c >= 0x2028 && c <= 0x202e) return true;
    if (c >= 0x2066 && c <= 0x2069) return true;
  }
  return false;
}

/** What every session of one service shares. */
interface Room {
  /** Members by name key, in join order. */
  readonly members: Map<string, ChatSession>;
  readonly deliver: (targets: Iterable<Member>, line: string) => void;
  readonly whoLines: () => string[];
  readonly maxMembers: number;
  readonly maxMessageBytes: number;
  readonly flood: { readonly rate: number; readonly burst: number };
}

/**
 * One connection's session, and once logged in the room's member itself (no member object of
 * its own). A class, not closures: with a thousand members the per-member functions of a
 * closure-based session cost more memory than the rest of the session.
 */
class ChatSession implements Session<string, string>, Member {
  /** The member's name; '' before login and after leaving. */
  name = '';
  private joined = false;
  private readonly bucket: TokenBucket;

  constructor(
    private readonly room: Room,
    readonly ctx: SessionContext<string>,
  ) {
    this.bucket = createTokenBucket(room.flood, ctx.now());
  }

  receive(line: string): readonly string[] {
    const { ctx, room } = this;
    if (!this.bucket.take(ctx.now())) return ['ERROR flood limit, slow down'];
    if (utf8Length(line) > room.maxMessageBytes) return [`ERROR message too long (max ${room.maxMessageBytes} bytes)`];
    if (hasControlCharacter(line)) return ['ERROR control characters are not allowed'];
    const text = line.trim();
    const lower = text.toLowerCase();
    if (lower === 'quit' || lower === '/quit') {
      this.quit();
      return [];
    }
    if (!this.joined) return this.login(text);
    if (text === '') return [];
    if (text.startsWith('/') && !text.startsWith('//')) return this.command(text);
    room.deliver(room.members.values(), `${this.name}: ${text.startsWith('//') ? text.slice(1) : text}`);
    return [];
  }

  close(reason: CloseReason): void {
    this.leave(false, reason.message === undefined ? reason.kind : `${reason.kind}: ${reason.message}`);
  }

  private leave(announceToSelf: boolean, why: string): void {
    if (!this.joined) return;
    const name = this.name;
    const { members, deliver } = this.room;
    this.joined = false;
    if (announceToSelf) deliver(members.values(), `${name} has left the chat.`);
    members.delete(chatNameKey(name));
    if (!announceToSelf) deliver(members.values(), `${name} has left the chat.`);
    this.name = '';
    this.ctx.log(`${name} left (${why}); ${members.size} in the room`);
  }

  // Both return the lines for this member alone; room lines go out through `deliver`.
  private login(text: string): readonly string[] {
    const { ctx, room } = this;
    if (!isValidChatName(text)) return ['ERROR invalid name'];
    if (room.members.has(chatNameKey(text))) return ['ERROR name taken'];
    if (room.members.size >= room.maxMembers) {
      ctx.log(`refused ${text}: room full`);
      return ['ERROR room full'];
    }
    this.name = text;
    this.joined = true;
    room.members.set(chatNameKey(text), this);
    // Sent now, not returned: the welcome must reach the newcomer before the join line does.
    ctx.send(`Welcome, ${text}!`);
    room.deliver(room.members.values(), `${text} has joined the chat.`);
    ctx.log(`${text} joined; ${room.members.size} in the room`);
    return [];
  }

  private command(text: string): readonly string[] {
    const { members, deliver } = this.room;
    const space = text.search(/\s/u);
    const word = (space === -1 ? text : text.slice(0, space)).toLowerCase();
    const rest = space === -1 ? '' : text.slice(space).trim();
    switch (word) {
      case '/who':
        return this.room.whoLines();
      case '/help':
        return CHAT_HELP;
      case '/msg': {
        const gap = rest.search(/\s/u);
        const to = gap === -1 ? rest : rest.slice(0, gap);
        const body = gap === -1 ? '' : rest.slice(gap).trim();
        if (to === '' || body === '') return ['ERROR usage: /msg <name> <text>'];
        const target = members.get(chatNameKey(to));
        if (target === undefined) return ['ERROR no such member'];
        if (target !== this) deliver([target], `${this.name} (private): ${body}`);
        return [`${this.name} (private to ${target.name}): ${body}`];
      }
      case '/nick': {
        if (!isValidChatName(rest)) return ['ERROR invalid name'];
        if (rest === this.name) return ['ERROR name unchanged'];
        const holder = members.get(chatNameKey(rest));
        if (holder !== undefined && holder !== this) return ['ERROR name taken'];
        const old = this.name;
        members.delete(chatNameKey(old));
        this.name = rest;
        members.set(chatNameKey(rest), this);
        deliver(members.values(), `${old} is now known as ${rest}.`);
        this.ctx.log(`${old} is now known as ${rest}`);
        return [];
      }
      case '/quit':
        this.quit();
        return [];
      default:
        return ['ERROR unknown command (try /help)'];
    }
  }

  private quit(): void {
    this.leave(true, 'quit');
    this.ctx.close('quit');
  }
}

/** The `/who` reply for `names`: `Members (<n>): a, b` then `Members (continued): …` lines of at most ~1000 bytes. */
export function formatWhoLines(names: readonly string[]): string[] {
  const lines: string[] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const name of names) {
    if (bytes + name.length + 2 > WHO_LINE_BYTES && current.length > 0) {
      lines.push(current.join(', '));
      current = [];
      bytes = 0;
    }
    current.push(name);
    bytes += name.length + 2;
  }
  lines.push(current.join(', '));
  return lines.map((list, i) => (i === 0 ? `Members (${names.length}): ${list}` : `Members (continued): ${list}`));
}

/** Creates a chat service with an empty room. */
export function createChatService(options: ChatServiceOptions = {}): ChatService {
  const maxMembers = options.maxMembers ?? DEFAULT_MAX_MEMBERS;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const floodRate = options.floodRate ?? DEFAULT_FLOOD_RATE;
  const floodBurst = options.floodBurst ?? DEFAULT_FLOOD_BURST;
  assertNumberOption('maxMembers', maxMembers, 1, 1_000_000, true);
  assertNumberOption('maxMessageBytes', maxMessageBytes, 1, 64 * 1024 * 1024, true);
  assertNumberOption('floodRate', floodRate, Number.MIN_VALUE, 1e9, false);
  assertNumberOption('floodBurst', floodBurst, 1, 1e9, true);

  const members = new Map<string, ChatSession>();

  // Delivery is not re-entrant: a send may make a transport close a slow member, whose leave
  // announcement must not interleave with the line being delivered. Such nested deliveries queue
  // here and go out, in order, once the current one has reached everybody.
  const pending: [SessionContext<string>, string][] = [];
  let delivering = false;
  const deliver = (targets: Iterable<Member>, line: string): void => {
    if (delivering) {
      for (const member of targets) pending.push([member.ctx, line]);
      return;
    }
    delivering = true;
    try {
      for (const member of targets) member.ctx.send(line);
      // The iterator sees items appended while it runs: nested deliveries of nested deliveries.
      for (const [target, queued] of pending) target.send(queued);
    } finally {
      pending.length = 0;
      delivering = false;
    }
  };

  const whoLines = (): string[] => formatWhoLines([...members.values()].map((m) => m.name));

  const room: Room = { members, deliver, whoLines, maxMembers, maxMessageBytes, flood: { rate: floodRate, burst: floodBurst } };
  const service: ChatService = {
    name: 'chat',
    get memberCount() {
      return members.size;
    },
    memberNames: () => [...members.values()].map((m) => m.name),
    open: (_peer, ctx): Session<string, string> => new ChatSession(room, ctx),
    malformed: (error) => [malformedReply(error)],
  };
  return service;
}
