import type { CloseReason, Peer, Service, Session } from '@netlab/service';
import { WebSocket } from 'ws';

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

export interface Recorded {
  readonly opened: Peer[];
  readonly closes: CloseReason[];
  /** Resolves with the close reason of the next session that ends. */
  nextClose(): Promise<CloseReason>;
}

/**
 * An echo service for tests: `close` replies then closes, `flood:<n>:<bytes>` sends n messages of
 * that size, anything else is echoed; rejected input is answered `ERR <code>`.
 */
export function testService(greeting?: string): Service<string, string> & Recorded {
  const opened: Peer[] = [];
  const closes: CloseReason[] = [];
  let waiters: ((reason: CloseReason) => void)[] = [];
  return {
    name: 'ws-test',
    opened,
    closes,
    nextClose: () =>
      new Promise((resolve) => {
        waiters.push(resolve);
      }),
    open(peer, ctx): Session<string, string> {
      opened.push(peer);
      if (greeting !== undefined) ctx.send(greeting);
      return {
        receive(message) {
          if (message === 'close') {
            ctx.close('asked to');
            return ['bye'];
          }
          if (message.startsWith('flood:')) {
            const [, count, size] = message.split(':');
            const line = 'f'.repeat(Number(size));
            for (let i = 0; i < Number(count); i++) if (!ctx.send(line)) break;
            return [];
          }
          return [message];
        },
        close(reason) {
          closes.push(reason);
          const current = waiters;
          waiters = [];
          for (const waiter of current) waiter(reason);
        },
      };
    },
    malformed(error) {
      return [`ERR ${error.code ?? 'unknown'}`];
    },
  };
}

/** A bare ws client that records every message and the close frame. */
export interface RawWs {
  readonly ws: WebSocket;
  readonly messages: string[];
  /** Resolves with the next message (or one already received and not yet taken). */
  next(): Promise<string>;
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>;
}

export function rawWs(url: string, headers?: Record<string, string>): Promise<RawWs> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, headers === undefined ? {} : { headers });
    const messages: string[] = [];
    let taken = 0;
    let wake: (() => void) | undefined;
    ws.on('message', (data: Buffer) => {
      messages.push(data.toString('utf8'));
      wake?.();
    });
    const closed = new Promise<{ code: number; reason: string }>((done) => {
      ws.on('close', (code: number, reason: Buffer) => {
        done({ code, reason: reason.toString('utf8') });
      });
    });
    const next = async (): Promise<string> => {
      while (taken >= messages.length) {
        await new Promise<void>((done) => {
          wake = done;
        });
      }
      return messages[taken++]!;
    };
    ws.on('error', () => undefined);
    ws.once('open', () => {
      resolve({ ws, messages, next, closed });
    });
    ws.once('unexpected-response', (_request, response) => {
      reject(new Error(`HTTP ${String(response.statusCode)}`));
    });
    ws.once('error', reject);
  });
}
