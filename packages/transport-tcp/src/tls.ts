/**
 * TLS for the TCP server and client (`node:tls`): the options, the secure contexts made from
 * them, and the one table that turns OpenSSL's handshake failures into this package's codes.
 *
 * TLS sits under the codec: the server wraps each accepted socket in a `TLSSocket` and hands the
 * connection to the same glue as a plain one once the handshake is done, so the limits,
 * backpressure, deadlines and error codes of a plain connection are unchanged; only the
 * handshake adds its own deadline and cap (`handshakeTimeoutMs`, `maxHandshakes`).
 */
import { type PeerCertificate, type SecureContext, type TLSSocket, checkServerIdentity, createSecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { TcpError, type TcpErrorCode } from './errors.js';

/** Default TLS handshake deadline (server and client): 10 s. */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Default handshakes a server runs at once; connections past it are closed unanswered: 128. */
export const DEFAULT_MAX_TLS_HANDSHAKES = 128;
/** Default lowest TLS version: 1.2. */
export const DEFAULT_TLS_MIN_VERSION = 'TLSv1.2';

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';
type Pem = string | Uint8Array;

/** The server side: its certificate and key. */
export interface TcpServerTlsOptions {
  /** The certificate chain in PEM, leaf first. Required. */
  readonly cert: Pem;
  /** The private key of the leaf certificate in PEM. Required. */
  readonly key: Pem;
  /** Close a connection whose handshake has not finished after this long (`ERR_TLS_HANDSHAKE_TIMEOUT`). Default {@link DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS}. */
  readonly handshakeTimeoutMs?: number;
  /** Handshakes in progress at once; a connection past it is closed before its handshake. Default {@link DEFAULT_MAX_TLS_HANDSHAKES}. */
  readonly maxHandshakes?: number;
  /** Lowest protocol version accepted. Default {@link DEFAULT_TLS_MIN_VERSION}. */
  readonly minVersion?: TlsVersion;
}

/**
 * The client side: whom to trust. By default the server's certificate must chain to Node's
 * bundled root CAs and name the host connected to.
 */
export interface TcpClientTlsOptions {
  /** CA certificates in PEM to trust instead of Node's bundled roots (a self-signed server certificate is its own CA). Default: the bundled roots. */
  readonly ca?: Pem | readonly Pem[];
  /** The name the certificate must carry, also sent as SNI (not sent for an IP address). Default: the host connected to. */
  readonly servername?: string;
  /**
   * Pin: accept exactly the certificate with this SHA-256 fingerprint (colon hex as servers print
   * it, or 64 hex digits) and skip the CA and name checks. Default: no pin.
   */
  readonly fingerprint256?: string;
  /** Accept any certificate (no CA, name, date or pin check): encryption without authentication. Default false. */
  readonly insecure?: boolean;
  /** Lowest protocol version accepted. Default {@link DEFAULT_TLS_MIN_VERSION}. */
  readonly minVersion?: TlsVersion;
}

/** What a server makes once from its `tls` option. */
export interface ServerTls {
  readonly context: SecureContext;
  readonly handshakeTimeoutMs: number;
  readonly maxHandshakes: number;
  /** SHA-256 fingerprint of the leaf certificate. */
  readonly fingerprint256: string;
}

/** The SHA-256 fingerprint (colon hex) of the first certificate of a PEM chain; `ERR_TLS_CONFIG` when it does not parse. */
export function certificateFingerprint(cert: Pem): string {
  try {
    return new X509Certificate(typeof cert === 'string' ? cert : Buffer.from(cert)).fingerprint256;
  } catch (error) {
    throw new TcpError('ERR_TLS_CONFIG', `the certificate does not parse: ${error instanceof Error ? error.message : String(error)}`, { reason: 'open', cause: error });
  }
}

/** A pin in the canonical colon hex form; `ERR_TLS_CONFIG` unless it is 32 bytes of hex. */
export function normalizeFingerprint(value: string): string {
  const hex = value.replace(/^sha256[:=]/i, '').replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw new TcpError('ERR_TLS_CONFIG', `"${value}" is not a SHA-256 fingerprint (64 hex digits, colons allowed)`, { reason: 'open' });
  }
  return (hex.match(/../g) ?? []).join(':');
}

const toBuffer = (pem: Pem): string | Buffer => (typeof pem === 'string' ? pem : Buffer.from(pem));

/** Checks the server's `tls` option and makes its secure context; `ERR_TLS_CONFIG` or `ERR_INVALID_OPTION` when unusable. */
export function createServerTls(options: TcpServerTlsOptions): ServerTls {
  const fingerprint256 = certificateFingerprint(options.cert);
  let context: SecureContext;
  try {
    context = createSecureContext({ cert: toBuffer(options.cert), key: toBuffer(options.key), minVersion: options.minVersion ?? DEFAULT_TLS_MIN_VERSION });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const mismatch = /key values mismatch/i.test(detail);
    throw new TcpError('ERR_TLS_CONFIG', mismatch ? 'the private key does not belong to the certificate' : `the certificate or key cannot be used: ${detail}`, {
      reason: 'open',
      cause: error,
    });
  }
  return {
    context,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
    maxHandshakes: options.maxHandshakes ?? DEFAULT_MAX_TLS_HANDSHAKES,
    fingerprint256,
  };
}

