/**
 * A raw TCP peer for interop tests: talks to a server the way `nc`, telnet or a classic lab
 * client does (bytes exactly as given, no framing of ours), and collects what comes back.
 * Every wait is bounded.
 */
import net from 'node:net';

export interface RawTcpPeer {
  /** Writes bytes or text exactly as given (no newline added). */
  write(data: string | Uint8Array): void;
  /** Everything received so far, as UTF-8 text. */
  text(): string;
  /** Resolves once the received text has at least `count` `\n`-terminated lines; rejects after `timeoutMs`. */
  waitForLines(count: number, timeoutMs?: number): Promise<string[]>;
  /** Half-closes our side (FIN), like `nc -N` at end of input. */
  end(): void;
  /** Resolves when the server closed the connection; rejects after `timeoutMs`. */
  closed(timeoutMs?: number): Promise<void>;
  destroy(): void;
}

/** Connects to 127.0.0.1:`port` (or `host`). */
export function connectRawTcp(port: number, host = '127.0.0.1'): Promise<RawTcpPeer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    const chunks: Buffer[] = [];
    let isClosed = false;
    const waiters = new Set<() => void>();
    const wake = (): void => {
      for (const waiter of [...waiters]) waiter();
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      wake();
    });
    socket.on('close', () => {
      isClosed = true;
      wake();
    });
    socket.on('error', () => undefined);
    const text = (): string => Buffer.concat(chunks).toString('utf8');
    const until = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
      new Promise((done, fail) => {
        const test = (): void => {
          const value = check();
          if (value !== undefined) {
            waiters.delete(test);
            clearTimeout(timer);
            done(value);
          } else if (isClosed && what !== 'close') {
            waiters.delete(test);
            clearTimeout(timer);
            fail(new Error(`connection closed while waiting for ${what}; received ${JSON.stringify(text())}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(test);
          fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${JSON.stringify(text())}`));
        }, timeoutMs);
        waiters.add(test);
        test();
      });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve({
        write: (data) => socket.write(data),
        text,
        waitForLines: (count, timeoutMs = 5000) =>
          until(
            () => {
              const lines = text().split('\n');
              return lines.length - 1 >= count ? lines.slice(0, count) : undefined;
            },
            timeoutMs,
            `${count} lines`,
          ),
        end: () => socket.end(),
        closed: (timeoutMs = 5000) => until(() => (isClosed ? true : undefined), timeoutMs, 'close').then(() => undefined),
        destroy: () => socket.destroy(),
      });
    });
    socket.once('error', reject);
  });
}
