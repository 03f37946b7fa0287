import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchError } from '../../src/errors.js';
import { fetchProfile, type FetchOptions } from '../../src/fetch/fetch-profile.js';
import { classifyAddress, makeCapturePolicy, parseAllowList } from '../../src/fetch/policy.js';
import { shopd, startTarget, tableResolver, type Target } from './target.js';

async function forbidden(url: string, opts: FetchOptions): Promise<string> {
  const err = await fetchProfile(url, opts).then(
    () => assert.fail(`expected ${url} to be forbidden`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof FetchError, String(err));
  assert.equal(err.kind, 'forbidden', err.message);
  return err.message;
}

/** The hooks alone, for addresses we must not connect to in a test. */
function verdict(envValue: string, url: string, address: string): true | string {
  const { hooks } = makeCapturePolicy(envValue);
  try {
    hooks.allowUrl(new URL(url));
    hooks.allow(new URL(url), address);
    return true;
  } catch (e) {
    assert.ok(e instanceof FetchError && e.kind === 'forbidden');
    return e.message;
  }
}

describe('HOTPATH_FETCH_ALLOW parsing', () => {
  test('exact host:port entries, normalized as URLs write hosts', () => {
    assert.deepEqual(parseAllowList(' shop.internal:6060, [::1]:6060,HOST.Example:80,,10.0.0.7:443 '), [
      'shop.internal:6060', '[::1]:6060', 'host.example:80', '10.0.0.7:443',
    ]);
    assert.deepEqual(parseAllowList(undefined), []);
    assert.deepEqual(parseAllowList(''), []);
  });
  test('a malformed entry throws, naming it', () => {
    assert.throws(() => parseAllowList('shop.internal'), /HOTPATH_FETCH_ALLOW: "shop.internal" must be host:port/);
    assert.throws(() => parseAllowList('a:1,http://b:2'), /"http:\/\/b:2" must be a bare host:port/);
    assert.throws(() => parseAllowList('a:0'), /"a:0" has a port outside 1–65535/);
    assert.throws(() => parseAllowList('::1:6060'), /must be host:port, with \[brackets\]/);
  });
});

describe('address classes', () => {
  test('loopback, link-local, unspecified, metadata; others are ordinary', () => {
    const cases: [string, string | undefined][] = [
      ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'],
      ['169.254.1.1', 'link-local'], ['fe80::1', 'link-local'], ['febf::1', 'link-local'],
      ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
      ['169.254.169.254', 'metadata'], ['fd00:ec2::254', 'metadata'], ['::ffff:169.254.169.254', 'metadata'],
      ['10.0.0.7', undefined], ['203.0.113.5', undefined], ['2001:db8::1', undefined], ['fec0::1', undefined], ['fd00:ec2::253', undefined],
    ];
    for (const [address, kind] of cases) assert.equal(classifyAddress(address), kind, address);
  });
});

describe('capture policy hooks', () => {
  test('nothing listed: every capture refused', () => {
    assert.equal(makeCapturePolicy(undefined).enabled, false);
    assert.equal(verdict('', 'http://10.0.0.7:6060/debug/pprof/heap', '10.0.0.7'), 'captures are disabled: HOTPATH_FETCH_ALLOW is empty');
  });
  test('only the exact host:port', () => {
    const env = 'shop.internal:6060';
    assert.equal(verdict(env, 'http://shop.internal:6060/debug/pprof/heap', '10.0.0.7'), true);
    assert.equal(verdict(env, 'http://SHOP.internal:6060/debug/pprof/heap', '10.0.0.7'), true);
    assert.equal(verdict(env, 'http://shop.internal:6061/debug/pprof/heap', '10.0.0.7'), 'shop.internal:6061 is not in HOTPATH_FETCH_ALLOW');
    assert.equal(verdict(env, 'http://shop.internal/debug/pprof/heap', '10.0.0.7'), 'shop.internal:80 is not in HOTPATH_FETCH_ALLOW');
    assert.equal(verdict('shop.internal:443', 'https://shop.internal/debug/pprof/heap', '10.0.0.7'), true);
    assert.equal(verdict(env, 'http://10.0.0.7:6060/debug/pprof/heap', '10.0.0.7'), '10.0.0.7:6060 is not in HOTPATH_FETCH_ALLOW');
  });
  test('a listed name that resolves to loopback, link-local or metadata is refused', () => {
    const env = 'shop.internal:6060';
    assert.equal(
      verdict(env, 'http://shop.internal:6060/debug/pprof/heap', '169.254.169.254'),
      'shop.internal resolves to 169.254.169.254, a metadata address; only an entry naming it (169.254.169.254:6060) in HOTPATH_FETCH_ALLOW allows that',
    );
    assert.match(String(verdict(env, 'http://shop.internal:6060/', 'fd00:ec2::254')), /a metadata address; only an entry naming it \(\[fd00:ec2::254\]:6060\)/);
    assert.match(String(verdict(env, 'http://shop.internal:6060/', '127.0.0.1')), /a loopback address/);
    assert.match(String(verdict(env, 'http://shop.internal:6060/', '::ffff:7f00:1')), /a loopback address/);
    assert.match(String(verdict(env, 'http://shop.internal:6060/', 'fe80::1')), /a link-local address/);
    assert.match(String(verdict(env, 'http://shop.internal:6060/', '0.0.0.0')), /an unspecified address/);
    // …unless the same address and port are listed themselves.
    assert.equal(verdict('shop.internal:6060,127.0.0.1:6060', 'http://shop.internal:6060/', '127.0.0.1'), true);
  });
  test('special addresses named explicitly are allowed', () => {
    assert.equal(verdict('127.0.0.1:6060', 'http://127.0.0.1:6060/debug/pprof/heap', '127.0.0.1'), true);
    assert.equal(verdict('[::1]:6060', 'http://[::1]:6060/debug/pprof/heap', '::1'), true);
    assert.equal(verdict('localhost:6060', 'http://localhost:6060/debug/pprof/heap', '::1'), true);
    assert.equal(verdict('169.254.169.254:80', 'http://169.254.169.254/latest/meta-data/', '169.254.169.254'), true);
    assert.equal(verdict('metadata.google.internal:80', 'http://metadata.google.internal/computeMetadata/v1/', '169.254.169.254'), true);
    // Listing one loopback port does not list another.
    assert.equal(verdict('127.0.0.1:6060', 'http://127.0.0.1:22/', '127.0.0.1'), '127.0.0.1:22 is not in HOTPATH_FETCH_ALLOW');
    // Nor does listing one name list another that resolves to the same place.
    assert.equal(verdict('127.0.0.1:6060', 'http://localhost:6060/', '127.0.0.1'), 'localhost:6060 is not in HOTPATH_FETCH_ALLOW');
  });
  test('non-http schemes are refused', () => {
    assert.match(String(verdict('shop.internal:6060', 'ftp://shop.internal:6060/heap', '10.0.0.7')), /only http and https/);
  });
});

describe('capture policy through fetchProfile', { concurrency: true }, () => {
  let target: Target;
  before(async () => {
    target = await startTarget();
  });
  after(() => target.close());

  test('127.0.0.1:PORT listed exactly: fetched, bytes equal', async () => {
    const policy = makeCapturePolicy(`shop.internal:6060, 127.0.0.1:${target.port}`);
    const bytes = await fetchProfile(`${target.origin}/debug/pprof/heap`, { ...policy.hooks });
    assert.deepEqual(Buffer.from(bytes), shopd('heap.a.pb.gz'));
  });

  test('not listed: forbidden before any request or DNS query', async () => {
    const asked: string[] = [];
    const resolve = async (h: string) => (asked.push(h), ['127.0.0.1']);
    const policy = makeCapturePolicy(`127.0.0.1:${target.port + 1}`, { resolve });
    const before = target.seen.length;
    const message = await forbidden(`${target.origin}/debug/pprof/heap?unlisted`, policy.hooks);
    assert.equal(message, `cannot fetch ${target.origin}/debug/pprof/heap?unlisted: 127.0.0.1:${target.port} is not in HOTPATH_FETCH_ALLOW`);
    const byName = await forbidden(`http://other.test:${target.port}/debug/pprof/heap`, policy.hooks);
    assert.match(byName, /other\.test:\d+ is not in HOTPATH_FETCH_ALLOW$/);
    assert.deepEqual(asked, []);
    assert.ok(!target.seen.slice(before).some((r) => r.url.includes('unlisted')));
  });

  test('a redirect within the list is followed, one off the list refused', async () => {
    const policy = makeCapturePolicy(`127.0.0.1:${target.port}`);
    assert.deepEqual(Buffer.from(await fetchProfile(`${target.origin}/hop/2`, policy.hooks)), shopd('heap.a.pb.gz'));
    const message = await forbidden(`${target.origin}/redirect/off-list?port=${target.port}`, policy.hooks);
    assert.equal(
      message,
      `cannot fetch ${target.origin}/redirect/off-list?port=${target.port} (redirected to http://elsewhere.test:${target.port}/debug/pprof/heap): redirect refused: elsewhere.test:${target.port} is not in HOTPATH_FETCH_ALLOW`,
    );
  });

  test('a listed name resolving to loopback (DNS rebinding) is refused, never connected', async () => {
    const resolve = tableResolver({ 'shop.internal': ['127.0.0.1'], 'mixed.internal': ['10.0.0.7', '127.0.0.1'] });
    const policy = makeCapturePolicy(`shop.internal:${target.port},mixed.internal:${target.port}`, { resolve });
    const before = target.seen.length;
    assert.match(await forbidden(`http://shop.internal:${target.port}/debug/pprof/heap`, policy.hooks), /shop\.internal resolves to 127\.0\.0\.1, a loopback address/);
    // One bad address among several refuses the name: Node could pick any of them.
    assert.match(await forbidden(`http://mixed.internal:${target.port}/debug/pprof/heap`, policy.hooks), /mixed\.internal resolves to 127\.0\.0\.1/);
    assert.equal(target.seen.length, before);
  });

  test('metadata addresses refused even via a listed hostname', async () => {
    const resolve = tableResolver({ 'shop.internal': ['169.254.169.254'], 'shop6.internal': ['fd00:ec2::254'] });
    const policy = makeCapturePolicy('shop.internal:80,shop6.internal:80', { resolve });
    assert.match(await forbidden('http://shop.internal/latest/meta-data/iam/', policy.hooks), /resolves to 169\.254\.169\.254, a metadata address/);
    assert.match(await forbidden('http://shop6.internal/latest/meta-data/', policy.hooks), /resolves to fd00:ec2::254, a metadata address/);
    // The literal, unlisted, is refused before anything else.
    assert.match(await forbidden('http://169.254.169.254/latest/meta-data/', policy.hooks), /169\.254\.169\.254:80 is not in HOTPATH_FETCH_ALLOW$/);
    assert.match(await forbidden('http://metadata.google.internal/computeMetadata/v1/', policy.hooks), /metadata\.google\.internal:80 is not in HOTPATH_FETCH_ALLOW$/);
  });
});
