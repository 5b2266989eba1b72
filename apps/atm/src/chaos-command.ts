/**
 * `netlab atm chaos`: flags, progress bar (stderr, only on a terminal), summary, optional SVG and
 * Mermaid files; exit status 0 when every check passed, 1 otherwise.
 */
import { writeFileSync } from 'node:fs';
import { CliError, Command, durationOption, parseHost, parseInteger, parsePort, parseProbability, paint } from '@netlab/cli-kit';
import { type ChaosProgress, type ChaosResult, runChaos } from './chaos.js';
import { formatChaosSummary, renderChaosSvg, renderLostReplyMermaid } from './chaos-report.js';

interface ChaosFlags {
  readonly transport: string;
  readonly clients: number;
  readonly operations: number;
  readonly kills: number;
  readonly loss: number;
  readonly seed?: number;
  readonly store?: string;
  readonly replicas: number;
  readonly crashAfterCommit: number;
  readonly host?: string;
  readonly port?: number;
  readonly maxTime: number;
  readonly svg?: string;
  readonly mermaid?: string;
  readonly keepStore?: boolean;
  readonly serverHost?: string;
  readonly serverNetns?: string;
  readonly direct?: boolean;
  readonly json?: boolean;
}

/** A network namespace name as `ip netns` accepts it (and nothing a shell or ip would read otherwise). */
function parseNetnsName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(value)) throw new CliError('ERR_USAGE', `invalid --server-netns "${value}": expected letters, digits, "_", "." or "-" (at most 64)`);
  return value;
}

/** The `--json` report: one object (no samples, no trace; write those with --svg / --mermaid). */
export function chaosJson(result: ChaosResult, seed: number): string {
  return JSON.stringify({
    passed: result.passed,
    seed,
    transport: result.options.transport,
    clients: result.options.clients,
    store: result.storeLabel,
    durationMs: result.durationMs,
    operations: result.operations,
    link: result.link,
    observedLoss: result.observedLoss,
    kills: result.kills,
    killsUnderLoad: result.killsUnderLoad,
    crashes: result.crashes,
    acknowledged: result.acknowledged,
    unresolved: result.unresolved,
    checks: result.checks,
  });
}

