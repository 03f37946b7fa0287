/**
 * Picks the store from the environment: PostgreSQL when DATABASE_URL is set (replicas share it),
 * otherwise the embedded SQLite file under $HOTPATH_DATA (default ./data), created on first start.
 * Either way the schema is migrated before the store is returned.
 */
import path from 'node:path';
import { DEFAULT_MAX_ARTIFACT_BYTES } from './store.js';
import type { Store, StoreOptions } from './store.js';
import { openSqliteStore } from './sqlite.js';
import { checkSqliteDriver } from './sqlite-driver.js';
import type { SqliteStoreOptions } from './sqlite.js';
import { openPostgresStore } from './postgres.js';

export * from './store.js';
export { openSqliteStore, SQLITE_FILE_NAME } from './sqlite.js';
export type { SqliteStoreOptions } from './sqlite.js';
export { defaultSqliteDriver, openSqliteDatabase, usableSqliteDrivers } from './sqlite-driver.js';
export type { SqliteDatabase, SqliteDriverName } from './sqlite-driver.js';
export { openPostgresStore } from './postgres.js';
export type { PostgresStoreOptions } from './postgres.js';

/** The variables openStore reads. */
export const STORE_ENV_NAMES = {
  databaseUrl: 'DATABASE_URL',
  dataDir: 'HOTPATH_DATA',
  maxArtifactBytes: 'HOTPATH_STORE_MAX_ARTIFACT_BYTES',
} as const;

export const DEFAULT_DATA_DIR = './data';

export interface OpenStoreOverrides extends StoreOptions {
  /** PostgreSQL only: the schema holding the tables (tests isolate themselves with one) */
  pgSchema?: string;
  /** SQLite only */
  synchronous?: SqliteStoreOptions['synchronous'];
  /** SQLite only: see SqliteStoreOptions.maxDatabaseBytes */
  maxDatabaseBytes?: number;
  /** SQLite only: see SqliteStoreOptions.driver */
  sqliteDriver?: SqliteStoreOptions['driver'];
}

/**
 * Opens the store the environment names. An invalid HOTPATH_STORE_MAX_ARTIFACT_BYTES throws,
 * naming the variable; an unreachable database throws StoreUnavailableError.
 */
export async function openStore(env: NodeJS.ProcessEnv = process.env, overrides: OpenStoreOverrides = {}): Promise<Store> {
  const common: StoreOptions = {
    maxArtifactBytes: overrides.maxArtifactBytes ?? maxArtifactBytesFromEnv(env),
    ...(overrides.now && { now: overrides.now }),
  };
  const url = databaseUrlFromEnv(env);
  if (url) {
    return openPostgresStore({ ...common, connectionString: url, ...(overrides.pgSchema !== undefined && { schema: overrides.pgSchema }) });
  }
  const dir = path.resolve(env[STORE_ENV_NAMES.dataDir]?.trim() || DEFAULT_DATA_DIR);
  return openSqliteStore({
    ...common,
    dir,
    ...(overrides.synchronous && { synchronous: overrides.synchronous }),
    ...(overrides.maxDatabaseBytes !== undefined && { maxDatabaseBytes: overrides.maxDatabaseBytes }),
    ...(overrides.sqliteDriver && { driver: overrides.sqliteDriver }),
  });
}

/**
 * Throws when the store the environment names could never open on this Node: the embedded store
 * without an SQLite driver (see checkSqliteDriver). A server stops at start for that, rather than
 * retrying what only an install can fix; an unreachable database is retried instead.
 */
export async function checkStoreDriver(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!databaseUrlFromEnv(env)) await checkSqliteDriver();
}

/** The PostgreSQL connection string, when the environment names one: then the store is PostgreSQL. */
function databaseUrlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return env[STORE_ENV_NAMES.databaseUrl]?.trim() || undefined;
}

/** Bytes, a whole number ≥ 0 (0 keeps no artifacts); unset or empty: the default (1 GiB). */
export function maxArtifactBytesFromEnv(env: NodeJS.ProcessEnv): number {
  const name = STORE_ENV_NAMES.maxArtifactBytes;
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_MAX_ARTIFACT_BYTES;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}=${JSON.stringify(raw)}: expected a whole number of bytes ≥ 0`);
  return n;
}
