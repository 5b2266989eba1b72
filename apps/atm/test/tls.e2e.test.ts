/**
 * The ATM over TLS: `atm server --tls self-signed` and `atm client --tls…` as child processes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTs, type StartedServer, startServerProcess } from '@netlab/exercise-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const TIMEOUT = { timeout: 120_000 };
const dir = mkdtempSync(join(tmpdir(), 'netlab-atm-tls-'));
const servers: StartedServer[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((server) => server.process.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

const client = (port: number, args: readonly string[]): ReturnType<typeof runTs> =>
  runTs(MAIN, ['client', '--port', String(port), '--card', '123456789', '--retransmit', '50', '--timeout', '3s', ...args], { env: { NETLAB_ATM_PIN: '1234' }, timeoutMs: 60_000 });

describe('atm over TLS (real processes)', () => {
  it('serves a pinning client, and tells a client that does not trust the certificate why (ERR_TLS_UNKNOWN_CA)', TIMEOUT, async () => {
    const server = await startServerProcess(MAIN, ['server', '--port', '0', '--store', `sqlite:${join(dir, 'atm.db')}`, '--pin-cost', '4', '--tls', 'self-signed'], { timeoutMs: 60_000 });
    servers.push(server);
    const fingerprint = /certificate SHA-256 ([0-9A-F:]+)\)$/.exec(server.process.stdout().split('\n')[0] ?? '')?.[1] ?? '';
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

    const balance = await client(server.port, ['--tls-fingerprint', fingerprint, 'balance']);
    expect(balance.stdout).toMatch(/^OK balance \d/);
    expect(balance.code).toBe(0);

    const refused = await client(server.port, ['--tls', 'balance']);
    expect(refused.stdout).toMatch(/^ERROR the certificate of 127\.0\.0\.1:\d+ is not signed by a CA this client trusts .*\(ERR_TLS_UNKNOWN_CA\)\n$/);
    expect(refused.code).toBe(1);
  });

  it('refuses TLS flags with --transport udp (ERR_USAGE)', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['client', '--port', '1', '--transport', 'udp', '--tls', '--card', '123456789', 'balance'], { env: { NETLAB_ATM_PIN: '1234' }, timeoutMs: 60_000 });
    expect(result.stderr).toBe('error: TLS is for --transport tcp (the UDP ATM has no TLS)\n');
    expect(result.code).toBe(1);
  });
});
