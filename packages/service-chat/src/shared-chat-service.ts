/**
 * chat over a shared room: the same wire protocol as `createChatService` (docs/protocols/chat.md),
 * but the room lives in an engine several servers share (a {@link RoomBus}), and what members
 * see comes only from the room's ordered log: the engine calls {@link SharedChatService.apply}
 * with every event in log order, and this service turns each into lines for its own members.
 *
 * Differences from the single-process room, all consequences of the log being the only truth:
 * - a member's own message, `/nick` and `/msg` echo arrive through the log, in log order;
 * - `Welcome, <name>!` is sent when the member's join event is applied, just before the join line;
 * - a member the engine dropped (its server lost the room's lease, or its name was taken while the
 *   engine was away) gets `ERROR dropped from the room (<why>)` and is disconnected;
 * - `maxMembers` counts this server's members (the transport's connection cap is per server too);
 * - when the engine cannot be reached, a line gets `ERROR room unavailable, try again` and is
 *   not sent (nothing is queued without bound).
 *
 * Stateful: the local members (by session id and by name) and the login state of each
 * connection; the room's membership is the engine's.
 */
import type { CloseReason, Service, Session, SessionContext } from '@netlab/service';
import { malformedReply } from '@netlab/service';
import { chatNameKey, isValidChatName } from './chat-name.js';
import {
  CHAT_HELP,
  type ChatServiceOptions,
  DEFAULT_FLOOD_BURST,
  DEFAULT_FLOOD_RATE,
  DEFAULT_MAX_MEMBERS,
  DEFAULT_MAX_MESSAGE_BYTES,
  formatWhoLines,
  hasControlCharacter,
  utf8Length,
} from './chat-service.js';
import { assertNumberOption } from './errors.js';
import type { RoomBus, RoomEvent } from './room-bus.js';
import { type TokenBucket, createTokenBucket } from './token-bucket.js';

/** The line a member gets when the engine cannot take its line. */
export const ROOM_UNAVAILABLE_LINE = 'ERROR room unavailable, try again';

export interface SharedChatServiceOptions extends ChatServiceOptions {
  /** The shared room. Required. */
  readonly bus: RoomBus;
}

/** A local member, as this server knows it. */
export interface LocalMember {
  readonly sid: string;
  readonly name: string;
}

/** A chat service whose room is shared through a {@link RoomBus}. */
export interface SharedChatService extends Service<string, string> {
  /** This server's members now. */
  readonly memberCount: number;
  /** This server's members, in the order they joined here. */
  members(): readonly LocalMember[];
  /** Applies one event of the room's log (the engine calls this in log order, once per event). */
  apply(event: RoomEvent): void;
  /** Tells every member `line` (a notice from the engine, e.g. lines lost while disconnected). */
  notice(line: string): void;
  /** Disconnects the member of session `sid` with `ERROR dropped from the room (<why>)`, without announcing (the engine did or will). */
  drop(sid: string, why: string): void;
}

interface Member {
  name: string;
  readonly session: SharedSession;
}

interface Local {
  readonly bus: RoomBus;
  /** Members of this server by session id, in join order. */
  readonly members: Map<string, Member>;
  /** The same members by name key. */
  readonly byName: Map<string, Member>;
  /** Every open session by id (members and connections still choosing a name). */
  readonly sessions: Map<string, SharedSession>;
  readonly maxMembers: number;
  readonly maxMessageBytes: number;
  readonly flood: { readonly rate: number; readonly burst: number };
}

let nextSession = 0;

class SharedSession implements Session<string, string> {
  /** The name this session holds in the room (set by its join event), or undefined. */
  me: Member | undefined = undefined;
  /** True once the session asked to leave or closed: later events no longer concern it. */
  leaving = false;
  private readonly bucket: TokenBucket;

  constructor(
    private readonly local: Local,
    readonly ctx: SessionContext<string>,
    readonly sid: string,
  ) {
    this.bucket = createTokenBucket(local.flood, ctx.now());
  }

