/** The bank's limits: merged with the defaults and checked once, when a ledger is created. */
import { MAX_AMOUNT_MINOR } from './amount.js';
import { assertIntegerOption } from './errors.js';
import { DEFAULT_LEDGER_LIMITS, type LedgerLimits } from './ledger-core.js';

/** Merges `limits` over {@link DEFAULT_LEDGER_LIMITS} and checks every field (`ERR_INVALID_OPTION`). */
export function resolveLimits(limits: Partial<LedgerLimits> = {}): LedgerLimits {
  const resolved = { ...DEFAULT_LEDGER_LIMITS, ...limits };
  assertIntegerOption('limits.sessionIdleMs', resolved.sessionIdleMs, 1, 2 ** 31 - 1);
  assertIntegerOption('limits.withdrawalLimit', resolved.withdrawalLimit, 1, MAX_AMOUNT_MINOR);
  assertIntegerOption('limits.depositLimit', resolved.depositLimit, 1, MAX_AMOUNT_MINOR);
  assertIntegerOption('limits.maxBalance', resolved.maxBalance, 1, 2 ** 52);
  return resolved;
}
