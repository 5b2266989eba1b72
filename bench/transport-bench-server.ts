/**
 * Child process of the transport benchmarks: one echo server, ours or bare, reporting its port
 * and, on request, its memory over IPC. Run through `fork` by transport-tcp.bench.ts and
 * transport-udp.bench.ts; not a benchmark itself.
 *
 * Modes: tcp-ours (createTcpServer + line codec + echo service), tcp-bare (node:net loop that
 * turns each complete line of a received chunk into a string, echoes it, and writes all the
 * replies of the chunk with one write), udp-ours (createUdpServer +
 * text datagram codec + echo service, per-peer sessions), udp-bare (node:dgram echo that
 * decodes each datagram to a string and encodes the reply).
 *
 * Messages from the parent: `{ type: 'memory' }` (answered after two GCs) and `{ type: 'cpu' }`
 * (the process's user + system CPU time so far, in µs).
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { createDatagramCodec, createLineCodec, createTextCodec } from '@netlab/codec';
import type { Service, Session } from '@netlab/service';
import { createTcpServer } from '@netlab/transport-tcp';
import { createUdpServer } from '@netlab/transport-udp';

// Echo keeps no state per connection, so every connection shares one session object (a fresh
// object literal per session would also cost a closure, and under tsx's keepNames a dictionary
// of properties: about 300 bytes per idle connection that belong to the service, not the transport).
const echoSession: Session<string, string> = { receive: (message) => [message] };
const echo: Service<string, string> = { name: 'echo', open: () => echoSession };
const mode = process.argv[2];

function send(message: unknown): void {
  process.send?.(message);
}

async function start(): Promise<number> {
  switch (mode) {
    case 'tcp-ours': {
      const server = createTcpServer({ codec: createLineCodec(), service: echo, maxConnections: 100_000, idleTimeoutMs: 600_000 });
      return (await server.listen()).port;
    }
    case 'tcp-bare': {
      const server = createServer({ noDelay: true }, (socket) => {
        let carry: Buffer | undefined;
        socket.on('data', (chunk: Buffer) => {
          const data = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
          const end = data.lastIndexOf(0x0a);
          if (end === -1) {
            carry = data;
            return;
          }
          // Handle each line as a message (decode, reply, encode), then one write per chunk.
          const replies: string[] = [];
          let start = 0;
          for (let at = data.indexOf(0x0a); at !== -1 && at <= end; at = data.indexOf(0x0a, start)) {
            const lineEnd = at > start && data[at - 1] === 0x0d ? at - 1 : at;
            replies.push(data.toString('utf8', start, lineEnd));
            start = at + 1;
          }
          replies.push('');
          socket.write(replies.join('\n'));
          carry = end + 1 < data.length ? data.subarray(end + 1) : undefined;
        });
        socket.on('error', () => undefined);
      });
      server.maxConnections = 100_000;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      return typeof address === 'object' && address !== null ? address.port : 0;
    }
    case 'udp-ours': {
      const server = createUdpServer({ codec: createDatagramCodec(createTextCodec()), service: echo });
      return (await server.listen()).port;
    }
    case 'udp-bare': {
      const socket = createSocket('udp4');
      socket.on('message', (datagram, rinfo) => {
        // Handle the datagram as a message (decode to a string, encode the reply), as a real service would.
        socket.send(Buffer.from(datagram.toString('utf8')), rinfo.port, rinfo.address);
      });
      await new Promise<void>((resolve) => {
        socket.bind(0, '127.0.0.1', resolve);
      });
      return socket.address().port;
    }
    default:
      throw new Error(`unknown mode ${String(mode)}`);
  }
}

process.on('message', (message: { type?: string }) => {
  if (message.type === 'memory') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    const usage = process.memoryUsage();
    send({ type: 'memory', rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers });
  } else if (message.type === 'cpu') {
    // CPU time the server process has used (user + system, µs): per message, far less sensitive
    // to other work on a shared machine than a rate is.
    const usage = process.cpuUsage();
    send({ type: 'cpu', micros: usage.user + usage.system });
  }
});
send({ type: 'ready', port: await start() });
// Exit through process.exit so that `--cpu-prof` (when profiling the server) writes its profile.
process.on('SIGTERM', () => process.exit(0));