  async receive(line: string): Promise<readonly string[]> {
    const { ctx, local } = this;
    if (!this.bucket.take(ctx.now())) return ['ERROR flood limit, slow down'];
    if (utf8Length(line) > local.maxMessageBytes) return [`ERROR message too long (max ${local.maxMessageBytes} bytes)`];
    if (hasControlCharacter(line)) return ['ERROR control characters are not allowed'];
    const text = line.trim();
    const lower = text.toLowerCase();
    try {
      if (lower === 'quit' || lower === '/quit') {
        await this.quit();
        return [];
      }
      const me = this.me;
      if (me === undefined) return await this.login(text);
      if (text === '') return [];
      if (text.startsWith('/') && !text.startsWith('//')) return await this.command(me, text);
      await local.bus.say(me.name, text.startsWith('//') ? text.slice(1) : text, this.sid);
      return [];
    } catch (error) {
      ctx.log(`room unavailable: ${error instanceof Error ? error.message : String(error)}`);
      if (lower === 'quit' || lower === '/quit') {
        // The engine releases what this server no longer holds when it is back (the server's sync).
        this.detach();
        ctx.close('quit');
        return [];
      }
      return [ROOM_UNAVAILABLE_LINE];
    }
  }

  close(reason: CloseReason): void {
    this.local.sessions.delete(this.sid);
    const me = this.me;
    const wasLeaving = this.leaving;
    this.detach();
    if (me === undefined || wasLeaving) return;
    this.ctx.log(`${me.name} left (${reason.message === undefined ? reason.kind : `${reason.kind}: ${reason.message}`})`);
    // Fire and forget: the session is gone; a failed release is redone by the engine's sync.
    this.local.bus.leave(me.name, this.sid, false).catch(() => undefined);
  }

  /** Forgets this session's membership locally (idempotent). */
  detach(): void {
    this.leaving = true;
    const me = this.me;
    if (me === undefined) return;
    this.me = undefined;
    this.local.members.delete(this.sid);
    if (this.local.byName.get(chatNameKey(me.name)) === me) this.local.byName.delete(chatNameKey(me.name));
  }

  private async login(text: string): Promise<readonly string[]> {
    const { ctx, local } = this;
    if (!isValidChatName(text)) return ['ERROR invalid name'];
    if (local.members.size >= local.maxMembers) {
      ctx.log(`refused ${text}: room full`);
      return ['ERROR room full'];
    }
    const result = await local.bus.join(text, this.sid);
    if (result === 'taken') return ['ERROR name taken'];
    // The join event has been applied by now: Welcome and the join line are out.
    return [];
  }

  private async command(self: Member, text: string): Promise<readonly string[]> {
    const { bus } = this.local;
    const space = text.search(/\s/u);
    const word = (space === -1 ? text : text.slice(0, space)).toLowerCase();
    const rest = space === -1 ? '' : text.slice(space).trim();
    switch (word) {
      case '/who':
        return formatWhoLines(await bus.who());
      case '/help':
        return CHAT_HELP;
      case '/msg': {
        const gap = rest.search(/\s/u);
        const to = gap === -1 ? rest : rest.slice(0, gap);
        const body = gap === -1 ? '' : rest.slice(gap).trim();
        if (to === '' || body === '') return ['ERROR usage: /msg <name> <text>'];
        if (!isValidChatName(to)) return ['ERROR no such member'];
        const result = await bus.whisper(self.name, to, body, this.sid);
        return result === 'no-such-member' ? ['ERROR no such member'] : [];
      }
      case '/nick': {
        if (!isValidChatName(rest)) return ['ERROR invalid name'];
        if (rest === self.name) return ['ERROR name unchanged'];
        const result = await bus.rename(self.name, rest, this.sid);
        return result === 'taken' ? ['ERROR name taken'] : [];
      }
      default:
        return ['ERROR unknown command (try /help)'];
    }
  }

  private async quit(): Promise<void> {
    const me = this.me;
    this.leaving = true;
    if (me !== undefined) await this.local.bus.leave(me.name, this.sid, true);
    // The leave event (applied before `leave` resolved) sent the leave line to this member too.
    this.detach();
    this.ctx.close('quit');
  }
}

