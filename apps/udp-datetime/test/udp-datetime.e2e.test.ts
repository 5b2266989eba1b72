import { fileURLToPath } from 'node:url';
import { runTs } from '@netlab/cli-kit';
import { type ExerciseServerProcess, cliContractTests, lines, silentUdpPort, startExerciseServer, udpExchange } from '@netlab/exercise-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../src/command.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}:\d{2}$/;

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
    expect(out).toHaveLength(4);
    expect(out[0]).toMatch(DATE);
    expect(out[1]).toMatch(TIME);
    expect(out[2]).toBe('ERROR unknown request');
    expect(out[3]).toBe('summary: sent 3, answered 3, retried 0, lost 0');
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
      expect(out).toHaveLength(6);
      for (const line of out.slice(0, 5)) expect(line).toMatch(/^SEND_DATE → \d{4}-\d{2}-\d{2}$|^SEND_TIME → \d{2}:\d{2}:\d{2}$/);
      expect(out[5]).toBe('summary: sent 5, answered 5, retried 0, lost 0');
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
