/**
 * The TLS flags of every TCP server and client, parsed once here:
 *
 *   server  --tls self-signed                       a fresh certificate for this run
 *           --tls --tls-cert FILE --tls-key FILE     a certificate and key from PEM files
 *                                                    (--tls-cert/--tls-key alone imply --tls)
 *   client  --tls                                    verify against Node's bundled root CAs
 *           --tls-ca FILE                            trust this CA (or this self-signed certificate)
 *           --tls-servername NAME                    the name the certificate must carry
 *           --tls-fingerprint SHA256                 pin one certificate (what the server printed)
 *           --tls-insecure                           check nothing (says so on stderr)
 *                                                    (any --tls-* flag implies --tls)
 *
 * A server's startup line then ends with ` (TLS, certificate SHA-256 AB:CD:…)`, so a client can
 * pin what it is shown. Bad combinations are `ERR_USAGE`; a file that cannot be read is
 * `ERR_USAGE` naming the file; a file that is not a certificate or key is the transport's
 * `ERR_TLS_CONFIG`.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { CliError, type Command } from '@netlab/cli-kit';
import {
  DEFAULT_CERTIFICATE_NAMES,
  TcpError,
  type TcpClientTlsOptions,
  type TcpServerTlsOptions,
  certificateFingerprint,
  createSelfSignedCertificate,
  normalizeFingerprint,
} from '@netlab/transport-tcp';

/** A server's TLS flags as commander parses them. */
export interface ServerTlsFlags {
  /** `--tls` (true) or `--tls self-signed`. */
  readonly tls?: boolean | string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
}

/** A client's TLS flags as commander parses them. */
export interface ClientTlsFlags {
  readonly tls?: boolean;
  readonly tlsCa?: string;
  readonly tlsServername?: string;
  readonly tlsFingerprint?: string;
  readonly tlsInsecure?: boolean;
}

/** What a server serves, and how its startup line describes it. */
export interface ResolvedServerTls {
  readonly options: TcpServerTlsOptions;
  readonly fingerprint256: string;
  readonly selfSigned: boolean;
}

/** Adds `--tls [self-signed]`, `--tls-cert FILE` and `--tls-key FILE` to a TCP server command. */
export function addServerTlsOptions(command: Command): Command {
  return command
    .option('--tls [self-signed]', 'serve TLS: with --tls-cert/--tls-key, or "self-signed" for a certificate made for this run (its SHA-256 fingerprint is on the startup line)')
    .option('--tls-cert <file>', 'TLS certificate chain (PEM, leaf first); implies --tls')
    .option('--tls-key <file>', 'private key of the TLS certificate (PEM); implies --tls');
}

/** Adds `--tls`, `--tls-ca FILE`, `--tls-servername NAME`, `--tls-fingerprint SHA256` and `--tls-insecure` to a TCP client command. */
export function addClientTlsOptions(command: Command): Command {
  return command
    .option('--tls', "speak TLS and verify the server's certificate (Node's root CAs, or --tls-ca)")
    .option('--tls-ca <file>', 'trust this CA certificate (PEM), e.g. the certificate of a self-signed server; implies --tls')
    .option('--tls-servername <name>', 'name the certificate must carry (default: --host); implies --tls')
    .option('--tls-fingerprint <sha256>', "accept exactly the certificate with this SHA-256 fingerprint (as the server prints it), no CA or name check; implies --tls")
    .option('--tls-insecure', 'accept any certificate: encrypted, but not authenticated (labs only); implies --tls');
}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(code);
    throw new CliError('ERR_USAGE', `cannot read ${flag} ${file}: ${why}`, { cause: error });
  }
}

/** Loopback, the address listened on (when it is one address) and this machine's name. */
function selfSignedNames(host: string): string[] {
  const names = [...DEFAULT_CERTIFICATE_NAMES];
  const wildcard = host === '0.0.0.0' || host === '::';
  if (!wildcard && !names.includes(host) && (isIP(host) !== 0 || /^[A-Za-z0-9.-]+$/.test(host))) names.push(host);
  const machine = hostname();
  if (/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(machine) && !names.includes(machine)) names.push(machine);
  return names;
}

