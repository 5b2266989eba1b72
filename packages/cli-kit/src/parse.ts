import { isIP } from 'node:net';
import { DEFAULT_HOST, formatHostPort } from '@netlab/ground';
import { CliError } from './errors.js';

/** Parses a TCP/UDP port: an integer from 0 (any free port) to 65535. */
export function parsePort(value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535) {
    throw new CliError('ERR_USAGE', `invalid port "${value}": expected an integer from 0 to 65535`);
  }
  return port;
}

/** Parses a host: an IPv4/IPv6 literal (brackets allowed) or a hostname such as `localhost`. */
export function parseHost(value: string): string {
  const host = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (isIP(host) !== 0) return host;
  if (/^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host)) {
    return host;
  }
  throw new CliError('ERR_USAGE', `invalid host "${value}": expected an IP address or a hostname`);
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (host defaults to `defaultHost`). */
export function parseHostPort(value: string, defaultHost = DEFAULT_HOST): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(value);
  if (match === null) {
    throw new CliError('ERR_USAGE', `invalid address "${value}": expected HOST:PORT (IPv6 as [::1]:PORT)`);
  }
  const rawHost = match[1] ?? match[2] ?? '';
  return { host: rawHost === '' ? defaultHost : parseHost(rawHost), port: parsePort(match[3] ?? '') };
}

/** Parses an integer within [min, max]. */
export function parseInteger(value: string, name: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new CliError('ERR_USAGE', `invalid ${name} "${value}": expected an integer ${range}`);
  }
  return n;
}

/** Parses a probability: `0.2`, `20%`, within [0, 1]. */
export function parseProbability(value: string, name: string): number {
  const percent = value.endsWith('%');
  const text = percent ? value.slice(0, -1) : value;
  const n = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) / (percent ? 100 : 1) : Number.NaN;
  if (!(n >= 0 && n <= 1)) {
    throw new CliError('ERR_USAGE', `invalid ${name} "${value}": expected a probability from 0 to 1 (or 0% to 100%)`);
  }
  return n;
}

/** Formats `tcp://127.0.0.1:5000` or `udp://[::1]:5000`. */
export function formatUrl(transport: 'tcp' | 'udp' | 'ws', host: string, port: number): string {
  return `${transport}://${formatHostPort(host, port)}`;
}
