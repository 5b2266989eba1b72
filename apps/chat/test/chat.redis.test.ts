import type { ExerciseServerProcess } from '@netlab/exercise-kit/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { Member, type OwnRedis, REDIS_URL, deleteRoom, freePort, freshRoom, startOwnRedis, startRoomServer, waitForText } from './redis-harness.js';

if (REDIS_URL === undefined) console.warn('chat.redis.test.ts skipped: set NETLAB_REDIS_URL (e.g. redis://127.0.0.1:6379) to run the Redis chat tests');

const TIMEOUT = { timeout: 120_000 };

const cleanups: (() => Promise<unknown> | undefined)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(url: string, room: string, extra: readonly string[] = []): Promise<ExerciseServerProcess & { serverId: () => string }> {
  const started = await startRoomServer(url, room, extra);
  cleanups.push(() => started.proc.stop('SIGKILL'));
  return started;
}

async function member(port: number, name: string): Promise<Member> {
  const joined = await Member.join(port, name);
  cleanups.push(() => {
    joined.destroy();
    return undefined;
  });
  return joined;
}

/** A room of this test alone; its keys are deleted after the test. */
function room(url: string): string {
  const name = freshRoom();
  cleanups.unshift(() => deleteRoom(url, name));
  return name;
}

const said = (lines: readonly string[]): string[] => lines.filter((l) => /^\w+: /u.test(l));

