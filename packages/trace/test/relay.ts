/**
 * Test helpers that produce real traces from real sockets on loopback: a tiny TCP relay and a
 * tiny UDP relay that sit between a client and one of netlab's real servers (started in-process
 * from their packages) and record what passes through them with the recorder API, exactly as the
 * fault proxy will once the lead wires it: role `proxy`, one flow per leg (`side: client` and
 * `side: server`), and a fault record for each decision they make (a slice of the stream, a
 * dropped datagram). The decisions are deterministic (by byte offset or datagram number).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { createDatagramCodec, createLineCodec, createTextCodec } from '@netlab/codec';
import { createDatetimeService } from '@netlab/service-datetime';
import { createEchoService } from '@netlab/service-text';
import { createTcpServer } from '@netlab/transport-tcp';
import { createUdpServer } from '@netlab/transport-udp';
import { type TraceRecord, type Tracer, createTraceWriter, createTracer, parseTrace } from '../src/index.js';

export const SEED = 7;

export interface MemoryTracer {
  readonly tracer: Tracer;
  readonly records: () => TraceRecord[];
  readonly text: () => string;
  /** Resolves once `count` records satisfy `test` (checked on every line written); rejects after `timeoutMs`. */
  readonly waitFor: (test: (record: TraceRecord) => boolean, count: number, timeoutMs?: number) => Promise<void>;
}

/** A tracer whose lines are kept in memory, and a way to read them back as records. */
export function memoryTracer(label = 'proxy', role: 'proxy' | 'client' | 'server' = 'proxy'): MemoryTracer {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const writer = createTraceWriter({
    write: (text: string) => {
      lines.push(text);
      for (const check of waiters) check();
      return true;
    },
  });
  const records = (): TraceRecord[] => parseTrace(lines.join(''));
  return {
    tracer: createTracer(writer, { role, label }),
    records,
    text: () => lines.join(''),
    waitFor: (test, count, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (records().filter(test).length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`trace did not reach ${count} matching records within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

export interface Running {
  readonly port: number;
  close(): Promise<void>;
}

/** netlab's echo server (service-text over transport-tcp), in this process. */
export async function startEchoServer(host = '127.0.0.1'): Promise<Running> {
  const server = createTcpServer({ codec: createLineCodec(), service: createEchoService(), host, port: 0 });
  const { port } = await server.listen();
  return { port, close: () => server.close({ graceMs: 100 }) };
}

/** netlab's udp-datetime server (service-datetime over transport-udp, UTC), in this process. */
export async function startDatetimeServer(host = '127.0.0.1'): Promise<Running> {
  const server = createUdpServer({
    codec: createDatagramCodec(createTextCodec({ stripTrailingNewline: true })),
    service: createDatetimeService({ utc: true }),
    host,
    port: 0,
    sessions: 'per-datagram',
  });
  const { port } = await server.listen();
  return { port, close: () => server.close({ graceMs: 100 }) };
}

const endpoint = (addr: string | undefined, port: number | undefined): { addr: string; port: number } => ({ addr: addr ?? '127.0.0.1', port: port ?? 0 });

export interface TcpRelayOptions {
  readonly upstreamPort: number;
  readonly tracer: Tracer;
  readonly host?: string;
  /** Cut every client chunk longer than this at this byte offset into two writes (a `slice` fault). */
  readonly sliceAt?: number;
}

/** A TCP relay that records both legs of every connection. */
export async function startTcpRelay(options: TcpRelayOptions): Promise<Running> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((client) => {
    connections += 1;
    const id = String(connections);
    sockets.add(client);
    client.pause();
    const clientFlow = options.tracer.flow({
      transport: 'tcp',
      side: 'client',
      id,
      local: endpoint(client.localAddress, client.localPort),
      remote: endpoint(client.remoteAddress, client.remotePort),
      initiator: 'remote',
    });
    clientFlow.open();
    const upstream = net.connect(options.upstreamPort, host);
    sockets.add(upstream);
    let serverFlow: ReturnType<Tracer['flow']> | undefined;
    let closed = 0;
    const closedOne = (): void => {
      closed += 1;
      if (closed === 2) {
        clientFlow.close();
        serverFlow?.close();
      }
    };
    upstream.on('connect', () => {
      serverFlow = options.tracer.flow({
        transport: 'tcp',
        side: 'server',
        id,
        local: endpoint(upstream.localAddress, upstream.localPort),
        remote: endpoint(upstream.remoteAddress, upstream.remotePort),
        initiator: 'local',
      });
      serverFlow.open();
      client.resume();
    });
    client.on('data', (chunk: Buffer) => {
      clientFlow.data('in', chunk);
      const at = options.sliceAt;
      const parts = at !== undefined && chunk.length > at ? [chunk.subarray(0, at), chunk.subarray(at)] : [chunk];
      if (parts.length === 2) clientFlow.fault('in', { action: 'slice', toxic: 'slicer', seed: SEED, offset: at ?? 0, bytesAffected: chunk.length });
      for (const part of parts) {
        serverFlow?.data('out', part);
        upstream.write(part);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      serverFlow?.data('in', chunk);
      clientFlow.data('out', chunk);
      client.write(chunk);
    });
    client.on('end', () => {
      clientFlow.end('in');
      serverFlow?.end('out');
      upstream.end();
    });
    upstream.on('end', () => {
      serverFlow?.end('in');
      clientFlow.end('out');
      client.end();
    });
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        closedOne();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => { resolve(); });
      }),
  };
}

export interface UdpRelayOptions {
  readonly upstreamPort: number;
  readonly tracer: Tracer;
  readonly host?: string;
  /** Client→server datagram numbers (1-based, per client) to drop, as a `loss` fault. */
  readonly dropUp?: readonly number[];
}

/** A UDP relay that records both legs for every client address. */
export async function startUdpRelay(options: UdpRelayOptions): Promise<Running> {
  const host = options.host ?? '127.0.0.1';
  const family = host.includes(':') ? 'udp6' : 'udp4';
  const front = dgram.createSocket(family);
  const clients = new Map<string, dgram.Socket>();
  const forwarders = new Map<string, (datagram: Buffer) => void>();
  let count = 0;
  front.on('message', (message, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let forwarder = forwarders.get(key);
    if (forwarder === undefined) {
      count += 1;
      const id = String(count);
      const socket = dgram.createSocket(family);
      socket.bind(0, host); // sends below wait for the bind, so the recorded address is the real one
      clients.set(key, socket);
      const address = front.address();
      const clientFlow = options.tracer.flow({ transport: 'udp', side: 'client', id, local: endpoint(address.address, address.port), remote: endpoint(rinfo.address, rinfo.port), initiator: 'remote' });
      let serverFlow: ReturnType<Tracer['flow']> | undefined;
      let up = 0;
      const forward = (datagram: Buffer): void => {
        up += 1;
        clientFlow.data('in', datagram);
        if (options.dropUp?.includes(up) === true) {
          clientFlow.fault('in', { action: 'drop', toxic: 'loss', seed: SEED, datagram: up, bytesAffected: datagram.length });
          return;
        }
        socket.send(datagram, options.upstreamPort, host, () => {
          const local = socket.address();
          serverFlow ??= options.tracer.flow({ transport: 'udp', side: 'server', id, local: endpoint(local.address, local.port), remote: endpoint(host, options.upstreamPort), initiator: 'local' });
          serverFlow.data('out', datagram);
        });
      };
      socket.on('message', (reply) => {
        serverFlow?.data('in', reply);
        clientFlow.data('out', reply);
        front.send(reply, rinfo.port, rinfo.address);
      });
      forwarder = forward;
      forwarders.set(key, forward);
    }
    forwarder(message);
  });
  await new Promise<void>((resolve) => front.bind(0, host, resolve));
  return {
    port: front.address().port,
    close: async () => {
      for (const socket of clients.values()) await new Promise<void>((resolve) => socket.close(() => { resolve(); }));
      await new Promise<void>((resolve) => front.close(() => { resolve(); }));
    },
  };
}

/** Sends `lines` over TCP one at a time, each after the previous reply; resolves with everything received once the server closes. */
export function tcpConversation(port: number, lines: readonly string[], host = '127.0.0.1', timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    let received = '';
    let next = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(received)}`));
    }, timeoutMs);
    const send = (): void => {
      const line = lines[next];
      next += 1;
      if (line !== undefined) socket.write(line);
    };
    socket.on('connect', send);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (received.endsWith('\n')) send();
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

