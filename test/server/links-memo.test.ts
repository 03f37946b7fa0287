/** The in-memory copies of stored artifacts: valid until their profile expires, least recently used out first. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArtifactMemo } from '../../src/server/links/cache.js';
import { canonicalOptions } from '../../src/server/links/artifacts.js';
import { parseOptions } from '../../src/options.js';
import type { StoredArtifact } from '../../src/store/index.js';

const artifact = (size: number, expiresAt?: number): StoredArtifact => ({
  body: Buffer.alloc(size), contentType: 'text/plain', etag: '"x"', ...(expiresAt !== undefined && { profileExpiresAt: new Date(expiresAt) }),
});

test('an entry holds until its profile expires', () => {
  const memo = new ArtifactMemo(1000);
  memo.put('a', artifact(10, 5000));
  memo.put('b', artifact(10));
  assert.ok(memo.get('a', 4999));
  assert.equal(memo.get('a', 5000), undefined);
  assert.equal(memo.get('a', 1), undefined, 'gone for good');
  assert.ok(memo.get('b', Number.MAX_SAFE_INTEGER), 'no expiry: kept');
  assert.equal(memo.bytes, 10);
});

test('past the byte cap the least recently used go first; an entry over an eighth of it is not kept', () => {
  const memo = new ArtifactMemo(800);
  for (const k of ['a', 'b', 'c', 'd']) memo.put(k, artifact(100));
  memo.get('a', 0); // now the most recent
  for (const k of ['e', 'f', 'g', 'h', 'i']) memo.put(k, artifact(100));
  assert.equal(memo.bytes, 800);
  assert.ok(memo.get('a', 0));
  assert.equal(memo.get('b', 0), undefined);
  memo.put('big', artifact(101));
  assert.equal(memo.get('big', 0), undefined);
  assert.equal(new ArtifactMemo(0).get('x', 0), undefined);
});

test('canonical options: defaults dropped, names sorted, one spelling per meaning', () => {
  const c = (raw: Record<string, string>) => canonicalOptions(parseOptions(raw));
  assert.equal(c({}), '');
  assert.equal(c({ nodecount: '10', focus: 'a b' }), 'focus=a+b&nodecount=10');
  assert.equal(c({ focus: 'a b', nodecount: '010', trim: 'true', nodefraction: '0.005' }), 'focus=a+b&nodecount=10');
  assert.equal(c({ inuse_space: '' }), 'sample_index=inuse_space');
  assert.equal(canonicalOptions(parseOptions({}), [['scale', '2'], ['base', 'B']]), 'base=B&scale=2');
});
