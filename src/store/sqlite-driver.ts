/**
 * The SQLite binding under the embedded store: the few calls it makes (prepare → run/get/all,
 * exec, a PRAGMA's value, whether a transaction is open, close) over one of two drivers.
 *
 * - node:sqlite (DatabaseSync), built into Node, wherever it loads without a flag and tells whether
 *   a transaction is open (`isTransaction`, which the store's rollback needs): Node ≥ 22.16, 23, 24.
 *   No native addon to install, so the supported lines (22, 24) run the store on one driver. Node 22
 *   still calls it experimental and warns once on load; that one warning is dropped (loadNodeSqlite).
 * - better-sqlite3 12, an optional dependency, on Node 20 and 22.0–22.15 only. It is the last
 *   version that runs on Node 20, and on Node ≥ 24.19 it aborts the process when V8 collects one of
 *   its statements outside JavaScript (its ObjectWrap destructors remove an environment cleanup
 *   hook with no environment entered: nodejs/node#65446; better-sqlite3 13 fixed it and needs 22).
 *
 * Both read and write the same file format. What differs is smoothed over here: BLOBs come back as
 * Buffer from both (node:sqlite gives Uint8Array), and sqliteErrorCode names an error's SQLite
 * result code the same way for both.
 */
import { createRequire } from 'node:module';
import { toBuffer } from './store.js';

export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

export type SqlValue = string | number | bigint | null | Uint8Array;
/** Positional values, or one object of named ones (`:name` in the SQL, `name` here). */
export type SqlParams = SqlValue[] | Record<string, SqlValue>;
type Args<P extends SqlParams> = P extends SqlValue[] ? P : [P];

export interface SqliteStatement<P extends SqlParams = SqlValue[], Row = unknown> {
  run(...params: Args<P>): { changes: number };
  get(...params: Args<P>): Row | undefined;
  all(...params: Args<P>): Row[];
}

export interface SqliteDatabase {
  prepare<P extends SqlParams = SqlValue[], Row = unknown>(sql: string): SqliteStatement<P, Row>;
  exec(sql: string): void;
  /** Runs `PRAGMA <text>` and answers the first column of its first row (undefined for none). */
  pragma(text: string): unknown;
  readonly inTransaction: boolean;
  close(): void;
}

export interface OpenSqliteOptions {
  readonly?: boolean;
  /** default: defaultSqliteDriver() */
  driver?: SqliteDriverName;
}

/** Opens `file` (created when missing, unless readonly) with the chosen driver. */
export async function openSqliteDatabase(file: string, options: OpenSqliteOptions = {}): Promise<SqliteDatabase> {
  const readonly = options.readonly ?? false;
  const driver = options.driver ?? defaultSqliteDriver();
  if (driver === 'node:sqlite') {
    const sqlite = loadNodeSqlite();
    if (sqlite === undefined) throw new Error(`node:sqlite is not available on Node ${process.version} without a flag (it needs 22.16+)`);
    return new NodeSqliteDatabase(new sqlite.DatabaseSync(file, { readOnly: readonly }));
  }
  const Database = await loadBetterSqlite3();
  return new BetterSqlite3Database(new Database(file, { readonly }));
}

/** node:sqlite where this Node has a usable one, else better-sqlite3. */
export function defaultSqliteDriver(): SqliteDriverName {
  return loadNodeSqlite() === undefined ? 'better-sqlite3' : 'node:sqlite';
}

/**
 * Throws, saying what to install, when no driver loads here: Node 20 (or 22 before 22.16) whose
 * optional better-sqlite3 did not install or build.
 */
export async function checkSqliteDriver(): Promise<void> {
  if (defaultSqliteDriver() === 'better-sqlite3') await loadBetterSqlite3();
}

/** The drivers that work on this Node (tests run the store on each). */
export async function usableSqliteDrivers(): Promise<SqliteDriverName[]> {
  const usable: SqliteDriverName[] = [];
  if (loadNodeSqlite() !== undefined) usable.push('node:sqlite');
  if (await loadBetterSqlite3().then(() => true, () => false)) usable.push('better-sqlite3');
  return usable;
}

/**
 * SQLite's result code of an error from either driver, by name: 'SQLITE_FULL',
 * 'SQLITE_CONSTRAINT_FOREIGNKEY'. better-sqlite3 names every extended code; node:sqlite gives the
 * number, named here by its primary code except for the one extended code the store tells apart.
 * Other errors answer their own code (ENOSPC, EACCES), or undefined.
 */
export function sqliteErrorCode(err: unknown): string | undefined {
  const { code, errcode } = (err ?? {}) as { code?: unknown; errcode?: unknown };
  if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number') {
    if (errcode === SQLITE_CONSTRAINT_FOREIGNKEY) return 'SQLITE_CONSTRAINT_FOREIGNKEY';
    return `SQLITE_${PRIMARY_RESULT_CODES[errcode & 0xff] ?? `UNKNOWN_${errcode}`}`;
  }
  return typeof code === 'string' ? code : undefined;
}

/** https://www.sqlite.org/rescode.html, in code order (0 = OK … 28 = WARNING). */
const PRIMARY_RESULT_CODES = [
  'OK', 'ERROR', 'INTERNAL', 'PERM', 'ABORT', 'BUSY', 'LOCKED', 'NOMEM', 'READONLY', 'INTERRUPT', 'IOERR',
  'CORRUPT', 'NOTFOUND', 'FULL', 'CANTOPEN', 'PROTOCOL', 'EMPTY', 'SCHEMA', 'TOOBIG', 'CONSTRAINT', 'MISMATCH',
  'MISUSE', 'NOLFS', 'AUTH', 'FORMAT', 'RANGE', 'NOTADB', 'NOTICE', 'WARNING',
];
const SQLITE_CONSTRAINT_FOREIGNKEY = 19 | (3 << 8);

