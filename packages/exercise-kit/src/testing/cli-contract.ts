/**
 * The parts of the CLI contract every exercise shares, as vitest cases an app's e2e test
 * registers with one call: `--help` exits 0 and names the default port, a bad port or flag is
 * one error line with a non-zero exit and no stack, a refused connection is `no server at …`.
 */
import { runCliProcess as runTs } from '../cli-process.js';
import { expect, it } from 'vitest';
import { closedTcpPort, closedUdpPort } from './ports.js';

export interface CliContractOptions {
  /** The app's standalone entry (`src/main.ts`). */
  readonly main: string;
  readonly exercise: string;
  readonly transport: 'tcp' | 'udp';
  readonly defaultPort: number;
  /** Extra client arguments for the refused-connection case (e.g. `--count 1`). */
  readonly clientArgs?: readonly string[];
}

const TIMEOUT = { timeout: 60_000 };

function expectOneErrorLine(result: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('error:'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

/** Registers the shared contract cases (call inside a `describe`). */
export function cliContractTests(options: CliContractOptions): void {
  const { main, defaultPort } = options;

  it('documents the default port in --help of the exercise, its server and its client, exit 0', TIMEOUT, async () => {
    const results = await Promise.all([[], ['server'], ['client']].map((args) => runTs(main, [...args, '--help'], { timeoutMs: 30_000 })));
    for (const result of results) {
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(String(defaultPort));
    }
    expect(results[1]?.stdout).toMatch(/--port <port>/);
    expect(results[2]?.stdout).toMatch(/--host <host>/);
  });

  it('rejects a bad port and an unknown flag with one error line and a non-zero exit', TIMEOUT, async () => {
    const [badPort, zeroClientPort, badFlag] = await Promise.all([
      runTs(main, ['server', '--port', '70000'], { timeoutMs: 30_000 }),
      runTs(main, ['client', '--port', '0'], { timeoutMs: 30_000 }),
      runTs(main, ['server', '--bogus'], { timeoutMs: 30_000 }),
    ]);
    expectOneErrorLine(badPort, /invalid port "70000"/);
    expectOneErrorLine(zeroClientPort, /invalid port "0"/);
    expectOneErrorLine(badFlag, /unknown option '--bogus'/);
    expect(badPort.stdout).toBe('');
  });

  it('reports a refused connection as "no server at HOST:PORT" with a non-zero exit', TIMEOUT, async () => {
    const port = options.transport === 'tcp' ? await closedTcpPort() : await closedUdpPort();
    const result = await runTs(main, ['client', '--port', String(port), ...(options.clientArgs ?? [])], { input: 'hello\n', timeoutMs: 30_000 });
    expectOneErrorLine(result, new RegExp(`^error: no server at 127\\.0\\.0\\.1:${port}$`));
  });
}
