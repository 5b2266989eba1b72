/**
 * The chat client, interactive on a terminal and scripted with stdin piped.
 *
 * Login: the name is `--name`, else (terminal) asked for, else (piped) the first input line.
 * `Welcome, <name>!` logs in. A refusal (`ERROR name taken`, `ERROR invalid name`, `ERROR room
 * full`) asks again on a terminal (the protocol allows retries on the same connection); piped,
 * it ends the client with `error: cannot join as "<name>": ERROR name taken` (exit 1), since the
 * next scripted line was written as a message, not as a name.
 *
 * In the room every input line is sent as is (`/msg`, `/nick`, `/who`, `quit` included) and every
 * line from the server is printed when it arrives: on a terminal above the prompt without
 * disturbing the line being typed, names coloured; piped, plainly, one per line. The client does
 * not echo what it sends: the room sends each message back to its sender, in the room's order.
 *
 * Ending (piped input): at the end of input the client keeps printing for `lingerMs` (default
 * {@link DEFAULT_CHAT_LINGER_MS}) so replies to the last lines and the room's reactions still
 * show, then sends `quit`, prints the rest up to its own `<name> has left the chat.` and exits 0
 * when the server closes (at most {@link QUIT_WAIT_MS} later). Ctrl-D / Ctrl-C on a terminal do
 * the same without lingering. Typing `quit` or `/quit` leaves at once.
 *
 * A connection that ends without our `quit` (server stopped, network gone, dropped as a slow
 * reader) is reported as `error: lost the connection to the chat server at HOST:PORT (…)`,
 * exit 1.
 */
import { CliError, useColor } from '@netlab/cli-kit';
import { type LineInput, createLineInput, createTextLineCodec, formatHostPort, toClientError } from '@netlab/exercise-kit';
import { type TcpClientTlsOptions, connectTcp } from '@netlab/transport-tcp';
import { styleText } from 'node:util';
import { type ChatTerminal, createChatTerminal } from './chat-terminal.js';
import { type Paint, colorChatLine } from './name-colors.js';

/** How long a piped client keeps listening after its input ended, before it leaves. */
export const DEFAULT_CHAT_LINGER_MS = 300;
/** How long the client waits for the login reply, or for the server's close after `quit`. */
export const QUIT_WAIT_MS = 5000;
/** Longest line sent or read, in bytes (the room's framing limit). */
export const CLIENT_MAX_LINE_BYTES = 8192;

export interface ChatClientOptions {
  /** Server port. Required. */
  readonly port: number;
  /** Server host. Default `127.0.0.1`. */
  readonly host?: string;
  /** The name to log in with. Default: asked for (terminal) or the first input line (piped). */
  readonly name?: string;
  /** Listening time after the piped input ended, in ms. Default {@link DEFAULT_CHAT_LINGER_MS}. */
  readonly lingerMs?: number;
  /** Connect timeout in ms. Default 5000. */
  readonly connectTimeoutMs?: number;
  /** Speak TLS (`resolveClientTls` of the `--tls` flags). Default: plain TCP. */
  readonly tls?: TcpClientTlsOptions;
  /** Keyboard / script input. Default `process.stdin`. */
  readonly input?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  /** Where lines are printed. Default `process.stdout`. */
  readonly output?: NodeJS.WriteStream;
  /** Terminal mode. Default: when `input` is a TTY. */
  readonly interactive?: boolean;
}

const NAME_IN_WELCOME = /^Welcome, (.+)!$/u;
const RENAME = /^(\S+) is now known as (\S+)\.$/u;

const sleep = (ms: number): Promise<'timeout'> =>
  new Promise((resolve) => {
    setTimeout(() => {
      resolve('timeout');
    }, ms).unref();
  });

/** Input lines from a terminal or a pipe, behind one shape. */
type Source = Pick<LineInput, 'next' | 'print' | 'close'> & { setPrompt(prompt: string): void };

function openSource(options: ChatClientOptions, interactive: boolean): Source {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  if (interactive) {
    const terminal: ChatTerminal = createChatTerminal({ input, output, prompt: 'name> ', maxLineBytes: CLIENT_MAX_LINE_BYTES });
    return terminal;
  }
  const piped = createLineInput({ input, output, interactive: false, maxLineBytes: CLIENT_MAX_LINE_BYTES });
  return { next: () => piped.next(), print: (line) => { piped.print(line); }, close: () => { piped.close(); }, setPrompt: () => undefined };
}

