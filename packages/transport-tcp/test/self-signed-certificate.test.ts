import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certificateFingerprint, createSelfSignedCertificate, normalizeFingerprint } from '../src/index.js';
import { derLength, derOid, derTime, derUnsignedInteger } from '../src/der.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('DER encoders', () => {
  it('encodes short and long lengths (127 in one byte, 128 and 65536 in long form)', () => {
    expect(hex(derLength(127))).toBe('7f');
    expect(hex(derLength(128))).toBe('8180');
    expect(hex(derLength(256))).toBe('820100');
    expect(hex(derLength(65_536))).toBe('83010000');
  });

  it('encodes object identifiers as X.690 does (ecdsa-with-SHA256, commonName)', () => {
    expect(hex(derOid('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
    expect(hex(derOid('2.5.4.3'))).toBe('0603550403');
  });

  it('keeps integers positive and minimal', () => {
    expect(hex(derUnsignedInteger(Uint8Array.of(0x80)))).toBe('02020080');
    expect(hex(derUnsignedInteger(Uint8Array.of(0, 0, 0x7f)))).toBe('02017f');
    expect(hex(derUnsignedInteger(new Uint8Array(0)))).toBe('020100');
  });

  it('writes UTCTime up to 2049 and GeneralizedTime from 2050', () => {
    expect(Buffer.from(derTime(new Date(Date.UTC(2026, 11, 1, 20, 5, 9)))).subarray(2).toString()).toBe('261201200509Z');
    expect(derTime(new Date(Date.UTC(2026, 0, 1)))[0]).toBe(0x17);
    expect(Buffer.from(derTime(new Date(Date.UTC(2050, 0, 1)))).subarray(2).toString()).toBe('20500101000000Z');
    expect(derTime(new Date(Date.UTC(2050, 0, 1)))[0]).toBe(0x18);
  });
});

describe('createSelfSignedCertificate', () => {
  it('makes a certificate that parses, verifies with its key and names the loopback addresses', () => {
    const made = createSelfSignedCertificate();
    const cert = new X509Certificate(made.cert);
    expect(cert.subject).toBe('CN=localhost');
    expect(cert.issuer).toBe('CN=localhost');
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.ca).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(made.key))).toBe(true);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkHost('example.test')).toBeUndefined();
    expect(made.fingerprint256).toBe(cert.fingerprint256);
    expect(made.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('makes a new key and serial every time', () => {
    const a = createSelfSignedCertificate();
    const b = createSelfSignedCertificate();
    expect(a.fingerprint256).not.toBe(b.fingerprint256);
    expect(new X509Certificate(a.cert).serialNumber).not.toBe(new X509Certificate(b.cert).serialNumber);
    expect(new X509Certificate(a.cert).serialNumber).toHaveLength(32);
  });

  it('honours names, common name and validity', () => {
    const notBefore = new Date(Date.UTC(2020, 0, 1));
    const notAfter = new Date(Date.UTC(2051, 0, 1));
    const made = createSelfSignedCertificate({ names: ['lab.example', '10.0.0.1', 'fe80::1:2'], commonName: 'lab', notBefore, notAfter });
    const cert = new X509Certificate(made.cert);
    expect(cert.subject).toBe('CN=lab');
    expect(cert.subjectAltName).toBe('DNS:lab.example, IP Address:10.0.0.1, IP Address:FE80:0:0:0:0:0:1:2');
    expect(new Date(cert.validFrom).getTime()).toBe(notBefore.getTime());
    expect(new Date(cert.validTo).getTime()).toBe(notAfter.getTime());
  });

  it('refuses no names, a name that is not a host name, and an empty validity with ERR_INVALID_OPTION', () => {
    expect(() => createSelfSignedCertificate({ names: [] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => createSelfSignedCertificate({ names: ['not a name'] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    const now = new Date();
    expect(() => createSelfSignedCertificate({ notBefore: now, notAfter: now })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

describe('fingerprints', () => {
  it('reads the fingerprint of a PEM certificate and normalizes pins', () => {
    const made = createSelfSignedCertificate();
    expect(certificateFingerprint(made.cert)).toBe(made.fingerprint256);
    expect(normalizeFingerprint(made.fingerprint256.replaceAll(':', '').toLowerCase())).toBe(made.fingerprint256);
    expect(normalizeFingerprint(`sha256:${made.fingerprint256}`)).toBe(made.fingerprint256);
  });

  it('refuses what is not a certificate or not 32 bytes of hex with ERR_TLS_CONFIG', () => {
    expect(() => certificateFingerprint('nope')).toThrow(expect.objectContaining({ code: 'ERR_TLS_CONFIG' }));
    expect(() => normalizeFingerprint('AB:CD')).toThrow(expect.objectContaining({ code: 'ERR_TLS_CONFIG' }));
    expect(() => normalizeFingerprint('Z'.repeat(64))).toThrow(expect.objectContaining({ code: 'ERR_TLS_CONFIG' }));
  });
});
