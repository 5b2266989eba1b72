/**
 * Every exercise across two real hosts: the server in host A (a network namespace, bound to A's
 * own address on the veth link), its netlab client in host B, started through the umbrella
 * `netlab` command. The server logs B's address as the peer, which proves the bytes crossed the
 * link rather than a loopback.
 */
import { fileURLToPath } from 'node:url';
import { type StartedServer, lines, runCliProcess, spawnCli, startServerProcess } from '@netlab/exercise-kit/testing';
import { type TestHosts, createTestHosts, listTestHostNamespaces, parseHostName, resolvePrefix, testHostsSupport } from '@netlab/test-hosts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 90_000 };
const support = await testHostsSupport();
if (!support.ok) console.warn(`skipping the two-hosts exercise suite: ${support.reason}`);

describe.skipIf(!support.ok)('every exercise across two hosts (server in A, client in B)', () => {
  let hosts: TestHosts;
  const servers: StartedServer[] = [];
  beforeAll(async () => {
    hosts = await createTestHosts();
  });
  afterAll(async () => {
    for (const server of servers) await server.process.stop('SIGKILL');
    await hosts.destroy();
    const prefix = resolvePrefix();
    expect((await listTestHostNamespaces()).filter((name) => parseHostName(name, prefix)?.pid === process.pid)).toEqual([]);
  });

  /** `netlab <exercise> server --host <A> --port 0 …` in host A. */
  async function serve(exercise: string, args: readonly string[] = []): Promise<StartedServer> {
    const server = await startServerProcess(MAIN, [exercise, 'server', '--host', hosts.a.address, '--port', '0', ...args], { netns: hosts.a.name, timeoutMs: 60_000 });
    servers.push(server);
    expect(server.host).toBe(hosts.a.address);
    return server;
  }

  /** `netlab <exercise> client --host <A> --port <p> …` in host B, to completion. */
  function client(exercise: string, server: StartedServer, args: readonly string[] = [], options: { input?: string; env?: Record<string, string | undefined> } = {}): ReturnType<typeof runCliProcess> {
    return runCliProcess(MAIN, [exercise, 'client', '--host', hosts.a.address, '--port', String(server.port), ...args], { netns: hosts.b.name, timeoutMs: 60_000, ...options });
  }

  /** Waits (bounded) until the server's stderr matches: its log comes asynchronously. */
  async function logged(server: StartedServer, pattern: RegExp): Promise<void> {
    for (const deadline = Date.now() + 10_000; !pattern.test(server.process.stderr()); ) {
      if (Date.now() > deadline) throw new Error(`server log has no ${String(pattern)}:\n${server.process.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  const fromB = (): string => hosts.b.address.replaceAll('.', '\\.');

  it('greeting', TIMEOUT, async () => {
    const server = await serve('greeting');
    expect(await client('greeting', server)).toEqual({ code: 0, stdout: 'Thank you for connecting\n', stderr: '' });
    await logged(server, new RegExp(`^greeting: connection from ${fromB()}:\\d+$`, 'm'));
  });

  it('echo', TIMEOUT, async () => {
    const server = await serve('echo');
    const result = await client('echo', server, [], { input: 'hello from B\ngrüß dich 👋\nbye\nnever sent\n' });
    expect(result).toEqual({ code: 0, stdout: 'hello from B\ngrüß dich 👋\nGoodbye\n', stderr: '' });
  });

  it('text-case', TIMEOUT, async () => {
    const server = await serve('text-case');
    expect(await client('text-case', server, [], { input: 'Hello\nstraße\n' })).toEqual({ code: 0, stdout: 'HELLO\nSTRASSE\n', stderr: '' });
  });

  it('prime-palindrome', TIMEOUT, async () => {
    const server = await serve('prime-palindrome');
    const result = await client('prime-palindrome', server, [], { input: '7 prime\nPALINDROME 12321\n18446744073709551557 prime\n' });
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual(['7 is prime', '12321 is a palindrome', '18446744073709551557 is prime']);
  });

  it('knock-knock', TIMEOUT, async () => {
    const server = await serve('knock-knock');
    const result = await client('knock-knock', server, [], { input: "Who's there?\nTurnip who?\nn\n" });
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual(['Knock! Knock!', 'Turnip', "Turnip the heat, it's cold in here! Want another? (y/n)", 'Bye.']);
  });

  it('udp-hello', TIMEOUT, async () => {
    const server = await serve('udp-hello');
    expect(await client('udp-hello', server, ['hello', 'from', 'B'])).toEqual({ code: 0, stdout: `Ok (from ${hosts.a.address}:${String(server.port)})\n`, stderr: '' });
    await logged(server, new RegExp(`^udp-hello: request from ${fromB()}:\\d+$`, 'm'));
  });

  it('udp-datetime', TIMEOUT, async () => {
    const server = await serve('udp-datetime', ['--utc']);
    const result = await client('udp-datetime', server, [], { input: 'SEND_DATE\nSEND_TIME\n' });
    expect(result.code).toBe(0);
    const out = lines(result.stdout);
    expect(out[0]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(out[1]).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    expect(out[2]).toBe('summary: sent 2, answered 2, retried 0, lost 0');
  });

  it('calculator', TIMEOUT, async () => {
    const server = await serve('calculator');
    const result = await client('calculator', server, [], { input: 'Ada\n12 + 42\n10 / 0\nq\n' });
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual(['Hello, Ada', '54', 'ERROR division by zero', 'Session ended']);
    await logged(server, new RegExp(`^calculator: ${fromB()}:\\d+: "Ada": "12 \\+ 42" → 54$`, 'm'));
  });

  it('chat: two members in host B talk through the room in host A', TIMEOUT, async () => {
    const server = await serve('chat');
    const alice = spawnCli(MAIN, ['chat', 'client', '--host', hosts.a.address, '--port', String(server.port), '--name', 'alice'], { netns: hosts.b.name });
    try {
      await alice.waitForLine(/^alice has joined the chat\.$/, 30_000);
      const bob = await client('chat', server, ['--name', 'bob'], { input: 'hello across the link\n/who\n' });
      expect(bob.code).toBe(0);
      expect(lines(bob.stdout)).toEqual(['Welcome, bob!', 'bob has joined the chat.', 'bob: hello across the link', 'Members (2): alice, bob', 'bob has left the chat.']);
      await alice.waitForLine(/^bob: hello across the link$/, 30_000);
      await alice.waitForLine(/^bob has left the chat\.$/, 30_000);
      alice.child.stdin.end();
      expect(await alice.exited(30_000)).toBe(0);
    } finally {
      await alice.stop('SIGKILL');
    }
  });

  for (const transport of ['tcp', 'udp'] as const) {
    it(`atm over ${transport}`, TIMEOUT, async () => {
      const server = await serve('atm', ['--transport', transport, '--store', 'memory']);
      const atm = (args: readonly string[]): ReturnType<typeof runCliProcess> => client('atm', server, ['--transport', transport, '--card', '123456789', ...args], { env: { NETLAB_ATM_PIN: '1234' } });
      expect(await atm(['balance'])).toMatchObject({ code: 0, stdout: 'OK balance 1000.00\n' });
      expect(await atm(['withdraw', '500'])).toMatchObject({ code: 0, stdout: 'OK withdrew 500.00 balance 500.00\n' });
      expect(await atm(['deposit', '200'])).toMatchObject({ code: 0, stdout: 'OK deposited 200.00 balance 700.00\n' });
    });
  }
});