// OpenSSL's verification results (X509_V_ERR_*, as Node names them) by what they mean to a user.
const UNKNOWN_CA = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
]);
// Record-layer failures that mean the bytes were not TLS at all (a plain-text server, an HTTP request).
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_UNKNOWN_PROTOCOL', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_HTTPS_PROXY_REQUEST', 'ERR_SSL_RECORD_LAYER_FAILURE']);

/** The code and the sentence for a user of one handshake failure. */
function classify(code: string | undefined, message: string, where: string, side: 'client' | 'server'): { code: TcpErrorCode; message: string } {
  if (code !== undefined && UNKNOWN_CA.has(code)) {
    return { code: 'ERR_TLS_UNKNOWN_CA', message: `the certificate of ${where} is not signed by a CA this client trusts (${message}); pass the server's CA certificate (--tls-ca FILE) or pin its fingerprint` };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    return { code: 'ERR_TLS_NAME_MISMATCH', message: `the certificate of ${where} is not valid for that name (${message}); connect by a name it carries or set the expected name (--tls-servername NAME)` };
  }
  if (code === 'CERT_HAS_EXPIRED') return { code: 'ERR_TLS_CERT_EXPIRED', message: `the certificate of ${where} has expired` };
  if (code === 'CERT_NOT_YET_VALID') return { code: 'ERR_TLS_CERT_NOT_YET_VALID', message: `the certificate of ${where} is not valid yet (check both clocks)` };
  if (code !== undefined && NOT_TLS.has(code)) {
    return side === 'client'
      ? { code: 'ERR_TLS_NOT_TLS', message: `${where} does not speak TLS (it answered in plain text; drop --tls or check the port)` }
      : { code: 'ERR_TLS_NOT_TLS', message: `${where} does not speak TLS (plain text on the TLS port)` };
  }
  if (code === 'ECONNRESET' || /socket disconnected before secure TLS connection/i.test(message)) {
    return { code: 'ERR_TLS_HANDSHAKE', message: `${where} closed the connection during the TLS handshake (a plain-text ${side === 'client' ? 'server' : 'client'}, or it refused our certificate or version)` };
  }
  return { code: 'ERR_TLS_HANDSHAKE', message: `TLS handshake with ${where} failed: ${message}` };
}

/** Turns a handshake failure reported by `node:tls` into a `TcpError` (`reason: 'open'`). */
export function fromTlsError(error: unknown, where: string, side: 'client' | 'server'): TcpError {
  if (error instanceof TcpError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const classified = classify(typeof code === 'string' ? code : undefined, message, where, side);
  return new TcpError(classified.code, classified.message, { reason: 'open', cause: error, details: { tlsCode: code } });
}

/** The `node:tls` connect options for a client's `tls` option (verification is done after the handshake when pinning). */
export function clientConnectOptions(options: TcpClientTlsOptions, host: string): {
  readonly ca?: (string | Buffer)[];
  readonly servername?: string;
  readonly rejectUnauthorized: boolean;
  readonly minVersion: TlsVersion;
  readonly checkServerIdentity: (hostname: string, cert: PeerCertificate) => Error | undefined;
} {
  const ca = options.ca === undefined ? undefined : (Array.isArray(options.ca) ? (options.ca as readonly Pem[]) : [options.ca as Pem]).map(toBuffer);
  const name = options.servername ?? host;
  // SNI carries host names only (RFC 6066 §3); for an IP address the check uses the IP SANs.
  const servername = /^[\d.]+$|:/.test(name) ? undefined : name;
  const pinned = options.fingerprint256 !== undefined || options.insecure === true;
  return {
    ...(ca === undefined ? {} : { ca }),
    ...(servername === undefined ? {} : { servername }),
    rejectUnauthorized: !pinned,
    minVersion: options.minVersion ?? DEFAULT_TLS_MIN_VERSION,
    // The name is checked against the requested name even when it is an IP address (no SNI).
    checkServerIdentity: (_hostname: string, cert: PeerCertificate) => checkServerIdentity(name, cert),
  };
}

/**
 * After the handshake, for a pinned client: compares the peer certificate's fingerprint with the
 * pin (Node checked nothing, `rejectUnauthorized` is off). Returns the failure, or undefined when
 * the peer is accepted (always, for `insecure` without a pin).
 */
export function checkPeer(socket: TLSSocket, options: TcpClientTlsOptions, where: string): TcpError | undefined {
  if (options.fingerprint256 === undefined) return undefined;
  const expected = normalizeFingerprint(options.fingerprint256);
  const peer: PeerCertificate = socket.getPeerCertificate();
  const actual = typeof peer.fingerprint256 === 'string' ? peer.fingerprint256 : '';
  if (actual === expected) return undefined;
  return new TcpError('ERR_TLS_FINGERPRINT_MISMATCH', `the certificate of ${where} has fingerprint ${actual === '' ? '(none)' : actual}, not the pinned ${expected}`, {
    reason: 'open',
    details: { expected, actual },
  });
}
