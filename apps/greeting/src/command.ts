/**
 * `netlab greeting`: on connect the server sends `Thank you for connecting` and closes; the
 * client prints what the server says and exits when it hangs up. Protocol:
 * docs/protocols/greeting.md. Default port 7101.
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
import { createGreetingService } from '@netlab/service-text';

export { greetingTourPart as tourPart } from './tour.js';

export const EXERCISE = 'greeting';
/** The documented default port of the greeting exercise. */
export const DEFAULT_PORT = 7101;

/** Builds `greeting` with its `server` and `client` subcommands. */
export function createCommand(): Command {
  const command = createExerciseCommand({
    name: EXERCISE,
    description: 'TCP: the server says "Thank you for connecting" and hangs up.',
    transport: 'tcp',
    defaultPort: DEFAULT_PORT,
    helpText: `Examples:\n  netlab greeting server --port 0\n  netlab greeting client --port ${DEFAULT_PORT}\n  nc 127.0.0.1 ${DEFAULT_PORT}`,
  });
  command.addCommand(
    addServerTlsOptions(createServerCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT })).action(async (options: AddressOptions & ServerTlsFlags) => {
      await serveTcp({ exercise: EXERCISE, host: options.host, port: options.port, tls: options, codec: createTextLineCodec(), service: createGreetingService() });
    }),
  );
  command.addCommand(
    addClientTlsOptions(
      createClientCommand({
        exercise: EXERCISE,
        defaultPort: DEFAULT_PORT,
        description: 'Connect, print what the server says, exit when it hangs up (reads no input).',
      }),
    ).action(async (options: AddressOptions & ClientTlsFlags) => {
      await runTcpLineClient({ host: options.host, port: options.port, tls: options, mode: 'receive' });
    }),
  );
  return command;
}
