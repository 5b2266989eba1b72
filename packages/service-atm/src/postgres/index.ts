export { DEFAULT_PG_LEDGER_PREFIX, DEFAULT_PG_LEDGER_SCHEMA, createPostgresAtmLedger } from './postgres-ledger.js';
export type { PostgresLedger, PostgresLedgerOptions } from './postgres-ledger.js';
