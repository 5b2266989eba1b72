import { type Socket, createSocket } from 'node:dgram';
import type { CloseReason, Peer, Service, Session } from '@netlab/service';

export function within<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} did not finish within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

export async function until(predicate: () => boolean, ms: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await sleep(10);
  }
}

/**
 * Echo with test commands: `slow:<ms>`, `slow-once:<ms>` (slow the first time, at once after),
 * `hang`, `count`, `close`, `drop-first` (ignores its first datagram).
 */
export function testService(withMalformed = true): Service<string, string> & { opened: Peer[]; closes: CloseReason[] } {
  const opened: Peer[] = [];
  const closes: CloseReason[] = [];
  let dropped = false;
  let slowedOnce = false;
  const service: Service<string, string> & { opened: Peer[]; closes: CloseReason[] } = {
    name: 'udp-test-echo',
    opened,
    closes,
    open(peer, ctx): Session<string, string> {
      opened.push(peer);
      let seen = 0;
      return {
        receive(message) {
          seen += 1;
          if (message.startsWith('slow:')) return sleep(Number(message.slice(5))).then(() => [message]);
          if (message.startsWith('slow-once:')) {
            if (slowedOnce) return [message];
            slowedOnce = true;
            return sleep(Number(message.slice(10))).then(() => [message]);
          }
          if (message === 'hang') return new Promise<readonly string[]>(() => undefined);
          if (message === 'count') return [String(seen)];
          if (message === 'close') {
            ctx.close('asked to');
            return ['bye'];
          }
          if (message === 'drop-first' && !dropped) {
            dropped = true;
            return [];
          }
          return [message];
        },
        close(reason) {
          closes.push(reason);
        },
      };
    },
  };
  if (withMalformed) service.malformed = (error) => [`ERR ${error.code ?? 'unknown'}`];
  return service;
}

/** A raw dgram socket that records every datagram it receives. */
export async function rawUdp(type: 'udp4' | 'udp6' = 'udp4'): Promise<{ socket: Socket; received: string[] }> {
  const socket = createSocket(type);
  const received: string[] = [];
  socket.on('message', (datagram) => received.push(datagram.toString('utf8')));
  await new Promise<void>((resolve) => {
    socket.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', resolve);
  });
  return { socket, received };
}
