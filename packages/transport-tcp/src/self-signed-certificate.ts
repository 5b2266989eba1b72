/**
 * A self-signed X.509 v3 certificate made in memory with `node:crypto` and the DER encoders of
 * `der.ts`: what `--tls self-signed` serves for one run. No openssl binary, no dependency.
 *
 * The certificate (RFC 5280): an ECDSA P-256 key, signed with ecdsa-with-SHA256; subject and
 * issuer `CN=<commonName>`; a random positive 127-bit serial; `subjectAltName` with every name
 * (DNS names and IP addresses, which is what clients check, not the CN); `basicConstraints`
 * CA:TRUE so that a client can trust the certificate itself as its CA (`--tls-ca cert.pem`), as
 * `openssl req -x509` does; `extendedKeyUsage` serverAuth.
 */
import { X509Certificate, createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import {
  derBitString,
  derBoolean,
  derExplicit,
  derImplicit,
  derOctetString,
  derOid,
  derSequence,
  derSet,
  derSmallInteger,
  derTime,
  derUnsignedInteger,
  derUtf8String,
} from './der.js';
import { TcpError } from './errors.js';

/** Names a self-signed certificate covers by default: the loopback names. */
export const DEFAULT_CERTIFICATE_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];
/** Default validity of a self-signed certificate: 30 days from one hour ago (clock skew). */
export const DEFAULT_CERTIFICATE_VALID_DAYS = 30;

const DAY_MS = 86_400_000;
const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extendedKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

export interface SelfSignedCertificateOptions {
  /** DNS names and IP addresses the certificate is valid for. Default {@link DEFAULT_CERTIFICATE_NAMES}. */
  readonly names?: readonly string[];
  /** Subject and issuer common name. Default: the first name. */
  readonly commonName?: string;
  /** Start of validity. Default: one hour before now. */
  readonly notBefore?: Date;
  /** End of validity. Default: {@link DEFAULT_CERTIFICATE_VALID_DAYS} days after `notBefore`. */
  readonly notAfter?: Date;
}

/** A certificate and its private key, PEM-encoded, with its SHA-256 fingerprint. */
export interface SelfSignedCertificate {
  /** `-----BEGIN CERTIFICATE-----` … */
  readonly cert: string;
  /** `-----BEGIN PRIVATE KEY-----` (PKCS #8) … */
  readonly key: string;
  /** SHA-256 of the DER certificate, colon-separated upper-case hex (as `openssl x509 -fingerprint -sha256` prints it). */
  readonly fingerprint256: string;
  readonly names: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** The 4 or 16 bytes of an IP address in its textual form. */
function ipBytes(address: string): Uint8Array {
  if (isIP(address) === 4) return Uint8Array.from(address.split('.').map(Number));
  const [head = '', tail] = address.split('::');
  const groupsOf = (part: string): number[] => {
    if (part === '') return [];
    const groups: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
        groups.push(a * 256 + b, c * 256 + d);
      } else {
        groups.push(Number.parseInt(piece, 16));
      }
    }
    return groups;
  };
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  const groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}

function generalName(name: string): Uint8Array {
  // GeneralName: dNSName [2] IA5String, iPAddress [7] OCTET STRING.
  return isIP(name) === 0 ? derImplicit(2, new TextEncoder().encode(name)) : derImplicit(7, ipBytes(name));
}

const extension = (oid: string, critical: boolean, value: Uint8Array): Uint8Array =>
  critical ? derSequence(derOid(oid), derBoolean(true), derOctetString(value)) : derSequence(derOid(oid), derOctetString(value));

function toPem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The SHA-256 fingerprint of a DER certificate in the colon hex form. */
export function fingerprintOfDer(der: Uint8Array): string {
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  return (hex.match(/../g) ?? []).join(':');
}

/**
 * Makes a fresh key pair and a self-signed certificate for it. Throws `ERR_INVALID_OPTION` for
 * no names, a name that is neither a DNS name nor an IP address, or `notAfter` before `notBefore`.
 */
export function createSelfSignedCertificate(options: SelfSignedCertificateOptions = {}): SelfSignedCertificate {
  const names = options.names ?? DEFAULT_CERTIFICATE_NAMES;
  if (names.length === 0) throw new TcpError('ERR_INVALID_OPTION', 'a certificate needs at least one name', { reason: 'open' });
  for (const name of names) {
    if (isIP(name) === 0 && !/^(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(name)) {
      throw new TcpError('ERR_INVALID_OPTION', `"${name}" is neither a DNS name nor an IP address`, { reason: 'open', details: { name } });
    }
  }
  const commonName = options.commonName ?? names[0] ?? 'netlab';
  const notBefore = new Date(Math.floor((options.notBefore?.getTime() ?? Date.now() - 3_600_000) / 1000) * 1000);
  const notAfter = new Date(Math.floor((options.notAfter?.getTime() ?? notBefore.getTime() + DEFAULT_CERTIFICATE_VALID_DAYS * DAY_MS) / 1000) * 1000);
  if (notAfter.getTime() <= notBefore.getTime()) throw new TcpError('ERR_INVALID_OPTION', 'notAfter must be later than notBefore', { reason: 'open' });

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16);
  // Positive (top bit clear) and minimal (second-highest bit set): always 16 content bytes.
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  const algorithm = derSequence(derOid(OID.ecdsaWithSha256));
  const name = derSequence(derSet(derSequence(derOid(OID.commonName), derUtf8String(commonName))));
  const extensions = derSequence(
    extension(OID.subjectAltName, false, derSequence(...names.map(generalName))),
    extension(OID.basicConstraints, true, derSequence(derBoolean(true))),
    extension(OID.extendedKeyUsage, false, derSequence(derOid(OID.serverAuth))),
  );
  const tbs = derSequence(
    derExplicit(0, derSmallInteger(2)),
    derUnsignedInteger(serial),
    algorithm,
    name,
    derSequence(derTime(notBefore), derTime(notAfter)),
    name,
    spki,
    derExplicit(3, extensions),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const der = derSequence(tbs, algorithm, derBitString(signature));
  const cert = toPem('CERTIFICATE', der);
  // Parse it back: a defect in the encoder fails here, at start, not in a client's handshake.
  const parsed = new X509Certificate(cert);
  if (!parsed.verify(publicKey)) throw new TcpError('ERR_TLS_CONFIG', 'the self-signed certificate does not verify', { reason: 'open' });
  return {
    cert,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    fingerprint256: parsed.fingerprint256,
    names,
    notBefore,
    notAfter,
  };
}
