/**
 * The shared store: PostgreSQL through `pg`, so any number of stateless replicas behind a load
 * balancer see the same profiles, links and artifacts.
 *
 * Every write is a single statement or one transaction, so PostgreSQL's own atomicity and
 * durability (a COMMIT returns after its WAL record is flushed, with the default
 * synchronous_commit=on) carry the store's guarantees; a client killed mid-write leaves an aborted
 * transaction, never a partial row. Times are the replicas' clocks in milliseconds (bigint), so
 * every replica and the tests agree with the SQLite store on what "expired" means.
 */
import { DatabaseError, Pool, escapeIdentifier } from 'pg';
import type { PoolClient } from 'pg';
import { StorageFullError, StoreUnavailableError } from '../errors.js';
import {
  ACCESS_RESOLUTION_MS,
  DEFAULT_PROFILE_CONTENT_TYPE,
  addressedPut,
  checkArtifactKey,
  checkProfileMeta,
  etagOf,
  isProfileId,
  requestedExpiry,
  resolvedOptions,
  toBuffer,
  storedProfileFromRow,
} from './store.js';
import type {
  ArtifactKey, LimitsReport, ProfileMeta, PutProfileResult, Store, StoreOptions, StoredArtifact, StoredProfile,
} from './store.js';

export interface PostgresStoreOptions extends StoreOptions {
  /** a libpq-style URL, as DATABASE_URL holds it */
  connectionString: string;
  /**
   * Schema holding the tables, created when missing; by default the connection's search_path
   * (normally `public`). Tests give each run its own.
   */
  schema?: string;
  /** connections per process */
  poolSize?: number;
}

/** First key of the two-int advisory locks, "hotp"; the second is a hash of the schema name. */
const LOCK_CLASS_MIGRATE = 0x686f7470;
const LOCK_CLASS_EVICT = 0x686f7471;

/** Append only: a released migration never changes, the next one gets the next version. */
function migrations(t: Tables): { version: number; name: string; sql: string }[] {
  return [
    {
      version: 1,
      name: 'profiles and rendered artifacts',
      sql: `
        CREATE TABLE ${t.profiles} (
          id           text PRIMARY KEY,
          bytes        bytea NOT NULL,
          size         bigint NOT NULL,
          title        text,
          base_id      text,
          content_type text NOT NULL,
          created_at   bigint NOT NULL,
          expires_at   bigint
        );
        CREATE INDEX hotpath_profiles_expiry ON ${t.profiles} (expires_at) WHERE expires_at IS NOT NULL;
        CREATE TABLE ${t.artifacts} (
          seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          profile_id   text NOT NULL REFERENCES ${t.profiles} (id) ON DELETE CASCADE,
          options      text NOT NULL,
          format       text NOT NULL,
          content_type text NOT NULL,
          etag         text NOT NULL,
          size         bigint NOT NULL,
          created_at   bigint NOT NULL,
          accessed_at  bigint NOT NULL,
          body         bytea NOT NULL,
          UNIQUE (profile_id, options, format)
        );
        CREATE INDEX hotpath_artifacts_lru ON ${t.artifacts} (accessed_at, seq) INCLUDE (size);
      `,
    },
    {
      version: 2,
      name: 'diff bases (pprof -diff_base)',
      sql: `ALTER TABLE ${t.profiles} ADD COLUMN base_diff boolean NOT NULL DEFAULT false;`,
    },
    {
      version: 3,
      name: 'artifacts made against another profile (?base=) go with it',
      sql: `
        ALTER TABLE ${t.artifacts} ADD COLUMN base_id text REFERENCES ${t.profiles} (id) ON DELETE CASCADE;
        CREATE INDEX hotpath_artifacts_base ON ${t.artifacts} (base_id) WHERE base_id IS NOT NULL;
      `,
    },
    {
      version: 4,
      name: 'sources archives, kept with the profiles that carry them',
      sql: `
        CREATE TABLE ${t.sources} (
          id         text PRIMARY KEY,
          bytes      bytea NOT NULL,
          size       bigint NOT NULL,
          created_at bigint NOT NULL
        );
        ALTER TABLE ${t.profiles} ADD COLUMN sources_id text REFERENCES ${t.sources} (id);
        CREATE INDEX hotpath_profiles_sources ON ${t.profiles} (sources_id) WHERE sources_id IS NOT NULL;
      `,
    },
  ];
}

