/** A loopback port that was free a moment ago, for starting a target on (`{port}`). */
import dgram from 'node:dgram';
import net from 'node:net';

/** Binds port 0 on `host` for `transport`, reads the port back and releases it. */
export async function freePort(transport: 'tcp' | 'udp', host = '127.0.0.1'): Promise<number> {
  if (transport === 'tcp') {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, resolve);
    });
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    return port;
  }
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, resolve);
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => { resolve(); }));
  return port;
}

/**
 * True when something on this machine holds `host:port` for `transport`: our own bind fails
 * with EADDRINUSE. This is the readiness probe for `--server-cmd`: it never opens a connection
 * the target would have to serve (a single-threaded lab server would count it as a client).
 */
export async function isPortTaken(transport: 'tcp' | 'udp', port: number, host = '127.0.0.1'): Promise<boolean> {
  const inUse = (error: NodeJS.ErrnoException): boolean => error.code === 'EADDRINUSE' || error.code === 'EACCES';
  if (transport === 'tcp') {
    const server = net.createServer();
    return new Promise<boolean>((resolve) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        resolve(inUse(error));
      });
      server.listen({ port, host, exclusive: true }, () => {
        server.close(() => {
          resolve(false);
        });
      });
    });
  }
  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  return new Promise<boolean>((resolve) => {
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close();
      resolve(inUse(error));
    });
    socket.bind(port, host, () => {
      socket.close(() => {
        resolve(false);
      });
    });
  });
}
