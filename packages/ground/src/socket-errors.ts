/**
 * One vocabulary for what goes wrong with sockets, shared by every netlab transport: the codes
 * below mean the same event over TCP and UDP, and the errno table turns Node's system errors into
 * them. Each transport keeps its own error class (`TcpError`, `UdpError`) and adds the codes only
 * it can raise; both build their socket errors from {@link describeSocketError}.
 */
import { formatHostPort } from './host-port.js';

/** The codes every transport uses for the events they share, with their meaning. */
export const TRANSPORT_ERROR_CODES = {
  /** Nothing listens at the address (TCP RST, or ICMP "port unreachable" over UDP). */
  ERR_CONNECTION_REFUSED: 'connection refused',
  /** The connection attempt did not complete in time. */
  ERR_CONNECT_TIMEOUT: 'connect timed out',
  /** No route to the host or network (EHOSTUNREACH, ENETUNREACH). */
  ERR_HOST_UNREACHABLE: 'host unreachable',
  /** The host name did not resolve (ENOTFOUND, EAI_AGAIN). */
  ERR_HOST_NOT_FOUND: 'host not found',
  /** The peer reset the connection (ECONNRESET) or the pipe broke (EPIPE). */
  ERR_CONNECTION_RESET: 'connection reset by peer',
  /** The client's connection or socket is closed (or closed while the operation was pending). */
  ERR_CONNECTION_CLOSED: 'connection closed',
  /** A request got no reply in time. */
  ERR_REQUEST_TIMEOUT: 'request timed out',
  /** More requests outstanding than `maxPendingRequests`. */
  ERR_TOO_MANY_PENDING: 'too many pending requests',
  /** The codec rejected the peer's bytes. */
  ERR_MALFORMED_INPUT: 'malformed input',
  /** A message could not be encoded (the codec refused it, or it does not fit). */
  ERR_ENCODE: 'cannot encode message',
  /** The service threw (a bug in the service, reported and contained to one session). */
  ERR_SESSION_FAILED: 'session failed',
  /** The address cannot be bound: in use, not allowed, not available (EADDRINUSE, EACCES, EADDRNOTAVAIL). */
  ERR_LISTEN: 'cannot listen',
  /** The server is closing or closed. */
  ERR_SERVER_CLOSED: 'server closed',
  /** Any other socket error (its errno is in `cause`). */
  ERR_SOCKET: 'socket error',
  /** A bad option value. */
  ERR_INVALID_OPTION: 'invalid option',
} as const;

export type TransportErrorCode = keyof typeof TRANSPORT_ERROR_CODES;

/** The errno → code table: every errno netlab gives its own code. Others are `ERR_SOCKET`. */
export const ERRNO_CODES: Readonly<Record<string, TransportErrorCode>> = {
  ECONNREFUSED: 'ERR_CONNECTION_REFUSED',
  ETIMEDOUT: 'ERR_CONNECT_TIMEOUT',
  EHOSTUNREACH: 'ERR_HOST_UNREACHABLE',
  ENETUNREACH: 'ERR_HOST_UNREACHABLE',
  ENOTFOUND: 'ERR_HOST_NOT_FOUND',
  EAI_AGAIN: 'ERR_HOST_NOT_FOUND',
  ECONNRESET: 'ERR_CONNECTION_RESET',
  EPIPE: 'ERR_CONNECTION_RESET',
  EADDRINUSE: 'ERR_LISTEN',
  EACCES: 'ERR_LISTEN',
  EADDRNOTAVAIL: 'ERR_LISTEN',
};

/** A socket error, described for a transport to wrap in its own error class. */
export interface SocketErrorDescription {
  readonly code: TransportErrorCode;
  /** For people: `no server at 127.0.0.1:5000 (connection refused)`. */
  readonly message: string;
  readonly details: { readonly host: string; readonly port: number; readonly errno: unknown };
}

/** The errno of a Node system error (`'ECONNREFUSED'`), or undefined. */
export function errnoOf(error: unknown): unknown {
  return (error as { code?: unknown } | null | undefined)?.code;
}

/**
 * Describes a Node socket error about `host:port` with a message naming the address. `transport`
 * words it: UDP has no connection, so a refusal is "port unreachable" and the address reads
 * `udp 127.0.0.1:5000`.
 */
export function describeSocketError(error: unknown, host: string, port: number, transport: 'tcp' | 'udp'): SocketErrorDescription {
  const errno = errnoOf(error);
  const code = typeof errno === 'string' ? (ERRNO_CODES[errno] ?? 'ERR_SOCKET') : 'ERR_SOCKET';
  const where = transport === 'udp' ? `udp ${formatHostPort(host, port)}` : formatHostPort(host, port);
  const detail = error instanceof Error ? error.message : String(error);
  const details = { host, port, errno };
  switch (code) {
    case 'ERR_CONNECTION_REFUSED':
      return { code, message: `no server at ${where} (${transport === 'udp' ? 'port unreachable' : 'connection refused'})`, details };
    case 'ERR_CONNECT_TIMEOUT':
      return { code, message: `no answer from ${where} (connect timed out)`, details };
    case 'ERR_HOST_UNREACHABLE':
      return { code, message: `cannot reach ${where} (${String(errno)})`, details };
    case 'ERR_HOST_NOT_FOUND':
      return { code, message: `cannot resolve host ${host}`, details };
    case 'ERR_CONNECTION_RESET':
      return { code, message: `connection to ${where} reset by peer`, details };
    case 'ERR_LISTEN':
      return { code, message: `cannot listen on ${where}: ${errno === 'EADDRINUSE' ? 'address in use' : detail}`, details };
    default:
      return { code: 'ERR_SOCKET', message: `socket error on ${where}: ${detail}`, details };
  }
}
