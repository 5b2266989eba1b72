/**
 * The page's chat member: each WebSocket of the page (token checked at the upgrade) becomes one
 * TCP connection to the chat server, line for line, so the browser is an ordinary member of the
 * room whether `netlab web` started the server or attached to one (`--chat HOST:PORT`). Text
 * frames in are written as lines; lines from the server go out as text frames. Either side
 * closing closes the other. Bounded: the WebSocket side has the transport's output cap (a page that
 * stops reading is dropped, "SendQ exceeded"), and one relayed line is capped by the chat's
 * framing limit.
 */
import { type Socket, connect } from 'node:net';
import { createLineCodec, isCodecError } from '@netlab/codec';
import { formatHostPort } from '@netlab/ground';
import type { Service } from '@netlab/service';

export interface RelayTarget {
  readonly host: string;
  readonly port: number;
}

/** Longest line relayed from the chat server: the chat's framing limit. */
export const RELAY_MAX_LINE_BYTES = 8192;

/** A service whose sessions are TCP connections to `target` (a line-protocol server). */
export function createChatRelay(target: RelayTarget): Service<string, string> {
  const codec = createLineCodec({ maxLineBytes: RELAY_MAX_LINE_BYTES });
  const where = formatHostPort(target.host, target.port);
  return {
    name: 'chat-relay',
    open(_peer, ctx) {
      const decoder = codec.createDecoder();
      const socket: Socket = connect({ host: target.host, port: target.port, noDelay: true });
      let connected = false;
      socket.on('connect', () => {
        connected = true;
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          decoder.pushEach(chunk, (line) => {
            ctx.send(line);
          });
        } catch (error) {
          if (!isCodecError(error)) throw error;
          ctx.send(`ERROR the chat server sent a line the page cannot take (${error.code})`);
          socket.destroy();
        }
      });
      socket.on('error', (error: Error & { code?: string }) => {
        if (!connected) ctx.send(`ERROR no chat server at ${where} (${error.code ?? error.message})`);
      });
      socket.on('close', () => {
        ctx.close(connected ? 'the chat server closed the connection' : 'no chat server');
      });
      return {
        receive(line) {
          if (!socket.destroyed) socket.write(`${line}\n`);
          return [];
        },
        close() {
          socket.end();
          // A server that does not close its side within a second is cut off.
          setTimeout(() => socket.destroy(), 1000).unref();
        },
      };
    },
  };
}
