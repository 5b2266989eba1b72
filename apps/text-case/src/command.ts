/**
 * `netlab text-case`: the server converts every line to upper case (`--to lower` for lower),
 * with Unicode's full case mapping (`ß` → `SS`). Protocol: docs/protocols/text-case.md.
 * Default port 7103.
 *
 * Limits: lines of at most 8192 bytes in; a reply may be up to 3× longer in UTF-8 (`ΐ` becomes
 * three code points), so replies are allowed 3 × 8192 bytes, on the server and in the client.
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
import { DEFAULT_TEXT_CASE, type TextCase, createTextCaseService } from '@netlab/service-text';

export { textCaseTourPart as tourPart } from './tour.js';

export const EXERCISE = 'text-case';
/** The documented default port of the text-case exercise. */
export const DEFAULT_PORT = 7103;
/** Longest input line, in bytes. */
export const MAX_LINE_BYTES = 8192;
/** Longest reply: case mapping at most triples a line's UTF-8 length. */
export const MAX_REPLY_BYTES = 3 * MAX_LINE_BYTES;

/** Builds `text-case` with its `server` and `client` subcommands. */
export function createCommand(): Command {
  const command = createExerciseCommand({
    name: EXERCISE,
    description: 'TCP: converts every line to upper case (or lower with --to lower), full Unicode.',
    transport: 'tcp',
    defaultPort: DEFAULT_PORT,
    helpText: `Examples:\n  netlab text-case server --port 0 --to lower\n  echo 'straße' | netlab text-case client --port ${DEFAULT_PORT}`,
  });
  const server = addServerTlsOptions(createServerCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT }));
  command.addCommand(
    server
      .addOption(server.createOption('--to <case>', 'convert to upper or lower case').choices(['upper', 'lower']).default(DEFAULT_TEXT_CASE))
      .action(async (options: AddressOptions & ServerTlsFlags & { to: TextCase }) => {
        await serveTcp({
          exercise: EXERCISE,
          host: options.host,
          port: options.port,
          tls: options,
          codec: createTextLineCodec({ maxLineBytes: MAX_LINE_BYTES, maxReplyBytes: MAX_REPLY_BYTES }),
          service: createTextCaseService({ to: options.to }),
        });
      }),
  );
  command.addCommand(
    addClientTlsOptions(createClientCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT })).action(async (options: AddressOptions & ClientTlsFlags) => {
      await runTcpLineClient({ host: options.host, port: options.port, tls: options, mode: 'lockstep', maxLineBytes: MAX_LINE_BYTES, maxReplyBytes: MAX_REPLY_BYTES });
    }),
  );
  return command;
}
