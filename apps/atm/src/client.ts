/**
 * `netlab atm client`: the ATM.
 *
 * Scripted (an operation on the command line): logs in, runs it, logs out, prints ONE line on
 * stdout and exits:
 *   `OK balance 1000.00` | `OK withdrew 500.00 balance 500.00` | `OK deposited 200.00 balance 700.00`  (exit 0)
 *   `DECLINED <CODE> <message>`  (exit 2: the bank said no, or the amount was refused before asking)
 *   `ERROR <reason>`             (exit 1: no server, no answer, outcome unknown)
 * A withdrawal is authorized, "dispensed", then confirmed. Resends are reported on stderr.
 *
 * Interactive (no operation): the lab's menu. The PIN is read without echo on a terminal.
 *
 * The PIN comes from `--pin`, else `$NETLAB_ATM_PIN`, else the first line of stdin with
 * `--pin-stdin`, else (interactive, on a terminal) a hidden prompt. `--pin` is visible to other
 * users in `ps`; prefer the environment variable or stdin on shared machines.
 */
import { Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { CliError, formatUrl } from '@netlab/cli-kit';
import type { TcpClientTlsOptions } from '@netlab/transport-tcp';
import { type AtmClient, type AtmReply, createAtmClient, formatAmount, isAtmError, isValidCardNumber, isValidPin, parseAmount } from '@netlab/service-atm';
import { type ClientLink as AtmLink, type LinkStats, createClientLink as createAtmLink, observedLoss } from '@netlab/request-log/link';
import { probeBank } from './reachability.js';

/** Longest wait for the reachability check before the first request, ms. */
export const PROBE_WAIT_MS = 3000;

export type ScriptedOperation = { readonly op: 'balance' } | { readonly op: 'withdraw' | 'deposit'; readonly amount: string };

export interface ClientCommonOptions {
  readonly host: string;
  readonly port: number;
  readonly transport: 'tcp' | 'udp';
  /** Give-up time per request before its outcome is unknown, ms. */
  readonly timeoutMs: number;
  /** First retransmission delay, ms. */
  readonly retransmitMs: number;
  /** TCP only: speak TLS (`--tls` flags, resolved). Default: plain TCP. */
  readonly tls?: TcpClientTlsOptions;
}

export interface ScriptedClientOptions extends ClientCommonOptions {
  readonly card: string;
  readonly pin: string;
  readonly operation: ScriptedOperation;
}

/** One result line and the exit code it goes with, and the same as data (`--json`). */
export interface ScriptedResult {
  readonly line: string;
  readonly exitCode: 0 | 1 | 2;
  /** `ok` (exit 0), `declined` (2), `error` (1). */
  readonly result: 'ok' | 'declined' | 'error';
  /** The bank's response code (`APPROVED`, `INSUFFICIENT_FUNDS`, …), or `INVALID_AMOUNT` refused before sending; absent for errors. */
  readonly code?: string;
  readonly message: string;
  /** Minor units. */
  readonly amount?: number;
  /** Minor units. */
  readonly balance?: number;
  readonly triesLeft?: number;
}

const failed = (message: string): ScriptedResult => ({ line: `ERROR ${message}`, exitCode: 1, result: 'error', message });

const approved = (line: string, reply: { readonly balance?: number | undefined }, amount?: number): ScriptedResult => ({
  line,
  exitCode: 0,
  result: 'ok',
  code: 'APPROVED',
  message: 'approved',
  ...(amount === undefined ? {} : { amount }),
  ...(reply.balance === undefined ? {} : { balance: reply.balance }),
});

const declined = (reply: AtmReply): ScriptedResult => {
  const extra = reply.triesLeft === undefined ? (reply.balance === undefined ? '' : ` (balance ${formatAmount(reply.balance)})`) : ` (${reply.triesLeft} ${reply.triesLeft === 1 ? 'try' : 'tries'} left)`;
  return {
    line: `DECLINED ${reply.code} ${reply.message}${extra}`,
    exitCode: 2,
    result: 'declined',
    code: reply.code,
    message: reply.message,
    ...(reply.balance === undefined ? {} : { balance: reply.balance }),
    ...(reply.triesLeft === undefined ? {} : { triesLeft: reply.triesLeft }),
  };
};

/** The `--json` line of a scripted result: `{"result":"ok","operation":"withdraw","code":"APPROVED",…}`. */
export function scriptedJson(result: ScriptedResult, operation: ScriptedOperation['op']): string {
  const { line: _line, result: outcome, ...data } = result;
  return JSON.stringify({ result: outcome, operation, ...data });
}

function openLink(options: ClientCommonOptions, onResend: (op: string, attempt: number) => void): AtmLink {
  return createAtmLink({
    transport: options.transport,
    endpoints: [{ host: options.host, port: options.port }],
    initialRetransmitMs: options.retransmitMs,
    maxRetransmitMs: Math.max(options.retransmitMs, 2_000),
    giveUpAfterMs: options.timeoutMs,
    unknownRetries: 1,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    onEvent: (event) => {
      if (event.type === 'send' && event.attempt > 1) onResend(event.op, event.attempt);
    },
  });
}

function describeFailure(error: unknown, where: string): string {
  if (isAtmError(error, 'ERR_OUTCOME_UNKNOWN')) return `outcome unknown: ${error.message}`;
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_OUTCOME_UNKNOWN') return `outcome unknown: no reply from ${where}`;
  return error instanceof Error ? error.message : String(error);
}

/** Runs one scripted operation; never throws. */
export async function runScriptedClient(options: ScriptedClientOptions, note: (line: string) => void): Promise<ScriptedResult> {
  if (!isValidCardNumber(options.card)) return failed('invalid card number: 6 to 19 digits');
  if (!isValidPin(options.pin)) return failed('invalid PIN format: 4 to 12 digits');
  let amount = 0;
  if (options.operation.op !== 'balance') {
    const parsed = parseAmount(options.operation.amount);
    if (!parsed.ok) return { line: `DECLINED INVALID_AMOUNT ${parsed.message}`, exitCode: 2, result: 'declined', code: 'INVALID_AMOUNT', message: parsed.message };
    amount = parsed.minor;
  }
  const where = formatUrl(options.transport, options.host, options.port);
  const unreachable = await probeBank(options, Math.min(options.timeoutMs, PROBE_WAIT_MS), where);
  if (unreachable !== undefined) return failed(unreachable);
  // The link's timers are unref'd (a library must not hold a process open): this one keeps the
  // CLI alive while it waits for a server that is down or restarting.
  const keepAlive = setInterval(() => undefined, 60_000);
  const link = openLink(options, (op, attempt) => {
    note(`atm: no reply yet, resending ${op} (attempt ${attempt})`);
  });
  const atm = createAtmClient({ connect: () => link.connect() });
  try {
    let login: AtmReply;
    try {
      login = await atm.login(options.card, options.pin);
    } catch (error) {
      const stats = link.stats();
      // A refused TLS handshake is the reason there was no answer: say it, with its code.
      const refused = link.connectError();
      if (stats.replies === 0 && refused?.code.startsWith('ERR_TLS_') === true) return { ...failed(refused.message), line: `ERROR ${refused.message} (${refused.code})`, code: refused.code };
      return failed(stats.replies === 0 ? `no answer from ${where} (is the server running?)` : describeFailure(error, where));
    }
    if (login.code !== 'APPROVED') return declined(login);
    try {
      switch (options.operation.op) {
        case 'balance': {
          const reply = await atm.balance();
          return reply.code === 'APPROVED' ? approved(`OK balance ${formatAmount(reply.balance ?? 0)}`, reply) : declined(reply);
        }
        case 'deposit': {
          const reply = await atm.deposit(amount);
          return reply.code === 'APPROVED' ? approved(`OK deposited ${formatAmount(amount)} balance ${formatAmount(reply.balance ?? 0)}`, reply, amount) : declined(reply);
        }
        case 'withdraw': {
          const result = await atm.withdraw(amount, () => {
            note(`atm: dispensing ${formatAmount(amount)}`);
            return true;
          });
          if (result.status === 'declined') return declined(result.authorization);
          if (result.status === 'reversed') return failed(`no answer to the withdrawal from ${where}; it was reversed and nothing was withdrawn`);
          return approved(`OK withdrew ${formatAmount(amount)} balance ${formatAmount(result.authorization.balance ?? 0)}`, result.authorization, amount);
        }
      }
    } catch (error) {
      return failed(describeFailure(error, where));
    }
  } finally {
    await Promise.race([atm.logout().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, Math.min(options.timeoutMs, 2_000)).unref())]);
    await link.close();
    clearInterval(keepAlive);
  }
}

