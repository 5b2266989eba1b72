import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { cliContractTests, type CliProcess, connectRawTcp, type ExerciseServerProcess, lines, type RawTcpPeer, runTs, spawnTs, startExerciseServer } from '@netlab/exercise-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../src/command.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

const cleanups: (() => Promise<unknown> | undefined)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startChat(args: readonly string[] = []): Promise<ExerciseServerProcess> {
  const server = await startExerciseServer(MAIN, 'chat', 'tcp', args);
  cleanups.push(() => server.proc.stop('SIGKILL'));
  return server;
}

/** A real chat client process whose stdin stays open until the test ends it. */
function startClient(port: number, name: string, extra: readonly string[] = []): CliProcess {
  const proc = spawnTs(MAIN, ['client', '--port', String(port), '--name', name, ...extra]);
  cleanups.push(() => proc.stop('SIGKILL'));
  return proc;
}

async function raw(port: number): Promise<RawTcpPeer> {
  const peer = await connectRawTcp(port);
  cleanups.push(() => {
    peer.destroy();
    return undefined;
  });
  return peer;
}

/** A raw member that counts the lines it reads without keeping them (a flood must not slow the test). */
async function counting(port: number, name: string): Promise<{ socket: net.Socket; lines: number; tail: string; sawLeave: boolean; waitFor(check: () => boolean): Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(() => {
    socket.destroy();
    return undefined;
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(`${name}\n`);
  const waiters = new Set<() => void>();
  const member = {
    socket,
    lines: 0,
    tail: '',
    sawLeave: false,
    waitFor: (check: () => boolean, timeoutMs = 10_000): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(test);
          reject(new Error(`${name}: condition not met within ${timeoutMs} ms (${member.lines} lines read)`));
        }, timeoutMs);
        const test = (): void => {
          if (!check()) return;
          clearTimeout(timer);
          waiters.delete(test);
          resolve();
        };
        waiters.add(test);
        test();
      }),
  };
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    for (let at = chunk.indexOf('\n'); at !== -1; at = chunk.indexOf('\n', at + 1)) member.lines++;
    const seen = member.tail.slice(-64) + chunk;
    if (seen.includes('\nslow has left the chat.\n')) member.sawLeave = true;
    member.tail = seen.slice(-8000);
    for (const waiter of [...waiters]) waiter();
  });
  return member;
}

const exact = (line: string): RegExp => new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);

