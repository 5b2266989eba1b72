import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type StartedServer, hasTool, runTool, runTs, startLoopbackCapture, startServerProcess, writeSelfSignedCertificate } from '@netlab/exercise-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 120_000 };
const STARTUP = /^echo listening on tcp:\/\/127\.0\.0\.1:(\d+) \(TLS, (self-signed )?certificate SHA-256 ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})\)$/;

const hasOpenssl = hasTool('openssl');
if (!hasOpenssl) console.warn('skipping the openssl interop tests: no openssl on PATH (Debian package openssl)');
const canCapture = hasTool('tshark') && process.getuid?.() === 0;
if (!canCapture) console.warn('skipping the live capture test: it needs tshark (Debian package tshark) and root to capture on lo');

let dir: string;
const servers: StartedServer[] = [];
const file = (name: string): string => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netlab-tls-'));
  // Certificates from the package's own builder: one for another name, one expired.
  writeSelfSignedCertificate(dir, 'wrong', { names: ['wrong.example'] });
  writeSelfSignedCertificate(dir, 'expired', { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
});

afterAll(async () => {
  await Promise.all(servers.splice(0).map((server) => server.process.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

async function serve(args: readonly string[]): Promise<{ server: StartedServer; port: number; fingerprint: string; line: string }> {
  const server = await startServerProcess(MAIN, ['server', '--port', '0', ...args], { timeoutMs: 60_000 });
  servers.push(server);
  const line = server.process.stdout().split('\n')[0] ?? '';
  const match = STARTUP.exec(line);
  if (match === null) throw new Error(`unexpected startup line: ${line}`);
  return { server, port: Number(match[1]), fingerprint: match[3] ?? '', line };
}

const client = (port: number, args: readonly string[], input = 'over tls\nbye\n') => runTs(MAIN, ['client', '--port', String(port), ...args], { input, timeoutMs: 60_000 });

describe('netlab echo over TLS with a self-signed certificate (real processes)', () => {
  it('prints the fingerprint on the startup line; a client pinning it talks, one without a CA is refused with ERR_TLS_UNKNOWN_CA', TIMEOUT, async () => {
    const { port, fingerprint, line } = await serve(['--tls', 'self-signed']);
    expect(line).toContain('self-signed certificate SHA-256');

    const pinned = await client(port, ['--tls-fingerprint', fingerprint]);
    expect(pinned).toMatchObject({ code: 0, stdout: 'over tls\nGoodbye\n', stderr: '' });

    const unverified = await client(port, ['--tls']);
    expect(unverified.code).toBe(1);
    expect(unverified.stdout).toBe('');
    expect(unverified.stderr).toMatch(/^error: the certificate of 127\.0\.0\.1:\d+ is not signed by a CA this client trusts .*\(ERR_TLS_UNKNOWN_CA\)\n$/);

    const wrongPin = await client(port, ['--tls-fingerprint', 'AA'.repeat(32)]);
    expect(wrongPin.code).toBe(1);
    expect(wrongPin.stderr).toContain('ERR_TLS_FINGERPRINT_MISMATCH');
    expect(wrongPin.stderr).toContain(fingerprint);

    const insecure = await client(port, ['--tls-insecure']);
    expect(insecure.code).toBe(0);
    expect(insecure.stdout).toBe('over tls\nGoodbye\n');
    expect(insecure.stderr).toMatch(/^warning: --tls-insecure: the server's certificate is not checked/);
  });

  it.skipIf(!hasOpenssl)('talks to openssl s_client: lines in, lines out', TIMEOUT, async () => {
    const { port } = await serve(['--tls', 'self-signed']);
    const result = await runTool('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet'], { input: 'hello from openssl\ngrüß dich\nbye\n' });
    expect(result.stdout).toBe('hello from openssl\ngrüß dich\nGoodbye\n');
    expect(result.code).toBe(0);
  });
});

describe.skipIf(!hasOpenssl)('netlab echo over TLS with certificates from files (openssl-made CA)', () => {
  beforeAll(async () => {
    const run = async (args: string[]): Promise<void> => {
      const result = await runTool('openssl', args);
      if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
    };
    await run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=netlab test CA']);
    await run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('leaf.key'), '-out', file('leaf.csr'), '-subj', '/CN=localhost']);
    writeFileSync(file('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    await run(['x509', '-req', '-in', file('leaf.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('ext.cnf'), '-out', file('leaf.pem')]);
  }, 60_000);

  it('serves the CA-signed certificate: netlab and openssl clients verify it against the CA; without the CA it is refused', TIMEOUT, async () => {
    const { port, line } = await serve(['--tls-cert', file('leaf.pem'), '--tls-key', file('leaf.key')]);
    expect(line).not.toContain('self-signed');
    expect(await client(port, ['--tls-ca', file('ca.pem')])).toMatchObject({ code: 0, stdout: 'over tls\nGoodbye\n', stderr: '' });
    expect(await client(port, ['--tls-ca', file('ca.pem')], 'by name\nbye\n').then((r) => r.stdout)).toBe('by name\nGoodbye\n');
    const openssl = await runTool('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet', '-CAfile', file('ca.pem'), '-verify_return_error', '-verify_ip', '127.0.0.1'], { input: 'verified\nbye\n' });
    expect(openssl.stdout).toBe('verified\nGoodbye\n');
    const refused = await client(port, ['--tls']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(ERR_TLS_UNKNOWN_CA)');
  });

  it('refuses a certificate for another name with ERR_TLS_NAME_MISMATCH, and accepts it with --tls-servername', TIMEOUT, async () => {
    const { port } = await serve(['--tls', '--tls-cert', file('wrong.pem'), '--tls-key', file('wrong.key')]);
    const refused = await client(port, ['--tls-ca', file('wrong.pem')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is not valid for that name .*\(ERR_TLS_NAME_MISMATCH\)/);
    expect(await client(port, ['--tls-ca', file('wrong.pem'), '--tls-servername', 'wrong.example'])).toMatchObject({ code: 0, stdout: 'over tls\nGoodbye\n' });
  });

  it('refuses an expired certificate with ERR_TLS_CERT_EXPIRED', TIMEOUT, async () => {
    const { port } = await serve(['--tls-cert', file('expired.pem'), '--tls-key', file('expired.key')]);
    const refused = await client(port, ['--tls-ca', file('expired.pem')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`error: the certificate of 127.0.0.1:${port} has expired (ERR_TLS_CERT_EXPIRED)\n`);
  });
});

describe('netlab echo TLS errors (real processes)', () => {
  it('says ERR_TLS_NOT_TLS when a TLS client meets a plain-text server', TIMEOUT, async () => {
    const server = await startServerProcess(MAIN, ['server', '--port', '0'], { timeoutMs: 60_000 });
    servers.push(server);
    const refused = await client(server.port, ['--tls-insecure']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error: 127\.0\.0\.1:\d+ does not speak TLS .*\(ERR_TLS_NOT_TLS\)/);
  });

  it('refuses bad TLS flags with one line and exit 1', TIMEOUT, async () => {
    const cases: [readonly string[], RegExp][] = [
      [['server', '--port', '0', '--tls'], /^error: --tls needs --tls-cert FILE and --tls-key FILE, or --tls self-signed/],
      [['server', '--port', '0', '--tls', 'bogus'], /^error: invalid --tls "bogus"/],
      [['server', '--port', '0', '--tls-cert', file('nope.pem'), '--tls-key', file('nope.key')], /^error: cannot read --tls-cert .*nope\.pem: no such file\n$/],
      [['server', '--port', '0', '--tls-cert', file('wrong.pem'), '--tls-key', file('expired.key')], /^error: the private key does not belong to the certificate \(ERR_TLS_CONFIG\)\n$/],
      [['client', '--port', '1', '--tls-fingerprint', 'xyz'], /^error: invalid --tls-fingerprint: "xyz" is not a SHA-256 fingerprint/],
      [['client', '--port', '1', '--tls-insecure', '--tls-fingerprint', 'AA'.repeat(32)], /^error: --tls-insecure checks nothing/],
    ];
    for (const [args, pattern] of cases) {
      const result = await runTs(MAIN, args, { timeoutMs: 60_000 });
      expect(result.stderr, args.join(' ')).toMatch(pattern);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout).toBe('');
    }
  });
});

describe.skipIf(!canCapture)('a live capture on lo (tshark): the payload is readable without TLS and not with it', () => {
  const SECRET = 'the PIN is 4711, do not tell';

  async function capture(args: readonly string[], clientArgs: readonly string[], name: string): Promise<{ bytes: Buffer; port: number; file: string }> {
    const server = await startServerProcess(MAIN, ['server', '--port', '0', ...args], { timeoutMs: 60_000 });
    servers.push(server);
    const live = await startLoopbackCapture(server.port, file(name));
    try {
      const result = await client(server.port, clientArgs, `${SECRET}\nbye\n`);
      expect(result.stdout).toBe(`${SECRET}\nGoodbye\n`);
      // Both FINs of the session are in the file: everything before them is too.
      await live.waitFor('tcp.flags.fin == 1', 2);
    } finally {
      await live.stop();
    }
    return { bytes: readFileSync(live.file), port: server.port, file: live.file };
  }

  it('finds the line in a plain-text capture, and only TLS records in a TLS one', TIMEOUT, async () => {
    const plain = await capture([], [], 'plain.pcapng');
    expect(plain.bytes.includes(Buffer.from(SECRET))).toBe(true);

    const tls = await capture(['--tls', 'self-signed'], ['--tls-insecure'], 'tls.pcapng');
    expect(tls.bytes.includes(Buffer.from(SECRET))).toBe(false);
    // The capture is not just empty: tshark sees the handshake and application data records.
    const fields = await runTool('tshark', ['-r', tls.file, '-d', `tcp.port==${tls.port},tls`, '-Y', 'tls', '-T', 'fields', '-e', 'tls.record.content_type', '-e', 'tls.record.opaque_type']);
    expect(fields.code).toBe(0);
    // TLS 1.3 hides the real type of encrypted records: they show as opaque type 23.
    const types = fields.stdout.split(/[\n\t,]/).filter((type) => type !== '');
    expect(types).toContain('22'); // handshake
    expect(types.filter((type) => type === '23').length).toBeGreaterThanOrEqual(2); // application data, both ways
    // And tshark's own decoding of the plain capture shows the line as text.
    const follow = await runTool('tshark', ['-r', plain.file, '-q', '-z', 'follow,tcp,ascii,0']);
    expect(follow.stdout).toContain(SECRET);
  });
});
