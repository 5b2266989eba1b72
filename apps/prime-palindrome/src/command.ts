/**
 * `netlab prime-palindrome`: a line `<integer> <prime|palindrome>` (or `<op> <integer>`, any
 * case) is answered `<n> is prime`, `<n> is not a palindrome`, …; anything else `ERROR <reason>`.
 * Integers of any size up to 500 digits. Protocol: docs/protocols/prime-palindrome.md.
 * Default port 7104.
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
import { createPrimePalindromeService } from '@netlab/service-numeric';

export { primePalindromeTourPart as tourPart } from './tour.js';

export const EXERCISE = 'prime-palindrome';
/** The documented default port of the prime-palindrome exercise. */
export const DEFAULT_PORT = 7104;

/** Builds `prime-palindrome` with its `server` and `client` subcommands. */
export function createCommand(): Command {
  const command = createExerciseCommand({
    name: EXERCISE,
    description: 'TCP: "<n> prime" / "<n> palindrome" for integers of any size.',
    transport: 'tcp',
    defaultPort: DEFAULT_PORT,
    helpText: `Examples:\n  netlab prime-palindrome server --port 0\n  printf '18446744073709551557 prime\\npalindrome 12321\\n' | netlab prime-palindrome client --port ${DEFAULT_PORT}`,
  });
  command.addCommand(
    addServerTlsOptions(createServerCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT })).action(async (options: AddressOptions & ServerTlsFlags) => {
      await serveTcp({ exercise: EXERCISE, host: options.host, port: options.port, tls: options, codec: createTextLineCodec(), service: createPrimePalindromeService() });
    }),
  );
  command.addCommand(
    addClientTlsOptions(createClientCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT })).action(async (options: AddressOptions & ClientTlsFlags) => {
      await runTcpLineClient({ host: options.host, port: options.port, tls: options, mode: 'lockstep' });
    }),
  );
  return command;
}