/** The error-rate report printed when an interactive session ends. */
export function formatReport(stats: LinkStats): string {
  return [
    'error-rate report:',
    `  requests ${stats.requests}, attempts ${stats.attempts}, retries ${stats.retries}, timeouts ${stats.timeouts},`,
    `  replies served from the log ${stats.fromLog}, observed loss ${(observedLoss(stats) * 100).toFixed(1)}%`,
  ].join('\n');
}

/** Line input with an optional hidden mode (no echo on a terminal). */
interface Prompter {
  ask(prompt: string, hidden?: boolean): Promise<string | undefined>;
  print(line: string): void;
  close(): void;
}

function createPrompter(input: NodeJS.ReadableStream & { isTTY?: boolean }, output: NodeJS.WritableStream): Prompter {
  let muted = false;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  const terminal = input.isTTY === true;
  const rl = createInterface({ input, output: sink, terminal });
  const lines = rl[Symbol.asyncIterator]();
  return {
    async ask(prompt, hidden = false) {
      output.write(prompt);
      muted = hidden && terminal;
      try {
        const next = await lines.next();
        return next.done === true ? undefined : next.value.trim();
      } finally {
        if (muted) output.write('\n');
        muted = false;
      }
    },
    print(line) {
      output.write(`${line}\n`);
    },
    close() {
      rl.close();
    },
  };
}

