/**
 * `netlab udp-hello`: any datagram is answered `Ok`. The client sends a message (the text given
 * on the command line, else one datagram per piped line, else the default joke) and prints each
 * reply with the server's address. Protocol: docs/protocols/udp-hello.md. Default port 7106.
 */
import { type Command, durationOption, parseInteger } from '@netlab/cli-kit';
import {
  type AddressOptions,
  assertAnswered,
  createClientCommand,
  createExerciseCommand,
  createServerCommand,
  createTextDatagramCodec,
  runUdpLineClient,
  serveUdp,
} from '@netlab/exercise-kit';
import { createUdpHelloService } from '@netlab/service-text';
import { DEFAULT_MESSAGE } from './default-message.js';

export { udpHelloTourPart as tourPart } from './tour.js';
export { DEFAULT_MESSAGE } from './default-message.js';

export const EXERCISE = 'udp-hello';
/** The documented default port of the udp-hello exercise. */
export const DEFAULT_PORT = 7106;

interface ClientOptions extends AddressOptions {
  readonly timeout: number;
  readonly retries: number;
}

/** Builds `udp-hello` with its `server` and `client` subcommands. */
export function createCommand(): Command {
  const command = createExerciseCommand({
    name: EXERCISE,
    description: 'UDP: every datagram is answered "Ok".',
    transport: 'udp',
    defaultPort: DEFAULT_PORT,
    helpText: `Examples:\n  netlab udp-hello server --port 0\n  netlab udp-hello client --port ${DEFAULT_PORT} "hello there"\n  echo hi | nc -u -w 1 127.0.0.1 ${DEFAULT_PORT}`,
  });
  command.addCommand(
    createServerCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT }).action(async (options: AddressOptions) => {
      await serveUdp({ exercise: EXERCISE, host: options.host, port: options.port, codec: createTextDatagramCodec(), service: createUdpHelloService() });
    }),
  );
  command.addCommand(
    createClientCommand({
      exercise: EXERCISE,
      defaultPort: DEFAULT_PORT,
      description: `Send a message and print the reply and the server's address. Without text: one datagram per piped line, or "${DEFAULT_MESSAGE}"`,
    })
      .argument('[text...]', 'the message to send (words are joined with spaces)')
      .addOption(durationOption('--timeout <duration>', 'wait this long for a reply before resending (250ms, 1s)', 1000))
      .option('--retries <n>', 'resends before a message counts as lost', (value) => parseInteger(value, '--retries', 0, 100), 2)
      .action(async (text: string[], options: ClientOptions) => {
        const summary = await runUdpLineClient({
          host: options.host,
          port: options.port,
          ...(text.length > 0 ? { messages: [text.join(' ')] } : {}),
          defaultMessage: DEFAULT_MESSAGE,
          timeoutMs: Math.max(1, options.timeout),
          retries: options.retries,
          format: (reply, server) => `${reply} (from ${server})`,
        });
        assertAnswered(summary, options.host, options.port);
      }),
  );
  return command;
}
