/**
 * The instrumented servers of the client suites: netlab plays the server (and the network) on
 * 127.0.0.1:0, the case scripts every reply, and everything the client sent is recorded with
 * its arrival time. A TCP connection is handed to the script as a `TcpProbe` (the same bounded
 * line reader the server suites use); a UDP datagram comes with a `reply` function, and the
 * script decides to answer, drop or delay it. Both are closed when the case ends.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { BaseCaseContext, Endpoint } from '../case.js';
import { type TcpProbe, wrapSocket } from '../tcp-probe.js';
import { datagramText } from '../udp-probe.js';

/** What a client sent, as the server saw it. */
export interface Arrival {
  readonly text: string;
  /** ms since the server started. */
  readonly atMs: number;
}

export interface ScriptedTcpServer {
  readonly endpoint: Endpoint;
  /** Connections accepted so far. */
  connections(): number;
}

/** Starts a TCP server that runs `script` for every connection. Script errors close that connection. */
export async function startScriptedTcpServer(ctx: BaseCaseContext, script: (peer: TcpProbe, index: number) => Promise<void>): Promise<ScriptedTcpServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
    });
    const peer = wrapSocket(socket, { name: 'client', timeoutMs: ctx.ms(10_000) });
    script(peer, accepted++).catch(() => {
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ctx.defer(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  );
  return { endpoint: { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port }, connections: () => accepted };
}

export interface ScriptedUdpServer {
  readonly endpoint: Endpoint;
  /** Every datagram received, in order. */
  arrivals(): readonly Arrival[];
}

/** Starts a UDP server; `script` gets each datagram's text (one trailing newline dropped) and a `reply`. */
export async function startScriptedUdpServer(
  ctx: BaseCaseContext,
  script: (text: string, reply: (text: string, delayMs?: number) => void, index: number) => void,
): Promise<ScriptedUdpServer> {
  const socket = dgram.createSocket('udp4');
  const started = Date.now();
  const arrivals: Arrival[] = [];
  const timers = new Set<NodeJS.Timeout>();
  socket.on('message', (message, rinfo) => {
    const text = datagramText(message) ?? message.toString('latin1');
    arrivals.push({ text, atMs: Date.now() - started });
    const reply = (answer: string, delayMs = 0): void => {
      const send = (): void => {
        socket.send(answer, rinfo.port, rinfo.address);
      };
      if (delayMs <= 0) {
        send();
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, delayMs);
      timers.add(timer);
    };
    script(text, reply, arrivals.length - 1);
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  ctx.defer(
    () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        socket.close(() => {
          resolve();
        });
      }),
  );
  return { endpoint: { host: '127.0.0.1', port: socket.address().port }, arrivals: () => arrivals };
}
