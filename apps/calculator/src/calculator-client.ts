/**
 * The calculator client, interactive on a terminal and scripted with stdin piped.
 *
 * The first thing sent is the name (`--name`, else the first input line); the server's greeting
 * `Hello, <name>` is printed. Every later input line is checked before it is sent, with the same
 * parser the server uses (`parseExpression`): a line that is not `<number> <op> <number>` is not
 * sent; the client prints `warning: not sent: "<line>": <reason> (expected <number> <op> <number>,
 * e.g. 12 + 42)` on stderr and reads the next line. The server checks again (it never trusts a client:
 * `nc` does no checking). A name the client already knows to be bad (empty, control characters,
 * too long: `checkName`) is refused the same way; given as `--name`, it is a usage error (exit 1). `q` ends the session: the server answers
 * `Session ended` and closes, and the client exits 0.
 *
 * Lockstep: one reply per line sent, printed on its own line, so piped output is one line per
 * request that passed the check. At the end of input the client half-closes and exits 0 once the
 * server has closed (or after {@link DEFAULT_LINGER_MS}). A server that closes the connection
 * before `q` is an error (`error: the calculator server at HOST:PORT closed the connection`).
 */
import { CliError } from '@netlab/cli-kit';
import { DEFAULT_LINGER_MS, createLineInput, createTextLineCodec, formatHostPort, toClientError } from '@netlab/exercise-kit';
import { checkName, parseExpression } from '@netlab/service-calculator';
import { type TcpClientTlsOptions, connectTcp, isTcpError } from '@netlab/transport-tcp';

export interface CalculatorClientOptions {
  /** Server port. Required. */
  readonly port: number;
  /** Server host. Default `127.0.0.1`. */
  readonly host?: string;
  /** The client's name. Default: the first input line. */
  readonly name?: string;
  /** Input (default stdin) and output (default stdout). */
  readonly input?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly output?: NodeJS.WritableStream;
  /** Where warnings go. Default: stderr. */
  readonly warn?: (line: string) => void;
  /** Speak TLS (`resolveClientTls` of the `--tls` flags). Default: plain TCP. */
  readonly tls?: TcpClientTlsOptions;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Why the client will not send `line` as a request, or undefined when it may. */
export function checkRequest(line: string): string | undefined {
  const parsed = parseExpression(line);
  return parsed.ok ? undefined : `${parsed.reason} (expected <number> <op> <number> with + - * / % ^, e.g. 12 + 42)`;
}

/** Runs one calculator session. */
export async function runCalculatorClient(options: CalculatorClientOptions): Promise<void> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port;
  const warn = options.warn ?? ((line: string): void => void process.stderr.write(`${line}\n`));
  // A bad --name is a usage error (exit 1), not a line to skip: nothing would follow it.
  const nameProblem = options.name === undefined ? undefined : checkName(options.name.trim());
  if (nameProblem !== undefined) throw new CliError('ERR_USAGE', `invalid --name ${JSON.stringify(options.name)}: ${nameProblem}`);
  let client;
  try {
    client = await connectTcp({ codec: createTextLineCodec(), host, port, connectTimeoutMs: 5000, requestTimeoutMs: 10_000, ...(options.tls === undefined ? {} : { tls: options.tls }) });
  } catch (error) {
    throw toClientError(error, host, port);
  }
  const input = createLineInput({ ...(options.input === undefined ? {} : { input: options.input }), ...(options.output === undefined ? {} : { output: options.output }) });
  const state = { closed: false, ended: false };
  void client.done.then(() => {
    state.closed = true;
    input.close();
  });
  const ask = async (line: string): Promise<string | undefined> => {
    try {
      return await client.request(line);
    } catch (error) {
      if (isTcpError(error, 'ERR_CONNECTION_CLOSED')) return undefined;
      throw toClientError(error, host, port);
    }
  };
  try {
    if (input.interactive) input.print('Your name first, then requests like 12 + 42 or 4.5 / -6; q ends the session.');
    let named = false;
    let pendingName = options.name;
    for (;;) {
      const line = pendingName ?? (await input.next());
      pendingName = undefined;
      if (line === undefined) break;
      const text = line.trim();
      const quitting = text === 'q' || text === 'Q';
      const problem = quitting ? undefined : named ? checkRequest(line) : checkName(text);
      if (problem !== undefined) {
        warn(`warning: not sent: ${JSON.stringify(line)}: ${problem}`);
        continue;
      }
      const reply = await ask(line);
      if (reply === undefined) break;
      input.print(reply);
      if (quitting) {
        state.ended = true;
        await Promise.race([client.done, sleep(DEFAULT_LINGER_MS)]);
        break;
      }
      if (!named && reply.startsWith('Hello, ')) named = true;
    }
    if (!state.closed && !state.ended) {
      state.ended = true;
      client.end();
      await Promise.race([client.done, sleep(DEFAULT_LINGER_MS)]);
    }
    if (state.closed && !state.ended) {
      throw new CliError('ERR_CONNECT', `the calculator server at ${formatHostPort(host, port)} closed the connection`);
    }
  } finally {
    input.close();
    client.destroy();
  }
}
