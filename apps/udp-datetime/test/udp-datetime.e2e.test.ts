import { fileURLToPath } from 'node:url';
import { cliContractTests, type ExerciseServerProcess, lines, runTs, silentUdpPort, spawnTs, startExerciseServer, udpExchange } from '@netlab/exercise-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../src/command.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}:\d{2}$/;
const RTT = /^rtt min\/avg\/max [\d.]+\/[\d.]+\/[\d.]+ ms$/;

describe('netlab udp-datetime (real processes)', () => {
  let server: ExerciseServerProcess;
  beforeAll(async () => {
    server = await startExerciseServer(MAIN, 'udp-datetime', 'udp', ['--utc']);
  });
  afterAll(async () => {
    await server.proc.stop('SIGKILL');
  });

  it('answers piped requests one per line, then prints the summary, exit 0', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['client', '--port', String(server.port)], { input: 'SEND_DATE\nSEND_TIME\nHELLO\n' });
    expect(result.code).toBe(0);
    const out = lines(result.stdout);
    expect(out).toHaveLength(5);
    expect(out[0]).toMatch(DATE);
    expect(out[1]).toMatch(TIME);
    expect(out[2]).toBe('ERROR unknown request');
    expect(out[3]).toBe('summary: sent 3, answered 3, retried 0, lost 0');
    expect(out[4]).toMatch(RTT);
    // --utc: the date is today's in UTC (allow the run to straddle midnight).
    const today = [Date.now() - 60_000, Date.now()].map((ms) => new Date(ms).toISOString().slice(0, 10));
    expect(today).toContain(out[0]);
  });

  it('sends --count random requests at --interval, same choices for the same --seed', TIMEOUT, async () => {
    const args = ['client', '--port', String(server.port), '--count', '5', '--interval', '10-20ms', '--seed', '42'];
    const [first, second] = await Promise.all([runTs(MAIN, args), runTs(MAIN, args)]);
    for (const result of [first, second]) {
      expect(result.code).toBe(0);
      const out = lines(result.stdout);
      expect(out).toHaveLength(7);
      for (const line of out.slice(0, 5)) expect(line).toMatch(/^SEND_DATE → \d{4}-\d{2}-\d{2}$|^SEND_TIME → \d{2}:\d{2}:\d{2}$/);
      expect(out[5]).toBe('summary: sent 5, answered 5, retried 0, lost 0');
      expect(out[6]).toMatch(RTT);
      expect(result.stderr).toContain('seed 42');
    }
    const requests = (text: string): string[] => lines(text).slice(0, 5).map((line) => line.split(' ')[0] ?? '');
    expect(requests(first.stdout)).toEqual(requests(second.stdout));
    expect(new Set(requests(first.stdout)).size).toBeGreaterThan(0);
  });

  it('retries unanswered requests and counts them lost against a server that never answers', TIMEOUT, async () => {
    const silent = await silentUdpPort();
    try {
      const result = await runTs(MAIN, ['client', '--port', String(silent.port), '--count', '2', '--interval', '10-20ms', '--timeout', '40ms', '--retries', '2', '--seed', '1']);
      const out = lines(result.stdout);
      expect(out.slice(0, 2).every((line) => /^SEND_(DATE|TIME) → lost \(no reply after 3 attempts\)$/.test(line))).toBe(true);
      expect(out[2]).toBe('summary: sent 2, answered 0, retried 4, lost 2');
      expect(silent.received()).toBe(6);
      expect(result.code).not.toBe(0);
      expect(result.stderr.split('\n').filter((line) => line.startsWith('error:'))).toEqual([
        `error: no reply from 127.0.0.1:${silent.port} to any of 2 requests`,
      ]);
    } finally {
      await silent.close();
    }
  });

  it('keeps counting when the server goes away mid-run: the rest are lost, the summary comes, exit 0', TIMEOUT, async () => {
    const doomed = await startExerciseServer(MAIN, 'udp-datetime', 'udp');
    const client = spawnTs(MAIN, ['client', '--port', String(doomed.port), '--count', '4', '--interval', '200-200ms', '--timeout', '100ms', '--seed', '1']);
    try {
      await client.waitForLine(/^SEND_(DATE|TIME) → \d/);
      expect(await doomed.proc.stop('SIGTERM')).toBe(0);
      expect(await client.exited()).toBe(0);
      const out = lines(client.stdout());
      expect(out.filter((line) => line.includes(' → lost ')).length).toBeGreaterThanOrEqual(1);
      const summary = out.find((line) => line.startsWith('summary: '));
      expect(summary).toMatch(/^summary: sent 4, answered [1-3], retried \d+, lost [1-3]$/);
      expect(out.at(-1)).toMatch(RTT);
      expect(client.stderr()).not.toMatch(/^error:/m);
    } finally {
      await client.stop('SIGKILL');
      await doomed.proc.stop('SIGKILL');
    }
  });

  it('piped: counts requests after the server went away as lost and still prints the summary, exit 0', TIMEOUT, async () => {
    const doomed = await startExerciseServer(MAIN, 'udp-datetime', 'udp');
    const client = spawnTs(MAIN, ['client', '--port', String(doomed.port), '--timeout', '100ms']);
    try {
      client.child.stdin.write('SEND_DATE\n');
      await client.waitForLine(DATE);
      expect(await doomed.proc.stop('SIGTERM')).toBe(0);
      client.child.stdin.end('SEND_TIME\nSEND_DATE\n');
      expect(await client.exited()).toBe(0);
      expect(lines(client.stdout()).find((line) => line.startsWith('summary: '))).toMatch(/^summary: sent 3, answered 1, retried \d+, lost 2$/);
      expect(client.stderr()).toMatch(/^lost: no reply to "SEND_TIME": no server at 127\.0\.0\.1:\d+ any more \(port unreachable\)$/m);
    } finally {
      await client.stop('SIGKILL');
      await doomed.proc.stop('SIGKILL');
    }
  });

  it('shows the --interval and --timeout defaults in --help as a user types them', TIMEOUT, async () => {
    const help = await runTs(MAIN, ['client', '--help']);
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('(default: 1-2s)');
    expect(text).toContain('(default: 1s)');
    expect(help.stdout).not.toMatch(/minMs|"maxMs"/);
  });

  it('rejects a bad --interval with one error line', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['client', '--interval', '20-10ms', '--count', '1']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.split('\n').filter((line) => line.startsWith('error:'))).toEqual(['error: invalid --interval "20-10ms": MIN is larger than MAX']);
  });

  it('answers raw datagrams like nc -u sends them, newline or not', TIMEOUT, async () => {
    expect(await udpExchange(server.port, 'SEND_DATE\n')).toMatch(DATE);
    expect(await udpExchange(server.port, 'SEND_TIME')).toMatch(TIME);
    expect(await udpExchange(server.port, 'send_time')).toBe('ERROR unknown request');
  });

  it('logs each request on stderr, one startup line on stdout, exit 0 on SIGTERM', TIMEOUT, async () => {
    expect(server.proc.stderr()).toMatch(/^udp-datetime: request from 127\.0\.0\.1:\d+$/m);
    expect(lines(server.proc.stdout())).toEqual([`udp-datetime listening on udp://127.0.0.1:${server.port}`]);
    expect(await server.proc.stop('SIGTERM')).toBe(0);
  });

  cliContractTests({ main: MAIN, exercise: 'udp-datetime', transport: 'udp', defaultPort: DEFAULT_PORT });
});