export interface InteractiveClientOptions extends ClientCommonOptions {
  readonly card?: string;
  readonly pin?: string;
  readonly input?: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly output?: NodeJS.WritableStream;
}

/** How the login loop ended: logged in, the user gave up (end of input), or the bank refused for good (a locked card). */
type LoginOutcome = 'approved' | 'ended' | 'refused';

async function loginLoop(atm: AtmClient, ui: Prompter, options: { readonly card?: string; readonly pin?: string }): Promise<LoginOutcome> {
  let card = options.card;
  let pin = options.pin;
  for (;;) {
    while (card === undefined || !isValidCardNumber(card)) {
      if (card !== undefined) ui.print('A card number is 6 to 19 digits.');
      card = await ui.ask('Card number: ');
      if (card === undefined) return 'ended';
    }
    while (pin === undefined || !isValidPin(pin)) {
      if (pin !== undefined) ui.print('A PIN is 4 to 12 digits.');
      pin = await ui.ask('PIN: ', true);
      if (pin === undefined) return 'ended';
    }
    const reply = await atm.login(card, pin);
    pin = undefined;
    if (reply.code === 'APPROVED') {
      ui.print(`Welcome, ${reply.holder ?? 'customer'}.`);
      return 'approved';
    }
    if (reply.code === 'INCORRECT_PIN') {
      const left = reply.triesLeft ?? 0;
      ui.print(`Incorrect PIN: ${left} ${left === 1 ? 'try' : 'tries'} left before the card is locked.`);
      continue;
    }
    ui.print(`${reply.code}: ${reply.message}`);
    if (reply.code === 'UNKNOWN_CARD') {
      card = undefined;
      continue;
    }
    return 'refused';
  }
}

/** What an interactive session ends with: the link's counters and the exit status (2 when the bank refused the card for good). */
export interface InteractiveResult {
  readonly stats: LinkStats;
  readonly exitCode: number;
}

/**
 * The interactive ATM (menu: 1 balance, 2 withdraw, 3 deposit, 4 exit). Checks that the bank is
 * there before asking for anything (throws `ERR_CONNECT` at once if not). Exit status 2 when the
 * bank refused the card for good (locked), else 0.
 */
