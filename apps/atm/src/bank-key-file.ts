/**
 * Where `netlab atm server` keeps its bank key (the PIN and session secret of
 * `@netlab/service-atm`): never in the store. In this order:
 *
 * 1. `$NETLAB_ATM_BANK_KEY`: 64 hex characters (replicas on one PostgreSQL share it this way);
 * 2. `--bank-key FILE`;
 * 3. by default, per store: `memory` → a random key that lives as long as the process (so does
 *    the store); `sqlite:PATH` → the file `PATH.key`; `postgres://…` → a file in the data dir,
 *    `<data dir>/netlab/atm-keys/<host>_<port>_<db>_<schema>.key`.
 *
 * A key file holds 64 hex characters and a newline, mode 0600. It is created on the first start
 * of a new store (exclusively, so two replicas starting at once end up with one key); a store
 * that already exists but whose key file is missing is refused by the ledger
 * (`ERR_WRONG_BANK_KEY`), and the file this start created for it is removed again.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '@netlab/cli-kit';
import { generateBankKeySecret, parseBankKeySecret } from '@netlab/service-atm';
import type { StoreSpec } from './store-spec.js';

/** Where the key came from, and whether this start created its file. */
export interface BankKeySource {
  readonly secret: Buffer;
  /** `env`, a file path, or `process` (random, in memory only). */
  readonly origin: 'env' | 'process' | { readonly file: string };
  /** True when the file was written just now (it is removed again if the store refuses the key). */
  readonly created: boolean;
}

/** The default key file of a store (undefined: a key in memory only). */
export function defaultBankKeyFile(spec: StoreSpec, dataDir: string): string | undefined {
  switch (spec.kind) {
    case 'memory':
      return undefined;
    case 'sqlite':
      return spec.path === ':memory:' ? undefined : `${spec.path}.key`;
    case 'postgres': {
      const url = new URL(spec.url);
      const name = [url.hostname, url.port === '' ? '5432' : url.port, url.pathname.replace(/^\//, '') || 'postgres', spec.schema]
        .map((part) => part.replace(/[^A-Za-z0-9.-]/g, '-'))
        .join('_');
      return join(dataDir, 'netlab', 'atm-keys', `${name}.key`);
    }
  }
}

function readKeyFile(file: string): Buffer {
  try {
    return parseBankKeySecret(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError('ERR_USAGE', `bank key file ${file} does not hold a key (64 hex characters): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Loads (or, for a file that does not exist yet, creates) the bank key; see the module comment. */
export function loadBankKey(file: string | undefined, env: string | undefined): BankKeySource {
  if (env !== undefined && env !== '') {
    try {
      return { secret: parseBankKeySecret(env), origin: 'env', created: false };
    } catch (error) {
      throw new CliError('ERR_USAGE', `NETLAB_ATM_BANK_KEY must be 64 hex characters`, { cause: error });
    }
  }
  if (file === undefined) return { secret: generateBankKeySecret(), origin: 'process', created: false };
  const secret = generateBankKeySecret();
  try {
    writeFileSync(file, `${secret.toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
    return { secret, origin: { file }, created: true };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'EEXIST') return { secret: readKeyFile(file), origin: { file }, created: false };
    throw new CliError('ERR_USAGE', `cannot create the bank key file ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Removes a key file this start created (the store refused it). */
export function discardCreatedKey(source: BankKeySource): void {
  if (source.created && typeof source.origin === 'object') rmSync(source.origin.file, { force: true });
}

/** Describes where the key lives, for the server's log (never the key). */
export function describeBankKey(source: BankKeySource): string {
  if (source.origin === 'env') return 'from $NETLAB_ATM_BANK_KEY';
  if (source.origin === 'process') return 'random, for this process only';
  return `${source.created ? 'created in' : 'from'} ${source.origin.file}`;
}
