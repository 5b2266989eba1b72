import { fileURLToPath } from 'node:url';
import { type StartedServer, hasTool, runTool, runTs, startServerProcess } from '@netlab/exercise-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 120_000 };
const hasOpenssl = hasTool('openssl');
if (!hasOpenssl) console.warn('skipping the openssl s_client test: no openssl on PATH (Debian package openssl)');

const servers: StartedServer[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((server) => server.process.stop('SIGKILL')));
});

describe('netlab text-case over TLS (real processes)', () => {
  it.skipIf(!hasOpenssl)('converts lines sent by openssl s_client, full Unicode', TIMEOUT, async () => {
    const server = await startServerProcess(MAIN, ['server', '--port', '0', '--tls', 'self-signed'], { timeoutMs: 60_000 });
    servers.push(server);
    const result = await runTool('openssl', ['s_client', '-connect', `127.0.0.1:${server.port}`, '-quiet'], { input: 'straße\nhello tls\n', until: 'HELLO TLS\n' });
    expect(result.stdout).toBe('STRASSE\nHELLO TLS\n');
  });

  it('converts lines for the netlab client pinning the printed fingerprint, lower case with --to lower', TIMEOUT, async () => {
    const server = await startServerProcess(MAIN, ['server', '--port', '0', '--to', 'lower', '--tls', 'self-signed'], { timeoutMs: 60_000 });
    servers.push(server);
    const fingerprint = /certificate SHA-256 ([0-9A-F:]+)\)$/.exec(server.process.stdout().split('\n')[0] ?? '')?.[1];
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const result = await runTs(MAIN, ['client', '--port', String(server.port), '--tls-fingerprint', fingerprint ?? ''], { input: 'ÀÉÎ TLS\n', timeoutMs: 60_000 });
    expect(result).toMatchObject({ code: 0, stdout: 'àéî tls\n', stderr: '' });
  });
});
