/**
 * The server's hold on the store: reopened while it fails, 503 until open, retention on a timer
 * and after writes (not after every write), closed once. A store that counts its calls stands in
 * for the database: what is tested here is the timing around it, not the store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreUnavailableError } from '../../src/errors.js';
import { createLogger } from '../../src/server/log.js';
import { HttpProblem } from '../../src/server/problem.js';
import { StoreHandle } from '../../src/server/store-handle.js';
import type { Store } from '../../src/store/index.js';

function countingStore(): Store & { limits: number; closed: number } {
  const s = {
    kind: 'sqlite' as const,
    location: 'memory',
    limits: 0,
    closed: 0,
    putProfile: async () => ({ id: 'x', created: true }),
    getProfile: async () => undefined,
    getSources: async () => undefined,
    putArtifact: async () => undefined,
    getArtifact: async () => undefined,
    enforceLimits: async () => {
      s.limits++;
      return { evictedArtifacts: 0, expiredProfiles: 0, removedSources: 0 };
    },
    close: async () => {
      s.closed++;
    },
  };
  return s;
}

const quiet = createLogger(false);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('an unreachable store is retried until it opens; until then get() is a 503 with Retry-After', async (t) => {
  // The handle's timers do not hold the process open (a server's socket does): this one does, here.
  const keepAlive = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(keepAlive));
  const store = countingStore();
  let attempts = 0;
  const handle = new StoreHandle(async () => {
    if (++attempts < 3) throw new StoreUnavailableError('connection refused', 1);
    return store;
  }, quiet, { retryMs: 10 });
  assert.equal(handle.status, 'opening');
  assert.throws(() => handle.get(), (err: unknown) => err instanceof HttpProblem && err.kind === 'unavailable' && err.headers['Retry-After'] === '2');
  assert.equal(await handle.ready(), store);
  assert.equal(attempts, 3);
  assert.equal(handle.status, 'open');
  assert.equal(handle.get(), store);
  await handle.close();
  await handle.close();
  assert.equal(store.closed, 1);
  assert.equal(handle.status, 'closed');
  assert.throws(() => handle.get(), HttpProblem);
});

test('retention runs on its timer, and after a write unless it ran recently', async () => {
  const store = countingStore();
  const handle = new StoreHandle(async () => store, quiet, { limitsEveryMs: 40, limitsAfterWriteMs: 1000 });
  await handle.ready();
  handle.afterWrite();
  handle.afterWrite();
  await sleep(5);
  assert.equal(store.limits, 1, 'two writes in a row: one run');
  await sleep(100);
  assert.ok(store.limits >= 2, `the timer ran too (${store.limits})`);
  await handle.close();
  const after = store.limits;
  await sleep(100);
  assert.equal(store.limits, after, 'no runs after close');
});

test('closed before the store opened: ready() rejects and the late store is closed', async () => {
  const store = countingStore();
  let release!: () => void;
  const handle = new StoreHandle(() => new Promise<Store>((resolve) => (release = () => resolve(store))), quiet);
  const ready = handle.ready();
  await handle.close();
  await assert.rejects(ready, /shut down before the store was open/);
  release();
  await sleep(5);
  assert.equal(store.closed, 1);
});
