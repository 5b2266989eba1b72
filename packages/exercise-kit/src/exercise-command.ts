/**
 * The command shape every exercise shares:
 *
 *   netlab <exercise> server [--host H] [--port P]   (port 0 = any free port)
 *   netlab <exercise> client [--host H] [--port P]
 *
 * Both default to 127.0.0.1 and the exercise's documented port, shown in `--help`. Apps add
 * their own options and an action to the subcommands these factories return.
 */
import { CliError, Command, parseHost, parsePort } from '@netlab/cli-kit';
import { DEFAULT_HOST } from '@netlab/ground';
import { setPayloadLogging } from './payload-log.js';
import { addTraceOptions } from './trace-options.js';

/** Servers and clients talk to loopback unless told otherwise. */
export { DEFAULT_HOST };

/** `--host` and `--port` as parsed. */
export interface AddressOptions {
  readonly host: string;
  readonly port: number;
}

/** A server's `--host`, `--port` and `--verbose` as parsed. */
export interface ServerAddressOptions extends AddressOptions {
  /** `--verbose`: log every message received and sent. */
  readonly verbose?: boolean;
}

export interface ExerciseCommandOptions {
  /** The exercise name, as in `netlab <name>`: `echo`. Required. */
  readonly name: string;
  /** One line for `netlab --help`. Required. */
  readonly description: string;
  /** `tcp` or `udp`, for the help text. Required. */
  readonly transport: 'tcp' | 'udp';
  /** The documented default port (unprivileged, outside the ephemeral range). Required. */
  readonly defaultPort: number;
  /** Extra help text after the options (examples, the protocol). Default: none. */
  readonly helpText?: string;
}

/** Builds `<exercise>` with its help footer; add `server` and `client` subcommands to it. */
export function createExerciseCommand(options: ExerciseCommandOptions): Command {
  const command = new Command(options.name).description(options.description);
  const footer = [
    '',
    `Default port: ${options.defaultPort} (${options.transport}). Protocol: docs/protocols/${options.name}.md`,
    ...(options.helpText === undefined ? [] : ['', options.helpText.trimEnd()]),
  ];
  command.addHelpText('after', footer.join('\n'));
  return command;
}

export interface RoleCommandOptions {
  /** The exercise name, for the help text. Required. */
  readonly exercise: string;
  /** The documented default port. Required. */
  readonly defaultPort: number;
  /** One line for the help. Default: a generic line naming the exercise. */
  readonly description?: string;
}

/**
 * Builds `server` with `--host` (default 127.0.0.1), `--port` (default the exercise's; 0 = any
 * free port), `--verbose` (log each message received and sent), `--trace FILE` and `--pcap FILE`
 * (`trace-options.ts`); action options are {@link ServerAddressOptions}.
 */
export function createServerCommand(options: RoleCommandOptions): Command {
  const command = new Command('server')
    .description(options.description ?? `Run the ${options.exercise} server; prints "${options.exercise} listening on …" when ready.`)
    .option('--host <host>', 'address to listen on (::1 for IPv6, 0.0.0.0 for every interface)', parseHost, DEFAULT_HOST)
    .option('--port <port>', 'port to listen on (0 = any free port)', parsePort, options.defaultPort)
    .option('--verbose', 'log every message received and sent on stderr (received "hello" from 127.0.0.1:40895)')
    .hook('preAction', (command) => {
      if (command.opts<{ verbose?: boolean }>().verbose === true) setPayloadLogging(true);
    });
  return addTraceOptions(command, { role: 'server', label: options.exercise });
}

/** Parses a port a client connects to: 1 to 65535. */
export function parseServerPort(value: string): number {
  const port = parsePort(value);
  if (port === 0) throw new CliError('ERR_USAGE', `invalid port "${value}": a client needs the server's port, from 1 to 65535`);
  return port;
}

/**
 * Builds `client` with `--host` (default 127.0.0.1), `--port` (default the exercise's),
 * `--trace FILE`, `--pcap FILE` and `--hex` (`trace-options.ts`).
 */
export function createClientCommand(options: RoleCommandOptions): Command {
  const command = new Command('client')
    .description(options.description ?? `Run the ${options.exercise} client: interactive on a terminal, one input per line when piped.`)
    .option('--host <host>', 'server address', parseHost, DEFAULT_HOST)
    .option('--port <port>', 'server port', parseServerPort, options.defaultPort);
  return addTraceOptions(command, { role: 'client', label: options.exercise, hex: true });
}