interface Tables {
  migrations: string;
  profiles: string;
  artifacts: string;
  sources: string;
}

function tablesIn(schema: string | undefined): Tables {
  const prefix = schema === undefined ? '' : `${escapeIdentifier(schema)}.`;
  return {
    migrations: `${prefix}hotpath_schema_migrations`,
    profiles: `${prefix}hotpath_profiles`,
    artifacts: `${prefix}hotpath_artifacts`,
    sources: `${prefix}hotpath_source_archives`,
  };
}

/** Connects, migrates (one process at a time, under an advisory lock) and returns the store. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
    throw new TypeError(`schema ${JSON.stringify(options.schema)}: expected lower-case letters, digits and _`);
  }
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    // A database that does not answer must become a 503 in seconds, not a request that hangs.
    connectionTimeoutMillis: 5_000,
    statement_timeout: 30_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that dies (database restart, network cut) is dropped by the pool and the
  // next query opens another; without a listener its 'error' event would kill the process.
  pool.on('error', () => {});
  const tables = tablesIn(options.schema);
  try {
    await migrate(pool, tables, options.schema, (options.now ?? Date.now)());
  } catch (err) {
    await pool.end().catch(() => {});
    throw asStoreError(err, 'cannot migrate the PostgreSQL store');
  }
  return new PostgresStore(pool, tables, describe(options), options);
}

async function migrate(pool: Pool, t: Tables, schema: string | undefined, now: number): Promise<void> {
  await inTransaction(pool, async (client) => {
    // Two replicas starting together would otherwise race on CREATE … IF NOT EXISTS, which is
    // not safe under concurrency (unique violation in the catalogs).
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS_MIGRATE, schema ?? '']);
    if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${escapeIdentifier(schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${t.migrations} (
      version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`);
    const applied = new Set((await client.query<{ version: number }>(`SELECT version FROM ${t.migrations}`)).rows
      .map((r) => r.version));
    for (const m of migrations(t)) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await client.query(`INSERT INTO ${t.migrations} (version, name, applied_at) VALUES ($1, $2, $3)`, [m.version, m.name, now]);
    }
  });
}

async function inTransaction<T>(pool: Pool, body: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: unknown;
  try {
    await client.query('BEGIN');
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: unknown) => { broken = rollbackErr; });
    throw err;
  } finally {
    // A connection that could not even roll back is not returned to the pool.
    client.release(broken === undefined ? undefined : (broken as Error));
  }
}

/** host:port/database (schema), without user or password. */
function describe(options: PostgresStoreOptions): string {
  let where = 'postgresql';
  try {
    const url = new URL(options.connectionString);
    where = `postgresql://${url.host}${url.pathname}`;
  } catch { /* not a URL (key=value form): say only which kind */ }
  return options.schema === undefined ? where : `${where} (schema ${options.schema})`;
}

interface ProfileRow {
  bytes: Buffer;
  title: string | null;
  base_id: string | null;
  base_diff: boolean;
  sources_id: string | null;
  content_type: string;
  created_at: string;
  expires_at: string | null;
}

interface ArtifactRow {
  seq: string;
  body: Buffer;
  content_type: string;
  etag: string;
  accessed_at: string;
  expires_at: string | null;
}

class PostgresStore implements Store {
  readonly kind = 'postgres';
  private readonly now: () => number;
  private readonly maxArtifactBytes: number;
  private readonly schemaKey: string;
  private closed = false;

  constructor(private readonly pool: Pool, private readonly t: Tables, readonly location: string, options: PostgresStoreOptions) {
    ({ now: this.now, maxArtifactBytes: this.maxArtifactBytes } = resolvedOptions(options));
    this.schemaKey = options.schema ?? '';
  }

