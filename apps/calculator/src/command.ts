/**
 * `netlab calculator`: a named session of exact decimal arithmetic. Protocol:
 * docs/protocols/calculator.md. Default port 7108.
 *
 * Server: `calculator listening on tcp://HOST:PORT` on stdout once bound; on stderr every
 * connection, every request with the client's name (`"Ada": "12 + 42" → 54`) and `"Ada": Session
 * ended`; SIGINT/SIGTERM stop it with exit 0. Client: see calculator-client.ts.
 */
import type { Command } from '@netlab/cli-kit';
import { type AddressOptions, type ClientTlsFlags, type ServerTlsFlags, addClientTlsOptions, addServerTlsOptions, resolveClientTls, createClientCommand, createExerciseCommand, createServerCommand, createTextLineCodec, serveTcp } from '@netlab/exercise-kit';
import { createCalculatorService } from '@netlab/service-calculator';
import { runCalculatorClient } from './calculator-client.js';

export { calculatorTourPart as tourPart } from './tour.js';

export const EXERCISE = 'calculator';
/** The documented default port of the calculator exercise. */
export const DEFAULT_PORT = 7108;

const HELP = `Examples:
  netlab calculator server --port 0
  netlab calculator client --name Ada                 (interactive on a terminal)
  printf 'Ada\\n12 + 42\\n4.5 / -6\\nq\\n' | netlab calculator client --port ${DEFAULT_PORT}
  nc 127.0.0.1 ${DEFAULT_PORT}                                 (first line: your name)

The client checks each request before sending it: a line that is not <number> <op> <number>
(+ - * / % ^) is not sent and a warning goes to stderr. q ends the session ("Session ended").`;

/** Builds `calculator` with its `server` and `client` subcommands. */
export function createCommand(): Command {
  const command = createExerciseCommand({
    name: EXERCISE,
    description: 'TCP: name yourself, then exact decimal arithmetic (12 + 42, 0.1 + 0.2 = 0.3); q ends the session.',
    transport: 'tcp',
    defaultPort: DEFAULT_PORT,
    helpText: HELP,
  });
  command.addCommand(
    addServerTlsOptions(createServerCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT })).action(async (options: AddressOptions & ServerTlsFlags) => {
      await serveTcp({ exercise: EXERCISE, host: options.host, port: options.port, tls: options, codec: createTextLineCodec(), service: createCalculatorService() });
    }),
  );
  command.addCommand(
    addClientTlsOptions(createClientCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT }))
      .option('--name <name>', 'your name, sent first (default: the first input line)')
      .action(async (options: AddressOptions & ClientTlsFlags & { readonly name?: string }) => {
        const tls = resolveClientTls(options, (line) => process.stderr.write(`${line}\n`));
        await runCalculatorClient({ host: options.host, port: options.port, ...(options.name === undefined ? {} : { name: options.name }), ...(tls === undefined ? {} : { tls }) });
      }),
  );
  return command;
}
