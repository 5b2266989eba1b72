/**
 * The bank behind the ATM screen: started here (`netlab atm server`'s own `runAtmServer`, on a
 * SQLite store: a temporary one, removed on exit, or `--atm-store FILE`, kept), printing
 * `atm listening on tcp://HOST:PORT` like every netlab server so `nc` and `netlab atm client`
 * users reach the same bank; or, with `--atm HOST:PORT`, a running bank the screen attaches to
 * (its ledger view then reads `--atm-store FILE` if given, else shows none).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runAtmServer } from '@netlab/app-atm';
import { CliError, type HostPort } from '@netlab/cli-kit';
import type { Service } from '@netlab/service';
import { createLedgerView } from './atm-ledger-view.js';
import { createAtmRelay } from './atm-relay.js';

export interface AtmStartOptions {
  /** Address the started bank listens on (the page's `--host`). Required. */
  readonly host: string;
  /** `--atm HOST:PORT`: attach to this bank instead of starting one. Default: start one. */
  readonly attach?: HostPort;
  /** `--atm-store FILE` (absolute): the started bank's SQLite file, or the attached bank's to read. Default: a temporary file. */
  readonly store?: string;
  readonly log: (line: string) => void;
}

export interface StartedAtm {
  /** The service of the page's `/ws/atm` sockets. */
  readonly service: Service<string, string>;
  close(): Promise<void>;
}

export async function startAtm(options: AtmStartOptions): Promise<StartedAtm> {
  if (options.attach !== undefined) {
    const ledger = await createLedgerView(options.store, 'attached to a running bank: give --atm-store FILE (its SQLite store) to see its ledger');
    return {
      service: createAtmRelay({ host: options.attach.host, port: options.attach.port, ledger }),
      close() {
        ledger.close();
        return Promise.resolve();
      },
    };
  }
  if (options.store !== undefined && !existsSync(dirname(options.store))) {
    throw new CliError('ERR_USAGE', `--atm-store ${options.store}: the directory ${dirname(options.store)} does not exist (create it first)`);
  }
  const temporary = options.store === undefined ? mkdtempSync(join(tmpdir(), 'netlab-web-atm-')) : undefined;
  const path = options.store ?? join(temporary ?? '.', 'atm.db');
  let bank;
  try {
    bank = await runAtmServer({ host: options.host, port: 0, transport: 'tcp', store: { kind: 'sqlite', path }, log: options.log, logFaults: false });
  } catch (error) {
    if (temporary !== undefined) rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
  const ledger = await createLedgerView(path);
  return {
    service: createAtmRelay({ host: bank.host, port: bank.port, ledger }),
    async close() {
      ledger.close();
      await bank.close();
      if (temporary !== undefined) rmSync(temporary, { recursive: true, force: true });
    },
  };
}