describe.skipIf(REDIS_URL === undefined)('netlab chat server --redis (three real servers on the real Redis)', () => {
  const url = REDIS_URL ?? '';

  it('shares one room: joins once everywhere, one order for all, /who /msg /nick across servers', TIMEOUT, async () => {
    const name = room(url);
    const servers = await Promise.all([server(url, name), server(url, name), server(url, name)]);
    const ports = servers.map((s) => s.port);
    const members: Member[] = [];
    for (const [i, port] of ports.entries()) for (const n of [1, 2]) members.push(await member(port, `m${i}${n}`));
    const last = members.at(-1);
    if (last === undefined) throw new Error('no members');
    for (const m of members) await m.waitForLine(`${last.name} has joined the chat.`);
    // Everybody saw every later join exactly once.
    for (const [i, m] of members.entries()) {
      const joins = m.lines.filter((l) => l.endsWith(' has joined the chat.'));
      expect(joins).toEqual(members.slice(i).map((o) => `${o.name} has joined the chat.`));
    }

    // Names are unique across servers, ignoring case.
    const dup = await Member.connect(ports[2] ?? 0, 'M01');
    cleanups.push(() => {
      dup.destroy();
      return undefined;
    });
    await dup.waitForLine('ERROR name taken');

    // Everyone talks at once; everyone sees the same order.
    const perMember = 10;
    for (let k = 0; k < perMember; k++) for (const m of members) m.send(`line ${k} from ${m.name}`);
    const total = perMember * members.length;
    for (const m of members) await m.waitFor((lines) => said(lines).length >= total, `${total} lines`);
    const order = said(members[0]?.lines ?? []);
    expect(order).toHaveLength(total);
    for (const m of members) expect(said(m.lines)).toEqual(order);

    const [a, , , , , f] = members;
    if (a === undefined || f === undefined) throw new Error('members missing');
    f.send('/who');
    await f.waitFor((lines) => lines.some((l) => l.startsWith('Members (')), '/who');
    expect(f.lines.find((l) => l.startsWith('Members ('))).toBe(`Members (6): ${members.map((m) => m.name).join(', ')}`);
    a.send(`/msg ${f.name.toUpperCase()} psst`);
    await f.waitForLine(`${a.name} (private): psst`);
    await a.waitForLine(`${a.name} (private to ${f.name}): psst`);
    expect(members.slice(1, 5).some((m) => m.lines.some((l) => l.includes('psst')))).toBe(false);
    f.send('/nick Frank');
    for (const m of members) await m.waitForLine(`${f.name} is now known as Frank.`);
    a.send('/msg frank again');
    await f.waitForLine(`${a.name} (private): again`);
    f.send('quit');
    for (const m of members) await m.waitForLine('Frank has left the chat.');
    for (const m of members) expect(m.lines.filter((l) => l === 'Frank has left the chat.')).toHaveLength(1);
  });

  it('frees the names of a kill -9ed server after its lease, announces them once, and nobody else loses a line', TIMEOUT, async () => {
    const name = room(url);
    // Long enough that the claim right after the kill still finds the name leased on a loaded machine.
    const lease = ['--redis-lease', '8s'];
    const [s0, s1, s2] = await Promise.all([server(url, name, lease), server(url, name, lease), server(url, name, lease)]);
    const alive = [await member(s0.port, 'a0'), await member(s0.port, 'a1'), await member(s1.port, 'b0'), await member(s1.port, 'b1')];
    const doomed = [await member(s2.port, 'c0'), await member(s2.port, 'c1')];
    for (const m of alive) await m.waitForLine('c1 has joined the chat.');

    // Traffic from the surviving servers' members keeps flowing while s2 dies.
    const perMember = 30;
    for (let k = 0; k < perMember / 2; k++) for (const m of alive) m.send(`before-kill ${k} ${m.name}`);
    process.kill(s2.proc.pid, 'SIGKILL');
    await s2.proc.exited(10_000);
    for (const d of doomed) await d.waitFor((_lines) => d.closed, 'connection closed by the kill', 10_000);
    for (let k = perMember / 2; k < perMember; k++) for (const m of alive) m.send(`after-kill ${k} ${m.name}`);

    // Still leased: the name is taken right after the kill.
    const early = await Member.connect(s0.port, 'c0');
    cleanups.push(() => {
      early.destroy();
      return undefined;
    });
    await early.waitFor((lines) => lines.length > 0, 'an answer to the claim');
    expect(early.lines[0]).toBe('ERROR name taken');

    // After the lease a surviving server reaps s2: each leave is announced once, everywhere.
    for (const m of alive) for (const d of doomed) await m.waitForLine(`${d.name} has left the chat.`, 60_000);
    early.send('c0');
    await early.waitForLine('Welcome, c0!');
    for (const m of alive) await m.waitForLine('c0 has joined the chat.');

    const total = perMember * alive.length;
    for (const m of alive) await m.waitFor((lines) => said(lines).filter((l) => l.includes('-kill ')).length >= total, `${total} lines`);
    const order = said(alive[0]?.lines ?? []).filter((l) => l.includes('-kill '));
    expect(order).toHaveLength(total);
    for (const m of alive) {
      expect(said(m.lines).filter((l) => l.includes('-kill '))).toEqual(order);
      for (const d of doomed) expect(m.lines.filter((l) => l === `${d.name} has left the chat.`)).toHaveLength(1);
    }
    // /who no longer lists the dead server's members, but the new c0.
    alive[0]?.send('/who');
    await alive[0]?.waitFor((lines) => lines.some((l) => l.startsWith('Members (')), '/who');
    expect(alive[0]?.lines.find((l) => l.startsWith('Members ('))).toBe('Members (5): a0, a1, b0, b1, c0');
  });

  it('catches up without loss or duplicates when its reader connection is cut', TIMEOUT, async () => {
    const name = room(url);
    const [s0, s1] = await Promise.all([server(url, name), server(url, name)]);
    const talker = await member(s0.port, 'talker');
    const listener = await member(s1.port, 'listener');
    await talker.waitForLine('listener has joined the chat.');
    const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    cleanups.push(() => {
      admin.disconnect();
      return undefined;
    });
    await admin.connect();
    const count = 200;
    for (let k = 0; k < count; k++) {
      talker.send(`n ${k}`);
      if (k === 20) {
        // Cut s1's reader (and its command connection) mid-stream: only this test's connections, by name.
        const list = String(await admin.call('CLIENT', 'LIST'));
        const ids = list
          .split('\n')
          .filter((l) => l.includes(`name=netlab-chat-${s1.serverId()}`))
          .map((l) => /\bid=(\d+)/u.exec(l)?.[1])
          .filter((id): id is string => id !== undefined);
        expect(ids.length).toBe(2);
        for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
      }
    }
    await listener.waitFor((lines) => lines.includes(`talker: n ${count - 1}`), 'the last line');
    const got = listener.lines.filter((l) => l.startsWith('talker: n '));
    expect(got).toEqual(Array.from({ length: count }, (_, k) => `talker: n ${k}`));
    await waitForText(s1.proc.child.stderr, () => s1.proc.stderr(), (t) => t.includes('connected again'), 20_000, 'reconnect log');
  });

  it('survives a Redis restart mid-run: members keep their names, the room goes on, no line is lost silently', TIMEOUT, async () => {
    const port = await freePort();
    let own: OwnRedis = await startOwnRedis(port);
    cleanups.push(() => own.stop());
    const name = freshRoom();
    const lease = ['--redis-lease', '2s'];
    const [s0, s1] = await Promise.all([server(own.url, name, lease), server(own.url, name, lease)]);
    const alice = await member(s0.port, 'alice');
    const bob = await member(s1.port, 'bob');
    await alice.waitForLine('bob has joined the chat.');
    alice.send('before');
    await bob.waitForLine('alice: before');

    await own.stop();
    alice.send('during');
    own = await startOwnRedis(port);
    // Both servers find their lease gone and take it (and their members' names) again.
    for (const s of [s0, s1]) await waitForText(s.proc.child.stderr, () => s.proc.stderr(), (t) => t.includes('room lease taken again: 1 members kept, 0 dropped'), 60_000, 'lease recovery');

    // 'during' was either refused to alice or delivered to both: never silently lost.
    await alice.waitFor((lines) => lines.includes('alice: during') || lines.includes('ERROR room unavailable, try again'), 'an outcome for "during"');
    if (alice.lines.includes('alice: during')) await bob.waitForLine('alice: during');

    bob.send('after');
    await alice.waitForLine('bob: after');
    alice.send('after too');
    await bob.waitForLine('alice: after too');
    const dup = await Member.connect(s1.port, 'ALICE');
    cleanups.push(() => {
      dup.destroy();
      return undefined;
    });
    await dup.waitForLine('ERROR name taken');
    bob.send('/who');
    await bob.waitFor((lines) => lines.some((l) => l.startsWith('Members (')), '/who');
    // Claim order after a restart is the order the servers took their names again.
    expect(['Members (2): alice, bob', 'Members (2): bob, alice']).toContain(bob.lines.find((l) => l.startsWith('Members (')));
    expect(bob.lines.filter((l) => l === 'alice: before')).toHaveLength(1);
  });
});
