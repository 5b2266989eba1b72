/**
 * Puts a ledger of this package behind the `@netlab/testing` ledger conformance suite: a request
 * log over its store, the bank service over both, local connections to it, and the raw dump the
 * suite searches for PIN material.
 */
import { createRequestLog } from '@netlab/request-log';
import { connectLocal } from '@netlab/service';
import { CONFORMANCE_ACCOUNTS, type LedgerUnderTest } from '@netlab/testing/compliance';
import { createAtmService } from '../src/atm-service.js';
import { generateBankKeySecret } from '../src/bank-key.js';
import type { AtmLedger } from '../src/ledger.js';
import { MIN_PIN_HASH_COST } from '../src/pin.js';

/** Cheap hashes: the suite logs in often, and brute-forces what the store keeps. */
export const TEST_PIN_COST = MIN_PIN_HASH_COST;
export const TEST_ACCOUNTS = CONFORMANCE_ACCOUNTS;

/** Options every test ledger is opened with; `bankKey` stays the same across a reopen. */
export interface TestLedgerOptions {
  readonly bankKey: Uint8Array;
  readonly accounts: typeof TEST_ACCOUNTS;
  readonly pinHashCost: number;
  readonly limits: { readonly sessionIdleMs?: number };
}

/** Opens a ledger (again, on the same durable state, for a reopen) and dumps every row it keeps. */
export interface LedgerFactory<E> {
  open(options: TestLedgerOptions): Promise<AtmLedger<E>>;
  dump(ledger: AtmLedger<E>): Promise<readonly string[]>;
}

/** A bank under test over `factory` (see the module comment). */
export async function ledgerUnderTest<E>(factory: LedgerFactory<E>, now: () => number, sessionIdleMs?: number): Promise<LedgerUnderTest> {
  const options: TestLedgerOptions = {
    bankKey: generateBankKeySecret(),
    accounts: TEST_ACCOUNTS,
    pinHashCost: TEST_PIN_COST,
    limits: sessionIdleMs === undefined ? {} : { sessionIdleMs },
  };
  const make = async (): Promise<LedgerUnderTest> => {
    const ledger = await factory.open(options);
    const log = createRequestLog({ store: ledger.store, now, sweepIntervalMs: 0 });
    const service = createAtmService({ ledger, log });
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await log.close();
      await ledger.close();
    };
    return {
      connect: () => connectLocal(service, { now }),
      audit: () => ledger.audit(),
      accounts: () => ledger.accounts(),
      dump: () => factory.dump(ledger),
      async reopen() {
        await close();
        return make();
      },
      close,
    };
  };
  return make();
}
