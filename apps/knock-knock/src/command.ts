/**
 * `netlab knock-knock`: the Oracle Java tutorial's KnockKnockProtocol. The server speaks first
 * (`Knock! Knock!`), answers each line, and closes after `Bye.`. The client prints the server's
 * lines and sends the user's, one reply per line; it ends when the server closes. Protocol:
 * docs/protocols/knock-knock.md. Default port 7105.
 */
import { readFile } from 'node:fs/promises';
import { CliError, type Command } from '@netlab/cli-kit';
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
import { type Joke, createKnockKnockService, validateJokes } from '@netlab/service-knock-knock';

export { knockKnockTourPart as tourPart } from './tour.js';

export const EXERCISE = 'knock-knock';
/** The documented default port of the knock-knock exercise. */
export const DEFAULT_PORT = 7105;
/** A joke file larger than this is refused before parsing. */
export const MAX_JOKES_FILE_BYTES = 1024 * 1024;

/** Reads and validates a JSON joke file: `[{ "clue": "Turnip", "answer": "Turnip the heat…" }, …]`. */
async function loadJokes(path: string): Promise<readonly Joke[]> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_JOKES_FILE_BYTES) throw new Error(`larger than ${MAX_JOKES_FILE_BYTES} bytes`);
    text = bytes.toString('utf8');
  } catch (error) {
    throw new CliError('ERR_USAGE', `cannot read --jokes ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return validateJokes(JSON.parse(text));
  } catch (error) {
    throw new CliError('ERR_USAGE', `invalid --jokes ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Builds `knock-knock` with its `server` and `client` subcommands. */
export function createCommand(): Command {
  const command = createExerciseCommand({
    name: EXERCISE,
    description: "TCP: the Java tutorial's knock-knock jokes; the server speaks first.",
    transport: 'tcp',
    defaultPort: DEFAULT_PORT,
    helpText: `Examples:\n  netlab knock-knock server --port 0\n  netlab knock-knock client --port ${DEFAULT_PORT}\n  printf "Who's there?\\nTurnip who?\\nn\\n" | netlab knock-knock client --port ${DEFAULT_PORT}`,
  });
  command.addCommand(
    addServerTlsOptions(createServerCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT }))
      .option('--jokes <file>', 'a JSON joke file, [{ "clue": …, "answer": … }] (default: the tutorial\'s five jokes)')
      .action(async (options: AddressOptions & ServerTlsFlags & { jokes?: string }) => {
        const service = options.jokes === undefined ? createKnockKnockService() : createKnockKnockService({ jokes: await loadJokes(options.jokes) });
        await serveTcp({ exercise: EXERCISE, host: options.host, port: options.port, tls: options, codec: createTextLineCodec(), service });
      }),
  );
  command.addCommand(
    addClientTlsOptions(createClientCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT })).action(async (options: AddressOptions & ClientTlsFlags) => {
      await runTcpLineClient({ host: options.host, port: options.port, tls: options, mode: 'lockstep', banner: 1 });
    }),
  );
  return command;
}
