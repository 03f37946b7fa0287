/**
 * bin/hotpath.cjs keeps V8's code cache of the bundle in the user's cache folder: made by a first
 * run, used by the next, never trusted from a folder others can write, ignored when damaged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS } from '../support/goldens.js';

const BIN = fileURLToPath(new URL('../../../bin/hotpath.cjs', import.meta.url));
const PROFILE = path.join(CORPUS, 'profiles/shopd/cpu.pb.gz');
const GOLDEN = readFileSync(path.join(CORPUS, 'golden/shopd.cpu.top.txt'), 'utf8');

function topWithCache(cacheHome: string, env: Record<string, string> = {}): void {
  const r = spawnSync(process.execPath, [BIN, '-top', PROFILE], {
    encoding: 'utf8', env: { ...process.env, TZ: 'UTC', XDG_CACHE_HOME: cacheHome, ...env }, timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, GOLDEN);
}

function withCacheHome(body: (home: string, dir: string) => void): void {
  const home = mkdtempSync(path.join(os.tmpdir(), 'hotpath-code-cache-'));
  try {
    body(home, path.join(home, 'hotpath/v8'));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const cacheFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.bin'));

test('a first run makes the cache, readable by its user only; the next run uses it as it is', () => {
  withCacheHome((home, dir) => {
    topWithCache(home);
    const [file] = cacheFiles(dir);
    assert.match(file ?? '', new RegExp(`^[0-9a-f]{16}-${process.version}-${process.arch}-text\\.bin$`));
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const made = statSync(path.join(dir, file!));
    assert.equal(made.mode & 0o777, 0o600);
    assert.ok(made.size > 10_000, `${made.size} bytes: the functions the run compiled`);
    topWithCache(home);
    assert.equal(statSync(path.join(dir, file!)).ino, made.ino, 'an accepted cache is not written again');
  });
});

test('a damaged cache is ignored and replaced; the output is the same', () => {
  withCacheHome((home, dir) => {
    topWithCache(home);
    const file = path.join(dir, cacheFiles(dir)[0]!);
    const junk = Buffer.alloc(statSync(file).size, 0x5a);
    writeFileSync(file, junk);
    topWithCache(home);
    assert.notDeepEqual(readFileSync(file), junk, 'V8 rejected it, and the run wrote a fresh one');
  });
});

test('a cache in a folder others may write is never read', () => {
  withCacheHome((home, dir) => {
    topWithCache(home);
    const file = path.join(dir, cacheFiles(dir)[0]!);
    chmodSync(dir, 0o777);
    const before = statSync(file).ino;
    topWithCache(home);
    assert.notEqual(statSync(file).ino, before, 'treated as absent: made anew');
  });
});

test('a run that fails, or only prints help, leaves no cache: its few compiled functions would stay', () => {
  withCacheHome((home, dir) => {
    for (const args of [['-top', '/nonexistent/profile.pb.gz'], ['-help']]) {
      spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, XDG_CACHE_HOME: home }, timeout: 60_000 });
    }
    assert.throws(() => readdirSync(dir), { code: 'ENOENT' });
  });
});

test('NODE_DISABLE_COMPILE_CACHE=1 keeps no cache', () => {
  withCacheHome((home, dir) => {
    topWithCache(home, { NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.throws(() => readdirSync(dir), { code: 'ENOENT' });
  });
});
