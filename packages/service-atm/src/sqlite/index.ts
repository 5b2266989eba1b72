export { DEFAULT_SQLITE_LEDGER_PREFIX, createSqliteAtmLedger } from './sqlite-ledger.js';
export type { SqliteLedger, SqliteLedgerOptions } from './sqlite-ledger.js';
