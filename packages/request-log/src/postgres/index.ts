export { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_PG_MODE, DEFAULT_PG_SCHEMA, DEFAULT_PG_TABLE_PREFIX, createPostgresStore } from './postgres-store.js';
export type { PostgresEffect, PostgresStore, PostgresStoreMode, PostgresStoreOptions } from './postgres-store.js';
