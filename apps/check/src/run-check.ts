/**
 * The action of `netlab check`: validates the flags, picks the suite (built-in or a file),
 * runs it against the target and writes the report. Every checker problem becomes one
 * `error: …` line with exit status 2; failed cases are exit status 1. Target process groups
 * are killed on SIGINT/SIGTERM and at exit, whatever state the run is in.
 */
import { randomInt } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import {
  CLIENT_SUITES,
  CheckError,
  type CheckReport,
  type ClientSuite,
  SERVER_SUITES,
  type ServerSuite,
  createClientRunner,
  createServerTarget,
  findSuite,
  formatProgressLine,
  formatReport,
  killAllTargets,
  loadSuiteFile,
  parseHostPort,
  parseReportFormat,
  runClientSuite,
  runServerSuite,
  selectCases,
} from '@netlab/check';
import { CliError, useColor } from '@netlab/cli-kit';

export interface CheckCliOptions {
  readonly server?: string;
  readonly serverCmd?: string;
  readonly clientCmd?: string;
  readonly suite?: string;
  readonly format: string;
  readonly output?: string;
  readonly seed?: string;
  readonly only?: string;
  readonly list?: boolean;
  readonly timeScale: string;
  readonly faults: boolean;
}

const EXIT_USAGE = 2;

function usage(message: string): CliError {
  return new CliError('ERR_USAGE', message, { exitCode: EXIT_USAGE });
}

function parseSeed(value: string | undefined): number {
  if (value === undefined) return randomInt(0, 2 ** 31);
  if (!/^\d{1,15}$/u.test(value)) throw usage(`invalid --seed "${value}": expected a whole number (0, 42, 123456)`);
  return Number(value);
}

function parseTimeScale(value: string): number {
  const n = /^\d+(?:\.\d+)?$/u.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 0.1 && n <= 100)) throw usage(`invalid --time-scale "${value}": expected a factor from 0.1 to 100 (1, 2.5, 10)`);
  return n;
}

function listCases(title: string, cases: readonly { id: string; points: number; title: string }[]): string {
  const width = Math.max(...cases.map((c) => c.id.length));
  return [title, ...cases.map((c) => `  ${c.id.padEnd(width)}  ${String(c.points).padStart(2)}  ${c.title}`)].join('\n');
}

let handlersInstalled = false;

/** Kill every target group on the way out, however the process ends. */
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllTargets);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAllTargets();
      process.stderr.write(`netlab check: ${signal}, stopped; every target process was killed\n`);
      process.exit(130);
    });
  }
}

async function chooseSuite(exercise: string | undefined, options: CheckCliOptions): Promise<ServerSuite | ClientSuite> {
  if (options.suite !== undefined) {
    if (options.clientCmd !== undefined) throw usage('--suite describes server cases: use it with --server or --server-cmd');
    return loadSuiteFile(options.suite);
  }
  if (exercise === undefined) throw usage('name an exercise (netlab check echo …) or give --suite FILE');
  return options.clientCmd !== undefined ? findSuite(exercise, 'client') : findSuite(exercise, 'server');
}

/** Runs `netlab check`; resolves with the exit status. */
export async function runCheck(exercise: string | undefined, options: CheckCliOptions): Promise<number> {
  try {
    return await run(exercise, options);
  } catch (error) {
    if (error instanceof CheckError && error.code !== 'ERR_CASE_FAILED') throw usage(error.message);
    throw error;
  }
}

async function run(exercise: string | undefined, options: CheckCliOptions): Promise<number> {
  const format = parseReportFormat(options.format);
  const timeScale = parseTimeScale(options.timeScale);
  const only = options.only?.split(',').map((id) => id.trim()).filter((id) => id !== '');
  if (options.list === true) {
    if (options.suite !== undefined) {
      const suite = await loadSuiteFile(options.suite);
      process.stdout.write(`${listCases(`${suite.exercise} (${options.suite}), server cases:`, selectCases(suite.cases, only))}\n`);
      return 0;
    }
    if (exercise === undefined) {
      const names = [...new Set([...SERVER_SUITES, ...CLIENT_SUITES].map((s) => s.exercise))];
      process.stdout.write(`exercises with suites: ${names.join(', ')}\n`);
      return 0;
    }
    const server = SERVER_SUITES.find((s) => s.exercise === exercise);
    const client = CLIENT_SUITES.find((s) => s.exercise === exercise);
    if (server === undefined && client === undefined) findSuite(exercise, 'server');
    const parts: string[] = [];
    if (server !== undefined) parts.push(listCases(`${exercise} server cases (--server / --server-cmd):`, selectCases(server.cases, only)));
    if (client !== undefined) parts.push(listCases(`${exercise} client cases (--client-cmd):`, selectCases(client.cases, only)));
    process.stdout.write(`${parts.join('\n\n')}\n`);
    return 0;
  }
  const targets = [options.server, options.serverCmd, options.clientCmd].filter((t) => t !== undefined);
  if (targets.length !== 1) throw usage('give exactly one target: --server HOST:PORT, --server-cmd CMD or --client-cmd CMD');
  const seed = parseSeed(options.seed);
  const suite = await chooseSuite(exercise, options);
  installExitHandlers();
  const progress = process.stderr.isTTY;
  const color = useColor(process.stderr);
  const runOptions = {
    seed,
    timeScale,
    faults: options.faults,
    ...(only === undefined ? {} : { only }),
    ...(progress
      ? {
          onCaseEnd: (result: CheckReport['cases'][number], index: number, total: number) => {
            process.stderr.write(`${formatProgressLine(result, index, total, color)}\n`);
          },
        }
      : {}),
  };
  let report: CheckReport;
  if (suite.role === 'client') {
    if (options.clientCmd === undefined) throw usage(`the ${suite.exercise} client suite needs --client-cmd`);
    report = await runClientSuite(suite, createClientRunner(options.clientCmd), runOptions);
  } else {
    if (options.clientCmd !== undefined) throw usage(`--client-cmd needs a client suite; ${suite.exercise} has a server suite`);
    const spec =
      options.server !== undefined
        ? ({ kind: 'address', ...parseHostPort(options.server) } as const)
        : ({ kind: 'command', command: options.serverCmd ?? '', startTimeoutMs: Math.round(15_000 * timeScale) } as const);
    report = await runServerSuite(suite, createServerTarget(spec, suite.transport), runOptions);
  }
  const text = formatReport(report, format, { color: format === 'text' && options.output === undefined && useColor(process.stdout) });
  if (options.output !== undefined) {
    await writeFile(options.output, text);
    process.stdout.write(`netlab check ${report.exercise}: score ${report.score}/${report.maxScore}, ${report.passed} passed, ${report.failed} failed (seed ${report.seed}); ${format} report in ${options.output}\n`);
  } else {
    process.stdout.write(text);
  }
  return report.failed === 0 ? 0 : 1;
}
