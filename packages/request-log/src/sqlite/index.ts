export { DEFAULT_BUSY_TIMEOUT_MS, DEFAULT_MAX_BATCH, DEFAULT_TABLE_PREFIX, createSqliteStore, isSqliteCorruption } from './sqlite-store.js';
export type { SqliteEffect, SqliteStore, SqliteStoreOptions } from './sqlite-store.js';
export { DEFAULT_OUTBOX_TABLE_PREFIX, createSqliteOutbox } from './sqlite-outbox.js';
export type { SqliteOutbox, SqliteOutboxOptions } from './sqlite-outbox.js';
