import { type CloseReason, type LocalConnection, type Session, type SessionContext, connectLocal } from '@netlab/service';
import { beforeEach, describe, expect, it } from 'vitest';
import { CHAT_HELP, ChatError, DEFAULT_MAX_MESSAGE_BYTES, type ChatServiceOptions, createChatService } from '../src/index.js';

let now = 0;
let logs: string[] = [];
beforeEach(() => {
  now = 1_000_000;
  logs = [];
});

type Conn = LocalConnection<string, string>;

function room(options: ChatServiceOptions = {}): { service: ReturnType<typeof createChatService>; join: (name: string) => Promise<Conn> } {
  const service = createChatService(options);
  const join = async (name: string): Promise<Conn> => {
    const conn = connectLocal(service, { now: () => now, log: (line) => logs.push(line) });
    await conn.send(name);
    return conn;
  };
  return { service, join };
}

describe('chat login', () => {
  it('welcomes a member and announces the join to everyone, the newcomer included', async () => {
    const { join, service } = room();
    const alice = await join('alice');
    expect(alice.take()).toEqual(['Welcome, alice!', 'alice has joined the chat.']);
    const bob = await join('bob');
    expect(bob.take()).toEqual(['Welcome, bob!', 'bob has joined the chat.']);
    expect(alice.take()).toEqual(['bob has joined the chat.']);
    expect(service.memberNames()).toEqual(['alice', 'bob']);
    expect(logs).toContain('bob joined; 2 in the room');
  });

  it('refuses a name already taken, ignoring case, and lets the client retry', async () => {
    const { join } = room();
    await join('Alice');
    const second = await join('aLiCe');
    expect(second.take()).toEqual(['ERROR name taken']);
    await second.send('alice2');
    expect(second.take()).toEqual(['Welcome, alice2!', 'alice2 has joined the chat.']);
  });

  it.each(['', '   ', 'a b', 'émile', 'bob!', 'x'.repeat(33), 'quit2!'])('refuses the invalid name %j', async (name) => {
    const { join } = room();
    const conn = await join(name);
    expect(conn.sent).toEqual(['ERROR invalid name']);
    expect(conn.closed).toBe(false);
  });

  it('treats quit at the login prompt as quitting, so it can never be a name', async () => {
    const { join, service } = room();
    const conn = await join('Quit');
    expect(conn.sent).toEqual([]);
    expect(conn.closed).toBe(true);
    expect(service.memberCount).toBe(0);
  });

  it('accepts names of 1 and of exactly 32 characters, with digits, _ and -', async () => {
    const { join } = room();
    expect((await join('x')).sent[0]).toBe('Welcome, x!');
    expect((await join('A'.repeat(32))).sent[0]).toBe(`Welcome, ${'A'.repeat(32)}!`);
    expect((await join('r2-d2_')).sent[0]).toBe('Welcome, r2-d2_!');
  });

  it('trims spaces around a desired name', async () => {
    const { join } = room();
    expect((await join('  carol  ')).sent[0]).toBe('Welcome, carol!');
  });

  it('refuses a login when the room is full, and accepts it once someone leaves', async () => {
    const { join } = room({ maxMembers: 2 });
    const alice = await join('alice');
    await join('bob');
    const carol = await join('carol');
    expect(carol.take()).toEqual(['ERROR room full']);
    alice.close();
    await carol.send('carol');
    expect(carol.take()).toEqual(['Welcome, carol!', 'carol has joined the chat.']);
  });

  it('closes a connection that quits before logging in, announcing nothing', async () => {
    const { join } = room();
    const alice = await join('alice');
    alice.take();
    const anon = connectLocal(createChatService());
    await anon.send('/quit');
    expect(anon.closed).toBe(true);
    expect(alice.take()).toEqual([]);
  });
});

