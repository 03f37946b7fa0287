import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configFromEnv, DEFAULT_CONFIG } from '../../src/server/config.js';

test('defaults: port 8080, 64 MiB body, 512 MiB inflated, 10 s deadline, 2000 SVG nodes, logging on', () => {
  const c = configFromEnv({});
  assert.equal(c.port, 8080);
  assert.equal(c.maxBodyBytes, 64 * 1024 * 1024);
  assert.equal(c.maxInflatedBytes, 512 * 1024 * 1024);
  assert.equal(c.renderDeadlineMs, 10_000);
  assert.equal(c.maxSvgNodes, 2000);
  assert.equal(c.log, true);
  assert.deepEqual(c, { ...DEFAULT_CONFIG });
});

test('environment variables override, HOTPATH_LOG=0 silences the log', () => {
  const c = configFromEnv({
    PORT: '0',
    HOTPATH_MAX_BODY_BYTES: '1000',
    HOTPATH_MAX_INFLATED_BYTES: '2000',
    HOTPATH_RENDER_DEADLINE_MS: '500',
    HOTPATH_MAX_SVG_NODES: '300',
    HOTPATH_RENDER_WORKERS: '3',
    HOTPATH_RENDER_QUEUE: '0',
    HOTPATH_LOG: '0',
    HOST: '127.0.0.1',
  });
  assert.deepEqual(
    [c.port, c.maxBodyBytes, c.maxInflatedBytes, c.renderDeadlineMs, c.maxSvgNodes, c.renderWorkers, c.renderQueue, c.log, c.host],
    [0, 1000, 2000, 500, 300, 3, 0, false, '127.0.0.1'],
  );
});

test('a value that is not a whole number in range is an error naming the variable', () => {
  assert.throws(() => configFromEnv({ HOTPATH_MAX_BODY_BYTES: '64MiB' }), /HOTPATH_MAX_BODY_BYTES="64MiB"/);
  assert.throws(() => configFromEnv({ PORT: '70000' }), /PORT/);
  assert.throws(() => configFromEnv({ HOTPATH_RENDER_DEADLINE_MS: '0' }), /≥ 1/);
});

test('links: HOTPATH_TOKENS, HOTPATH_PUBLIC_URL and HOTPATH_FETCH_ALLOW are read and checked', () => {
  const c = configFromEnv({ HOTPATH_TOKENS: ' t1 , t2.x ', HOTPATH_PUBLIC_URL: 'https://hotpath.example.com/prefix/', HOTPATH_FETCH_ALLOW: 'app:6060, [::1]:6060' });
  assert.deepEqual(c.writeTokens, ['t1', 't2.x']);
  assert.equal(c.publicUrl, 'https://hotpath.example.com/prefix');
  assert.equal(c.fetchAllow, 'app:6060, [::1]:6060');
  assert.deepEqual(configFromEnv({ HOTPATH_TOKENS: '' }).writeTokens, []);
  assert.throws(() => configFromEnv({ HOTPATH_TOKENS: ' , ' }), /HOTPATH_TOKENS is set but names no token/);
  assert.throws(() => configFromEnv({ HOTPATH_TOKENS: 'has space' }), /HOTPATH_TOKENS/);
  assert.throws(() => configFromEnv({ HOTPATH_PUBLIC_URL: 'hotpath.example.com' }), /HOTPATH_PUBLIC_URL/);
  assert.throws(() => configFromEnv({ HOTPATH_PUBLIC_URL: 'https://h.example/?x=1' }), /HOTPATH_PUBLIC_URL/);
  assert.throws(() => configFromEnv({ HOTPATH_FETCH_ALLOW: 'http://app:6060' }), /HOTPATH_FETCH_ALLOW/);
});
