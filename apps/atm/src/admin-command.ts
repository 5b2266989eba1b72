/**
 * A lab machine's bank store, looked after from the command line (D5 of the newcomer review):
 *
 * - `netlab atm accounts [--store S] [--json]`: every account, its balance and whether the card is locked;
 * - `netlab atm unlock CARD [--store S]`: clears the card's wrong-PIN count;
 * - `netlab atm reset [--store S] --yes`: deletes a SQLite store (file, WAL, shared memory and its
 *   own key file) so that the next `atm server` seeds the demo accounts again.
 *
 * They refuse with one clear line: a store that does not exist (never created: nothing is made
 * by looking), `memory` (lives only inside a server), a damaged file or another bank key (the
 * opener's own errors), a store another process holds locked.
 */
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, Command } from '@netlab/cli-kit';
import { formatAmount } from '@netlab/service-atm';
import { type StoreSpec, defaultStoreSpec, describeStore, openLedger, parseStoreSpec } from './store-spec.js';

interface StoreFlags {
  readonly store: string;
  readonly bankKey?: string;
}

/** Parses `--store` and refuses what an admin command cannot use. */
function existingStore(flags: StoreFlags, what: string): StoreSpec {
  const spec = parseStoreSpec(flags.store);
  if (spec.kind === 'memory' || (spec.kind === 'sqlite' && spec.path === ':memory:')) {
    throw new CliError('ERR_USAGE', `--store ${flags.store} lives only inside a running server: there is nothing to ${what}`);
  }
  if (spec.kind === 'sqlite' && !existsSync(spec.path)) {
    throw new CliError('ERR_INPUT', `no store at ${spec.path} (a server creates it, with the demo accounts, on its first start: netlab atm server --store sqlite:${spec.path})`);
  }
  return spec;
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT';
}

async function withLedger<T>(spec: StoreSpec, flags: StoreFlags, run: (ledger: Awaited<ReturnType<typeof openLedger>>['ledger']) => Promise<T>): Promise<T> {
  let opened: Awaited<ReturnType<typeof openLedger>>;
  try {
    opened = await openLedger(spec, { ...(flags.bankKey === undefined ? {} : { bankKeyFile: resolve(flags.bankKey) }), pinHashCost: 4 });
  } catch (error) {
    if (isBusy(error)) throw new CliError('ERR_INPUT', `the store ${describeStore(spec)} is locked by another process (a server writing to it?): try again, or stop the server first`, { cause: error });
    throw error;
  }
  try {
    return await run(opened.ledger);
  } catch (error) {
    if (isBusy(error)) throw new CliError('ERR_INPUT', `the store ${describeStore(spec)} is locked by another process (a server writing to it?): try again, or stop the server first`, { cause: error });
    throw error;
  } finally {
    await opened.ledger.close();
  }
}

const storeOption = (command: Command): Command =>
  command
    .option('--store <spec>', 'sqlite:PATH or postgres://… (see atm --help)', defaultStoreSpec())
    .option('--bank-key <file>', 'the store\'s bank key file, if not the default (see atm --help)');

/** `atm accounts`, `atm unlock CARD`, `atm reset`. */
export function createAdminCommands(): Command[] {
  const accounts = storeOption(new Command('accounts').description('List the accounts of a bank store: card, holder, balance, locked.'))
    .option('--json', 'one JSON array (balances in minor units)')
    .action(async (flags: StoreFlags & { readonly json?: boolean }) => {
      const spec = existingStore(flags, 'list');
      const list = await withLedger(spec, flags, (ledger) => ledger.accounts());
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify(list)}\n`);
        return;
      }
      const width = Math.max(4, ...list.map((a) => a.card.length));
      const holder = Math.max(6, ...list.map((a) => a.holder.length));
      process.stdout.write(`${'card'.padEnd(width)}  ${'holder'.padEnd(holder)}  ${'balance'.padStart(16)}  status\n`);
      for (const a of list) process.stdout.write(`${a.card.padEnd(width)}  ${a.holder.padEnd(holder)}  ${formatAmount(a.balance).padStart(16)}  ${a.locked ? 'locked (netlab atm unlock ' + a.card + ')' : 'ok'}\n`);
    });

  const unlock = storeOption(new Command('unlock').description('Unlock a card locked by three wrong PINs (clears its wrong-PIN count).'))
    .argument('<card>', 'card number')
    .action(async (card: string, flags: StoreFlags) => {
      const spec = existingStore(flags, 'unlock');
      const found = await withLedger(spec, flags, async (ledger) => {
        const before = (await ledger.accounts()).find((a) => a.card === card);
        if (before === undefined) return undefined;
        await ledger.unlock(card);
        return before.locked;
      });
      if (found === undefined) throw new CliError('ERR_INPUT', `no account with card ${card} in ${describeStore(spec)} (netlab atm accounts lists them)`);
      process.stdout.write(found ? `unlocked ${card}\n` : `${card} was not locked (its wrong-PIN count is now 0)\n`);
    });

  const reset = storeOption(new Command('reset').description('Delete a SQLite bank store so the next server start seeds the demo accounts again.'))
    .option('--yes', 'really delete it (without: say what would be deleted, exit 1)')
    .action(async (flags: StoreFlags & { readonly yes?: boolean }) => {
      const spec = existingStore(flags, 'reset');
      if (spec.kind !== 'sqlite') {
        throw new CliError('ERR_USAGE', `reset deletes SQLite files only; for ${describeStore(spec)} drop the schema yourself (DROP SCHEMA … CASCADE), or use another ?schema=`);
      }
      // Opening it proves it is a bank (not some other file named on the command line) with this key.
      await withLedger(spec, flags, () => Promise.resolve());
      const ownKey = flags.bankKey === undefined && (process.env.NETLAB_ATM_BANK_KEY ?? '') === '' ? `${spec.path}.key` : undefined;
      const files = [spec.path, `${spec.path}-wal`, `${spec.path}-shm`, ...(ownKey === undefined ? [] : [ownKey])].filter((file) => existsSync(file));
      if (flags.yes !== true) {
        throw new CliError('ERR_USAGE', `reset would delete ${files.join(', ')}: stop any server using it, then add --yes`);
      }
      for (const file of files) rmSync(file, { force: true });
      process.stdout.write(`deleted ${files.join(', ')}; the next netlab atm server --store sqlite:${spec.path} seeds the demo accounts again\n`);
    });

  return [accounts, unlock, reset];
}
