/**
 * Seeding a new store and checking the bank key of an existing one, the same way in every
 * ledger: a new store gets the seed accounts (PINs hashed and keyed, never kept) and the bank
 * key's check value; an existing store must carry the check value of the key it is opened with
 * (`ERR_WRONG_BANK_KEY` otherwise: with another key no PIN would ever verify, and every login
 * would count as a wrong PIN and lock the cards); a store written before bank keys existed
 * (no check value) is upgraded in place: its legacy PIN hashes get the key's HMAC.
 */
import type { BankKey } from './bank-key.js';
import type { SeedAccount } from './demo-accounts.js';
import { AtmError } from './errors.js';
import type { AccountRow } from './ledger-core.js';
import { DEFAULT_PIN_HASH_COST, createPinBlock, hashPinBlock } from './pin.js';

/** What seeding needs from the ledger's options. */
export interface SeedOptions {
  readonly accounts?: readonly SeedAccount[];
  readonly pinHashCost?: number;
}

/** Hashes the seed accounts' PINs under the bank key; the result holds no PIN. */
export async function hashSeedAccounts(options: SeedOptions, defaults: readonly SeedAccount[], key: BankKey): Promise<AccountRow[]> {
  const accounts = options.accounts ?? defaults;
  const cost = options.pinHashCost ?? DEFAULT_PIN_HASH_COST;
  const cards = new Set<string>();
  return Promise.all(
    accounts.map(async (account) => {
      if (cards.has(account.card)) throw new AtmError('ERR_INVALID_OPTION', `card ${account.card} is seeded twice`);
      cards.add(account.card);
      if (!Number.isSafeInteger(account.balance) || account.balance < 0) {
        throw new AtmError('ERR_INVALID_OPTION', `the opening balance of card ${account.card} must be a non-negative integer (minor units)`);
      }
      const pinHash = await hashPinBlock(createPinBlock(account.card, account.pin), key, cost);
      return { card: account.card, holder: account.holder, pinHash, balance: account.balance, pinTries: 0 };
    }),
  );
}

/** What to do with an existing store's key check value. */
export type KeyCheckVerdict = 'matches' | 'upgrade';

/**
 * Compares a store's key check value with the key's. `undefined` (a store from before bank keys)
 * means upgrade; another value throws `ERR_WRONG_BANK_KEY`.
 */
export function checkBankKey(stored: number | undefined, key: BankKey): KeyCheckVerdict {
  if (stored === undefined) return 'upgrade';
  if (stored === key.check) return 'matches';
  throw new AtmError('ERR_WRONG_BANK_KEY', `the bank key does not match this store (key check value ${key.check.toString(16)}, the store was made with ${stored.toString(16)})`, {
    details: { expected: stored, given: key.check },
  });
}
