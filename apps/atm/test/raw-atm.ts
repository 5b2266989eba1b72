/**
 * A raw TCP connection to a real `atm server` process, written from docs/protocols/atm.md alone:
 * each envelope is JSON in a frame of a u32 big-endian length and the UTF-8 bytes; one reply frame
 * comes back per request, in order. It satisfies `@netlab/testing`'s `BankConnection`, so the
 * protocol-level `AtmTerminal` can drive the real server through it.
 */
import { connect, type Socket } from 'node:net';
import type { BankConnection, WireReply, WireRequest } from '@netlab/testing/compliance';

export interface RawConnection extends BankConnection {
  /** Writes bytes as they are (for malformed input). */
  write(bytes: Uint8Array): void;
  /** The next frame's JSON, parsed (rejects after `timeoutMs`, or when the connection closes). */
  nextFrame(timeoutMs?: number): Promise<unknown>;
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<void>;
  close(): void;
}

/** Opens a raw connection to `127.0.0.1:port`. */
export function connectRaw(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: '127.0.0.1', port });
    let buffer = Buffer.alloc(0);
    const frames: unknown[] = [];
    const waiting: { resolve: (frame: unknown) => void; reject: (error: Error) => void }[] = [];
    let ended = false;
    const closed = new Promise<void>((done) => {
      socket.once('close', () => {
        ended = true;
        for (const waiter of waiting.splice(0)) waiter.reject(new Error('the server closed the connection'));
        done();
      });
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (buffer.length < 4 + length) break;
        const frame: unknown = JSON.parse(buffer.subarray(4, 4 + length).toString('utf8'));
        buffer = buffer.subarray(4 + length);
        const waiter = waiting.shift();
        if (waiter === undefined) frames.push(frame);
        else waiter.resolve(frame);
      }
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      const nextFrame = (timeoutMs = 15_000): Promise<unknown> => {
        const ready = frames.shift();
        if (ready !== undefined) return Promise.resolve(ready);
        if (ended) return Promise.reject(new Error('the server closed the connection'));
        return new Promise((resolveFrame, rejectFrame) => {
          const timer = setTimeout(() => {
            rejectFrame(new Error(`no frame within ${timeoutMs} ms`));
          }, timeoutMs);
          waiting.push({
            resolve: (frame) => {
              clearTimeout(timer);
              resolveFrame(frame);
            },
            reject: (error) => {
              clearTimeout(timer);
              rejectFrame(error);
            },
          });
        });
      };
      const write = (bytes: Uint8Array): void => {
        socket.write(bytes);
      };
      resolve({
        write,
        nextFrame,
        closed,
        async send(envelope: WireRequest): Promise<readonly WireReply[]> {
          const json = Buffer.from(JSON.stringify(envelope), 'utf8');
          const header = Buffer.alloc(4);
          header.writeUInt32BE(json.length);
          write(Buffer.concat([header, json]));
          return [(await nextFrame()) as WireReply];
        },
        close() {
          socket.destroy();
        },
      });
    });
  });
}