/** Creates a chat service over the shared room `options.bus`. */
export function createSharedChatService(options: SharedChatServiceOptions): SharedChatService {
  const maxMembers = options.maxMembers ?? DEFAULT_MAX_MEMBERS;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const floodRate = options.floodRate ?? DEFAULT_FLOOD_RATE;
  const floodBurst = options.floodBurst ?? DEFAULT_FLOOD_BURST;
  assertNumberOption('maxMembers', maxMembers, 1, 1_000_000, true);
  assertNumberOption('maxMessageBytes', maxMessageBytes, 1, 64 * 1024 * 1024, true);
  assertNumberOption('floodRate', floodRate, Number.MIN_VALUE, 1e9, false);
  assertNumberOption('floodBurst', floodBurst, 1, 1e9, true);
  const bus = options.bus;
  const local: Local = {
    bus,
    members: new Map(),
    byName: new Map(),
    sessions: new Map(),
    maxMembers,
    maxMessageBytes,
    flood: { rate: floodRate, burst: floodBurst },
  };
  const { members, byName, sessions } = local;
  const mine = (event: RoomEvent): SharedSession | undefined => (event.server === bus.serverId ? sessions.get(event.sid) : undefined);
  // A send can make the transport close a slow member, whose close runs while we iterate: iterate a snapshot.
  const everyone = (line: string): void => {
    for (const member of [...members.values()]) member.session.ctx.send(line);
  };

  // A claim of this server whose session closed while the claim was in flight: nobody would ever
  // release that name, so release it now (the room sees the join, then the leave).
  const release = (event: RoomEvent & { readonly name: string }): void => {
    bus.leave(event.name, event.sid, false).catch(() => undefined);
  };

  const apply = (event: RoomEvent): void => {
    switch (event.type) {
      case 'join': {
        const session = mine(event);
        if (event.server === bus.serverId && (session === undefined || session.leaving)) release(event);
        else if (session !== undefined && session.me === undefined) {
          const member: Member = { name: event.name, session };
          session.me = member;
          members.set(session.sid, member);
          byName.set(chatNameKey(event.name), member);
          session.ctx.send(`Welcome, ${event.name}!`);
          session.ctx.log(`${event.name} joined; ${members.size} here`);
        }
        everyone(`${event.name} has joined the chat.`);
        return;
      }
      case 'leave': {
        const session = mine(event);
        const line = `${event.name} has left the chat.`;
        if (session?.me !== undefined && event.quit) {
          everyone(line);
          session.detach();
          return;
        }
        if (session?.me !== undefined && !session.leaving) {
          // Not asked for by the member: the engine released its name (this server lost its lease).
          session.detach();
          session.ctx.send('ERROR dropped from the room (this server lost the room lease)');
          session.ctx.close('dropped');
        }
        everyone(line);
        return;
      }
      case 'nick': {
        const session = mine(event);
        if (event.server === bus.serverId && session?.me === undefined) release(event);
        const member = session?.me;
        if (member !== undefined) {
          byName.delete(chatNameKey(member.name));
          member.name = event.name;
          byName.set(chatNameKey(event.name), member);
          session?.ctx.log(`${event.old} is now known as ${event.name}`);
        }
        everyone(`${event.old} is now known as ${event.name}.`);
        return;
      }
      case 'say':
        everyone(`${event.name}: ${event.text}`);
        return;
      case 'pm': {
        const sender = mine(event);
        const target = byName.get(chatNameKey(event.to));
        if (target !== undefined && target.session !== sender) target.session.ctx.send(`${event.name} (private): ${event.text}`);
        sender?.ctx.send(`${event.name} (private to ${event.to}): ${event.text}`);
        return;
      }
    }
  };

  return {
    name: 'chat',
    get memberCount() {
      return members.size;
    },
    members: () => [...members.values()].map((m) => ({ sid: m.session.sid, name: m.name })),
    apply,
    notice: everyone,
    drop: (sid, why) => {
      const session = sessions.get(sid);
      if (session === undefined) return;
      session.detach();
      session.ctx.send(`ERROR dropped from the room (${why})`);
      session.ctx.close('dropped');
    },
    open: (_peer, ctx): Session<string, string> => {
      const session = new SharedSession(local, ctx, (nextSession++).toString(36));
      sessions.set(session.sid, session);
      return session;
    },
    malformed: (error) => [malformedReply(error)],
  };
}