/**
 * Sends each request as a datagram and waits for its reply; a request with no reply within
 * `retransmitMs` is sent again (the lab client's retry), up to `retries` times.
 */
export async function udpRequests(port: number, requests: readonly string[], options: { host?: string; retransmitMs?: number; retries?: number } = {}): Promise<string[]> {
  const host = options.host ?? '127.0.0.1';
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  const replies: string[] = [];
  try {
    for (const request of requests) {
      let reply: string | undefined;
      for (let attempt = 0; attempt <= (options.retries ?? 3) && reply === undefined; attempt += 1) {
        reply = await new Promise<string | undefined>((resolve) => {
          const timer = setTimeout(() => {
            socket.off('message', onMessage);
            resolve(undefined);
          }, options.retransmitMs ?? 300);
          const onMessage = (message: Buffer): void => {
            clearTimeout(timer);
            socket.off('message', onMessage);
            resolve(message.toString('utf8'));
          };
          socket.on('message', onMessage);
          socket.send(request, port, host);
        });
      }
      if (reply === undefined) throw new Error(`no reply to ${request}`);
      replies.push(reply);
    }
  } finally {
    await new Promise<void>((resolve) => socket.close(() => { resolve(); }));
  }
  return replies;
}

/** `tcpConversation`, recorded by the client itself (role `client`), as netlab's clients will once wired. */
export function tracedTcpConversation(port: number, lines: readonly string[], tracer: Tracer, host = '127.0.0.1', timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    let flow: ReturnType<Tracer['flow']> | undefined;
    let received = '';
    let next = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(received)}`));
    }, timeoutMs);
    const send = (): void => {
      const line = lines[next];
      next += 1;
      if (line === undefined) return;
      flow?.data('out', Buffer.from(line));
      socket.write(line);
    };
    socket.on('connect', () => {
      flow = tracer.flow({ transport: 'tcp', local: endpoint(socket.localAddress, socket.localPort), remote: endpoint(socket.remoteAddress, socket.remotePort), initiator: 'local' });
      flow.open();
      send();
    });
    socket.on('data', (chunk: Buffer) => {
      flow?.data('in', chunk);
      received += chunk.toString('utf8');
      if (received.endsWith('\n')) send();
    });
    socket.on('end', () => {
      flow?.end('in');
      flow?.end('out'); // allowHalfOpen is off: the socket ends its side at once
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      flow?.close();
      clearTimeout(timer);
      resolve(received);
    });
  });
}
