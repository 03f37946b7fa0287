/**
 * The two SQLite drivers under the embedded store answer alike: which one runs on which Node, BLOBs
 * as Buffer, named parameters, change counts, error codes by the same names, and one file format
 * (written through one, read through the other). Each test runs on the drivers that work on this
 * Node: better-sqlite3 on Node 20, node:sqlite on 24, both on 22 (`.ci/test-on-node 22 store`).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { defaultSqliteDriver, openSqliteDatabase, openSqliteStore, usableSqliteDrivers } from '../../src/store/index.js';
import { sqliteErrorCode } from '../../src/store/sqlite-driver.js';
import { blob } from './blobs.js';

const DRIVER_MODULE = pathToFileURL(fileURLToPath(new URL('../../src/store/sqlite-driver.js', import.meta.url))).href;
const DRIVERS = await usableSqliteDrivers();
const [MAJOR, MINOR] = process.versions.node.split('.').map(Number) as [number, number];
const dir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-sqlite-driver-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('node:sqlite where Node has it unflagged with isTransaction (22.16+), better-sqlite3 on Node 20, never it on 24', () => {
  const expected = MAJOR >= 23 || (MAJOR === 22 && MINOR >= 16) ? 'node:sqlite' : 'better-sqlite3';
  assert.equal(defaultSqliteDriver(), expected);
  assert.ok(DRIVERS.includes(expected), `${expected} works here: ${DRIVERS.join(', ')}`);
  if (MAJOR >= 24) assert.deepEqual(DRIVERS, ['node:sqlite'], 'better-sqlite3 12 aborts the process on Node 24');
  if (MAJOR === 20) assert.deepEqual(DRIVERS, ['better-sqlite3']);
  // CI installs better-sqlite3 (and .ci/test-on-node builds it for 22), so that on Node 22 the
  // tests below compare both drivers rather than skip.
  if (process.env['CI'] === 'true' && MAJOR < 24) assert.ok(DRIVERS.includes('better-sqlite3'), 'better-sqlite3 does not load here');
});

test('better-sqlite3 is refused on Node 24 and later, naming why', { skip: MAJOR < 24 && `Node ${process.version} runs better-sqlite3` }, async () => {
  await assert.rejects(openSqliteDatabase(':memory:', { driver: 'better-sqlite3' }), /better-sqlite3 12 aborts the process on Node v24.*nodejs\/node#65446/);
});

for (const driver of DRIVERS) {
  test(`${driver}: BLOBs come back as Buffer, named and positional parameters bind, run() counts changes`, async () => {
    const db = await openSqliteDatabase(':memory:', { driver });
    try {
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB, note TEXT, at INTEGER) STRICT');
      const insert = db.prepare<[Uint8Array, string | null, number]>('INSERT INTO t (body, note, at) VALUES (?, ?, ?)');
      const bytes = blob(1, 70_000);
      assert.equal(insert.run(bytes, null, 1_900_000_000_000).changes, 1);
      assert.equal(insert.run(new Uint8Array([1, 2, 3]), 'three', 2).changes, 1);
      const row = db.prepare<{ id: number }, { body: Buffer; note: string | null; at: number }>(
        'SELECT body, note, at FROM t WHERE id = :id').get({ id: 1 });
      assert.ok(row && Buffer.isBuffer(row.body), 'a Buffer');
      assert.ok(row.body.equals(bytes));
      assert.deepEqual([row.note, row.at], [null, 1_900_000_000_000]);
      const all = db.prepare<[], { body: Buffer }>('SELECT body FROM t ORDER BY id').all();
      assert.ok(all.every((r) => Buffer.isBuffer(r.body)));
      assert.deepEqual([...all[1]!.body], [1, 2, 3]);
      assert.equal(db.prepare<[number]>('DELETE FROM t WHERE id >= ?').run(1).changes, 2);
      assert.equal(db.prepare<[number]>('SELECT 1 FROM t WHERE id = ?').get(1), undefined);
      assert.equal(db.pragma('page_size'), 4096);
      assert.equal(db.pragma('foreign_keys = ON'), undefined, 'a PRAGMA that sets answers no row');
      assert.equal(db.inTransaction, false);
      db.exec('BEGIN IMMEDIATE');
      assert.equal(db.inTransaction, true);
      db.exec('ROLLBACK');
      assert.equal(db.inTransaction, false);
    } finally {
      db.close();
    }
  });

  test(`${driver}: SQLite's errors by the same names`, async () => {
    const db = await openSqliteDatabase(':memory:', { driver });
    try {
      db.pragma('foreign_keys = ON');
      db.exec('CREATE TABLE p (id TEXT PRIMARY KEY) STRICT; CREATE TABLE c (p TEXT REFERENCES p (id)) STRICT');
      const codeOf = (sql: string) => {
        try {
          db.exec(sql);
        } catch (err) {
          return sqliteErrorCode(err);
        }
        return assert.fail(`${sql} did not fail`);
      };
      assert.equal(codeOf("INSERT INTO c VALUES ('nobody')"), 'SQLITE_CONSTRAINT_FOREIGNKEY');
      assert.match(codeOf("INSERT INTO p VALUES ('a'), ('a')")!, /^SQLITE_CONSTRAINT/);
      assert.match(codeOf('SELECT * FROM missing')!, /^SQLITE_ERROR/);
      db.pragma('max_page_count = 2');
      assert.equal(codeOf(`CREATE TABLE big AS SELECT randomblob(100000) AS b`), 'SQLITE_FULL');
    } finally {
      db.close();
    }
    // A directory where the file should be: SQLite cannot open it (the store then answers 503).
    const code = await openSqliteDatabase(dir, { driver }).then((d) => {
      try {
        d.pragma('page_size');
      } finally {
        d.close();
      }
    }).then(() => assert.fail('opened a directory'), sqliteErrorCode);
    assert.equal(code, 'SQLITE_CANTOPEN');
  });
}

test('one file, both drivers: what one store wrote the other reads', { skip: DRIVERS.length < 2 && `only ${DRIVERS.join('')} works on Node ${process.version}` }, async () => {
  const [first, second] = DRIVERS as [typeof DRIVERS[0], typeof DRIVERS[0]];
  const place = path.join(dir, 'shared');
  const a = await openSqliteStore({ dir: place, driver: first });
  const bytes = blob(7, 200_000);
  const { id } = await a.putProfile(bytes, { title: 'written by ' + first, ttlSeconds: 3600 });
  await a.putArtifact({ profileId: id, options: '', format: 'top.txt' }, 'flat flat%', 'text/plain');
  await a.close();
  const b = await openSqliteStore({ dir: place, driver: second });
  try {
    const got = await b.getProfile(id);
    assert.ok(got !== undefined && got.bytes.equals(bytes));
    assert.equal(got.title, 'written by ' + first);
    assert.ok(got.expiresAt instanceof Date);
    assert.equal((await b.getArtifact({ profileId: id, options: '', format: 'top.txt' }))?.body.toString(), 'flat flat%');
    assert.equal((await b.putProfile(blob(8, 1000))).created, true);
  } finally {
    await b.close();
  }
});

test('loading node:sqlite prints no ExperimentalWarning, and every other warning still prints', { skip: !DRIVERS.includes('node:sqlite') && `no node:sqlite on Node ${process.version}` }, async () => {
  const script = `
    const before = process.emitWarning;
    const { openSqliteDatabase } = await import(${JSON.stringify(DRIVER_MODULE)});
    (await openSqliteDatabase(':memory:', { driver: 'node:sqlite' })).close();
    if (process.emitWarning !== before) throw new Error('emitWarning was left wrapped');
    process.emitWarning('SQLite is an experimental feature, and so is this', 'ExperimentalWarning');
  `;
  const { stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 });
  assert.doesNotMatch(stderr, /might change at any time/);
  assert.match(stderr, /ExperimentalWarning: SQLite is an experimental feature, and so is this/);
});