/**
 * The server's TLS from its flags, or undefined without `--tls`. `host` is the address listened
 * on: a self-signed certificate names it besides the loopback names and the machine's name.
 */
export function resolveServerTls(flags: ServerTlsFlags, host: string): ResolvedServerTls | undefined {
  const { tls, tlsCert, tlsKey } = flags;
  if (tls === undefined && tlsCert === undefined && tlsKey === undefined) return undefined;
  if (typeof tls === 'string' && tls !== 'self-signed') {
    throw new CliError('ERR_USAGE', `invalid --tls "${tls}": use --tls self-signed, or --tls with --tls-cert FILE and --tls-key FILE`);
  }
  if (tls === 'self-signed') {
    if (tlsCert !== undefined || tlsKey !== undefined) throw new CliError('ERR_USAGE', '--tls self-signed makes its own certificate: drop --tls-cert/--tls-key, or drop "self-signed"');
    const made = createSelfSignedCertificate({ names: selfSignedNames(host) });
    return { options: { cert: made.cert, key: made.key }, fingerprint256: made.fingerprint256, selfSigned: true };
  }
  if (tlsCert === undefined || tlsKey === undefined) {
    throw new CliError('ERR_USAGE', '--tls needs --tls-cert FILE and --tls-key FILE, or --tls self-signed for a certificate made for this run');
  }
  const cert = readPem('--tls-cert', tlsCert);
  const key = readPem('--tls-key', tlsKey);
  let fingerprint256: string;
  try {
    fingerprint256 = certificateFingerprint(cert);
  } catch (error) {
    throw new TcpError('ERR_TLS_CONFIG', `--tls-cert ${tlsCert} is not a PEM certificate`, { reason: 'open', cause: error });
  }
  return { options: { cert, key }, fingerprint256, selfSigned: false };
}

/** The client's TLS from its flags, or undefined without any TLS flag; `warn` hears about `--tls-insecure`. */
export function resolveClientTls(flags: ClientTlsFlags, warn: (line: string) => void): TcpClientTlsOptions | undefined {
  const { tls, tlsCa, tlsServername, tlsFingerprint, tlsInsecure } = flags;
  if (tls !== true && tlsCa === undefined && tlsServername === undefined && tlsFingerprint === undefined && tlsInsecure !== true) return undefined;
  if (tlsInsecure === true && tlsFingerprint !== undefined) throw new CliError('ERR_USAGE', '--tls-insecure checks nothing and --tls-fingerprint checks one certificate: choose one');
  if (tlsCa !== undefined && tlsFingerprint !== undefined) throw new CliError('ERR_USAGE', '--tls-fingerprint skips the CA check, so --tls-ca would be ignored: choose one');
  let fingerprint256: string | undefined;
  if (tlsFingerprint !== undefined) {
    try {
      fingerprint256 = normalizeFingerprint(tlsFingerprint);
    } catch (error) {
      throw new CliError('ERR_USAGE', `invalid --tls-fingerprint: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
  if (tlsInsecure === true) warn("warning: --tls-insecure: the server's certificate is not checked; anyone in the path can read and change this session");
  return {
    ...(tlsCa === undefined ? {} : { ca: readPem('--tls-ca', tlsCa) }),
    ...(tlsServername === undefined ? {} : { servername: tlsServername }),
    ...(fingerprint256 === undefined ? {} : { fingerprint256 }),
    ...(tlsInsecure === true ? { insecure: true } : {}),
  };
}

/** ` (TLS, certificate SHA-256 …)` for the startup line. */
export function describeServerTls(tls: ResolvedServerTls): string {
  return ` (TLS, ${tls.selfSigned ? 'self-signed ' : ''}certificate SHA-256 ${tls.fingerprint256})`;
}
