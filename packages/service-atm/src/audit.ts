/**
 * Reading the books back: the figures every store reads for an audit, the audit assembled from
 * them, and the pure check of the bank's invariants that the chaos run, the simulations and the
 * tests apply to it:
 *
 * 1. `initial total + Σ approved deposits = Σ balances + Σ held + Σ dispensed`;
 * 2. no balance below zero;
 * 3. no withdrawal left held, beyond those whose confirmation has an unknown outcome.
 *
 * Which request ids were applied how often is the exactly-once checker's business
 * (`@netlab/testing`), fed with `audit.applied`.
 */
import type { LedgerAudit } from './ledger.js';

/** The raw figures a store reads for an audit. */
export interface AuditFigures {
  readonly initialTotal: number;
  readonly deposited: number;
  readonly balances: number;
  readonly accounts: number;
  readonly negativeAccounts: readonly string[];
  readonly withdrawals: readonly { readonly status: string; readonly count: number; readonly amount: number }[];
  readonly journal: readonly { readonly id: string; readonly count: number }[];
  /** Journal entries in all (when the journal keeps fewer than it wrote, as the memory ledger's). Default: the sum of `journal`. */
  readonly journalEntries?: number;
}

/** Assembles a {@link LedgerAudit}. */
export function assembleAudit(figures: AuditFigures): LedgerAudit {
  const by = (status: string): { count: number; amount: number } => {
    const row = figures.withdrawals.find((w) => w.status === status);
    return { count: row?.count ?? 0, amount: row?.amount ?? 0 };
  };
  const held = by('held');
  const dispensed = by('dispensed');
  const applied = new Map(figures.journal.map((row) => [row.id, row.count]));
  let kept = 0;
  for (const count of applied.values()) kept += count;
  return {
    initialTotal: figures.initialTotal,
    deposited: figures.deposited,
    balances: figures.balances,
    held: held.amount,
    dispensed: dispensed.amount,
    balanced: figures.initialTotal + figures.deposited === figures.balances + held.amount + dispensed.amount,
    negativeAccounts: figures.negativeAccounts,
    accounts: figures.accounts,
    journalEntries: figures.journalEntries ?? kept,
    applied,
    withdrawals: { held: held.count, dispensed: dispensed.count, reversed: by('reversed').count },
  };
}

/** One invariant and whether it held. */
export interface BooksCheck {
  readonly name: 'books balance' | 'no negative balance' | 'nothing left held';
  readonly ok: boolean;
  readonly detail: string;
}

export interface CheckBooksOptions {
  /** Withdrawals that may stay held: those whose confirmation's outcome is unknown to their ATM. Default 0. */
  readonly allowedHeld?: number;
}

/** Checks the bank's invariants on an audit (see the module comment). Pure. */
export function checkBooks(audit: LedgerAudit, options: CheckBooksOptions = {}): readonly BooksCheck[] {
  const allowedHeld = options.allowedHeld ?? 0;
  return [
    {
      name: 'books balance',
      ok: audit.balanced,
      detail: `initial ${audit.initialTotal} + deposited ${audit.deposited} = balances ${audit.balances} + held ${audit.held} + dispensed ${audit.dispensed} (minor units)`,
    },
    { name: 'no negative balance', ok: audit.negativeAccounts.length === 0, detail: audit.negativeAccounts.length === 0 ? 'none' : audit.negativeAccounts.join(', ') },
    {
      name: 'nothing left held',
      ok: audit.withdrawals.held <= allowedHeld,
      detail: `${audit.withdrawals.held} held, ${allowedHeld} confirmations with an unknown outcome`,
    },
  ];
}
