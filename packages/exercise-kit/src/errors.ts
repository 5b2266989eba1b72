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

/** Maps a failure to bind a server to `cannot listen on tcp://HOST:PORT: …` (`ERR_LISTEN`). */
export function toListenError(error: unknown, transport: 'tcp' | 'udp', host: string, port: number): unknown {
  // One vocabulary: both transports say ERR_LISTEN (UDP said ERR_BIND before 2026-12).
  if (isTcpError(error, 'ERR_LISTEN') || isUdpError(error, 'ERR_LISTEN') || isUdpError(error, 'ERR_INVALID_OPTION') || isTcpError(error, 'ERR_INVALID_OPTION')) {
    const errno = (error.cause as { code?: unknown } | undefined)?.code;
    const detail = typeof errno === 'string' ? errno : error.message;
    return new CliError('ERR_LISTEN', `cannot listen on ${formatUrl(transport, host, port)}: ${detail}`, { cause: error });
  }
  return error;
}
