import { type Socket, connect, createServer } from 'node:net';
import type { CloseReason, Peer, Service, Session, SessionContext } from '@netlab/service';

/** Resolves with `promise`, or rejects after `ms` so no test waits forever. */
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

/** Polls `predicate` every 10 ms until true or `ms` elapses. */
export async function until(predicate: () => boolean, ms: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await sleep(10);
  }
}

export interface Recorded {
  readonly opened: Peer[];
  readonly closes: CloseReason[];
  readonly contexts: SessionContext<string>[];
}

/**
 * An echo service with a few commands for tests: `slow:<ms>` replies after a delay, `hang` never
 * replies, `close` replies then closes, `count` replies with the messages seen by this session,
 * `throw` throws, `repeat:<n>` replies with n `x`s.
 */
export function testService(greeting?: string): Service<string, string> & Recorded {
  const opened: Peer[] = [];
  const closes: CloseReason[] = [];
  const contexts: SessionContext<string>[] = [];
  return {
    name: 'test-echo',
    opened,
    closes,
    contexts,
    open(peer, ctx): Session<string, string> {
      opened.push(peer);
      contexts.push(ctx);
      if (greeting !== undefined) ctx.send(greeting);
      let seen = 0;
      return {
        receive(message) {
          seen += 1;
          if (message.startsWith('slow:')) {
            const ms = Number(message.slice(5));
            return sleep(ms).then(() => [message]);
          }
          if (message === 'hang') return new Promise<readonly string[]>(() => undefined);
          if (message === 'close') {
            ctx.close('asked to');
            return ['bye'];
          }
          if (message === 'count') return [String(seen)];
          if (message === 'throw') throw new Error('boom');
          if (message.startsWith('repeat:')) return ['x'.repeat(Number(message.slice(7)))];
          return [message];
        },
        close(reason) {
          closes.push(reason);
        },
      };
    },
    malformed(error) {
      return [`ERR ${error.code ?? 'unknown'}`];
    },
  };
}

/** A raw node:net client that collects every byte it receives. */
export interface RawClient {
  readonly socket: Socket;
  text(): string;
  closed: Promise<void>;
}

export function rawConnect(port: number, host = '127.0.0.1'): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    const closed = new Promise<void>((done) => {
      socket.on('close', () => {
        done();
      });
    });
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      resolve({ socket, text: () => received, closed });
    });
    socket.once('error', reject);
  });
}

/** A port with nothing listening on it (bound, then released). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
