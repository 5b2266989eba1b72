/**
 * Server suite of docs/protocols/chat.md. The room outlives a case when the target is an
 * already running server, so every case logs in under fresh seeded names (`c<case><n>`), and
 * the shared cases pass over join and leave lines of other members.
 */
import type { Prng } from '@netlab/faults';
import type { ServerCaseContext, ServerSuite } from '../case.js';
import { CaseFailure } from '../errors.js';
import type { TcpProbe } from '../tcp-probe.js';
import { type LineProtocol, LINE_LIMIT, PARALLEL_CLIENTS, concurrencyCases, converse, faultCases, framingCases, robustnessCases, serverCase } from './helpers.js';

const X = 'chat';
/** Joins, leaves and renames: pushed to every member at any time. */
export const ROOM_NOISE = /^\S+ (has joined the chat\.|has left the chat\.|is now known as \S+\.)$/u;

const names = new WeakMap<TcpProbe, string>();
let nameCounter = 0;

/** A fresh valid name: seeded, plus a counter so names never repeat within one run. */
function freshName(rng: Prng, prefix = 'm'): string {
  nameCounter += 1;
  return `${prefix}${rng.int(1_000_000).toString(36)}${nameCounter.toString(36)}`;
}

async function join(probe: TcpProbe, name: string): Promise<void> {
  names.set(probe, name);
  await probe.send(`${name}\n`);
  await probe.expectLine(`Welcome, ${name}!`, { skip: ROOM_NOISE });
  await probe.expectLine(`${name} has joined the chat.`, { skip: noiseExcept(`${name} has joined the chat.`) });
}

function nameOf(probe: TcpProbe): string {
  const name = names.get(probe);
  if (name === undefined) throw new CaseFailure('internal: a chat probe was used before it logged in');
  return name;
}

async function members(ctx: ServerCaseContext, count: number): Promise<TcpProbe[]> {
  const probes: TcpProbe[] = [];
  for (let i = 0; i < count; i++) {
    const probe = await ctx.tcp(`member ${i + 1}`);
    await join(probe, freshName(ctx.rng));
    probes.push(probe);
  }
  return probes;
}

/** Room noise other than `line` itself. */
function noiseExcept(line: string): RegExp {
  const quoted = line.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
  return new RegExp(`^(?!${quoted}$)\\S+ (has joined the chat\\.|has left the chat\\.|is now known as \\S+\\.)$`, 'u');
}

/** Waits for `line`, passing over room noise. */
function hear(probe: TcpProbe, line: string | RegExp): Promise<string> {
  return probe.expectLine(line, { skip: ROOM_NOISE });
}

export const chatProtocol: LineProtocol = {
  exercise: X,
  noise: ROOM_NOISE,
  ready: async (probe) => {
    // The rng of the case is not reachable here; a counter keeps names unique.
    nameCounter += 1;
    await join(probe, `p${process.pid.toString(36)}${nameCounter.toString(36)}`);
  },
  exchange: (rng, _n, probe) => {
    const text = `message ${rng.int(100_000)}`;
    return { send: text, expect: [`${nameOf(probe)}: ${text}`] };
  },
  utf8: { send: 'grüße', expect: [/^\S+: grüße$/u] },
  atLimit: () => ({ send: 'c'.repeat(LINE_LIMIT), expect: ['ERROR message too long (max 1024 bytes)'] }),
  tooLong: 'ERROR line too long',
  invalidUtf8: 'ERROR invalid UTF-8',
};

