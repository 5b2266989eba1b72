/**
 * `netlab echo`: the server echoes each line; `bye` (any case) is answered `Goodbye` and that
 * connection closes. Many clients at once. Protocol: docs/protocols/echo.md. Default port 7102.
 */
import type { Command } from '@netlab/cli-kit';
import {
  type AddressOptions,
  type ClientTlsFlags,
  type ServerTlsFlags,
  addClientTlsOptions,
  addServerTlsOptions,
  createClientCommand,
  createExerciseCommand,
  createServerCommand,
  createTextLineCodec,
  runTcpLineClient,
  serveTcp,
} from '@netlab/exercise-kit';
import { createEchoService } from '@netlab/service-text';

export { echoTourPart as tourPart } from './tour.js';

export const EXERCISE = 'echo';
/** The documented default port of the echo exercise. */
export const DEFAULT_PORT = 7102;

/** Builds `echo` with its `server` and `client` subcommands. */
export function createCommand(): Command {
  const command = createExerciseCommand({
    name: EXERCISE,
    description: 'TCP: echoes each line; "bye" is answered "Goodbye" and closes.',
    transport: 'tcp',
    defaultPort: DEFAULT_PORT,
    helpText: `Examples:\n  netlab echo server --port 0\n  printf 'hello\\nbye\\n' | netlab echo client --port ${DEFAULT_PORT}\n  nc 127.0.0.1 ${DEFAULT_PORT}`,
  });
  command.addCommand(
    addServerTlsOptions(createServerCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT })).action(async (options: AddressOptions & ServerTlsFlags) => {
      await serveTcp({ exercise: EXERCISE, host: options.host, port: options.port, tls: options, codec: createTextLineCodec(), service: createEchoService() });
    }),
  );
  command.addCommand(
    addClientTlsOptions(createClientCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT })).action(async (options: AddressOptions & ClientTlsFlags) => {
      await runTcpLineClient({ host: options.host, port: options.port, tls: options, mode: 'lockstep' });
    }),
  );
  return command;
}
