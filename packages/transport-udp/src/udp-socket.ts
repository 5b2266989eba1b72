/**
 * A datagram socket bound to an ephemeral port and connected (`connect(2)`) to one server: the
 * kernel then delivers only that server's datagrams and reports its "port unreachable" as
 * ECONNREFUSED. Shared by the retrying client and the plain peer.
 */
import { type Socket, createSocket } from 'node:dgram';
import { type WireFlow, type WireTap, startOnce, wireEndpoint } from '@netlab/ground';
import { fromSocketError } from './errors.js';

/** A wire-tap flow for a connected socket (the client's view: it sends first); undefined without a tap. */
export function datagramFlow(socket: Socket, tap: WireTap | undefined): WireFlow | undefined {
  if (tap === undefined) return undefined;
  const local = socket.address();
  const remote = socket.remoteAddress();
  return tap.flow({ transport: 'udp', local: wireEndpoint(local.address, local.port), remote: wireEndpoint(remote.address, remote.port), initiator: 'local' });
}

/** Resolves with the connected socket; rejects with `ERR_HOST_NOT_FOUND` or `ERR_SOCKET` (the socket is then closed). */
export async function connectDatagramSocket(host: string, port: number): Promise<Socket> {
  const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  try {
    await startOnce(socket, (done) => {
      socket.connect(port, host, done);
    });
  } catch (error) {
    socket.close();
    throw fromSocketError(error, host, port, 'open');
  }
  return socket;
}
