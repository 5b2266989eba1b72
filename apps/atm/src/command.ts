/**
 * `netlab atm`: a bank server and an ATM client with exactly-once withdrawals over TCP or UDP,
 * and a chaos run that proves it. Protocol: docs/protocols/atm.md. Default port 7110.
 */
import { resolve } from 'node:path';
import { CliError, type Command, durationOption, parseInteger, parsePort, parseProbability } from '@netlab/cli-kit';
import {
  type AddressOptions,
  type ClientTlsFlags,
  type ServerTlsFlags,
  addClientTlsOptions,
  addServerTlsOptions,
  createClientCommand,
  createExerciseCommand,
  createServerCommand,
  resolveClientTls,
} from '@netlab/exercise-kit';
import { createAdminCommands } from './admin-command.js';
import { createChaosCommand } from './chaos-command.js';
import { type ScriptedOperation, resolvePin, runInteractiveClient, runScriptedClient, scriptedJson } from './client.js';
import { runAtmServer } from './server.js';
import { defaultStoreSpec, parseStoreSpec } from './store-spec.js';

export { atmTourPart as tourPart } from './tour.js';

export const EXERCISE = 'atm';
/** The documented default port of the ATM exercise (TCP and UDP). */
export const DEFAULT_PORT = 7110;

const parseTransport = (value: string): 'tcp' | 'udp' => {
  if (value !== 'tcp' && value !== 'udp') throw new CliError('ERR_USAGE', `invalid --transport "${value}": expected tcp or udp`);
  return value;
};

const parseRate = (value: string): { burst: number; perSecond: number } => {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (match === null) throw new CliError('ERR_USAGE', `invalid --unauthenticated-rate "${value}": expected BURST/PER-SECOND, e.g. 100/20`);
  const burst = parseInteger(match[1] ?? '', '--unauthenticated-rate burst', 1, 1_000_000);
  const perSecond = parseInteger(match[2] ?? '', '--unauthenticated-rate per-second', 1, 1_000_000);
  return { burst, perSecond };
};

interface ServerFlags extends AddressOptions, ServerTlsFlags {
  readonly transport: 'tcp' | 'udp';
  readonly store: string;
  readonly dropRequests: number;
  readonly dropReplies: number;
  readonly crashAfterCommit: number;
  readonly seed: number;
  readonly sessionIdle?: number;
  readonly groupCommit: boolean;
  readonly inlineSync?: boolean;
  readonly pinCost?: number;
  readonly bankKey?: string;
  readonly unauthenticatedRate?: { readonly burst: number; readonly perSecond: number };
  readonly ws?: number;
}

interface ClientFlags extends AddressOptions, ClientTlsFlags {
  readonly transport: 'tcp' | 'udp';
  readonly card?: string;
  readonly pin?: string;
  readonly pinStdin?: boolean;
  readonly timeout: number;
  readonly retransmit: number;
  readonly json?: boolean;
}

const HELP = `Stores (--store):
  sqlite:PATH          durable, group-committed (default: ${defaultStoreSpec()}); the directory must exist
  memory               lost when the server stops
  postgres://USER@HOST:PORT/DB?schema=NAME   durable, shared by replicas

Bank key (the PIN and session secret, never kept in the store): $NETLAB_ATM_BANK_KEY (64 hex),
else --bank-key FILE, else sqlite:PATH → PATH.key, postgres → a file in the data dir, memory → random;
created on a new store's first start. A store opened with another key is refused.

Scripted client output (one line): OK … (exit 0), DECLINED <CODE> … (exit 2), ERROR … (exit 1).
The PIN comes from --pin (visible in ps!), $NETLAB_ATM_PIN, or the first stdin line with --pin-stdin.
Demo cards: 123456789 (Lab User), 1000000001..1000000004; every PIN is 1234.

Examples:
  netlab atm server --store sqlite:./atm.db
  netlab atm server --transport udp --drop-replies 30% --crash-after-commit 5%
  NETLAB_ATM_PIN=1234 netlab atm client --card 123456789 withdraw 500
  netlab atm client --card 123456789          (interactive menu)
  netlab atm chaos --clients 8 --operations 200 --kills 10 --loss 20%
  netlab atm accounts                  (cards, balances, locked or not, in the default store)
  netlab atm unlock 123456789          (after three wrong PINs)
  netlab atm reset --yes               (delete the store: the next server start seeds the demo accounts)`;