  async putProfile(bytes: Uint8Array, meta: ProfileMeta = {}): Promise<PutProfileResult> {
    checkProfileMeta(meta);
    const { id, bytes: buffer, sources } = addressedPut(bytes, meta);
    const contentType = meta.contentType ?? DEFAULT_PROFILE_CONTENT_TYPE;
    const title = meta.title ?? null;
    const created = await this.guard('store the profile', async () => {
      // Three single-statement steps, each atomic on its own; a step that finds the row changed
      // under it (another replica inserted, revived or purged it) falls through to the next, and
      // a row purged between steps sends us round again. The sources archive goes in first, so a
      // profile row always has its archive; one that a purge removed as unreferenced before the
      // profile's insert could refer to it fails that insert's foreign key: round again too.
      for (let round = 1; ; round++) {
        if (round > 10) throw new StoreUnavailableError(`cannot store profile ${id}: its row keeps changing`, 1);
        const now = this.now();
        let baseExpiresAt: number | null = null;
        if (meta.baseId !== undefined) {
          const base = await this.pool.query<{ expires_at: string | null }>(`SELECT expires_at FROM ${this.t.profiles} WHERE id = $1`, [meta.baseId]);
          baseExpiresAt = base.rows[0]?.expires_at == null ? null : Number(base.rows[0].expires_at);
        }
        const expiresAt = requestedExpiry(meta, now, baseExpiresAt);
        if (sources !== undefined) {
          await this.pool.query(
            `INSERT INTO ${this.t.sources} (id, bytes, size, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
            [sources.id, sources.bytes, sources.bytes.byteLength, now]);
        }
        let inserted;
        try {
          inserted = await this.pool.query(
            `INSERT INTO ${this.t.profiles} (id, bytes, size, title, base_id, base_diff, sources_id, content_type, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
            [id, buffer, buffer.byteLength, title, meta.baseId ?? null, meta.baseDiff === true, sources?.id ?? null, contentType, now, expiresAt]);
        } catch (err) {
          if (err instanceof DatabaseError && err.code === '23503') continue; // its archive was purged meanwhile
          throw err;
        }
        if (inserted.rowCount === 1) return true;
        // Same id, so same bytes and base: an expired row comes back to life as a fresh upload.
        const revived = await this.pool.query(
          `UPDATE ${this.t.profiles} SET title = $2, content_type = $3, created_at = $4, expires_at = $5
           WHERE id = $1 AND expires_at IS NOT NULL AND expires_at <= $4`,
          [id, title, contentType, now, expiresAt]);
        if (revived.rowCount === 1) return true;
        // Live: kept as it is, expiry included.
        const live = await this.pool.query(
          `SELECT 1 FROM ${this.t.profiles} WHERE id = $1 AND (expires_at IS NULL OR expires_at > $2)`, [id, now]);
        if (live.rowCount === 1) return false;
      }
    });
    return { id, created };
  }

  async getProfile(id: string): Promise<StoredProfile | undefined> {
    if (!isProfileId(id)) return undefined;
    const { rows } = await this.guard('read the profile', () => this.pool.query<ProfileRow>(
      `SELECT bytes, title, base_id, base_diff, sources_id, content_type, created_at, expires_at FROM ${this.t.profiles}
       WHERE id = $1 AND (expires_at IS NULL OR expires_at > $2)`,
      [id, this.now()]));
    const row = rows[0];
    if (row === undefined) return undefined;
    return storedProfileFromRow(id, row);
  }

  async getSources(profileId: string): Promise<Buffer | undefined> {
    if (!isProfileId(profileId)) return undefined;
    // Through the profile only: an archive is as readable as the profile that carries it.
    const { rows } = await this.guard('read the sources', () => this.pool.query<{ bytes: Buffer }>(
      `SELECT s.bytes FROM ${this.t.profiles} p JOIN ${this.t.sources} s ON s.id = p.sources_id
       WHERE p.id = $1 AND (p.expires_at IS NULL OR p.expires_at > $2)`,
      [profileId, this.now()]));
    return rows[0]?.bytes;
  }

  async putArtifact(key: ArtifactKey, body: Uint8Array | string, contentType: string): Promise<void> {
    checkArtifactKey(key);
    const buffer = toBuffer(body);
    const now = this.now();
    await this.guard('store the artifact', async () => {
      try {
        await this.pool.query(
          `INSERT INTO ${this.t.artifacts}
             (profile_id, options, format, base_id, content_type, etag, size, created_at, accessed_at, body)
           VALUES ($1, $2, $3, $9, $4, $5, $6, $7, $7, $8)
           ON CONFLICT (profile_id, options, format) DO UPDATE SET
             base_id = excluded.base_id, content_type = excluded.content_type, etag = excluded.etag, size = excluded.size,
             created_at = excluded.created_at, accessed_at = excluded.accessed_at, body = excluded.body`,
          [key.profileId, key.options, key.format, contentType, etagOf(buffer), buffer.byteLength, now, buffer, key.baseId ?? null]);
      } catch (err) {
        if (err instanceof DatabaseError && err.code === '23503') return; // foreign key: its profile (or base) is gone
        throw err;
      }
      await this.evictOverCap();
    });
  }

  async getArtifact(key: ArtifactKey): Promise<StoredArtifact | undefined> {
    if (!isProfileId(key.profileId)) return undefined;
    const now = this.now();
    return this.guard('read the artifact', async () => {
      const { rows } = await this.pool.query<ArtifactRow>(
        // An artifact made against another profile is as expired as the earlier of the two.
        `SELECT a.seq, a.body, a.content_type, a.etag, a.accessed_at, LEAST(p.expires_at, b.expires_at) AS expires_at
         FROM ${this.t.artifacts} a JOIN ${this.t.profiles} p ON p.id = a.profile_id LEFT JOIN ${this.t.profiles} b ON b.id = a.base_id
         WHERE a.profile_id = $1 AND a.options = $2 AND a.format = $3
           AND (p.expires_at IS NULL OR p.expires_at > $4) AND (b.expires_at IS NULL OR b.expires_at > $4)`,
        [key.profileId, key.options, key.format, now]);
      const row = rows[0];
      if (row === undefined) return undefined;
      if (now - Number(row.accessed_at) >= ACCESS_RESOLUTION_MS) {
        await this.pool.query(`UPDATE ${this.t.artifacts} SET accessed_at = $1 WHERE seq = $2 AND accessed_at < $1`, [now, row.seq]);
      }
      return {
        body: row.body, contentType: row.content_type, etag: row.etag,
        ...(row.expires_at !== null && { profileExpiresAt: new Date(Number(row.expires_at)) }),
      };
    });
  }

  async enforceLimits(): Promise<LimitsReport> {
    return this.guard('enforce the limits', () => this.underEvictionLock(async (client) => {
      const expired = await client.query(
        `DELETE FROM ${this.t.profiles} WHERE expires_at IS NOT NULL AND expires_at <= $1`, [this.now()]);
      return {
        expiredProfiles: expired.rowCount ?? 0,
        removedSources: await this.removeOrphanSources(client),
        evictedArtifacts: await this.evictWith(client),
      };
    }, { expiredProfiles: 0, removedSources: 0, evictedArtifacts: 0 }));
  }

  /**
   * Deletes the sources archives no profile refers to, without racing a put that is about to refer
   * to one: the candidates are locked first (a put checking its foreign key now waits, then finds
   * the archive gone and goes round again; one already checking it holds a lock, and is skipped),
   * then deleted by a second statement, whose fresh snapshot sees the references committed since
   * the first one's. One statement would see only its own snapshot's references and fail on the
   * foreign key instead.
   */
  private async removeOrphanSources(client: PoolClient): Promise<number> {
    const unreferenced = `NOT EXISTS (SELECT 1 FROM ${this.t.profiles} p WHERE p.sources_id = s.id)`;
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM ${this.t.sources} s WHERE ${unreferenced} FOR UPDATE SKIP LOCKED`);
    if (rows.length === 0) return 0;
    const removed = await client.query(
      `DELETE FROM ${this.t.sources} s WHERE s.id = ANY($1) AND ${unreferenced}`, [rows.map((r) => r.id)]);
    return removed.rowCount ?? 0;
  }

  /** The cheap check first (an index-only sum); the eviction only when over the cap. */
  private async evictOverCap(): Promise<number> {
    if (this.maxArtifactBytes === Infinity) return 0;
    const { rows } = await this.pool.query<{ total: number }>(
      `SELECT COALESCE(SUM(size), 0)::float8 AS total FROM ${this.t.artifacts}`);
    if (rows[0]!.total <= this.maxArtifactBytes) return 0;
    return this.underEvictionLock((client) => this.evictWith(client), 0);
  }

  /**
   * Keeps the most recently used artifacts whose running total fits; everything older goes. One
   * larger than the whole cap goes first, or it would push out everything older than itself.
   */
  private async evictWith(client: PoolClient): Promise<number> {
    if (this.maxArtifactBytes === Infinity) return 0;
    const evicted = await client.query(
      `DELETE FROM ${this.t.artifacts} WHERE size > $1 OR seq IN (
         SELECT seq FROM (
           SELECT seq, SUM(size) OVER (ORDER BY accessed_at DESC, seq DESC ROWS UNBOUNDED PRECEDING) AS newer_bytes
           FROM ${this.t.artifacts} WHERE size <= $1) ranked
         WHERE newer_bytes > $1)`,
      [this.maxArtifactBytes]);
    return evicted.rowCount ?? 0;
  }

  /**
   * One replica at a time purges and evicts: two concurrent DELETEs over overlapping rows would
   * deadlock or evict twice as much. A replica that finds the lock taken skips — the other one is
   * doing the same work.
   */
  private async underEvictionLock<T>(body: (client: PoolClient) => Promise<T>, skipped: T): Promise<T> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked', [LOCK_CLASS_EVICT, this.schemaKey]);
      return rows[0]!.locked ? body(client) : skipped;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /**
   * Runs one database step, turning PostgreSQL's failures into the store's typed errors. Every
   * step is idempotent, so some failures are retried: a deadlock or serialization failure
   * (another replica touching the same rows), twice; a pooled connection that died while idle
   * (the database restarted), once, on a fresh connection — otherwise each of the pool's stale
   * connections would fail one request after every database restart.
   */
  private async guard<T>(what: string, step: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error(`cannot ${what}: the store is closed`);
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (err) {
        if (attempt < 3 && worthRetrying(err, attempt)) continue;
        throw asStoreError(err, `cannot ${what}`);
      }
    }
  }
}

function worthRetrying(err: unknown, attempt: number): boolean {
  if (err instanceof DatabaseError) {
    const code = err.code ?? '';
    if (code === '40P01' || code === '40001') return true;
    return attempt === 1 && (code === '57P01' || code === '57P02' || code.startsWith('08'));
  }
  return attempt === 1 && err instanceof Error && /Connection terminated/.test(err.message);
}

/** Socket-level failures: the database is down, restarting or unreachable. */
const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
]);

/** SQLSTATEs meaning "not now" rather than "wrong": connection, shutdown, resources, locks. */
function isTransient(sqlstate: string): boolean {
  return sqlstate.startsWith('08') // connection exception
    || sqlstate.startsWith('57P') // admin/crash shutdown, cannot connect now
    || sqlstate.startsWith('53') // insufficient resources (53100 disk full is handled before)
    || sqlstate === '40001' || sqlstate === '40P01' // serialization failure, deadlock (after retries)
    || sqlstate === '55P03' // lock not available
    || sqlstate === '57014' // statement timeout
    || sqlstate === '25006'; // read-only transaction: a standby during failover
}

/**
 * pg's errors → the store's. DatabaseError carries a SQLSTATE; a failure below it (refused
 * connection, pool timeout, connection dropped mid-query) is a plain Error from pg or the socket.
 */
function asStoreError(err: unknown, what: string): unknown {
  if (!(err instanceof Error)) return err;
  if (err instanceof DatabaseError) {
    const code = err.code ?? '';
    const detail = `${what}: ${err.message} (SQLSTATE ${code})`;
    if (code === '53100') return new StorageFullError(detail, { cause: err });
    if (isTransient(code)) return new StoreUnavailableError(detail, code.startsWith('40') || code === '55P03' ? 1 : 5, { cause: err });
    return err;
  }
  const errno = (err as { code?: unknown }).code;
  const networkFailure = (typeof errno === 'string' && NETWORK_ERRNOS.has(errno))
    || /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(err.message);
  if (networkFailure) {
    return new StoreUnavailableError(`${what}: PostgreSQL is unreachable: ${err.message || String(errno)}`, 5, { cause: err });
  }
  return err;
}
