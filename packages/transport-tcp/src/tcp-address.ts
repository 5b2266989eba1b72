/** Addresses as the TCP server and client report them. */

/** The address a server is bound to, or either end of a client connection. */
export interface TcpAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

/** A `TcpAddress` from a socket's address fields (undefined once the socket is gone). */
export function addressOf(host: string | undefined, port: number | undefined, family: string | undefined): TcpAddress {
  return { host: host ?? 'unknown', port: port ?? 0, family: family === 'IPv6' ? 'IPv6' : 'IPv4' };
}