/** The TLS flags when any is given: TCP only (`ERR_USAGE` with `--transport udp`; DTLS is not offered). */
function tlsFlagsFor<Flags extends ServerTlsFlags | ClientTlsFlags>(transport: 'tcp' | 'udp', flags: Flags): Flags | undefined {
  const given = Object.entries(flags).some(([name, value]) => name.startsWith('tls') && value !== undefined && value !== false);
  if (!given) return undefined;
  if (transport === 'udp') throw new CliError('ERR_USAGE', 'TLS is for --transport tcp (the UDP ATM has no TLS)');
  return flags;
}

/** Builds `atm` with its `server`, `client` and `chaos` subcommands. */
export function createCommand(): Command {
  const command = createExerciseCommand({
    name: EXERCISE,
    description: 'TCP or UDP: a bank and an ATM with exactly-once withdrawals (PIN, balance, deposit, withdraw + confirm/reversal).',
    transport: 'tcp',
    defaultPort: DEFAULT_PORT,
    helpText: HELP,
  });

  command.addCommand(
    addServerTlsOptions(createServerCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT }))
      .option('--transport <tcp|udp>', 'transport', parseTransport, 'tcp')
      .option('--store <spec>', 'sqlite:PATH, memory or postgres://… (see atm --help)', defaultStoreSpec())
      .option('--drop-requests <p>', 'fault: drop this share of requests before they run (0.2 or 20%)', (v) => parseProbability(v, '--drop-requests'), 0)
      .option('--drop-replies <p>', 'fault: drop this share of replies after their request committed', (v) => parseProbability(v, '--drop-replies'), 0)
      .option('--crash-after-commit <p>', 'fault: after this share of commits, die (SIGKILL) before replying', (v) => parseProbability(v, '--crash-after-commit'), 0)
      .option('--seed <n>', 'seed of the fault decisions', (v) => parseInteger(v, '--seed', 0), 1)
      .addOption(durationOption('--session-idle <duration>', 'idle time before a session expires (default: 5min; 90s, 10min)'))
      .option('--bank-key <file>', 'file holding the bank key (64 hex; created for a new store); see atm --help')
      .option('--unauthenticated-rate <burst/per-s>', 'logins and refused requests allowed per peer address: BURST/PER-SECOND (default 100/20; all peers together 5×)', parseRate)
      .option('--no-group-commit', 'one transaction per request (benchmark baseline)')
      .option('--inline-sync', 'SQLite: fsync each group commit on the event loop, the old writer (benchmark baseline; default: on the thread pool)')
      .option('--ws <port>', 'also serve the bank over WebSocket on this port (one JSON envelope per binary frame; 0 = any free port)', parsePort)
      .addOption(command.createOption('--pin-cost <n>', 'scrypt cost (log2 N) of the seeded PINs').argParser((v) => parseInteger(v, '--pin-cost', 4, 20)).hideHelp())
      .action(async (flags: ServerFlags) => {
        const tls = tlsFlagsFor(flags.transport, flags);
        await runAtmServer({
          host: flags.host,
          port: flags.port,
          transport: flags.transport,
          ...(tls === undefined ? {} : { tls }),
          store: parseStoreSpec(flags.store),
          ...(flags.store === defaultStoreSpec() ? { createStoreDirectory: true } : {}),
          ...(flags.bankKey === undefined ? {} : { bankKeyFile: resolve(flags.bankKey) }),
          dropRequests: flags.dropRequests,
          dropReplies: flags.dropReplies,
          crashAfterCommit: flags.crashAfterCommit,
          seed: flags.seed,
          ...(flags.sessionIdle === undefined ? {} : { limits: { sessionIdleMs: Math.max(1, flags.sessionIdle) } }),
          ...(flags.groupCommit ? {} : { noGroupCommit: true }),
          ...(flags.inlineSync === true ? { inlineSync: true } : {}),
          ...(flags.pinCost === undefined ? {} : { pinHashCost: flags.pinCost }),
          ...(flags.unauthenticatedRate === undefined ? {} : { unauthenticatedRate: flags.unauthenticatedRate }),
          ...(flags.ws === undefined ? {} : { wsPort: flags.ws }),
        });
      }),
  );

  command.addCommand(
    addClientTlsOptions(
      createClientCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT, description: 'The ATM: scripted with an operation (balance | withdraw AMOUNT | deposit AMOUNT), else the interactive menu.' }),
    )
      .argument('[operation]', 'balance, withdraw or deposit (omit for the interactive menu)')
      .argument('[amount]', 'for withdraw and deposit: currency units, at most two decimals')
      .allowUnknownOption()
      .option('--transport <tcp|udp>', 'transport', parseTransport, 'tcp')
      .option('--card <number>', 'card number')
      .option('--pin <pin>', 'PIN (visible in ps; prefer $NETLAB_ATM_PIN or --pin-stdin)')
      .option('--pin-stdin', 'read the PIN from the first line of stdin')
      .addOption(durationOption('--timeout <duration>', 'time without a reply before a request is given up (2s, 500ms)', 5_000))
      .addOption(durationOption('--retransmit <duration>', 'first retransmission delay, doubling up to 2s (200ms, 1s)', 200))
      .option('--json', 'scripted: print the result as one JSON object instead of the OK/DECLINED/ERROR line (same exit status)')
      .action(async (operation: string | undefined, amount: string | undefined, flags: ClientFlags) => {
        // Unknown options are let through only so that `withdraw -5` reaches the amount check.
        for (const word of [operation, amount]) {
          if (word?.startsWith('--') === true) throw new CliError('ERR_USAGE', `unknown option '${word}'`);
        }
        const tlsFlags = tlsFlagsFor(flags.transport, flags);
        const tls = tlsFlags === undefined ? undefined : resolveClientTls(tlsFlags, (line) => process.stderr.write(`${line}\n`));
        const common = {
          host: flags.host,
          port: flags.port,
          transport: flags.transport,
          timeoutMs: Math.max(1, flags.timeout),
          retransmitMs: Math.max(1, flags.retransmit),
          ...(tls === undefined ? {} : { tls }),
        };
        if (operation === undefined) {
          const pin = await resolvePin(flags.pin, false);
          const result = await runInteractiveClient({ ...common, ...(flags.card === undefined ? {} : { card: flags.card }), ...(pin === undefined ? {} : { pin }) });
          process.exitCode = result.exitCode;
          return;
        }
        let parsed: ScriptedOperation;
        if (operation === 'balance') {
          if (amount !== undefined) throw new CliError('ERR_USAGE', 'balance takes no amount');
          parsed = { op: 'balance' };
        } else if (operation === 'withdraw' || operation === 'deposit') {
          if (amount === undefined) throw new CliError('ERR_USAGE', `${operation} needs an AMOUNT, e.g. ${operation} 20.50`);
          parsed = { op: operation, amount };
        } else {
          throw new CliError('ERR_USAGE', `unknown operation "${operation}": expected balance, withdraw AMOUNT or deposit AMOUNT`);
        }
        if (flags.card === undefined) throw new CliError('ERR_USAGE', 'a scripted operation needs --card');
        const pin = await resolvePin(flags.pin, flags.pinStdin === true);
        if (pin === undefined) throw new CliError('ERR_USAGE', 'no PIN: give --pin, set NETLAB_ATM_PIN, or use --pin-stdin');
        const result = await runScriptedClient({ ...common, card: flags.card, pin, operation: parsed }, (line) => process.stderr.write(`${line}\n`));
        process.stdout.write(`${flags.json === true ? scriptedJson(result, parsed.op) : result.line}\n`);
        process.exitCode = result.exitCode;
      }),
  );

  command.addCommand(createChaosCommand());
  for (const admin of createAdminCommands()) command.addCommand(admin);
  return command;
}

/** The bank itself, for apps that start one inside them (`netlab web`). */
export { runAtmServer } from './server.js';
export type { AtmServerOptions } from './server.js';