describe('chat room', () => {
  it('sends every message to every member, the sender included, in one order', async () => {
    const { join } = room();
    const alice = await join('alice');
    const bob = await join('bob');
    alice.take();
    bob.take();
    await alice.send('hello bob');
    await bob.send('  hi alice  ');
    expect(alice.take()).toEqual(['alice: hello bob', 'bob: hi alice']);
    expect(bob.take()).toEqual(['alice: hello bob', 'bob: hi alice']);
  });

  it('ignores blank lines', async () => {
    const { join } = room();
    const alice = await join('alice');
    alice.take();
    expect(await alice.send('   ')).toEqual([]);
    expect(alice.take()).toEqual([]);
  });

  it('sends a line starting with // as a message starting with /', async () => {
    const { join } = room();
    const alice = await join('alice');
    alice.take();
    await alice.send('//shrug');
    expect(alice.take()).toEqual(['alice: /shrug']);
  });

  it('delivers private messages to the target only, with a copy for the sender', async () => {
    const { join } = room();
    const alice = await join('alice');
    const bob = await join('bob');
    const carol = await join('carol');
    for (const c of [alice, bob, carol]) c.take();
    await alice.send('/msg BOB  psst, over here ');
    expect(bob.take()).toEqual(['alice (private): psst, over here']);
    expect(alice.take()).toEqual(['alice (private to bob): psst, over here']);
    expect(carol.take()).toEqual([]);
    expect(await alice.send('/msg dave hi')).toEqual(['ERROR no such member']);
    expect(await alice.send('/msg bob')).toEqual(['ERROR usage: /msg <name> <text>']);
    expect(await alice.send('/msg')).toEqual(['ERROR usage: /msg <name> <text>']);
  });

  it('renames a member and announces it', async () => {
    const { join, service } = room();
    const alice = await join('alice');
    const bob = await join('bob');
    alice.take();
    bob.take();
    await alice.send('/nick Alicia');
    expect(bob.take()).toEqual(['alice is now known as Alicia.']);
    expect(alice.take()).toEqual(['alice is now known as Alicia.']);
    await alice.send('hi');
    expect(bob.take()).toEqual(['Alicia: hi']);
    expect(service.memberNames()).toEqual(['bob', 'Alicia']);
    // The old name is free again.
    const other = await join('alice');
    expect(other.sent[0]).toBe('Welcome, alice!');
  });

  it('refuses a rename to a taken, invalid or identical name, but allows a change of case', async () => {
    const { join } = room();
    const alice = await join('alice');
    await join('bob');
    expect(await alice.send('/nick BOB')).toEqual(['ERROR name taken']);
    expect(await alice.send('/nick no way')).toEqual(['ERROR invalid name']);
    expect(await alice.send('/nick')).toEqual(['ERROR invalid name']);
    expect(await alice.send('/nick alice')).toEqual(['ERROR name unchanged']);
    alice.take();
    expect(await alice.send('/nick ALICE')).toEqual([]);
    expect(alice.take()).toEqual(['alice is now known as ALICE.']);
  });

  it('lists members with /who', async () => {
    const { join } = room();
    const alice = await join('alice');
    await join('bob');
    expect(await alice.send('/who')).toEqual(['Members (2): alice, bob']);
    expect(await alice.send('/WHO')).toEqual(['Members (2): alice, bob']);
  });

  it('splits a long /who list over lines of about 1000 bytes', async () => {
    const { join, service } = room();
    const names = Array.from({ length: 100 }, (_, i) => `member-${String(i).padStart(3, '0')}-${'x'.repeat(20)}`);
    let last: Conn | undefined;
    for (const name of names) last = await join(name);
    const lines = await last!.send('/who');
    expect(lines.length).toBeGreaterThan(2);
    expect(lines[0]).toMatch(/^Members \(100\): member-000/u);
    for (const line of lines.slice(1)) expect(line).toMatch(/^Members \(continued\): /u);
    for (const line of lines) expect(line.length).toBeLessThan(1100);
    const listed = lines.map((line) => line.replace(/^Members \([^)]*\): /u, '')).join(', ').split(', ');
    expect(listed).toEqual(service.memberNames());
  });

  it('answers /help and refuses unknown commands', async () => {
    const { join } = room();
    const alice = await join('alice');
    expect(await alice.send('/help')).toEqual(CHAT_HELP);
    expect(await alice.send('/kick bob')).toEqual(['ERROR unknown command (try /help)']);
  });
});

describe('leaving', () => {
  it.each(['quit', '/quit', 'QUIT', ' /Quit '])('announces %j to everyone, the leaver included, and closes', async (line) => {
    const { join, service } = room();
    const alice = await join('alice');
    const bob = await join('bob');
    alice.take();
    bob.take();
    await alice.send(line);
    expect(alice.take()).toEqual(['alice has left the chat.']);
    expect(alice.closed).toBe(true);
    expect(bob.take()).toEqual(['alice has left the chat.']);
    expect(service.memberCount).toBe(1);
  });

  it('announces a dropped connection to the others', async () => {
    const { join, service } = room();
    const alice = await join('alice');
    const bob = await join('bob');
    bob.take();
    alice.close();
    expect(bob.take()).toEqual(['alice has left the chat.']);
    expect(service.memberNames()).toEqual(['bob']);
    expect(logs).toContain('alice left (remote); 1 in the room');
  });

  it('announces a member the transport drops for a full send queue, after the line being delivered', async () => {
    const service = createChatService();
    // A link whose transport closes the session from inside send() once 5 lines are queued, as a
    // TCP transport's output cap does with a client that stopped reading.
    const slowSent: string[] = [];
    const link: { session?: Session<string, string> } = {};
    let closed = false;
    const ctx: SessionContext<string> = {
      peer: { transport: 'local', address: 'slow', port: 0, id: 'slow' },
      get closed() {
        return closed;
      },
      send(line) {
        if (closed) return false;
        if (slowSent.length >= 5) {
          closed = true;
          const reason: CloseReason = { kind: 'error', message: 'send queue full' };
          link.session?.close?.(reason);
          return false;
        }
        slowSent.push(line);
        return true;
      },
      close() {
        closed = true;
      },
      log: () => undefined,
      now: () => now,
    };
    const slowSession = service.open(ctx.peer, ctx);
    link.session = slowSession;
    // The slow member joins first, so the room delivers to it before the others.
    await slowSession.receive('slow');
    const alice = connectLocal(service, { now: () => now });
    const bob = connectLocal(service, { now: () => now });
    await alice.send('alice');
    await bob.send('bob');
    alice.take();
    bob.take();
    await alice.send('one');
    expect(closed).toBe(false);
    await alice.send('two');
    expect(closed).toBe(true);
    expect(slowSent).toEqual(['Welcome, slow!', 'slow has joined the chat.', 'alice has joined the chat.', 'bob has joined the chat.', 'alice: one']);
    // Everyone still gets "two" before the leave line, though the drop happened while delivering it.
    expect(alice.take()).toEqual(['alice: one', 'alice: two', 'slow has left the chat.']);
    expect(bob.take()).toEqual(['alice: one', 'alice: two', 'slow has left the chat.']);
    expect(service.memberNames()).toEqual(['alice', 'bob']);
  });
});