export async function runInteractiveClient(options: InteractiveClientOptions): Promise<InteractiveResult> {
  const output = options.output ?? process.stdout;
  const where = formatUrl(options.transport, options.host, options.port);
  const unreachable = await probeBank(options, Math.min(options.timeoutMs, PROBE_WAIT_MS), where);
  if (unreachable !== undefined) throw new CliError('ERR_CONNECT', unreachable);
  const ui = createPrompter(options.input ?? process.stdin, output);
  const keepAlive = setInterval(() => undefined, 60_000);
  const link = openLink(options, (op, attempt) => {
    ui.print(`  (no reply yet: resending ${op}, attempt ${attempt})`);
  });
  const atm = createAtmClient({ connect: () => link.connect() });
  ui.print(`netlab ATM, bank at ${where}`);
  try {
    const first = await loginLoop(atm, ui, options);
    if (first !== 'approved') return { stats: link.stats(), exitCode: first === 'refused' ? 2 : 0 };
    for (;;) {
      ui.print('1 balance   2 withdraw   3 deposit   4 exit');
      const choice = await ui.ask('> ');
      if (choice === undefined || choice === '4' || choice.toLowerCase() === 'exit') break;
      try {
        if (choice === '1') {
          const reply = await atm.balance();
          ui.print(reply.code === 'APPROVED' ? `Balance: ${formatAmount(reply.balance ?? 0)}` : `${reply.code}: ${reply.message}`);
        } else if (choice === '2' || choice === '3') {
          const text = await ui.ask('Amount: ');
          if (text === undefined) break;
          const parsed = parseAmount(text);
          if (!parsed.ok) {
            ui.print(`INVALID_AMOUNT: ${parsed.message}`);
            continue;
          }
          if (choice === '3') {
            const reply = await atm.deposit(parsed.minor);
            ui.print(reply.code === 'APPROVED' ? `Deposited ${formatAmount(parsed.minor)}. Balance: ${formatAmount(reply.balance ?? 0)}` : `${reply.code}: ${reply.message}`);
          } else {
            const result = await atm.withdraw(parsed.minor, () => {
              ui.print(`  dispensing ${formatAmount(parsed.minor)}…`);
              return true;
            });
            if (result.status === 'dispensed') ui.print(`Withdrew ${formatAmount(parsed.minor)}. Balance: ${formatAmount(result.authorization.balance ?? 0)}`);
            else if (result.status === 'declined') ui.print(`${result.authorization.code}: ${result.authorization.message}${result.authorization.balance === undefined ? '' : ` (balance ${formatAmount(result.authorization.balance)})`}`);
            else ui.print('No answer from the bank: the withdrawal was reversed, nothing was withdrawn.');
          }
        } else {
          ui.print('Choose 1, 2, 3 or 4.');
          continue;
        }
      } catch (error) {
        ui.print(`ERROR ${describeFailure(error, where)}`);
      }
      if (atm.session === undefined) {
        ui.print('The session ended; please log in again.');
        if ((await loginLoop(atm, ui, {})) !== 'approved') break;
      }
    }
    // Best effort, briefly: a bank that went away must not hold up the goodbye.
    await Promise.race([atm.logout().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, Math.min(options.timeoutMs, 2_000)).unref())]);
    ui.print('Goodbye.');
    return { stats: link.stats(), exitCode: 0 };
  } finally {
    // The error-rate report is the lab's point only when something was lost.
    const stats = link.stats();
    if (stats.retries > 0 || stats.timeouts > 0) ui.print(formatReport(stats));
    ui.close();
    await link.close();
    clearInterval(keepAlive);
  }
}

/** Resolves the PIN from `--pin`, `$NETLAB_ATM_PIN` or the first line of stdin. */
export async function resolvePin(flag: string | undefined, fromStdin: boolean): Promise<string | undefined> {
  if (flag !== undefined) return flag;
  const env = process.env.NETLAB_ATM_PIN;
  if (env !== undefined && env !== '') return env;
  if (!fromStdin) return undefined;
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line.trim();
  } finally {
    rl.close();
  }
  throw new CliError('ERR_INPUT', '--pin-stdin: no PIN on stdin');
}