describe('netlab chat (real processes)', () => {
  it('lets three clients join, talk, whisper, rename and leave', TIMEOUT, async () => {
    const { proc: server, port } = await startChat();
    const alice = startClient(port, 'alice');
    await alice.waitForLine(exact('alice has joined the chat.'));
    const bob = startClient(port, 'bob');
    await alice.waitForLine(exact('bob has joined the chat.'));
    const carol = startClient(port, 'carol');
    await bob.waitForLine(exact('carol has joined the chat.'));

    alice.child.stdin.write('hello everyone\n');
    for (const member of [alice, bob, carol]) await member.waitForLine(exact('alice: hello everyone'));
    bob.child.stdin.write('/msg carol are you there?\n');
    await carol.waitForLine(exact('bob (private): are you there?'));
    await bob.waitForLine(exact('bob (private to carol): are you there?'));
    carol.child.stdin.write('/nick Caroline\n');
    for (const member of [alice, bob, carol]) await member.waitForLine(exact('carol is now known as Caroline.'));
    carol.child.stdin.write('/who\n');
    await carol.waitForLine(exact('Members (3): alice, bob, Caroline'));
    bob.child.stdin.write('quit\n');
    expect(await bob.exited(10_000)).toBe(0);
    for (const member of [alice, carol]) await member.waitForLine(exact('bob has left the chat.'));
    carol.child.stdin.end();
    expect(await carol.exited(10_000)).toBe(0);
    await alice.waitForLine(exact('Caroline has left the chat.'));
    alice.child.stdin.end();
    expect(await alice.exited(10_000)).toBe(0);

    expect(lines(alice.stdout())).toEqual([
      'Welcome, alice!',
      'alice has joined the chat.',
      'bob has joined the chat.',
      'carol has joined the chat.',
      'alice: hello everyone',
      'carol is now known as Caroline.',
      'bob has left the chat.',
      'Caroline has left the chat.',
      'alice has left the chat.',
    ]);
    expect(lines(bob.stdout())).toContain('bob has left the chat.');
    expect(lines(carol.stdout()).at(-1)).toBe('Caroline has left the chat.');
    for (const member of [alice, bob, carol]) expect(member.stderr()).toBe('');
    expect(server.stderr()).toMatch(/^chat: 127\.0\.0\.1:\d+: carol is now known as Caroline$/m);
    expect(server.stderr()).toMatch(/^chat: 127\.0\.0\.1:\d+: bob left \(quit\); 2 in the room$/m);
  });

  it('works as a scripted client: the first piped line is the name, the output one line per room line', TIMEOUT, async () => {
    const { port } = await startChat();
    const result = await runTs(MAIN, ['client', '--port', String(port)], { input: 'dave\nfirst\n//slash\n/who\n' });
    expect(lines(result.stdout)).toEqual(['Welcome, dave!', 'dave has joined the chat.', 'dave: first', 'dave: /slash', 'Members (1): dave', 'dave has left the chat.']);
    expect(result.code).toBe(0);
  });

  it('refuses a name already taken (ignoring case): the client exits 1, a raw peer may retry', TIMEOUT, async () => {
    const { port } = await startChat();
    const alice = startClient(port, 'alice');
    await alice.waitForLine(exact('alice has joined the chat.'));
    const taken = await runTs(MAIN, ['client', '--port', String(port), '--name', 'ALICE'], { input: 'hi\n' });
    expect(taken.code).toBe(1);
    expect(lines(taken.stderr)).toEqual(['error: cannot join as "ALICE": ERROR name taken']);
    const peer = await raw(port);
    peer.write('Alice\n');
    expect(await peer.waitForLines(1)).toEqual(['ERROR name taken']);
    peer.write('alice2\n');
    expect(await peer.waitForLines(3)).toEqual(['ERROR name taken', 'Welcome, alice2!', 'alice2 has joined the chat.']);
    await alice.waitForLine(exact('alice2 has joined the chat.'));
    expect(alice.stdout()).not.toContain('ALICE');
  });

  it('disconnects a member that stops reading (SendQ exceeded) while the others keep chatting', TIMEOUT, async () => {
    const SEND_QUEUE = 65_536;
    const { proc: server, port } = await startChat(['--send-queue-bytes', String(SEND_QUEUE), '--flood-rate', '100000', '--flood-burst', '100000', '--max-message-bytes', '4000']);
    // The slow member: a raw socket that logs in and then never reads again.
    const slow = await counting(port, 'slow');
    slow.socket.pause();
    const alice = await counting(port, 'alice');
    const bob = await counting(port, 'bob');
    await bob.waitFor(() => bob.lines >= 2);

    // alice talks in rounds of 50 lines of ~4 KB, each round waiting until bob has it all;
    // bounded at 200 rounds (40 MB) and 40 s, by when the slow member must be gone.
    const text = 'x'.repeat(3990);
    let sent = 0;
    const deadline = performance.now() + 40_000;
    for (let round = 0; round < 200 && !bob.sawLeave && performance.now() < deadline; round++) {
      alice.socket.write(`${Array.from({ length: 50 }, (_, i) => `${sent + i} ${text}`).join('\n')}\n`);
      sent += 50;
      const expected = 2 + sent;
      await bob.waitFor(() => bob.lines >= expected);
    }
    expect(bob.sawLeave).toBe(true);
    await alice.waitFor(() => alice.sawLeave);
    // The others are still in the room and keep talking.
    bob.socket.write('still here\n');
    await alice.waitFor(() => alice.tail.endsWith('bob: still here\n'));
    expect(server.stderr()).toMatch(/^chat: 127\.0\.0\.1:\d+: slow left \(error: SendQ exceeded: .*\); 2 in the room$/m);
    // Bounded: the slow member was dropped after at most 40 MB had been sent its way.
    expect(sent * 4000).toBeLessThanOrEqual(40_000_000);
  });

  it('talks to nc and telnet (\\n and \\r\\n) and to a lab client that sends without a newline', TIMEOUT, async () => {
    const { port } = await startChat();
    const nc = await raw(port);
    nc.write('nc\r\nhello over crlf\r\n');
    expect(await nc.waitForLines(3)).toEqual(['Welcome, nc!', 'nc has joined the chat.', 'nc: hello over crlf']);
    const lab = await raw(port);
    lab.write('lab');
    expect(await lab.waitForLines(2, 5000)).toEqual(['Welcome, lab!', 'lab has joined the chat.']);
    lab.write('hi from python');
    expect(await lab.waitForLines(3, 5000)).toEqual(['Welcome, lab!', 'lab has joined the chat.', 'lab: hi from python']);
    await nc.waitForLines(5);
    expect(nc.text()).toBe('Welcome, nc!\nnc has joined the chat.\nnc: hello over crlf\nlab has joined the chat.\nlab: hi from python\n');
  });

  it('reports a lost server with one error line and exit 1; the server exits 0 on SIGTERM', TIMEOUT, async () => {
    const { proc: server, port } = await startChat();
    const erin = startClient(port, 'erin');
    await erin.waitForLine(exact('erin has joined the chat.'));
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(await erin.exited(10_000)).toBe(1);
    expect(lines(erin.stderr())).toEqual([`error: lost the connection to the chat server at 127.0.0.1:${port} (closed by the server)`]);
    expect(lines(server.stdout())).toEqual([`chat listening on tcp://127.0.0.1:${port}`]);
    const other = await startChat();
    expect(await other.proc.stop('SIGINT')).toBe(0);
  });

  it('rejects a bad room limit with one error line', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['server', '--port', '0', '--flood-rate', '0'], { timeoutMs: 30_000 });
    expect(result.code).not.toBe(0);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/^error: invalid --flood-rate "0"/)]);
  });

  cliContractTests({ main: MAIN, exercise: 'chat', transport: 'tcp', defaultPort: DEFAULT_PORT });
});
