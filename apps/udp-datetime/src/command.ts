/**
 * `netlab udp-datetime`: `SEND_DATE` → `YYYY-MM-DD`, `SEND_TIME` → `HH:MM:SS` (server local time,
 * `--utc` for UTC), anything else `ERROR unknown request`. Protocol:
 * docs/protocols/udp-datetime.md. Default port 7107.
 *
 * The client has two modes. Random (the lab's; the default on a terminal, forced by `--count` or
 * `--random`): a random request every 1–2 s, retries, a summary. Scripted (stdin piped): one
 * request per line, each reply on its own line, then the summary; empty piped input falls back
 * to the random mode.
 */
import { randomInt } from 'node:crypto';
import { type Command, Option, durationOption, onShutdown, parseInteger } from '@netlab/cli-kit';
import {
  type AddressOptions,
  type UdpClientSummary,
  assertAnswered,
  createClientCommand,
  createExerciseCommand,
  createServerCommand,
  createTextDatagramCodec,
  formatRtt,
  formatSummary,
  runUdpLineClient,
  serveUdp,
} from '@netlab/exercise-kit';
import { createDatetimeService } from '@netlab/service-datetime';
import { DEFAULT_INTERVAL, type IntervalRange, formatInterval, parseInterval } from './interval.js';
import { runRandomClient } from './random-client.js';

export { udpDatetimeTourPart as tourPart } from './tour.js';

export const EXERCISE = 'udp-datetime';
/** The documented default port of the udp-datetime exercise. */
export const DEFAULT_PORT = 7107;
/** Random requests sent when `--count` is not given. */
export const DEFAULT_COUNT = 10;
/** Wait per attempt before resending, ms. */
export const DEFAULT_TIMEOUT_MS = 1000;
/** Resends before a request counts as lost. */
export const DEFAULT_RETRIES = 2;
/** Most random requests in one run. */
export const MAX_COUNT = 1_000_000;

interface ClientOptions extends AddressOptions {
  readonly count?: number;
  readonly random?: boolean;
  readonly interval: IntervalRange;
  readonly timeout: number;
  readonly retries: number;
  readonly seed?: number;
}

const writeLine = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function runClient(options: ClientOptions): Promise<void> {
  const timeoutMs = Math.max(1, options.timeout);
  const random = options.count !== undefined || options.random === true || process.stdin.isTTY;
  let summary: UdpClientSummary | undefined;
  if (!random) {
    summary = await runUdpLineClient({ host: options.host, port: options.port, timeoutMs, retries: options.retries });
    if (summary.sent > 0) {
      writeLine(`summary: ${formatSummary(summary)}`);
      if (summary.rtt !== undefined) writeLine(formatRtt(summary.rtt));
      assertAnswered(summary, options.host, options.port);
      return;
    }
  }
  const seed = options.seed ?? randomInt(0, 2 ** 31);
  process.stderr.write(`udp-datetime: seed ${seed} (replay with --seed ${seed})\n`);
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const run = runRandomClient({
    host: options.host,
    port: options.port,
    count: options.count ?? DEFAULT_COUNT,
    interval: options.interval,
    timeoutMs,
    retries: options.retries,
    seed,
    write: writeLine,
    stopped,
  });
  // Ctrl-C ends the run early, with the summary so far, exit 0.
  const removeHandlers = onShutdown(async () => {
    stop();
    await run.catch(() => undefined);
  });
  try {
    summary = await run;
  } finally {
    removeHandlers();
  }
  assertAnswered(summary, options.host, options.port);
}

/** Builds `udp-datetime` with its `server` and `client` subcommands. */
export function createCommand(): Command {
  const command = createExerciseCommand({
    name: EXERCISE,
    description: 'UDP: SEND_DATE / SEND_TIME; a client that retries and counts loss.',
    transport: 'udp',
    defaultPort: DEFAULT_PORT,
    helpText: [
      'Examples:',
      '  netlab udp-datetime server --port 0 --utc',
      `  netlab udp-datetime client --port ${DEFAULT_PORT} --count 5 --interval 200-500ms`,
      `  printf 'SEND_DATE\\nSEND_TIME\\n' | netlab udp-datetime client --port ${DEFAULT_PORT}`,
      'Put it behind `netlab proxy --protocol udp --loss 30%` to watch retries and loss.',
    ].join('\n'),
  });
  command.addCommand(
    createServerCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT })
      .option('--utc', 'answer in UTC instead of the server\'s local time (default: local time, TZ)')
      .action(async (options: AddressOptions & { utc?: boolean }) => {
        await serveUdp({
          exercise: EXERCISE,
          host: options.host,
          port: options.port,
          codec: createTextDatagramCodec(),
          service: createDatetimeService({ utc: options.utc === true }),
        });
      }),
  );
  command.addCommand(
    createClientCommand({
      exercise: EXERCISE,
      defaultPort: DEFAULT_PORT,
      description:
        'Random mode (default on a terminal, or with --count/--random): a random SEND_DATE or SEND_TIME at random intervals, with retries, then a summary. Piped stdin: one request per line.',
    })
      .option('--count <n>', `random requests to send (implies --random) (default: ${DEFAULT_COUNT})`, (value) => parseInteger(value, '--count', 0, MAX_COUNT))
      .option('--random', 'random mode even when stdin is piped')
      .addOption(
        new Option('--interval <min-max>', 'pause between random requests, a range of durations (1-2s, 10-20ms, 500ms-1.5s) or one (500ms)')
          .argParser(parseInterval)
          .default(DEFAULT_INTERVAL, formatInterval(DEFAULT_INTERVAL)),
      )
      .addOption(durationOption('--timeout <duration>', 'wait this long for a reply before resending (250ms, 1s)', DEFAULT_TIMEOUT_MS))
      .option('--retries <n>', 'resends before a request counts as lost', (value) => parseInteger(value, '--retries', 0, 100), DEFAULT_RETRIES)
      .option('--seed <n>', 'seed of the random choices (default: random, printed on stderr)', (value) => parseInteger(value, '--seed', 0))
      .action(async (options: ClientOptions) => {
        await runClient(options);
      }),
  );
  return command;
}
