/**
 * The ATM screen's ledger and journal: the bank's SQLite store read by a second, read-only
 * connection (WAL: it never blocks the bank's writer, and the bank never waits for it). The
 * store is polled every {@link LEDGER_POLL_MS} while a page watches; `PRAGMA data_version`
 * changes only when another connection committed, so an idle bank costs one tiny query a poll
 * and a page gets a new snapshot only when something changed.
 *
 * Reads the tables `atm_accounts` and `atm_journal` of @netlab/service-atm's SQLite ledger
 * (documented in its sqlite-ledger.ts); PIN hashes and sessions are never read. Bounded: the
 * accounts (the lab's few) and the newest {@link LEDGER_JOURNAL_ROWS} journal entries. The
 * native SQLite addon is loaded only when there is a store to read (the `netlab` bundle keeps it
 * out of every other command's start).
 */
import type Database from 'better-sqlite3';

/** Time between two looks at the store while a page watches: 250 ms. */
export const LEDGER_POLL_MS = 250;
/** Journal entries in one snapshot (the newest): 15. */
export const LEDGER_JOURNAL_ROWS = 15;
/** Accounts in one snapshot at most: 50 (the demo store has 5). */
export const LEDGER_MAX_ACCOUNTS = 50;

export interface LedgerAccount {
  readonly card: string;
  readonly holder: string;
  /** Minor units. */
  readonly balance: number;
  readonly locked: boolean;
}

export interface JournalRow {
  readonly id: number;
  readonly at: number;
  readonly op: string;
  readonly card: string | null;
  readonly amount: number | null;
  readonly code: string;
  readonly balance: number | null;
  /** The request id (`client id:seq`) the entry was applied for. */
  readonly request: string;
}

export type LedgerSnapshot =
  | { readonly available: true; readonly accounts: readonly LedgerAccount[]; readonly journal: readonly JournalRow[]; readonly entries: number }
  | { readonly available: false; readonly why: string };

export interface LedgerView {
  /** Calls `listener` with the current snapshot now and with every changed one; returns the unsubscribe. */
  subscribe(listener: (snapshot: LedgerSnapshot) => void): () => void;
  close(): void;
}

const MAX_PIN_TRIES = 3;

/** A view of the store at `path` (a SQLite bank store), or of nothing (`why` says why). */
export async function createLedgerView(path: string | undefined, why = 'no store to read'): Promise<LedgerView> {
  const Sqlite = path === undefined ? undefined : (await import('better-sqlite3')).default;
  const listeners = new Set<(snapshot: LedgerSnapshot) => void>();
  let db: Database.Database | undefined;
  let last: LedgerSnapshot = { available: false, why };
  let version = -1;
  let timer: ReturnType<typeof setInterval> | undefined;

  const read = (): LedgerSnapshot => {
    if (path === undefined || Sqlite === undefined) return { available: false, why };
    try {
      db ??= new Sqlite(path, { readonly: true, fileMustExist: true });
      const now = Number(db.pragma('data_version', { simple: true }));
      if (now === version && last.available) return last;
      version = now;
      const accounts = db
        .prepare<[number], { card: string; holder: string; balance: number; pin_tries: number }>('SELECT card, holder, balance, pin_tries FROM atm_accounts ORDER BY card LIMIT ?')
        .all(LEDGER_MAX_ACCOUNTS)
        .map((row) => ({ card: row.card, holder: row.holder, balance: row.balance, locked: row.pin_tries >= MAX_PIN_TRIES }));
      const journal = db
        .prepare<[number], { id: number; at: number; op: string; card: string | null; amount: number | null; code: string; balance: number | null; terminal: string; seq: number }>(
          'SELECT id, at, op, card, amount, code, balance, terminal, seq FROM atm_journal ORDER BY id DESC LIMIT ?',
        )
        .all(LEDGER_JOURNAL_ROWS)
        .map(({ terminal, seq, ...row }) => ({ ...row, request: `${terminal}:${String(seq)}` }));
      // The journal is append-only with no deletes: its largest id is its length (and, unlike count(*), no scan).
      const entries = db.prepare<[], { n: number | null }>('SELECT max(id) AS n FROM atm_journal').get()?.n ?? 0;
      return { available: true, accounts, journal, entries };
    } catch (error) {
      db?.close();
      db = undefined;
      version = -1;
      return { available: false, why: `cannot read the store ${path}: ${error instanceof Error ? error.message : String(error)}` };
    }
  };

  const poll = (): void => {
    const next = read();
    if (next === last || (!next.available && !last.available && next.why === last.why)) return;
    last = next;
    for (const listener of listeners) listener(next);
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (timer === undefined && path !== undefined) {
        timer = setInterval(poll, LEDGER_POLL_MS);
        timer.unref();
      }
      last = read();
      listener(last);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    close() {
      clearInterval(timer);
      timer = undefined;
      listeners.clear();
      db?.close();
      db = undefined;
    },
  };
}