// ---- node:sqlite --------------------------------------------------------------------------------

/** What hotpath uses of node:sqlite (typed here: @types/node stays at 20, which has no node:sqlite). */
interface NodeSqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean }) => NodeDatabaseSync;
}
interface NodeDatabaseSync {
  prepare(sql: string): NodeStatementSync;
  exec(sql: string): void;
  close(): void;
  /** since Node 22.16 */
  readonly isTransaction?: boolean;
}
interface NodeStatementSync {
  run(...params: unknown[]): { changes: number | bigint };
  get(...params: unknown[]): Record<string, unknown> | undefined;
  all(...params: unknown[]): Record<string, unknown>[];
}

let nodeSqlite: NodeSqliteModule | null | undefined;

/**
 * node:sqlite, or undefined where it is missing (Node 20), behind a flag (22.0–22.12) or too old
 * to tell whether a transaction is open (22.13–22.15). Loading it on Node 22 emits "SQLite is an
 * experimental feature and might change at any time" (an ExperimentalWarning) once per process;
 * hotpath chose it on purpose, so that warning, and only that one, is dropped: emitWarning is
 * wrapped for the duration of the synchronous require and restored before anything else runs.
 */
function loadNodeSqlite(): NodeSqliteModule | undefined {
  if (nodeSqlite !== undefined) return nodeSqlite ?? undefined;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const message = typeof warning === 'string' ? warning : warning.message;
    const type = typeof warning === 'string' ? rest[0] : warning.name;
    if (type === 'ExperimentalWarning' && message.startsWith('SQLite is an experimental feature')) return;
    return Reflect.apply(emitWarning, this, [warning, ...rest]);
  } as typeof process.emitWarning;
  try {
    const sqlite = createRequire(import.meta.url)('node:sqlite') as NodeSqliteModule;
    const probe = new sqlite.DatabaseSync(':memory:');
    const tellsTransactions = typeof probe.isTransaction === 'boolean';
    probe.close();
    nodeSqlite = tellsTransactions ? sqlite : null;
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_UNKNOWN_BUILTIN_MODULE') throw err;
    nodeSqlite = null;
  } finally {
    process.emitWarning = emitWarning;
  }
  return nodeSqlite ?? undefined;
}

class NodeSqliteDatabase implements SqliteDatabase {
  constructor(private readonly db: NodeDatabaseSync) {}

  prepare<P extends SqlParams, Row>(sql: string): SqliteStatement<P, Row> {
    const statement = this.db.prepare(sql);
    return {
      run: (...params) => ({ changes: Number(statement.run(...params).changes) }),
      get: (...params) => {
        const row = statement.get(...params);
        return row === undefined ? undefined : (withBuffers(row) as Row);
      },
      all: (...params) => statement.all(...params).map((row) => withBuffers(row) as Row),
    };
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  pragma(text: string): unknown {
    const row = this.db.prepare(`PRAGMA ${text}`).get();
    return row === undefined ? undefined : Object.values(row)[0];
  }

  get inTransaction(): boolean {
    return this.db.isTransaction === true;
  }

  close(): void {
    this.db.close();
  }
}

/** node:sqlite's BLOBs (Uint8Array) as Buffer, without copying, as better-sqlite3 gives them. */
function withBuffers(row: Record<string, unknown>): Record<string, unknown> {
  for (const key in row) {
    const value = row[key];
    if (value instanceof Uint8Array) row[key] = toBuffer(value);
  }
  return row;
}

// ---- better-sqlite3 -----------------------------------------------------------------------------

type BetterSqlite3 = typeof import('better-sqlite3');

let betterSqlite3: Promise<BetterSqlite3> | undefined;

/**
 * better-sqlite3, its addon loaded once (an :memory: database) so that a package whose build
 * failed says so here, in the words of missingDriver, rather than at the first query.
 */
function loadBetterSqlite3(): Promise<BetterSqlite3> {
  betterSqlite3 ??= (async () => {
    if (nodeMajor() >= 24) {
      throw new Error(`better-sqlite3 12 aborts the process on Node ${process.version} (nodejs/node#65446); node:sqlite runs there`);
    }
    try {
      const Database = (await import('better-sqlite3')).default;
      new Database(':memory:').close();
      return Database;
    } catch (err) {
      throw missingDriver(err);
    }
  })();
  return betterSqlite3;
}

/** What a person running the service on Node 20 without the optional dependency reads. */
function missingDriver(cause: unknown): Error {
  return new Error(
    `the embedded SQLite store needs node:sqlite (Node 22.16 or later) or the better-sqlite3 package, which cannot be loaded ` +
    `on Node ${process.version}: run hotpath on Node 22 or 24, install better-sqlite3 (npm install better-sqlite3@12; it ` +
    `compiles where no prebuilt binary fits), or set DATABASE_URL to use PostgreSQL (${(cause as Error).message.split('\n')[0]})`,
    { cause },
  );
}

function nodeMajor(): number {
  return Number(process.versions.node.split('.')[0]);
}

class BetterSqlite3Database implements SqliteDatabase {
  constructor(private readonly db: import('better-sqlite3').Database) {}

  prepare<P extends SqlParams, Row>(sql: string): SqliteStatement<P, Row> {
    // Its statements already answer as SqliteStatement does: rows with Buffers, run() with changes.
    return this.db.prepare(sql) as unknown as SqliteStatement<P, Row>;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  pragma(text: string): unknown {
    return this.db.pragma(text, { simple: true });
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  close(): void {
    this.db.close();
  }
}
