/**
 * One suite, run against every store implementation: SQLite in a temporary directory always, through
 * each SQLite driver that works on this Node (node:sqlite on 22.16+, better-sqlite3 below 24: both on
 * Node 22), and PostgreSQL whenever DATABASE_URL is set (CI sets it; then these tests run and must
 * pass). Each test gets a fresh place (a directory, or a schema of its own) and a clock it moves by hand.
 */
import { withPgClient } from '../support/pg.js';
import { DATABASE_URL, postgresSkip } from '../support/requirements.js';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { StorageFullError, StoreUnavailableError } from '../../src/errors.js';
import {
  ACCESS_RESOLUTION_MS, DEFAULT_MAX_ARTIFACT_BYTES, SQLITE_FILE_NAME, maxArtifactBytesFromEnv, openPostgresStore,
  openSqliteDatabase, openStore, profileId, sourcesArchiveId, usableSqliteDrivers,
} from '../../src/store/index.js';
import type { ArtifactKey, OpenStoreOverrides, SqliteDatabase, SqliteDriverName, Store } from '../../src/store/index.js';
import { blob, crashBlob } from './blobs.js';
import type { CrashWriterConfig } from './crash-writer.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const T0 = Date.UTC(2030, 0, 1);
const SQLITE_DRIVERS = await usableSqliteDrivers();

/** A place a store lives: opened any number of times, by this process or a child. */
interface Place {
  env: Record<string, string>;
  overrides: Pick<OpenStoreOverrides, 'pgSchema' | 'sqliteDriver'>;
  /** schema versions recorded by the migrations, read behind the store's back */
  migrationVersions(): Promise<number[]>;
  /** ids of the stored sources archives, sorted, read behind the store's back */
  sourceArchiveIds(): Promise<string[]>;
  /** backend-specific consistency check after a crash */
  checkIntegrity(): Promise<void>;
}

interface Backend {
  name: 'sqlite' | 'postgres';
  /** the name, and for SQLite the driver */
  label: string;
  fresh(): Place;
  cleanup(): Promise<void>;
}

