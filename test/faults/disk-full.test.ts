/**
 * The embedded store's disk fills up: uploads answer 507 problem+json (nothing written), the server
 * stays up, earlier uploads stay readable (raw bytes and rendered links), and once space returns
 * uploads succeed again, the refused one included.
 *
 * The disk is a 2 MiB tmpfs mounted as the store's directory, grown to 32 MiB to free space. Where
 * mounting is not permitted (not root, or a container without CAP_SYS_ADMIN) the same test runs on
 * SQLite's own size cap instead (max_page_count, the store's maxDatabaseBytes option, 2 MiB), and
 * space is freed by deleting rows the test put there to fill it; the test log says which. It runs
 * once per SQLite driver that works on this Node (node:sqlite, better-sqlite3; both on Node 22).
 *
 * (Killing the process with -9 in the middle of uploads is test/server/links.test.ts's "kill -9
 * during 50 concurrent uploads", on SQLite and on PostgreSQL: every 201 is readable afterwards.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteDatabase, openSqliteStore, profileId, SQLITE_FILE_NAME, usableSqliteDrivers } from '../../src/store/index.js';
import type { SqliteDriverName } from '../../src/store/index.js';
import { get, problemOf, startTestServer, type Answer } from '../server/support.js';

const MiB = 1024 * 1024;

/** A valid folded-stacks profile, distinct for each i, about 120 KB, hardly compressible. */
function profile(i: number): Buffer {
  const lines: string[] = [];
  let x = i * 2654435761 + 1;
  for (let j = 0; j < 1500; j++) {
    x = (x * 1103515245 + 12345) >>> 0;
    lines.push(`main;disk${i}.handler${x.toString(36)};work.step${(x >>> 7).toString(36)};leaf${j} ${1 + (x % 997)}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

async function upload(url: string, bytes: Buffer, title: string): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${url}/v1/profiles?title=${encodeURIComponent(title)}`, {
    method: 'POST', body: new Uint8Array(bytes), headers: { 'Content-Type': 'application/octet-stream' },
  });
  return { status: res.status, headers: res.headers, text: await res.text(), ms: performance.now() - started };
}

async function raw(url: string, id: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(`${url}/p/${id}/profile.pb.gz`);
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

function tryMountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

for (const driver of await usableSqliteDrivers()) {
  test(`disk full: uploads answer 507, the server stays up and serves earlier uploads; with space again, uploads succeed (${driver})`, () => diskFull(driver));
}

async function diskFull(driver: SqliteDriverName): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-diskfull-'));
  const mounted = tryMountTmpfs(dir, '2m');
  console.log(`disk full (${driver}): ${mounted
    ? 'a 2 MiB tmpfs as the store directory'
    : 'mount not permitted here; SQLite max_page_count (maxDatabaseBytes 2 MiB) stands in for the disk'}`);
  const server = await startTestServer({ renderWorkers: 1 }, undefined, {
    openStore: () => openSqliteStore({ dir, driver, ...(mounted ? {} : { maxDatabaseBytes: 2 * MiB }) }),
  });
  try {
    // Fill it. Without the mount, the first uploads are the rows deleted later to free space.
    const stored: { id: string; bytes: Buffer }[] = [];
    let full: Answer | undefined;
    let refusedBytes: Buffer | undefined;
    for (let i = 0; i < 60 && full === undefined; i++) {
      const bytes = profile(i);
      const a = await upload(server.url, bytes, i < 4 ? 'filler' : `upload ${i}`);
      if (a.status === 201) stored.push({ id: JSON.parse(a.text).id, bytes });
      else {
        full = a;
        refusedBytes = bytes;
      }
    }
    assert.ok(full !== undefined && refusedBytes !== undefined, 'the store never filled up');
    assert.ok(stored.length >= 5, `only ${stored.length} uploads fitted`);
    assert.equal(full.status, 507, full.text);
    assert.equal(problemOf(full).type, 'urn:hotpath:problem:storage-full');
    assert.ok(Number(full.headers.get('retry-after')) > 0, 'Retry-After');
    assert.ok(full.ms < 5000, `507 after ${full.ms.toFixed(0)} ms`);
    const again = await upload(server.url, refusedBytes, 'refused');
    assert.equal(again.status, 507, 'still full');

    // Up, and earlier uploads readable: the bytes as sent, and a link that renders (its result
    // cannot be stored, so it is served without being kept).
    assert.equal((await get(server, '/healthz')).status, 200);
    assert.equal((await get(server, '/readyz')).status, 200);
    for (const s of stored) {
      const r = await raw(server.url, s.id);
      assert.equal(r.status, 200);
      assert.ok(r.bytes.equals(s.bytes));
    }
    const last = stored[stored.length - 1]!;
    const top = await get(server, `/p/${last.id}/top.txt`);
    assert.equal(top.status, 200, top.text.slice(0, 300));
    assert.match(top.text, /flat%/);
    assert.equal((await raw(server.url, profileId(refusedBytes))).status, 404, 'nothing of the refused upload was written');

    // Space returns.
    if (mounted) {
      execFileSync('mount', ['-o', 'remount,size=32m', dir], { stdio: 'pipe' });
    } else {
      const db = await openSqliteDatabase(path.join(dir, SQLITE_FILE_NAME), { driver });
      try {
        db.pragma('busy_timeout = 5000');
        assert.ok(db.prepare("DELETE FROM profiles WHERE title = 'filler'").run().changes > 0);
      } finally {
        db.close();
      }
      stored.splice(0, 4);
    }
    const retried = await upload(server.url, refusedBytes, 'after space returned');
    assert.equal(retried.status, 201, retried.text);
    const more = await upload(server.url, profile(1000), 'one more');
    assert.equal(more.status, 201, more.text);
    for (const s of [...stored, { id: profileId(refusedBytes), bytes: refusedBytes }]) {
      const r = await raw(server.url, s.id);
      assert.equal(r.status, 200);
      assert.ok(r.bytes.equals(s.bytes));
    }
    console.log(`disk full (${driver}): ${stored.length} uploads fitted before the 507`);
  } finally {
    await server.shutdown();
  }
  try {
    // What is left is a sound database: no page half-written by the failed writes.
    const db = await openSqliteDatabase(path.join(dir, SQLITE_FILE_NAME), { readonly: true, driver });
    try {
      assert.equal(db.pragma('integrity_check'), 'ok');
    } finally {
      db.close();
    }
  } finally {
    if (mounted) {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
