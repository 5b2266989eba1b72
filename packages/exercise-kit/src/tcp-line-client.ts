/**
 * The line client of the TCP text exercises, scripted or interactive.
 *
 * Modes (what the protocol promises about replies):
 * - `lockstep`: every input line is answered by exactly one line (echo, text-case,
 *   prime-palindrome, knock-knock, calculator). The client sends a line, prints its reply, then
 *   reads the next input, so piped output is one reply per input line, in order. `banner` lines
 *   the server sends first (knock-knock's `Knock! Knock!`) are awaited and printed before the
 *   first input is sent, so they are never mistaken for a reply.
 * - `stream`: lines are sent as they are read and whatever the server sends is printed as it
 *   arrives (chat).
 * - `receive`: nothing is sent; lines are printed until the server closes (greeting).
 *
 * Lines the server sends unasked are printed in every mode. The client ends when the input ends
 * (it half-closes and waits up to `lingerMs` for the server to finish and close) or when the
 * server closes (remaining input is discarded). A refused connection rejects with the one-line
 * `no server at HOST:PORT`; a reply that does not come within `replyTimeoutMs` rejects too.
 */
import { CliError } from '@netlab/cli-kit';
import { connectTcp, isTcpError } from '@netlab/transport-tcp';
import { DEFAULT_MAX_LINE_BYTES } from '@netlab/codec';
import { DEFAULT_HOST } from './exercise-command.js';
import { formatHostPort, toClientError } from './errors.js';
import { type LineInput, type LineInputOptions, createLineInput } from './line-input.js';
import { createTextLineCodec } from './text-codecs.js';
import { writeStderr } from './running-server.js';
import { type ClientTlsFlags, resolveClientTls } from './tls-options.js';

export type LineClientMode = 'lockstep' | 'stream' | 'receive';

/** How long a lockstep reply (or a banner) may take. */
export const DEFAULT_REPLY_TIMEOUT_MS = 10_000;
/** How long to wait for the server to close after our input ended. */
export const DEFAULT_LINGER_MS = 2000;
/** How long connecting may take. */
export const DEFAULT_CLIENT_CONNECT_TIMEOUT_MS = 5000;

export interface TcpLineClientOptions {
  /** Server port. Required. */
  readonly port: number;
  /** Server host. Default `127.0.0.1`. */
  readonly host?: string;
  /** See the module comment. Default `'lockstep'`. */
  readonly mode?: LineClientMode;
  /** Lines the server sends before reading anything (lockstep only). Default 0. */
  readonly banner?: number;
  /** Longest line sent, in bytes. Default 8192. */
  readonly maxLineBytes?: number;
  /** Longest line received, in bytes. Default: `maxLineBytes`. */
  readonly maxReplyBytes?: number;
  /** Wait for one reply (or the banner) at most this long. Default {@link DEFAULT_REPLY_TIMEOUT_MS}. */
  readonly replyTimeoutMs?: number;
  /** Connect timeout. Default {@link DEFAULT_CLIENT_CONNECT_TIMEOUT_MS}. */
  readonly connectTimeoutMs?: number;
  /** After the input ends, wait this long for the server to close. Default {@link DEFAULT_LINGER_MS}. */
  readonly lingerMs?: number;
  /** Input source and output (stdin/stdout, terminal detection, prompt). Default: stdin/stdout. */
  readonly io?: Omit<LineInputOptions, 'maxLineBytes'>;
  /** Notes for a person (server closed the connection); only in interactive mode. Default: stderr. */
  readonly log?: (line: string) => void;
  /** The `--tls` flags (`tls-options.ts`). Default: plain TCP. */
  readonly tls?: ClientTlsFlags;
}

export interface LineClientResult {
  /** Lines sent. */
  readonly sent: number;
  /** Lines received and printed. */
  readonly received: number;
  /** True when the server closed the connection before our input ended. */
  readonly closedByServer: boolean;
}

const sleep = (ms: number): Promise<'timeout'> =>
  new Promise((resolve) => {
    setTimeout(() => {
      resolve('timeout');
    }, ms).unref();
  });

/** Connects, runs the conversation and resolves when it is over. */
export async function runTcpLineClient(options: TcpLineClientOptions): Promise<LineClientResult> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port;
  const mode = options.mode ?? 'lockstep';
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const replyTimeoutMs = options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS;
  const log = options.log ?? writeStderr;
  // The client reads what the server writes and vice versa: the caps swap sides.
  const codec = createTextLineCodec({ maxLineBytes: options.maxReplyBytes ?? maxLineBytes, maxReplyBytes: maxLineBytes });
  const tls = options.tls === undefined ? undefined : resolveClientTls(options.tls, writeStderr);
  let client;
  try {
    client = await connectTcp({
      codec,
      host,
      port,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CLIENT_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: replyTimeoutMs,
      ...(tls === undefined ? {} : { tls }),
    });
  } catch (error) {
    throw toClientError(error, host, port);
  }
  const output = options.io?.output ?? process.stdout;
  const input: LineInput | undefined = mode === 'receive' ? undefined : createLineInput({ ...options.io, maxLineBytes });
  const print = (line: string): void => {
    if (input === undefined) output.write(`${line}\n`);
    else input.print(line);
  };
  let sent = 0;
  let received = 0;
  // Mutated inside the loop and read after it: an object so the compiler does not narrow it away.
  const state = { closedByServer: false, inputDone: false };
  const isClosed = (): boolean => client.closed;
  const banner = mode === 'lockstep' ? (options.banner ?? 0) : 0;
  let onBanner: () => void = () => undefined;
  const bannerSeen = new Promise<void>((resolve) => {
    onBanner = resolve;
  });
  if (banner === 0) onBanner();
  const pushed = (async (): Promise<void> => {
    try {
      for await (const line of client) {
        received += 1;
        print(line);
        if (received >= banner) onBanner();
      }
    } catch {
      // A reset or read error: `done` reports it below.
    } finally {
      onBanner();
    }
  })();
  void client.done.then(() => {
    input?.close();
  });

  try {
    if (banner > 0 && (await Promise.race([bannerSeen, sleep(replyTimeoutMs)])) === 'timeout') {
      throw new CliError('ERR_CONNECT', `the server at ${formatHostPort(host, port)} sent nothing within ${replyTimeoutMs} ms`);
    }
    if (input !== undefined) {
      for (;;) {
        const line = await input.next();
        if (line === undefined && !isClosed()) state.inputDone = true;
        if (line === undefined || isClosed()) break;
        if (mode === 'stream') {
          if (!client.send(line)) await client.drained();
          sent += 1;
          continue;
        }
        let reply: string;
        try {
          const pending = client.request(line);
          sent += 1;
          reply = await pending;
        } catch (error) {
          if (isTcpError(error, 'ERR_CONNECTION_CLOSED') && isClosed()) break;
          throw toClientError(error, host, port);
        }
        received += 1;
        print(reply);
      }
    } else {
      await client.done;
    }
    state.closedByServer = !state.inputDone;
    state.inputDone = true;
    input?.close();
    if (!isClosed()) {
      client.end();
      await Promise.race([client.done, sleep(options.lingerMs ?? DEFAULT_LINGER_MS)]);
    }
  } finally {
    input?.close();
    client.destroy();
    await pushed;
  }
  if (state.closedByServer && input?.interactive === true) log('connection closed by the server');
  return { sent, received, closedByServer: state.closedByServer };
}