/** Runs one chat session; resolves when the client has left (rejects with a one-line `CliError`). */
export async function runChatClient(options: ChatClientOptions): Promise<void> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port;
  const where = formatHostPort(host, port);
  const input = options.input ?? process.stdin;
  const interactive = options.interactive ?? input.isTTY === true;
  const output = options.output ?? process.stdout;
  const paint: Paint = useColor(output) ? (style, text) => styleText(style, text) : (_style, text) => text;

  let client;
  try {
    client = await connectTcp({
      codec: createTextLineCodec({ maxLineBytes: CLIENT_MAX_LINE_BYTES }),
      host,
      port,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      // Members read at their own pace: the room may push many lines while nobody types.
      maxQueuedMessages: 4096,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    });
  } catch (error) {
    throw toClientError(error, host, port);
  }
  const source = openSource(options, interactive);
  const state = { name: undefined as string | undefined, quitSent: false, closed: false };
  let loginReply: ((line: string) => void) | undefined;

  const reader = (async (): Promise<void> => {
    try {
      for await (const line of client) {
        const welcome = NAME_IN_WELCOME.exec(line);
        if (loginReply !== undefined && (welcome !== null || line.startsWith('ERROR '))) {
          const reply = loginReply;
          loginReply = undefined;
          reply(line);
          if (welcome === null) continue; // the login error is reported by the login loop
        }
        const rename = RENAME.exec(line);
        if (welcome !== null) state.name = welcome[1];
        else if (rename !== null && rename[1] === state.name) {
          state.name = rename[2];
          source.setPrompt(`${state.name ?? ''}> `);
        }
        source.print(interactive ? colorChatLine(line, paint) : line);
      }
    } catch {
      // A reset: `done` tells why below.
    }
  })();
  const lost = client.done.then((error) => {
    state.closed = true;
    source.close();
    loginReply?.('');
    return error;
  });

  const send = async (line: string): Promise<void> => {
    if (state.closed) return;
    const lower = line.trim().toLowerCase();
    if (lower === 'quit' || lower === '/quit') state.quitSent = true;
    if (!client.send(line)) await client.drained();
  };

  /** Sends a name and resolves with the server's answer ('' if the connection ended). */
  const login = async (name: string): Promise<string> => {
    const reply = new Promise<string>((resolve) => {
      loginReply = resolve;
    });
    await send(name);
    const answer = await Promise.race([reply, sleep(QUIT_WAIT_MS)]);
    if (answer === 'timeout') throw new CliError('ERR_CONNECT', `the chat server at ${where} did not answer the login within ${QUIT_WAIT_MS} ms`);
    return answer;
  };

  try {
    // Login.
    let candidate = options.name;
    for (;;) {
      if (candidate === undefined) {
        if (interactive) source.print('Your name (1-32 letters, digits, _ or -):');
        candidate = await source.next();
        if (candidate === undefined) break;
      }
      const answer = await login(candidate);
      if (answer === '' || answer.startsWith('Welcome, ')) break;
      if (!interactive || state.quitSent) throw new CliError('ERR_USAGE', `cannot join as "${candidate}": ${answer}`);
      source.print(colorChatLine(answer, paint));
      candidate = undefined;
    }
    if (state.name !== undefined) {
      source.setPrompt(`${state.name}> `);
      for (;;) {
        const line = await source.next();
        if (line === undefined || state.closed) break;
        await send(line);
        if (state.quitSent) break;
      }
      if (!state.closed && !state.quitSent) {
        if (!interactive) await Promise.race([lost, sleep(options.lingerMs ?? DEFAULT_CHAT_LINGER_MS)]);
        await send('quit');
      }
    }
    if (!state.closed) {
      if (state.name === undefined) client.end();
      await Promise.race([lost, sleep(QUIT_WAIT_MS)]);
    }
    const error = state.closed ? await lost : undefined;
    await reader;
    if (state.closed && !state.quitSent && state.name !== undefined) {
      const why = error === undefined ? 'closed by the server' : error.message;
      throw new CliError('ERR_CONNECT', `lost the connection to the chat server at ${where} (${why})`);
    }
  } finally {
    source.close();
    client.destroy();
  }
}
