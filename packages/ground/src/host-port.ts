/**
 * Addresses as people read them. One default host for every server and client of netlab, and one
 * way to print an address, so logs, errors and startup lines agree.
 */

/** Default address for servers and clients: IPv4 loopback, so nothing is exposed by accident. */
export const DEFAULT_HOST = '127.0.0.1';

/** `127.0.0.1:5000`, `[::1]:5000` (an IPv6 address is bracketed, as in a URL). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
