/**
 * `netlab check`: grades a server or a client of an exercise over real sockets and processes,
 * never by importing its code, so a Python lab server is graded exactly as netlab's own.
 *
 *   netlab check <exercise> --server HOST:PORT          a server that is already running
 *   netlab check <exercise> --server-cmd "python3 server.py --port {port}"
 *   netlab check <exercise> --client-cmd "python3 client.py --host {host} --port {port}"
 *   netlab check --suite my-suite.yaml (--server … | --server-cmd …)
 *
 * Exit status: 0 every case passed; 1 some case failed; 2 bad usage, or the target never came up.
 * The whole interface is documented in docs/check.md.
 */
import { Command } from '@netlab/cli-kit';
import { addTraceOptions } from '@netlab/exercise-kit';
import { runCheck, type CheckCliOptions } from './run-check.js';

export { checkTourPart as tourPart } from './tour.js';

/** Exit status of bad usage and of a target that never came up. */
export const EXIT_USAGE = 2;

/** commander's usage errors (unknown flag, missing value) exit 2 here, as the CLI shape asks. */
class CheckCommand extends Command {
  override error(message: string, errorOptions?: { code?: string; exitCode?: number }): never {
    return super.error(message, { ...errorOptions, exitCode: EXIT_USAGE });
  }
}

const HELP = `
Targets (one of):
  --server HOST:PORT     a server that is already running
  --server-cmd CMD       netlab starts it on a free port ({port}, {host} are replaced), in its own
                         process group, waits until it listens, restarts it after a crash, stops it;
                         {tmp} is a directory of the run, kept across restarts (a bank's store)
  --client-cmd CMD       netlab plays the server (and the network) and runs the client once per
                         case, with the case's input on stdin (atm: {card} {pin} {amount} {cents})

Examples:
  netlab check echo --server-cmd "python3 server.py --port {port}"
  netlab check echo --server 127.0.0.1:7102 --only echo.framing
  netlab check udp-hello --client-cmd "python3 client.py {host} {port}"
  netlab check --suite my-suite.yaml --server-cmd "python3 server.py {port}" --format junit --output report.xml
  netlab check chat --list
  netlab check atm --server-cmd "python3 bank.py --port {port} --db {tmp}/bank.json"
  netlab check atm --client-cmd "python3 atm.py {host} {port} {card} {pin} withdraw {cents}"

Exit status: 0 every case passed, 1 some case failed, 2 bad usage or the target never came up.
Case ids, the suite file format and grading recipes: docs/check.md`;

/** Builds `check`. */
export function createCommand(): Command {
  const command = new CheckCommand('check')
    .description('Grade a server or client of an exercise over real sockets: per-case results, faults, text/JSON/JUnit/TAP/Gradescope reports.')
    .argument('[exercise]', 'the exercise (greeting, echo, text-case, prime-palindrome, knock-knock, udp-hello, udp-datetime, calculator, chat)')
    .option('--server <host:port>', 'check a server that is already running')
    .option('--server-cmd <command>', 'start this server command on a free port ({port}, {host}) and check it')
    .option('--client-cmd <command>', 'run this client command against netlab\'s instrumented server ({host}, {port})')
    .option('--suite <file>', 'a suite file (YAML or JSON) instead of the built-in suite')
    .option('--format <format>', 'report format: text, json, junit, tap, gradescope', 'text')
    .option('--output <file>', 'write the report to this file (default: stdout)')
    .option('--seed <n>', 'seed of every random input and fault decision (default: random, printed in the report)')
    .option('--only <ids>', 'comma-separated case ids or id prefixes (echo.framing)')
    .option('--list', 'list the cases (id, points, title) and exit')
    .option('--time-scale <factor>', 'multiply every timeout by this (slow or loaded machines)', '1')
    .option('--no-faults', 'skip the cases that need the fault proxy');
  // --trace records what check's probes send and receive (a note at each case's start and verdict); no --pcap, --hex.
  addTraceOptions(command, { role: 'check', label: 'check', pcap: false });
  return command.addHelpText('after', HELP).action(async (exercise: string | undefined, options: CheckCliOptions) => {
    process.exitCode = await runCheck(exercise, options);
  });
}