describe('limits', () => {
  it('lets a burst of 10 lines through, refuses the 11th, and refills at 5 lines per second', async () => {
    const { join } = room();
    const alice = await join('alice'); // the login line costs a token too
    alice.take();
    for (let i = 0; i < 9; i++) await alice.send(`m${i}`);
    expect(await alice.send('one too many')).toEqual(['ERROR flood limit, slow down']);
    expect(alice.take()).toEqual([...Array.from({ length: 9 }, (_, i) => `alice: m${i}`), 'ERROR flood limit, slow down']);
    now += 199;
    expect(await alice.send('still too soon')).toEqual(['ERROR flood limit, slow down']);
    now += 1;
    alice.take();
    expect(await alice.send('ok')).toEqual([]);
    expect(alice.take()).toEqual(['alice: ok']);
  });

  it('never refills past the burst and gains nothing from a clock going backwards', async () => {
    const { join } = room({ floodBurst: 2, floodRate: 1 });
    const alice = await join('alice');
    now += 60_000;
    await alice.send('a');
    await alice.send('b');
    expect(await alice.send('c')).toEqual(['ERROR flood limit, slow down']);
    now -= 10_000;
    expect(await alice.send('d')).toEqual(['ERROR flood limit, slow down']);
  });

  it('accepts a line of exactly maxMessageBytes UTF-8 bytes and refuses one more', async () => {
    const { join } = room();
    const alice = await join('alice');
    alice.take();
    const atLimit = 'é'.repeat(DEFAULT_MAX_MESSAGE_BYTES / 2);
    await alice.send(atLimit);
    expect(alice.take()).toEqual([`alice: ${atLimit}`]);
    expect(await alice.send(`${atLimit}x`)).toEqual([`ERROR message too long (max ${DEFAULT_MAX_MESSAGE_BYTES} bytes)`]);
    expect(await alice.send('😀'.repeat(DEFAULT_MAX_MESSAGE_BYTES / 4 + 1))).toEqual([
      `ERROR message too long (max ${DEFAULT_MAX_MESSAGE_BYTES} bytes)`,
    ]);
  });

  it('refuses control characters but allows tabs', async () => {
    const { join } = room();
    const alice = await join('alice');
    alice.take();
    expect(await alice.send('\u001b[2Jgotcha')).toEqual(['ERROR control characters are not allowed']);
    expect(await alice.send('bell\u0007')).toEqual(['ERROR control characters are not allowed']);
    alice.take();
    await alice.send('a\tb');
    expect(alice.take()).toEqual(['alice: a\tb']);
  });

  it('refuses bidi embeddings, overrides and isolates and U+2028/U+2029 (issue 18), in messages, commands and names', async () => {
    const { join, service } = room({ floodBurst: 100 });
    const alice = await join('alice');
    await join('bob');
    alice.take();
    const refused = ['ERROR control characters are not allowed'];
    for (const c of ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u2028', '\u2029']) {
      expect(await alice.send(`txt.exe${c}gnp.`)).toEqual(refused);
    }
    expect(await alice.send('/msg bob \u202Eevil')).toEqual(refused);
    expect(await alice.send('/nick al\u2028ice')).toEqual(refused);
    // Nothing reached the room: only the refusals came back.
    expect(new Set(alice.take())).toEqual(new Set(refused));
    // Right-to-left text and its implicit marks are fine.
    await alice.send('שלום \u200Fעולם\u200E!');
    expect(alice.take()).toEqual(['alice: שלום \u200Fעולם\u200E!']);
    const newcomer = connectLocal(service, { now: () => now });
    expect(await newcomer.send('car\u202Eol')).toEqual(refused);
  });

  it('refuses bad options', () => {
    expect(() => createChatService({ maxMembers: 0 })).toThrow(ChatError);
    expect(() => createChatService({ floodRate: 0 })).toThrow(ChatError);
    expect(() => createChatService({ floodBurst: 0.5 })).toThrow(ChatError);
  });

  it('answers a line the codec rejected', () => {
    const peer = { transport: 'local', address: 'x', port: 0, id: 'x' } as const;
    const error = Object.assign(new Error('x'), { code: 'ERR_LINE_TOO_LONG' });
    expect(createChatService().malformed?.(error, peer)).toEqual(['ERROR line too long']);
  });
});
