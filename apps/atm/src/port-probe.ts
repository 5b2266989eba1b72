/**
 * Checks that the server's address can be bound before anything slow or stateful happens (the
 * store is opened, a bank key file created): a busy port is reported first, in one line, and
 * leaves nothing behind. Port 0 (any free port) needs no check. The real bind follows right after;
 * the window between the two is a few milliseconds, and losing it still gives the transport's own
 * one-line error.
 */
import dgram from 'node:dgram';
import { createServer, isIPv6 } from 'node:net';
import { CliError, formatUrl } from '@netlab/cli-kit';

function refused(transport: 'tcp' | 'udp', host: string, port: number, error: unknown): CliError {
  const code = (error as { code?: unknown }).code;
  const detail = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  const hint = code === 'EADDRINUSE' ? ` (port ${port} is in use: another server? --port 0 picks a free one)` : '';
  return new CliError('ERR_LISTEN', `cannot listen on ${formatUrl(transport, host, port)}: ${detail}${hint}`, { cause: error });
}

/** Resolves when `host:port` can be bound for `transport`; rejects with `ERR_LISTEN` otherwise. */
export function probeListen(transport: 'tcp' | 'udp', host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (transport === 'tcp') {
      const server = createServer();
      server.once('error', (error) => {
        reject(refused(transport, host, port, error));
      });
      server.listen({ host, port, exclusive: true }, () => {
        server.close(() => {
          resolve();
        });
      });
      return;
    }
    const socket = dgram.createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    socket.once('error', (error) => {
      socket.close();
      reject(refused(transport, host, port, error));
    });
    socket.bind(port, host, () => {
      socket.close(() => {
        resolve();
      });
    });
  });
}
