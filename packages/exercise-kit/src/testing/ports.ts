/** Ports for failure tests: one nothing listens on, and a UDP port that never answers. */
import dgram from 'node:dgram';
import net from 'node:net';

/** A loopback TCP port that was free a moment ago and has nothing listening (connections are refused). */
export async function closedTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  return port;
}

/** A loopback UDP port with nothing bound (datagrams draw ICMP port unreachable). */
export async function closedUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => { resolve(); }));
  return port;
}

/** A bound UDP socket that reads and never answers: requests to it time out. Close it when done. */
export async function silentUdpPort(): Promise<{ readonly port: number; received(): number; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  let received = 0;
  socket.on('message', () => (received += 1));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    received: () => received,
    close: () => new Promise<void>((resolve) => socket.close(() => { resolve(); })),
  };
}

/** Sends one datagram and resolves with the first reply, or undefined after `timeoutMs`. */
export async function udpExchange(port: number, payload: string | Uint8Array, timeoutMs = 3000): Promise<string | undefined> {
  const socket = dgram.createSocket('udp4');
  try {
    return await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => { resolve(undefined); }, timeoutMs);
      socket.on('message', (message) => {
        clearTimeout(timer);
        resolve(message.toString('utf8'));
      });
      socket.on('error', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      socket.send(payload, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}
