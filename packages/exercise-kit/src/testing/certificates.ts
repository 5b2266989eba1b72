/** Certificate files for TLS end-to-end tests, made with `@netlab/transport-tcp`'s builder (no openssl needed). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SelfSignedCertificateOptions, createSelfSignedCertificate } from '@netlab/transport-tcp';

/** Writes `<dir>/<name>.pem` (certificate) and `<dir>/<name>.key` (key); returns both paths and the fingerprint. */
export function writeSelfSignedCertificate(dir: string, name: string, options: SelfSignedCertificateOptions = {}): { readonly cert: string; readonly key: string; readonly fingerprint256: string } {
  const made = createSelfSignedCertificate(options);
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  writeFileSync(cert, made.cert);
  writeFileSync(key, made.key, { mode: 0o600 });
  return { cert, key, fingerprint256: made.fingerprint256 };
}
