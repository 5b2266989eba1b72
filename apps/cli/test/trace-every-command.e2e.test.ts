/**
 * `--trace` on every server and client netlab registers: the commands are discovered from the
 * umbrella program (not listed here), so a new exercise cannot ship without the flags, and each
 * pair is run for real (server and client processes, both traced) to show that the records are
 * valid and describe the same connection from both ends.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from '@netlab/cli-kit';
import { runTs, startServerProcess } from '@netlab/exercise-kit/testing';
import { type TraceRecord, parseTrace } from '@netlab/trace';
import { afterAll, describe, expect, it } from 'vitest';
import { createProgram } from '../src/program.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'netlab-trace-every-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Every command named `server` or `client`, with its path (`atm server`). */
function roleCommands(command: Command, path: readonly string[] = []): { path: string[]; command: Command }[] {
  return command.commands.flatMap((sub) => {
    const here = [...path, sub.name()];
    const own = sub.name() === 'server' || sub.name() === 'client' ? [{ path: here, command: sub }] : [];
    return [...own, ...roleCommands(sub, here)];
  });
}

const flagsOf = (command: Command): string[] => command.options.map((option) => option.long ?? '');

/**
 * What a run needs beyond `--port` and stdin `hello`: only the exercises whose client cannot run
 * on a piped line. An exercise not named here runs with the defaults, so a new one is covered.
 */
const RUNS: Readonly<Record<string, { server?: string[]; client?: string[]; input?: string; env?: Record<string, string> }>> = {
  atm: { server: ['--store', 'memory', '--pin-cost', '4'], client: ['balance', '--card', '123456789', '--retransmit', '50'], env: { NETLAB_ATM_PIN: '1234' } },
  chat: { client: ['--name', 'alice'], input: 'hi all\n' },
  'udp-datetime': { input: 'SEND_DATE\n' },
  calculator: { input: '1 + 2\n' },
};

const program = createProgram();
const roles = roleCommands(program);
const exercises = [...new Set(roles.map((role) => role.path[0] ?? ''))].filter((name) => roles.some((r) => r.path.join(' ') === `${name} server`) && roles.some((r) => r.path.join(' ') === `${name} client`));

describe('--trace, --pcap and --hex are on every server and client', () => {
  it('finds the exercises in the umbrella program', () => {
    expect(exercises).toEqual(expect.arrayContaining(['greeting', 'echo', 'text-case', 'prime-palindrome', 'knock-knock', 'udp-hello', 'udp-datetime', 'calculator', 'chat', 'atm']));
  });

  it.each(roles.map((role) => [role.path.join(' '), role.command] as const))('%s takes --trace and --pcap (clients also --hex)', (name, command) => {
    const flags = flagsOf(command);
    expect(flags).toEqual(expect.arrayContaining(['--trace', '--pcap']));
    if (name.endsWith('client')) expect(flags).toContain('--hex');
  });

  it('puts --trace, --pcap and --hex on netlab proxy and --trace on netlab check', () => {
    const find = (name: string): Command | undefined => program.commands.find((command) => command.name() === name);
    expect(flagsOf(find('proxy') ?? program)).toEqual(expect.arrayContaining(['--trace', '--pcap', '--hex']));
    expect(flagsOf(find('check') ?? program)).toContain('--trace');
  });
});

const read = (file: string): TraceRecord[] => parseTrace(readFileSync(file, 'utf8'));
const endpoint = (e: { readonly addr: string; readonly port: number }): string => `${e.addr}:${e.port}`;

describe.each(exercises)('%s server and client with --trace (real processes)', (exercise) => {
  it('both write valid records of the same exchange', { timeout: 120_000 }, async () => {
    const run = RUNS[exercise] ?? {};
    const serverTrace = join(dir, `${exercise}-server.jsonl`);
    const clientTrace = join(dir, `${exercise}-client.jsonl`);
    const server = await startServerProcess(MAIN, [exercise, 'server', '--port', '0', '--trace', serverTrace, ...(run.server ?? [])], { timeoutMs: 60_000 });
    let client;
    try {
      client = await runTs(MAIN, [exercise, 'client', '--port', String(server.port), '--trace', clientTrace, ...(run.client ?? [])], {
        input: run.input ?? 'hello\n',
        timeoutMs: 60_000,
        ...(run.env === undefined ? {} : { env: run.env }),
      });
    } finally {
      expect(await server.process.stop('SIGTERM')).toBe(0);
    }
    expect(client.stderr).not.toMatch(/^\s+at /m);
    const fromServer = read(serverTrace);
    const fromClient = read(clientTrace);
    expect(fromServer.every((record) => record.role === 'server' && record.label === exercise)).toBe(true);
    expect(fromClient.every((record) => record.role === 'client' && record.label === exercise)).toBe(true);
    // The client's first data record (a request, or the greeting a server speaks first) is in the
    // server's trace too: the same bytes between the same two endpoints, seen from the other end.
    const first = fromClient.find((record) => record.kind === 'data');
    if (first?.kind !== 'data') throw new Error(`no data record in the client's trace:\n${readFileSync(clientTrace, 'utf8')}`);
    const seen = fromServer.find(
      (record) => record.kind === 'data' && record.dir !== first.dir && endpoint(record.from) === endpoint(first.from) && endpoint(record.to) === endpoint(first.to),
    );
    if (seen?.kind !== 'data') throw new Error(`the server's trace lacks the client's first exchange:\n${readFileSync(serverTrace, 'utf8')}`);
    const common = Math.min(seen.len, first.len);
    expect(Buffer.from(seen.bytes, 'base64').subarray(0, common)).toEqual(Buffer.from(first.bytes, 'base64').subarray(0, common));
    expect([endpoint(first.from), endpoint(first.to)]).toContain(`127.0.0.1:${server.port}`);
    if (server.transport === 'tcp') {
      expect(fromServer.some((record) => record.kind === 'open')).toBe(true);
      expect(fromClient.some((record) => record.kind === 'open')).toBe(true);
    }
  });
});
