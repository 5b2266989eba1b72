import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSelfSignedCertificate } from '../src/index.js';

const hasOpenssl = spawnSync('sh', ['-c', 'command -v openssl'], { stdio: 'ignore' }).status === 0;
if (!hasOpenssl) console.warn('skipping the openssl parse test: no openssl on PATH (Debian package openssl)');

describe.skipIf(!hasOpenssl)('self-signed certificates read by openssl', () => {
  it('parses with openssl x509, verifies as its own CA, and has the fingerprint openssl computes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-cert-'));
    try {
      const made = createSelfSignedCertificate({ names: ['localhost', '127.0.0.1', '::1', 'lab.example'] });
      const file = join(dir, 'cert.pem');
      writeFileSync(file, made.cert);
      const text = spawnSync('openssl', ['x509', '-in', file, '-noout', '-text'], { encoding: 'utf8', timeout: 30_000 });
      expect(text.status).toBe(0);
      expect(text.stdout).toContain('Signature Algorithm: ecdsa-with-SHA256');
      expect(text.stdout).toContain('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:lab.example');
      expect(text.stdout).toContain('CA:TRUE');
      const verify = spawnSync('openssl', ['verify', '-CAfile', file, file], { encoding: 'utf8', timeout: 30_000 });
      expect(verify.stdout.trim()).toBe(`${file}: OK`);
      const fingerprint = spawnSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8', timeout: 30_000 });
      expect(fingerprint.stdout.trim()).toMatch(new RegExp(`^sha256 Fingerprint=${made.fingerprint256}$`, 'i'));
      const key = join(dir, 'key.pem');
      writeFileSync(key, made.key);
      const modulus = spawnSync('openssl', ['pkey', '-in', key, '-pubout'], { encoding: 'utf8', timeout: 30_000 });
      const certKey = spawnSync('openssl', ['x509', '-in', file, '-noout', '-pubkey'], { encoding: 'utf8', timeout: 30_000 });
      expect(modulus.stdout).toBe(certKey.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