function progressBar(progress: ChaosProgress): string {
  const width = 30;
  const filled = Math.round((progress.done / Math.max(1, progress.total)) * width);
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${progress.done}/${progress.total} operations, ${progress.kills} kills `;
}

/** Builds the `chaos` subcommand. */
export function createChaosCommand(): Command {
  return new Command('chaos')
    .description('Run N ATMs × M operations through lossy fault proxies while killing the server (SIGKILL) K times, then check the books from the store.')
    .option('--transport <tcp|udp>', 'transport', 'tcp')
    .option('--clients <n>', 'concurrent ATMs', (v) => parseInteger(v, '--clients', 1, 256), 8)
    .option('--operations <n>', 'random operations per ATM', (v) => parseInteger(v, '--operations', 1, 100_000), 200)
    .option('--kills <n>', 'SIGKILLs of the server under load', (v) => parseInteger(v, '--kills', 0, 1_000), 10)
    .option('--loss <p>', 'loss in each direction (0.2 or 20%)', (v) => parseProbability(v, '--loss'), 0.2)
    .option('--seed <n>', 'seed of every random choice (default: random, printed)', (v) => parseInteger(v, '--seed', 0))
    .option('--store <spec>', 'the servers\' store (default: a fresh SQLite file in a temp dir)')
    .option('--replicas <n>', 'servers sharing a postgres:// store; ATMs fail over between them', (v) => parseInteger(v, '--replicas', 1, 2), 1)
    .option('--crash-after-commit <p>', 'also let the servers crash between commit and reply', (v) => parseProbability(v, '--crash-after-commit'), 0)
    .option('--host <host>', 'target a running server instead of starting one (no kills)', parseHost)
    .option('--port <port>', 'port of the running server (with --host)', parsePort)
    .addOption(durationOption('--max-time <duration>', 'stop operations after this long and fail (90s, 5min)', 170_000))
    .option('--svg <file>', 'write a chart of attempts, retries and errors over time')
    .option('--mermaid <file>', 'write a sequence diagram of one withdrawal whose reply was lost')
    .option('--keep-store', 'keep the temporary store / PostgreSQL schema for inspection')
    .option('--server-host <address>', 'address the servers bind to and the ATMs reach them at (another host on a real link; default 127.0.0.1)', parseHost)
    .option('--server-netns <name>', 'start the servers inside this network namespace (ip netns exec; root only)', parseNetnsName)
    .option('--direct', 'no fault proxies: the ATMs talk to the servers straight and the network supplies the loss (--loss defaults to 0 and must stay 0)')
    .option('--json', 'print the result as one JSON object on stdout (other lines go to stderr); same exit status')
    .action(async (flags: ChaosFlags, command: Command) => {
      if (flags.transport !== 'tcp' && flags.transport !== 'udp') throw new CliError('ERR_USAGE', `invalid --transport "${flags.transport}": expected tcp or udp`);
      if ((flags.host === undefined) !== (flags.port === undefined)) throw new CliError('ERR_USAGE', '--host and --port go together');
      if (flags.host !== undefined && (flags.serverHost !== undefined || flags.serverNetns !== undefined)) throw new CliError('ERR_USAGE', '--server-host and --server-netns start servers: they do not go with --host (a running server)');
      const direct = flags.direct === true;
      if (direct && command.getOptionValueSource('loss') === 'cli' && flags.loss > 0) {
        throw new CliError('ERR_USAGE', `--direct takes its loss from the network (e.g. nftables on the link): --loss must be 0, not ${String(flags.loss)}`);
      }
      const seed = flags.seed ?? Math.floor(Math.random() * 2 ** 31);
      const tty = process.stderr.isTTY;
      process.stderr.write(`atm chaos: seed ${seed}\n`);
      let last = 0;
      const result = await runChaos({
        transport: flags.transport,
        clients: flags.clients,
        operations: flags.operations,
        kills: flags.host === undefined ? flags.kills : 0,
        loss: direct ? 0 : flags.loss,
        seed,
        replicas: flags.replicas,
        crashAfterCommit: flags.crashAfterCommit,
        maxTimeMs: flags.maxTime,
        ...(flags.store === undefined ? {} : { store: flags.store }),
        ...(flags.host === undefined || flags.port === undefined ? {} : { target: { host: flags.host, port: flags.port } }),
        ...(flags.keepStore === true ? { keepStore: true } : {}),
        ...(flags.serverHost === undefined ? {} : { serverHost: flags.serverHost }),
        ...(flags.serverNetns === undefined ? {} : { serverNetns: flags.serverNetns }),
        ...(direct ? { direct: true } : {}),
        ...(tty
          ? {
              onProgress: (progress: ChaosProgress) => {
                const now = Date.now();
                if (now - last < 100 && progress.done < progress.total) return;
                last = now;
                process.stderr.write(progressBar(progress));
              },
            }
          : {}),
      }).catch((error: unknown) => {
        if (tty) process.stderr.write('\n');
        throw new CliError('ERR_USAGE', `chaos run could not start: ${error instanceof Error ? error.message : String(error)}`);
      });
      if (tty) process.stderr.write('\n');
      const info = flags.json === true ? process.stderr : process.stdout;
      if (flags.json === true) process.stdout.write(`${chaosJson(result, seed)}\n`);
      else {
        for (const line of formatChaosSummary(result)) {
          process.stdout.write(`${line.startsWith('PASS') ? paint('green', line) : line.startsWith('FAIL') ? paint('red', line) : line}\n`);
        }
      }
      if (flags.svg !== undefined) {
        writeFileSync(flags.svg, renderChaosSvg(result.samples, `atm chaos, ${flags.transport}, seed ${seed}: attempts, retries and errors per 0.5 s`, result.killTimes));
        info.write(`chart written to ${flags.svg}\n`);
      }
      if (flags.mermaid !== undefined) {
        writeFileSync(flags.mermaid, renderLostReplyMermaid(result.lostReply));
        info.write(`sequence diagram written to ${flags.mermaid}\n`);
      }
      process.exitCode = result.passed ? 0 : 1;
    });
}