export const chatSuite: ServerSuite = {
  role: 'server',
  exercise: X,
  transport: 'tcp',
  cases: [
    serverCase(X, 'basic', 'join', 'welcomes a member by name and announces the join to the room, newcomer included', async (ctx) => {
      const [alice] = (await members(ctx, 1)) as [TcpProbe];
      const bob = await ctx.tcp('bob');
      const bobName = freshName(ctx.rng, 'b');
      await join(bob, bobName);
      await alice.expectLine(`${bobName} has joined the chat.`, { skip: noiseExcept(`${bobName} has joined the chat.`) });
    }),
    serverCase(X, 'basic', 'broadcast', 'sends a message to every member, the sender included, as "<name>: <text>"', async (ctx) => {
      const [alice, bob] = (await members(ctx, 2)) as [TcpProbe, TcpProbe];
      await alice.send('  hi bob  \n');
      await hear(alice, `${nameOf(alice)}: hi bob`);
      await hear(bob, `${nameOf(alice)}: hi bob`);
    }),
    serverCase(X, 'basic', 'who', 'answers "/who" with the member count and names', async (ctx) => {
      const [alice] = (await members(ctx, 1)) as [TcpProbe];
      await alice.send('/who\n');
      const line = await hear(alice, /^Members \(\d+\): /u);
      if (!line.includes(nameOf(alice))) throw new CaseFailure(`sent "/who"; expected a list naming ${nameOf(alice)}; got "${line}"`);
    }),
    serverCase(X, 'basic', 'private', 'delivers "/msg <name> <text>" to that member only, and confirms to the sender', async (ctx) => {
      const [alice, bob, carol] = (await members(ctx, 3)) as [TcpProbe, TcpProbe, TcpProbe];
      await alice.send(`/msg ${nameOf(bob)} psst\n`);
      await hear(bob, `${nameOf(alice)} (private): psst`);
      await hear(alice, `${nameOf(alice)} (private to ${nameOf(bob)}): psst`);
      await carol.send('after\n');
      await hear(carol, `${nameOf(carol)}: after`);
    }),
    serverCase(X, 'basic', 'nick', 'renames with "/nick" and tells the room "<old> is now known as <new>."', async (ctx) => {
      const [alice, bob] = (await members(ctx, 2)) as [TcpProbe, TcpProbe];
      const old = nameOf(alice);
      const renamed = freshName(ctx.rng, 'n');
      await alice.send(`/nick ${renamed}\n`);
      await bob.expectLine(`${old} is now known as ${renamed}.`, { skip: noiseExcept(`${old} is now known as ${renamed}.`) });
      await alice.send('renamed\n');
      await hear(bob, `${renamed}: renamed`);
    }),
    serverCase(X, 'basic', 'quit', 'on "quit" tells everyone "<name> has left the chat." and closes the leaver', async (ctx) => {
      const [alice, bob] = (await members(ctx, 2)) as [TcpProbe, TcpProbe];
      await alice.send('quit\n');
      await alice.expectLine(`${nameOf(alice)} has left the chat.`, { skip: noiseExcept(`${nameOf(alice)} has left the chat.`) });
      await bob.expectLine(`${nameOf(alice)} has left the chat.`, { skip: noiseExcept(`${nameOf(alice)} has left the chat.`) });
      await alice.expectClosed();
    }),
    serverCase(X, 'basic', 'quit-command', 'treats "/quit now" as leaving (words after the command are ignored) and "quit now" as a message', async (ctx) => {
      const [alice, bob] = (await members(ctx, 2)) as [TcpProbe, TcpProbe];
      await alice.send('quit now\n');
      await hear(alice, `${nameOf(alice)}: quit now`);
      await bob.send('/QUIT see you\n');
      await alice.expectLine(`${nameOf(bob)} has left the chat.`, { skip: noiseExcept(`${nameOf(bob)} has left the chat.`) });
      await bob.expectClosed({ ignoreLines: true });
    }),
    serverCase(X, 'basic', 'names', 'refuses a taken name (any case) and an invalid one; the client may try again', async (ctx) => {
      const [alice] = (await members(ctx, 1)) as [TcpProbe];
      const other = await ctx.tcp('newcomer');
      await converse(other, { send: nameOf(alice).toUpperCase(), expect: ['ERROR name taken'] });
      await converse(other, { send: 'bad name!', expect: ['ERROR invalid name'] });
      await join(other, freshName(ctx.rng, 'r'));
    }),
    serverCase(X, 'basic', 'escape', 'sends "//text" as the message "/text" and ignores a blank line', async (ctx) => {
      const [alice] = (await members(ctx, 1)) as [TcpProbe];
      await alice.send('\n//slash\n');
      await hear(alice, `${nameOf(alice)}: /slash`);
    }),
    ...framingCases(chatProtocol),
    // The shared "parallel" case expects only its own replies; in a room everyone hears everyone: see "room".
    ...concurrencyCases(chatProtocol).filter((c) => !c.id.endsWith('.parallel')),
    serverCase(X, 'concurrency', 'room', `delivers every line of ${PARALLEL_CLIENTS} members talking at once to all of them`, async (ctx) => {
      const room = await members(ctx, PARALLEL_CLIENTS);
      await Promise.all(room.map((m, i) => m.send(`line ${i}\n`)));
      await Promise.all(
        room.map(async (m) => {
          const heard = new Set<string>();
          while (heard.size < room.length) heard.add(await hear(m, /^\S+: line \d$/u));
          for (const [i, sender] of room.entries()) {
            if (!heard.has(`${nameOf(sender)}: line ${i}`)) throw new CaseFailure(`${nameOf(m)} did not hear "${nameOf(sender)}: line ${i}"`);
          }
        }),
      );
    }),
    ...robustnessCases(chatProtocol),
    serverCase(X, 'robustness', 'dropped-member', 'announces "<name> has left the chat." when a member\'s connection just drops', async (ctx) => {
      const [alice, bob] = (await members(ctx, 2)) as [TcpProbe, TcpProbe];
      bob.destroy();
      await alice.expectLine(`${nameOf(bob)} has left the chat.`, { skip: noiseExcept(`${nameOf(bob)} has left the chat.`) });
    }),
    serverCase(X, 'robustness', 'errors', 'answers unknown commands, control characters and over-long messages with their errors', async (ctx) => {
      const [alice] = (await members(ctx, 1)) as [TcpProbe];
      await converse(alice, { send: '/dance', expect: ['ERROR unknown command (try /help)'] }, ROOM_NOISE);
      await converse(alice, { send: '\u001b[31mred', expect: ['ERROR control characters are not allowed'] }, ROOM_NOISE);
      await converse(alice, { send: 'm'.repeat(1025), expect: ['ERROR message too long (max 1024 bytes)'] }, ROOM_NOISE);
      await converse(alice, { send: 'm'.repeat(1024), expect: [`${nameOf(alice)}: ${'m'.repeat(1024)}`] }, ROOM_NOISE);
      await converse(alice, { send: '/msg nobody-here hi', expect: ['ERROR no such member'] }, ROOM_NOISE);
    }),
    serverCase(X, 'robustness', 'bidi', 'refuses bidi overrides and U+2028/U+2029 in a message as control characters', async (ctx) => {
      const [alice] = (await members(ctx, 1)) as [TcpProbe];
      await converse(alice, { send: 'txt.exe\u202Egnp.', expect: ['ERROR control characters are not allowed'] }, ROOM_NOISE);
      await converse(alice, { send: 'one\u2028two', expect: ['ERROR control characters are not allowed'] }, ROOM_NOISE);
      await converse(alice, { send: 'isolate \u2067x\u2069', expect: ['ERROR control characters are not allowed'] }, ROOM_NOISE);
      await converse(alice, { send: 'שלום עולם', expect: [`${nameOf(alice)}: שלום עולם`] }, ROOM_NOISE);
    }),
    serverCase(X, 'robustness', 'flood', 'answers a burst of 15 lines at once with "ERROR flood limit, slow down" for the excess', async (ctx) => {
      const [alice] = (await members(ctx, 1)) as [TcpProbe];
      await alice.send(Array.from({ length: 15 }, (_, i) => `burst ${i}\n`).join(''));
      let refused = 0;
      for (let i = 0; i < 15; i++) {
        const line = await hear(alice, /^(\S+: burst \d+|ERROR flood limit, slow down)$/u);
        if (line.startsWith('ERROR')) refused++;
      }
      if (refused === 0) throw new CaseFailure('sent 15 lines at once; expected at least one "ERROR flood limit, slow down"; got none');
    }),
    ...faultCases(chatProtocol),
  ],
};