/** Reads an SQLite store's file behind its back, read-only, through `driver`. */
async function readSqlite<T>(dir: string, driver: SqliteDriverName, read: (db: SqliteDatabase) => T): Promise<T> {
  const db = await openSqliteDatabase(path.join(dir, SQLITE_FILE_NAME), { readonly: true, driver });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function sqliteBackend(driver: SqliteDriverName): Backend {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    label: `sqlite (${driver})`,
    fresh() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-store-'));
      dirs.push(dir);
      return {
        env: { HOTPATH_DATA: dir },
        overrides: { sqliteDriver: driver },
        migrationVersions: () => readSqlite(dir, driver, (db) =>
          db.prepare<[], { version: number }>('SELECT version FROM schema_migrations ORDER BY version').all().map((r) => r.version)),
        sourceArchiveIds: () => readSqlite(dir, driver, (db) =>
          db.prepare<[], { id: string }>('SELECT id FROM source_archives ORDER BY id').all().map((r) => r.id)),
        checkIntegrity: async () => {
          assert.equal(await readSqlite(dir, driver, (db) => db.pragma('integrity_check')), 'ok');
        },
      };
    },
    async cleanup() {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresBackend(url: string): Backend {
  const schemas: string[] = [];
  const withClient = <T>(body: (client: pg.Client) => Promise<T>): Promise<T> => withPgClient(url, body);
  return {
    name: 'postgres',
    label: 'postgres',
    fresh() {
      const schema = `hotpath_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
      schemas.push(schema);
      return {
        env: { DATABASE_URL: url },
        overrides: { pgSchema: schema },
        migrationVersions: () => withClient(async (c) =>
          (await c.query<{ version: number }>(`SELECT version FROM ${schema}.hotpath_schema_migrations ORDER BY version`)).rows
            .map((r) => r.version)),
        sourceArchiveIds: () => withClient(async (c) =>
          (await c.query<{ id: string }>(`SELECT id FROM ${schema}.hotpath_source_archives ORDER BY id COLLATE "C"`)).rows.map((r) => r.id)),
        checkIntegrity: () => withClient(async (c) => {
          // Every stored row's id must be the content address of the bytes it holds.
          const { rows } = await c.query<{ id: string; bytes: Buffer; base_id: string | null; base_diff: boolean; sources_id: string | null }>(
            `SELECT id, bytes, base_id, base_diff, sources_id FROM ${schema}.hotpath_profiles`);
          for (const r of rows) assert.equal(profileId(r.bytes, r.base_id ?? undefined, r.base_diff, r.sources_id ?? undefined), r.id);
        }),
      };
    },
    async cleanup() {
      await withClient(async (c) => {
        for (const schema of schemas) await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      });
    },
  };
}

const backends: Backend[] = SQLITE_DRIVERS.map(sqliteBackend);
if (DATABASE_URL !== undefined) backends.push(postgresBackend(DATABASE_URL));
else describe('store: postgres', { skip: postgresSkip() }, () => {});

for (const backend of backends) {
  describe(`store: ${backend.label}`, () => {
    const open: Store[] = [];
    let clock = T0;
    const openAt = async (place: Place, overrides: OpenStoreOverrides = {}): Promise<Store> => {
      const store = await openStore(place.env, { now: () => clock, ...place.overrides, ...overrides });
      open.push(store);
      return store;
    };
    const fresh = async (overrides: OpenStoreOverrides = {}): Promise<{ store: Store; place: Place }> => {
      clock = T0;
      const place = backend.fresh();
      return { store: await openAt(place, overrides), place };
    };
    after(async () => {
      for (const store of open) await store.close();
      await backend.cleanup();
    });

    test('openStore picks this backend from the environment', async () => {
      const { store } = await fresh();
      assert.equal(store.kind, backend.name);
      assert.doesNotMatch(store.location, /@/, 'no credentials in the location');
    });

    test('the same bytes give the same id, stored once', async () => {
      const { store } = await fresh();
      const bytes = blob(1, 10_000);
      const first = await store.putProfile(bytes, { title: 'first' });
      const second = await store.putProfile(Buffer.from(bytes), { title: 'second' });
      assert.match(first.id, /^[A-Za-z0-9_-]{22}$/);
      assert.equal(first.id, profileId(bytes));
      assert.deepEqual([first.created, second.created], [true, false]);
      assert.equal(second.id, first.id);
      assert.equal((await store.getProfile(first.id))?.title, 'first', 'the first upload keeps its title');
    });

    test('different bytes, or another base, give different ids', async () => {
      const { store } = await fresh();
      const a = blob(2, 5_000);
      const b = Buffer.from(a);
      b[4_999] = b[4_999]! ^ 1;
      const base1 = (await store.putProfile(blob(3, 100))).id;
      const base2 = (await store.putProfile(blob(4, 100))).id;
      const ids = [
        (await store.putProfile(a)).id,
        (await store.putProfile(b)).id,
        (await store.putProfile(a, { baseId: base1 })).id,
        (await store.putProfile(a, { baseId: base2 })).id,
      ];
      assert.equal(new Set(ids).size, 4, ids.join(' '));
      const again = await store.putProfile(a, { baseId: base1 });
      assert.deepEqual(again, { id: ids[2], created: false });
      assert.equal((await store.getProfile(ids[2]!))?.baseId, base1);
      assert.equal((await store.getProfile(ids[0]!))?.baseId, undefined);
    });

    test('a diff base (pprof -diff_base) is another profile than the same base subtracted', async () => {
      const { store } = await fresh();
      const a = blob(40, 2_000);
      const base = (await store.putProfile(blob(41, 100))).id;
      const subtract = await store.putProfile(a, { baseId: base });
      const diff = await store.putProfile(a, { baseId: base, baseDiff: true });
      assert.notEqual(diff.id, subtract.id);
      assert.equal(diff.id, profileId(a, base, true));
      assert.deepEqual(await store.putProfile(a, { baseId: base, baseDiff: true }), { id: diff.id, created: false });
      assert.equal((await store.getProfile(diff.id))?.baseDiff, true);
      assert.equal((await store.getProfile(subtract.id))?.baseDiff, undefined);
      await assert.rejects(store.putProfile(a, { baseDiff: true }), TypeError);
    });

    test('a profile reads back byte-identical, with its metadata', async () => {
      const { store } = await fresh();
      const bytes = blob(5, 1024 * 1024);
      const { id } = await store.putProfile(bytes, { title: 'heap — ünïcode <b>', contentType: 'application/vnd.pprof' });
      const got = await store.getProfile(id);
      assert.ok(got);
      assert.ok(got.bytes.equals(bytes));
      assert.deepEqual({ ...got, bytes: undefined }, {
        id, bytes: undefined, title: 'heap — ünïcode <b>', createdAt: new Date(T0), contentType: 'application/vnd.pprof',
      });
      const plain = await store.putProfile(new Uint8Array([1, 2, 3]));
      assert.equal((await store.getProfile(plain.id))?.contentType, 'application/octet-stream');
      assert.equal(await store.getProfile(profileId(blob(6, 10))), undefined, 'never stored');
      assert.equal(await store.getProfile('../../etc/passwd'), undefined, 'not an id');
      await assert.rejects(store.putProfile(bytes, { baseId: 'nope' }), TypeError);
      await assert.rejects(store.putProfile(bytes, { ttlSeconds: 0 }), RangeError);
    });

    test('TTL: readable until it expires, then absent with its artifacts, and purged', async () => {
      const { store } = await fresh();
      const short = await store.putProfile(blob(7, 1000), { ttlSeconds: 60 });
      const forever = await store.putProfile(blob(8, 1000));
      const key: ArtifactKey = { profileId: short.id, options: '', format: 'svg' };
      await store.putArtifact(key, '<svg/>', 'image/svg+xml');
      assert.deepEqual((await store.getProfile(short.id))?.expiresAt, new Date(T0 + 60_000));

      clock = T0 + 59_999;
      assert.ok(await store.getProfile(short.id));
      assert.deepEqual((await store.getArtifact(key))?.profileExpiresAt, new Date(T0 + 60_000), 'the artifact says how long it holds');
      assert.deepEqual(await store.enforceLimits(), { evictedArtifacts: 0, expiredProfiles: 0, removedSources: 0 }, 'never before its TTL');

      clock = T0 + 60_000;
      assert.equal(await store.getProfile(short.id), undefined);
      assert.equal(await store.getArtifact(key), undefined, 'an artifact dies with its profile');
      assert.deepEqual(await store.enforceLimits(), { evictedArtifacts: 0, expiredProfiles: 1, removedSources: 0 });
      assert.ok(await store.getProfile(forever.id));

      // Uploaded again after expiry: a new life, a new expiry; the old artifacts were purged.
      clock = T0 + 120_000;
      assert.deepEqual(await store.putProfile(blob(7, 1000), { ttlSeconds: 60 }), { id: short.id, created: true });
      assert.deepEqual((await store.getProfile(short.id))?.expiresAt, new Date(T0 + 180_000));
      assert.equal(await store.getArtifact(key), undefined);
    });

    test('an expired profile uploaded again before the purge comes back as new', async () => {
      const { store } = await fresh();
      const { id } = await store.putProfile(blob(9, 1000), { ttlSeconds: 10, title: 'old' });
      clock = T0 + 10_000;
      assert.deepEqual(await store.putProfile(blob(9, 1000), { title: 'new' }), { id, created: true });
      const got = await store.getProfile(id);
      assert.deepEqual([got?.title, got?.createdAt, got?.expiresAt], ['new', new Date(T0 + 10_000), undefined]);
      assert.deepEqual(await store.enforceLimits(), { evictedArtifacts: 0, expiredProfiles: 0, removedSources: 0 });
    });

    test('uploading again never moves the expiry of a live profile (a link holder cannot make it permanent)', async () => {
      const { store } = await fresh();
      const bytes = blob(10, 1000);
      const expiry = async (ttlSeconds?: number): Promise<number | undefined> => {
        const { id, created } = await store.putProfile(bytes, ttlSeconds === undefined ? {} : { ttlSeconds });
        assert.equal(created, ttlSeconds === 100, 'only the first put creates it');
        return (await store.getProfile(id))?.expiresAt?.getTime();
      };
      assert.equal(await expiry(100), T0 + 100_000);
      assert.equal(await expiry(10), T0 + 100_000, 'a shorter TTL does not shorten it');
      assert.equal(await expiry(1000), T0 + 100_000, 'a longer one does not lengthen it');
      assert.equal(await expiry(undefined), T0 + 100_000, 'none does not make it permanent');
      clock = T0 + 100_000;
      assert.equal(await store.getProfile(profileId(bytes)), undefined, 'gone at its first expiry');
    });

    test('a profile never outlives its base: its expiry is capped at the base\'s', async () => {
      const { store } = await fresh();
      const base = await store.putProfile(blob(30, 1000), { ttlSeconds: 60 });
      const longer = await store.putProfile(blob(31, 1000), { baseId: base.id, ttlSeconds: 3600 });
      assert.deepEqual((await store.getProfile(longer.id))?.expiresAt, new Date(T0 + 60_000));
      const forever = await store.putProfile(blob(32, 1000), { baseId: base.id });
      assert.deepEqual((await store.getProfile(forever.id))?.expiresAt, new Date(T0 + 60_000), 'no TTL: the base\'s');
      const shorter = await store.putProfile(blob(33, 1000), { baseId: base.id, ttlSeconds: 30 });
      assert.deepEqual((await store.getProfile(shorter.id))?.expiresAt, new Date(T0 + 30_000), 'its own when sooner');
    });

    test('an artifact made against another profile (?base=) goes when that profile expires', async () => {
      const { store } = await fresh();
      const profile = await store.putProfile(blob(34, 1000));
      const other = await store.putProfile(blob(35, 1000), { ttlSeconds: 60 });
      const key: ArtifactKey = { profileId: profile.id, options: `base=${other.id}`, format: 'top.txt', baseId: other.id };
      await store.putArtifact(key, 'delta', 'text/plain');
      const got = await store.getArtifact(key);
      assert.equal(got?.body.toString(), 'delta');
      assert.deepEqual(got?.profileExpiresAt, new Date(T0 + 60_000), 'it holds as long as the shorter-lived of the two');
      clock = T0 + 60_000;
      assert.equal(await store.getArtifact(key), undefined, 'unreadable at the base\'s expiry');
      assert.ok(await store.getProfile(profile.id), 'the profile itself lives on');
      assert.deepEqual(await store.enforceLimits(), { evictedArtifacts: 0, expiredProfiles: 1, removedSources: 0 });
      clock = T0 + 120_000;
      // Stored again, the base comes back as new: the artifact made from its old life does not.
      await store.putProfile(blob(35, 1000), { ttlSeconds: 60 });
      assert.equal(await store.getArtifact(key), undefined, 'its row went with the purge');
      // An artifact against a profile that is not stored is not kept.
      const orphan: ArtifactKey = { ...key, options: 'base=x', baseId: profileId(blob(36, 10)) };
      await store.putArtifact(orphan, 'delta', 'text/plain');
      assert.equal(await store.getArtifact(orphan), undefined);
    });

    test('sources: stored with the profile, part of its content address, readable only through it', async () => {
      const { store } = await fresh();
      const bytes = blob(50, 2_000);
      const [one, two] = [blob(51, 30_000), blob(52, 30_000)];
      const withOne = await store.putProfile(bytes, { sources: one, title: 'with sources' });
      const ids = [withOne.id, (await store.putProfile(bytes, { sources: two })).id, (await store.putProfile(bytes)).id];
      assert.equal(new Set(ids).size, 3, 'other sources, or none, are another profile');
      assert.equal(withOne.id, profileId(bytes, undefined, false, sourcesArchiveId(one)));
      assert.equal(ids[2], profileId(bytes), 'without sources the id is what it always was');
      assert.deepEqual(await store.putProfile(Buffer.from(bytes), { sources: Buffer.from(one) }), { id: withOne.id, created: false });

      const got = await store.getProfile(withOne.id);
      assert.ok(got);
      assert.ok(got.bytes.equals(bytes));
      assert.equal(got.sourcesId, sourcesArchiveId(one));
      assert.equal(got.title, 'with sources');
      assert.ok((await store.getSources(withOne.id))?.equals(one));
      assert.ok((await store.getSources(ids[1]!))?.equals(two));
      assert.equal((await store.getProfile(ids[2]!))?.sourcesId, undefined);
      assert.equal(await store.getSources(ids[2]!), undefined, 'a profile without sources has none');
      // The archive has an address of its own, but nothing answers it: it is not a profile.
      assert.equal(await store.getProfile(sourcesArchiveId(one)), undefined);
      assert.equal(await store.getSources(sourcesArchiveId(one)), undefined);
      assert.equal(await store.getSources('../../etc/passwd'), undefined);

      // With a base too: all of it is the address.
      const base = (await store.putProfile(blob(53, 100))).id;
      const both = await store.putProfile(bytes, { baseId: base, baseDiff: true, sources: one });
      assert.equal(both.id, profileId(bytes, base, true, sourcesArchiveId(one)));
      assert.ok((await store.getSources(both.id))?.equals(one));
    });

    test('sources: gone with their profile; an archive several profiles carry is stored once, until the last goes', async () => {
      const { store, place } = await fresh();
      const [shared, own] = [blob(60, 20_000), blob(61, 20_000)];
      const short = await store.putProfile(blob(62, 1000), { sources: shared, ttlSeconds: 60 });
      const forever = await store.putProfile(blob(63, 1000), { sources: shared });
      const alone = await store.putProfile(blob(64, 1000), { sources: own, ttlSeconds: 60 });
      assert.deepEqual(await place.sourceArchiveIds(), [sourcesArchiveId(shared), sourcesArchiveId(own)].sort(), 'one row per archive');

      clock = T0 + 60_000;
      assert.equal(await store.getSources(short.id), undefined, 'unreadable the moment its profile expires');
      assert.equal(await store.getSources(alone.id), undefined);
      assert.ok((await store.getSources(forever.id))?.equals(shared));
      assert.deepEqual(await store.enforceLimits(), { evictedArtifacts: 0, expiredProfiles: 2, removedSources: 1 });
      assert.deepEqual(await place.sourceArchiveIds(), [sourcesArchiveId(shared)], 'the purge removed the archive no profile carries');
      assert.ok((await store.getSources(forever.id))?.equals(shared));

      // Uploaded again after the purge: a new life, archive and all.
      assert.deepEqual(await store.putProfile(blob(64, 1000), { sources: own }), { id: alone.id, created: true });
      assert.ok((await store.getSources(alone.id))?.equals(own));
      // An expired profile uploaded again before the purge keeps its archive (the row still refers to it).
      const revived = await store.putProfile(blob(65, 1000), { sources: own, ttlSeconds: 10 });
      clock += 10_000;
      assert.deepEqual(await store.putProfile(blob(65, 1000), { sources: own }), { id: revived.id, created: true });
      assert.ok((await store.getSources(revived.id))?.equals(own));
      assert.deepEqual(await store.enforceLimits(), { evictedArtifacts: 0, expiredProfiles: 0, removedSources: 0 });
    });

    test('sources: a purge racing uploads that carry the archive it is removing never leaves a profile without it', async () => {
      const { store, place } = await fresh();
      const other = await openAt(place);
      const rounds = 24;
      const archive = (i: number) => blob(700 + i, 4_000);
      // Each archive's only profile has expired: the purge would remove it, as the uploads below carry it again.
      for (let i = 0; i < rounds; i++) await store.putProfile(blob(800 + i, 500), { sources: archive(i), ttlSeconds: 60 });
      clock = T0 + 60_000;
      const puts = Array.from({ length: rounds }, (_, i) => store.putProfile(blob(900 + i, 500), { sources: archive(i) }));
      const purges = Array.from({ length: 6 }, () => other.enforceLimits());
      const [stored, limits] = await Promise.all([Promise.all(puts), Promise.all(purges)]);
      assert.equal(limits.reduce((n, r) => n + r.expiredProfiles, 0), rounds, 'every expired profile purged, once');
      for (const [i, { id }] of stored.entries()) {
        assert.ok((await store.getSources(id))?.equals(archive(i)), `upload ${i} lost its archive`);
      }
      await other.enforceLimits();
      assert.equal((await place.sourceArchiveIds()).length, rounds, 'every archive is still carried');
    });

    test('artifacts: one per (profile, options, format), replaced in place, with body-derived ETags', async () => {
      const { store } = await fresh();
      const { id } = await store.putProfile(blob(11, 1000));
      const svg: ArtifactKey = { profileId: id, options: 'nodecount=80', format: 'svg' };
      await store.putArtifact(svg, '<svg>é</svg>', 'image/svg+xml');
      const got = await store.getArtifact(svg);
      assert.ok(got);
      assert.equal(got.body.toString('utf8'), '<svg>é</svg>');
      assert.equal(got.contentType, 'image/svg+xml');
      assert.match(got.etag, /^"[A-Za-z0-9_-]{22}"$/);
      assert.equal(got.profileExpiresAt, undefined, 'its profile is kept forever');

      assert.equal(await store.getArtifact({ ...svg, options: 'nodecount=81' }), undefined);
      assert.equal(await store.getArtifact({ ...svg, format: 'png' }), undefined);
      assert.equal(await store.getArtifact({ ...svg, profileId: profileId(blob(12, 10)) }), undefined);

      const png = { ...svg, format: 'png' };
      await store.putArtifact(png, new Uint8Array(Buffer.from('<svg>é</svg>')), 'image/png');
      assert.equal((await store.getArtifact(png))?.etag, got.etag, 'same bytes, same tag');

      await store.putArtifact(svg, '<svg>changed</svg>', 'image/svg+xml');
      const replaced = await store.getArtifact(svg);
      assert.equal(replaced?.body.toString(), '<svg>changed</svg>');
      assert.notEqual(replaced?.etag, got.etag);

      // Its profile never existed (or expired and was purged): nothing is kept, nothing throws.
      const orphan = { ...svg, profileId: profileId(blob(13, 10)) };
      await store.putArtifact(orphan, 'x', 'text/plain');
      assert.equal(await store.getArtifact(orphan), undefined);
    });

    test('the artifact byte cap evicts least-recently-used first, never a profile', async () => {
      const { store, place } = await fresh({ maxArtifactBytes: 3000 });
      // Looks without touching: its clock stands before every access, so no read refreshes one.
      const observer = await openAt(place, { now: () => T0 });
      const big = blob(14, 200_000); // profiles do not count against the artifact cap
      const { id } = await store.putProfile(big);
      const key = (n: number): ArtifactKey => ({ profileId: id, options: `n=${n}`, format: 'txt' });
      const present = async (): Promise<number[]> => {
        const found: number[] = [];
        for (let n = 1; n <= 6; n++) if (await observer.getArtifact(key(n))) found.push(n);
        return found;
      };
      for (const n of [1, 2, 3]) {
        clock = T0 + n * 1000;
        await store.putArtifact(key(n), blob(n, 1000), 'text/plain');
      }
      assert.deepEqual(await present(), [1, 2, 3], 'exactly at the cap: all kept');

      // A read within the access resolution refreshes nothing (2 stays the oldest); a read after
      // it makes 1 the most recently used.
      clock = T0 + 2000 + ACCESS_RESOLUTION_MS - 1;
      assert.ok(await store.getArtifact(key(2)));
      clock = T0 + 1000 + ACCESS_RESOLUTION_MS;
      assert.ok(await store.getArtifact(key(1)));
      clock = T0 + 3000 + ACCESS_RESOLUTION_MS;
      await store.putArtifact(key(4), blob(4, 1000), 'text/plain');
      assert.deepEqual(await present(), [1, 3, 4], '2 was the least recently used');

      // 2000 more bytes: the two least recently used, 3 then 1, go.
      clock += 1;
      await store.putArtifact(key(5), blob(5, 2000), 'text/plain');
      assert.deepEqual(await present(), [4, 5]);

      // Larger than the whole cap: not kept, and it pushes nothing else out.
      await store.putArtifact(key(6), blob(6, 3001), 'text/plain');
      assert.deepEqual(await present(), [4, 5]);
      assert.ok((await store.getProfile(id))?.bytes.equals(big), 'the profile stays');

      // A store opened with a smaller cap enforces it on demand.
      const smaller = await openAt(place, { maxArtifactBytes: 1500 });
      assert.deepEqual(await smaller.enforceLimits(), { evictedArtifacts: 1, expiredProfiles: 0, removedSources: 0 });
      assert.deepEqual(await present(), [4]);
      assert.ok(await store.getProfile(id));
    });

    test('migrations are idempotent: opened again, and twice at once, nothing is lost', async () => {
      const { store, place } = await fresh();
      const { id } = await store.putProfile(blob(15, 1000));
      await store.close();
      const [a, b] = await Promise.all([openAt(place), openAt(place)]);
      const c = await openAt(place);
      for (const s of [a, b, c]) assert.ok((await s.getProfile(id))?.bytes.equals(blob(15, 1000)));
      assert.deepEqual(await place.migrationVersions(), [1, 2, 3, 4]);
    });

    test('reopened after close, everything is still there', async () => {
      const { store, place } = await fresh();
      const profiles = [blob(16, 300_000), blob(17, 10), blob(18, 70_000)];
      const ids: string[] = [];
      for (const [i, bytes] of profiles.entries()) {
        const { id } = await store.putProfile(bytes, { title: `p${i}`, ...(i === 1 && { ttlSeconds: 3600 }) });
        ids.push(id);
        await store.putArtifact({ profileId: id, options: 'o', format: 'dot' }, `digraph ${i} {}`, 'text/vnd.graphviz');
      }
      await store.close();
      await assert.rejects(store.getProfile(ids[0]!), /closed/);
      await store.close(); // idempotent

      const reopened = await openAt(place);
      for (const [i, bytes] of profiles.entries()) {
        const got = await reopened.getProfile(ids[i]!);
        assert.ok(got);
        assert.ok(got.bytes.equals(bytes));
        assert.equal(got.title, `p${i}`);
        assert.equal(got.expiresAt?.getTime(), i === 1 ? T0 + 3_600_000 : undefined);
        const artifact = await reopened.getArtifact({ profileId: ids[i]!, options: 'o', format: 'dot' });
        assert.equal(artifact?.body.toString(), `digraph ${i} {}`);
      }
    });

    test('two stores on one database see each other\'s writes', async () => {
      const { store: one, place } = await fresh();
      const two = await openAt(place);
      const { id } = await one.putProfile(blob(19, 50_000), { title: 'from one' });
      assert.equal((await two.getProfile(id))?.title, 'from one');
      assert.deepEqual(await two.putProfile(blob(19, 50_000)), { id, created: false });
      const key: ArtifactKey = { profileId: id, options: '', format: 'top.txt' };
      await two.putArtifact(key, 'flat flat%', 'text/plain');
      assert.equal((await one.getArtifact(key))?.body.toString(), 'flat flat%');
    });

    // SQLite runs it twice: synchronous=FULL is the default; NORMAL is checked too, because the
    // claim that WAL mode with NORMAL survives the death of the process (not of the machine) is
    // what the FULL-vs-NORMAL choice in sqlite.ts rests on.
    const variants = backend.name === 'sqlite' ? (['FULL', 'NORMAL'] as const) : [undefined];
    for (const synchronous of variants) {
      const name = `kill -9 during many concurrent uploads leaves only complete rows${synchronous ? ` (synchronous=${synchronous})` : ''}`;
      test(name, { timeout: 120_000 }, async () => {
        const place = backend.fresh();
        const concurrency = 12;
        const config: CrashWriterConfig = {
          env: place.env, overrides: { ...place.overrides, ...(synchronous && { synchronous }) }, concurrency,
        };
        const child = spawn(process.execPath, [path.join(HERE, 'crash-writer.js'), JSON.stringify(config)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const acknowledged = new Map<number, string>();
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
        let pending = '';
        let killAfter = 0;
        const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
        child.stdout.on('data', (d: Buffer) => {
          pending += d.toString();
          const lines = pending.split('\n');
          pending = lines.pop()!;
          for (const line of lines) {
            if (line === 'ready') continue;
            const [i, id] = line.split(' ');
            acknowledged.set(Number(i), id!);
          }
          // Some way into the run, at a moment that varies with timing: uploads are mid-flight.
          if (killAfter === 0 && acknowledged.size > 0) killAfter = 40 + Math.floor(Math.random() * 20);
          if (killAfter > 0 && acknowledged.size >= killAfter && child.exitCode === null) child.kill('SIGKILL');
        });
        const signal = await exited;
        assert.equal(signal, 'SIGKILL', `the writer died on its own: ${stderr}`);
        assert.ok(acknowledged.size >= 40, `only ${acknowledged.size} acknowledged writes: ${stderr}`);

        clock = Date.now(); // the child wrote with the real clock (and some rows have a TTL)
        const store = await openAt(place);
        for (const [i, id] of acknowledged) {
          const bytes = crashBlob(i);
          assert.equal(id, profileId(bytes));
          const got = await store.getProfile(id);
          assert.ok(got, `acknowledged upload ${i} (${id}) is missing`);
          assert.ok(got.bytes.equals(bytes), `upload ${i} is not byte-identical`);
          assert.equal(got.title, `blob ${i}`);
        }
        // Uploads in flight at the kill: absent, or complete.
        const last = Math.max(...acknowledged.keys());
        let inFlightStored = 0;
        for (let i = 0; i <= last + concurrency; i++) {
          if (acknowledged.has(i)) continue;
          const got = await store.getProfile(profileId(crashBlob(i)));
          if (got === undefined) continue;
          inFlightStored++;
          assert.ok(got.bytes.equals(crashBlob(i)), `unacknowledged upload ${i} is stored but not byte-identical`);
        }
        await place.checkIntegrity();
        console.log(`store ${backend.label}${synchronous ? ` ${synchronous}` : ''}: kill -9 after ${acknowledged.size} ` +
          `acknowledged uploads; ${inFlightStored} in flight were committed, the rest absent; all rows complete`);
      });
    }
  });
}

describe('store: errors and configuration', () => {
  test('an unreachable PostgreSQL is StoreUnavailableError with a retry delay', async () => {
    const err = await openPostgresStore({ connectionString: 'postgres://nobody@127.0.0.1:1/none' }).then(
      () => assert.fail('opened a store on a closed port'), (e: unknown) => e);
    assert.ok(err instanceof StoreUnavailableError, String(err));
    assert.ok(err.retryAfterSeconds > 0);
    assert.match(err.message, /unreachable/);
  });

  for (const driver of SQLITE_DRIVERS) {
    test(`a full SQLite database is StorageFullError, and the store stays usable (${driver})`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-store-full-'));
      const store = await openStore({ HOTPATH_DATA: dir }, { maxDatabaseBytes: 2 * 1024 * 1024, sqliteDriver: driver });
      try {
        const small = await store.putProfile(blob(20, 1000));
        await assert.rejects(store.putProfile(blob(21, 3 * 1024 * 1024)), StorageFullError);
        assert.equal(await store.getProfile(profileId(blob(21, 3 * 1024 * 1024))), undefined, 'nothing half-written');
        assert.ok(await store.getProfile(small.id));
        assert.equal((await store.putProfile(blob(22, 1000))).created, true);
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test(`an SQLite file that cannot be opened is StoreUnavailableError (${driver})`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-store-dir-'));
      try {
        mkdirSync(path.join(dir, SQLITE_FILE_NAME)); // a directory where the database file should be
        const err = await openStore({ HOTPATH_DATA: dir }, { sqliteDriver: driver }).then(
          () => assert.fail('opened a directory as a database'), (e: unknown) => e);
        assert.ok(err instanceof StoreUnavailableError, String(err));
        assert.match(err.message, /SQLITE_CANTOPEN/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('HOTPATH_STORE_MAX_ARTIFACT_BYTES: bytes ≥ 0, default 1 GiB, a typo throws naming it', () => {
    assert.equal(maxArtifactBytesFromEnv({}), DEFAULT_MAX_ARTIFACT_BYTES);
    assert.equal(maxArtifactBytesFromEnv({ HOTPATH_STORE_MAX_ARTIFACT_BYTES: '0' }), 0);
    assert.equal(maxArtifactBytesFromEnv({ HOTPATH_STORE_MAX_ARTIFACT_BYTES: ' 5000 ' }), 5000);
    for (const bad of ['1G', '-1', '1.5']) {
      assert.throws(() => maxArtifactBytesFromEnv({ HOTPATH_STORE_MAX_ARTIFACT_BYTES: bad }), /HOTPATH_STORE_MAX_ARTIFACT_BYTES/);
    }
  });

  test('ids: 22 base64url characters; the base and the sources are framed, not concatenated', () => {
    const bytes = Buffer.from('profile');
    const base = profileId(Buffer.from('base'));
    assert.match(profileId(bytes), /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(profileId(bytes, base), profileId(Buffer.concat([bytes, Buffer.from(`\x01${base}`)])));
    const sources = sourcesArchiveId(Buffer.from('archive'));
    assert.match(sources, /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(profileId(bytes, undefined, false, sources), profileId(bytes, sources), 'sources are not a base');
    assert.notEqual(profileId(bytes, undefined, false, sources), profileId(Buffer.concat([bytes, Buffer.from(`\x03${sources}`)])));
    assert.notEqual(sourcesArchiveId(bytes), profileId(bytes), 'an archive\'s address is never that of the same bytes as a profile');
    assert.equal(profileId(new Uint8Array(bytes)), profileId(bytes));
  });
});
