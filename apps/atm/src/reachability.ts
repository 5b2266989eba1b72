/**
 * Is the bank there? Asked once, before the first request (and, interactively, before the card
 * and PIN are asked for), so that a refused connection is reported at once, as every other
 * netlab client does, instead of after the request's whole retransmission budget.
 *
 * - TCP: a plain connect, closed at once (the server logs a connection with nothing in it).
 *   Refused or unreachable: `no server at …`. No answer within the wait: `no answer from …`.
 * - UDP: an empty datagram on a connected socket; the kernel reports ICMP port-unreachable as
 *   ECONNREFUSED within a round trip. The bank drops the empty datagram (it logs it as
 *   malformed). Silence proves nothing over UDP (a firewall may drop both ways), so silence
 *   counts as "there": the request's own retransmissions take over.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import net from 'node:net';

/** How long the UDP probe listens for a port-unreachable, ms. */
export const UDP_PROBE_WAIT_MS = 300;

export interface ProbeTarget {
  readonly transport: 'tcp' | 'udp';
  readonly host: string;
  readonly port: number;
}

/** `undefined` when the bank may be there; else why not, in one phrase. */
export async function probeBank(target: ProbeTarget, waitMs: number, where: string): Promise<string | undefined> {
  return target.transport === 'tcp' ? probeTcp(target, waitMs, where) : probeUdp(target, where);
}

const REFUSALS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

function probeTcp(target: ProbeTarget, waitMs: number, where: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(`no answer from ${where} within ${waitMs} ms (is the server running?)`);
    }, waitMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(REFUSALS.has(error.code ?? '') ? `no server at ${where} (${error.code === 'ECONNREFUSED' ? 'connection refused' : (error.code ?? 'unreachable')}; is the server running?)` : undefined);
    });
  });
}

function probeUdp(target: ProbeTarget, where: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (result: string | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(result);
    };
    const timer = setTimeout(() => {
      finish(undefined);
    }, UDP_PROBE_WAIT_MS);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      finish(REFUSALS.has(error.code ?? '') ? `no server at ${where} (port unreachable; is the server running?)` : undefined);
    });
    socket.on('message', () => undefined);
    socket.connect(target.port, target.host, () => {
      socket.send(Buffer.alloc(0), (error) => {
        if (error !== null) socket.emit('error', error);
      });
    });
  });
}
