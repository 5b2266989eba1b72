/**
 * Every failure the exercise wiring reports is a `CliError` from `@netlab/cli-kit`, so `runCli`
 * prints it as one `error: …` line with a non-zero exit and no stack. This module turns the
 * transports' typed errors into those lines; the codes used are cli-kit's fixed table:
 *
 * | code          | when                                                          |
 * |---------------|---------------------------------------------------------------|
 * | `ERR_CONNECT` | refused (`no server at 127.0.0.1:7102`), unreachable, timeout |
 * | `ERR_LISTEN`  | the server cannot bind its address (in use, not allowed)      |
 * | `ERR_USAGE`   | a bad flag or value (port 0 for a client, a bad interval)     |
 * | `ERR_INPUT`   | piped input could not be read (over-long line, bad UTF-8)     |
 */
import { CliError, formatUrl } from '@netlab/cli-kit';
import { formatHostPort } from '@netlab/ground';
import { isTcpError } from '@netlab/transport-tcp';
import { isUdpError } from '@netlab/transport-udp';
import { isWsError } from '@netlab/transport-ws';

/** `127.0.0.1:7102`, `[::1]:7102`: the ground floor's one formatter, re-exported for the apps. */
export { formatHostPort };

/**
 * Maps an error from connecting to or talking with a server to a one-line `CliError`.
 * A refusal reads `no server at HOST:PORT`; other transport errors keep their message.
 * Anything that is not a transport error is returned unchanged.
 */
export function toClientError(error: unknown, host: string, port: number): unknown {
  const where = formatHostPort(host, port);
  if (isTcpError(error) || isUdpError(error)) {
    if (error.code === 'ERR_CONNECTION_REFUSED') return new CliError('ERR_CONNECT', `no server at ${where}`, { cause: error });
    const connectCodes: readonly string[] = ['ERR_CONNECT_TIMEOUT', 'ERR_HOST_UNREACHABLE', 'ERR_HOST_NOT_FOUND', 'ERR_CONNECTION_RESET', 'ERR_REQUEST_TIMEOUT'];
    if (connectCodes.includes(error.code)) return new CliError('ERR_CONNECT', error.message, { cause: error });
  }
  return error;
}

/** What a bind errno means, with what to do about it. */
function listenHint(errno: string, host: string, port: number): string {
  switch (errno) {
    case 'EADDRINUSE':
      return `port ${port} is in use (another server?); --port 0 picks a free one`;
    case 'EACCES':
      return `not allowed to use port ${port} (ports below 1024 need privileges); --port 0 picks a free one`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine (try 127.0.0.1 or ::1)`;
    default:
      return errno;
  }
}

/**
 * Maps a failure to bind a server to one line, `cannot listen on tcp://HOST:PORT: …`
 * (`ERR_LISTEN`), saying what the errno means: `port 7102 is in use (another server?); --port 0
 * picks a free one`.
 */
export function toListenError(error: unknown, transport: 'tcp' | 'udp' | 'ws', host: string, port: number): unknown {
  // One vocabulary: both transports say ERR_LISTEN (UDP said ERR_BIND before 2026-12).
  if (isTcpError(error, 'ERR_LISTEN') || isUdpError(error, 'ERR_LISTEN') || isUdpError(error, 'ERR_INVALID_OPTION') || isTcpError(error, 'ERR_INVALID_OPTION') || isWsError(error, 'ERR_LISTEN')) {
    const errno = (error.cause as { code?: unknown } | undefined)?.code;
    const detail = typeof errno === 'string' ? listenHint(errno, host, port) : error.message;
    return new CliError('ERR_LISTEN', `cannot listen on ${formatUrl(transport, host, port)}: ${detail}`, { cause: error });
  }
  return error;
}

/** The message of what went wrong underneath (`datagram of 60000 bytes exceeds …`), without the transport's "malformed … from <peer>" wrapper. */
export function innerMessage(error: Error): string {
  return error.cause instanceof Error ? error.cause.message : error.message;
}
