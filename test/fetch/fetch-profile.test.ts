import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchError, type FetchErrorKind } from '../../src/errors.js';
import { adjustProfileUrl, fetchProfile, type FetchOptions, type FetchProgress } from '../../src/fetch/fetch-profile.js';
import { freePort, shopd, startTarget, tableResolver, type Target } from './target.js';

/** Runs a fetch that must fail; answers the error, checked to be a one-line FetchError of `kind`. */
async function failure(url: string, kind: FetchErrorKind, opts: FetchOptions = {}): Promise<FetchError> {
  const err = await fetchProfile(url, opts).then(
    () => assert.fail(`expected ${url} to fail with ${kind}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof FetchError, `not a FetchError: ${String(err)}`);
  assert.equal(err.kind, kind, err.message);
  assert.doesNotMatch(err.message, /[\n\r\x1b]/, 'one printable line');
  assert.match(err.message, /^cannot fetch http/);
  return err;
}

describe('adjustProfileUrl: pprof source rules', () => {
  test('a file name is not a URL', () => {
    assert.equal(adjustProfileUrl('cpu.pb.gz'), undefined);
    assert.equal(adjustProfileUrl('/tmp/profiles/heap.pb.gz'), undefined);
    assert.equal(adjustProfileUrl('./a:1'), undefined);
  });
  test('host:port/path means http', () => {
    assert.equal(adjustProfileUrl('localhost:6060/debug/pprof/heap')?.url.href, 'http://localhost:6060/debug/pprof/heap');
    assert.equal(adjustProfileUrl('[::1]:6060/debug/pprof/heap')?.url.href, 'http://[::1]:6060/debug/pprof/heap');
    assert.equal(adjustProfileUrl('svc:6060')?.url.href, 'http://svc:6060/');
  });
  test('-seconds sets seconds on any path, replacing the URL’s own', () => {
    const a = adjustProfileUrl('http://h:1/debug/pprof/profile', 5);
    assert.equal(a?.url.searchParams.get('seconds'), '5');
    assert.equal(a?.seconds, 5);
    const b = adjustProfileUrl('http://h:1/debug/pprof/profile?seconds=30&x=1', 5);
    assert.equal(b?.url.search, '?seconds=5&x=1');
    assert.equal(adjustProfileUrl('http://h:1/debug/pprof/heap', 2)?.url.search, '?seconds=2');
  });
  test('without -seconds the URL’s seconds only sets the wait', () => {
    const a = adjustProfileUrl('http://h:1/debug/pprof/profile?seconds=30');
    assert.equal(a?.seconds, 30);
    assert.equal(a?.url.search, '?seconds=30');
    assert.equal(adjustProfileUrl('http://h:1/debug/pprof/profile?seconds=1.5')?.seconds, undefined);
    assert.equal(adjustProfileUrl('http://h:1/debug/pprof/profile', 0)?.url.search, '');
    assert.equal(adjustProfileUrl('http://h:1/debug/pprof/profile', -1)?.url.search, '');
  });
  test('other schemes are refused, not read as files', () => {
    assert.throws(() => adjustProfileUrl('ftp://h/heap'), (e: unknown) => e instanceof FetchError && e.kind === 'bad-url' && /only http and https/.test(e.message));
    assert.throws(() => adjustProfileUrl('http://h:99999/x'), (e: unknown) => e instanceof FetchError && e.kind === 'bad-url');
  });
});

describe('fetchProfile against a local /debug/pprof', { concurrency: true }, () => {
  let target: Target;
  before(async () => {
    target = await startTarget();
  });
  after(() => target.close());

  test('heap: the bytes are the file’s', async () => {
    const bytes = await fetchProfile(`${target.origin}/debug/pprof/heap`);
    assert.ok(bytes instanceof Uint8Array);
    assert.deepEqual(Buffer.from(bytes), shopd('heap.a.pb.gz'));
  });

  test('scheme-less host:port/path', async () => {
    const bytes = await fetchProfile(`127.0.0.1:${target.port}/debug/pprof/goroutine`);
    assert.deepEqual(Buffer.from(bytes), shopd('goroutine.a.pb.gz'));
  });

  test('profile?seconds=1 waits for the collection, counting down', async () => {
    const progress: FetchProgress[] = [];
    const t0 = performance.now();
    const bytes = await fetchProfile(`${target.origin}/debug/pprof/profile`, {
      seconds: 1,
      timeoutMarginMs: 1500,
      onProgress: (p) => progress.push(p),
    });
    const ms = performance.now() - t0;
    assert.deepEqual(Buffer.from(bytes), shopd('cpu.pb.gz'));
    assert.ok(ms >= 950, `answered after ${ms} ms, before the collection ended`);
    assert.ok(target.seen.some((r) => r.url === '/debug/pprof/profile?seconds=1'));
    const collecting = progress.filter((p) => p.phase === 'collecting');
    assert.ok(collecting.length >= 3, 'ticks while collecting');
    assert.ok(collecting.every((p) => p.seconds === 1));
    const last = progress.at(-1)!;
    assert.equal(last.phase, 'downloading');
    assert.equal(last.bytes, bytes.length);
    assert.equal(last.totalBytes, bytes.length);
  });

  test('a target slower than seconds + margin times out, saying so', async () => {
    const t0 = performance.now();
    const err = await failure(`${target.origin}/slow/debug/pprof/profile?seconds=1`, 'timeout', { timeoutMarginMs: 300 });
    const ms = performance.now() - t0;
    assert.ok(ms >= 1250 && ms < 1900, `gave up after ${ms} ms`);
    assert.match(err.message, /no complete answer within 1\.3 s \(seconds=1 plus a 0\.3 s margin\)$/);
  });

  test('a target that never answers times out', async () => {
    const err = await failure(`${target.origin}/hang`, 'timeout', { timeoutMarginMs: 300 });
    assert.equal(err.message, `cannot fetch ${target.origin}/hang: no complete answer within 0.3 s`);
  });

  test('a body that stops arriving times out', async () => {
    await failure(`${target.origin}/hang-body`, 'timeout', { timeoutMs: 300 });
  });

  test('404 names the status and the body', async () => {
    const err = await failure(`${target.origin}/missing`, 'http');
    assert.equal(err.status, 404);
    assert.equal(err.message, `cannot fetch ${target.origin}/missing: server answered 404 Not Found: 404 page not found`);
  });

  test('500: the excerpt is one line without terminal escapes', async () => {
    const err = await failure(`${target.origin}/broken`, 'http');
    assert.equal(err.status, 500);
    assert.match(err.message, /server answered 500 Internal Server Error: Could not enable CPU profiling: cpu profiling already in use second line$/);
  });

  test('only 200 is a profile', async () => {
    const err = await failure(`${target.origin}/no-content`, 'http');
    assert.match(err.message, /server answered 204 No Content$/);
  });

  test('connection refused', async () => {
    const port = await freePort();
    const err = await failure(`http://127.0.0.1:${port}/debug/pprof/heap`, 'refused');
    assert.equal(err.message, `cannot fetch http://127.0.0.1:${port}/debug/pprof/heap: connection refused by 127.0.0.1:${port} (is the service listening there?)`);
  });

  test('unknown host', async () => {
    const err = await failure('http://nowhere.test:6060/debug/pprof/heap', 'dns', { resolve: tableResolver({}) });
    assert.match(err.message, /: cannot resolve "nowhere\.test": no such host$/);
  });

  test('connection closed before any answer', async () => {
    const err = await failure(`${target.origin}/close`, 'connection');
    assert.match(err.message, /the connection closed before the answer was complete$/);
  });

  test('connection closed in the middle of the body', async () => {
    const err = await failure(`${target.origin}/cut`, 'connection');
    assert.match(err.message, /the connection closed before the answer was complete$/);
  });

  test('a body past the cap stops the download', async () => {
    const seen: number[] = [];
    const err = await failure(`${target.origin}/huge`, 'too-large', {
      maxBytes: 1024 * 1024,
      onProgress: (p) => p.bytes !== undefined && seen.push(p.bytes),
    });
    assert.match(err.message, /the answer is larger than the 1 MiB limit; download stopped$/);
    assert.ok(Math.max(...seen) <= 1024 * 1024);
  });

  test('a declared Content-Length past the cap is refused before reading', async () => {
    const err = await failure(`${target.origin}/huge-declared`, 'too-large');
    assert.match(err.message, /the answer is 11 GB, more than the 512 MiB limit$/);
  });

  test('redirects are followed up to the limit', async () => {
    const bytes = await fetchProfile(`${target.origin}/hop/3`);
    assert.deepEqual(Buffer.from(bytes), shopd('heap.a.pb.gz'));
    const err = await failure(`${target.origin}/hop/4`, 'redirects');
    assert.equal(err.message, `cannot fetch ${target.origin}/hop/4 (redirected to ${target.origin}/hop/1): more than 3 redirects`);
    await failure(`${target.origin}/hop/1`, 'redirects', { maxRedirects: 0 });
  });

  test('relative and absolute Locations', async () => {
    assert.deepEqual(Buffer.from(await fetchProfile(`${target.origin}/relative/redirect`)), shopd('heap.a.pb.gz'));
    assert.deepEqual(Buffer.from(await fetchProfile(`${target.origin}/redirect/absolute`)), shopd('heap.a.pb.gz'));
  });

  test('a redirect to another scheme, or without Location, is an error', async () => {
    const ftp = await failure(`${target.origin}/redirect/ftp`, 'redirects');
    assert.match(ftp.message, /redirect to a ftp: URL, only http and https are followed$/);
    const none = await failure(`${target.origin}/redirect/no-location`, 'http');
    assert.match(none.message, /302 Found without a Location header$/);
  });

  test('every hop goes through the policy hooks', async () => {
    const hooked: string[] = [];
    await fetchProfile(`${target.origin}/hop/2`, {
      allowUrl: (u) => void hooked.push(`url ${u.pathname}`),
      allow: (u, address) => void hooked.push(`address ${u.pathname} ${address}`),
    });
    assert.deepEqual(hooked, [
      'url /hop/2', 'address /hop/2 127.0.0.1',
      'url /hop/1', 'address /hop/1 127.0.0.1',
      'url /debug/pprof/heap', 'address /debug/pprof/heap 127.0.0.1',
    ]);
    const err = await failure(`${target.origin}/hop/2`, 'forbidden', { allow: (u) => u.pathname !== '/hop/1' });
    assert.equal(err.message, `cannot fetch ${target.origin}/hop/2 (redirected to ${target.origin}/hop/1): redirect refused: not allowed by the capture policy`);
  });

  test('the connection goes to the resolved address, with the name as Host', async () => {
    const before = target.seen.length;
    const bytes = await fetchProfile(`http://profiles.test:${target.port}/debug/pprof/heap`, {
      resolve: tableResolver({ 'profiles.test': ['127.0.0.1'] }),
    });
    assert.deepEqual(Buffer.from(bytes), shopd('heap.a.pb.gz'));
    assert.ok(target.seen.slice(before).some((r) => r.host === `profiles.test:${target.port}`));
  });

  test('an unreachable first address falls through to the next (localhost as ::1 then 127.0.0.1)', async () => {
    const bytes = await fetchProfile(`http://both.test:${target.port}/debug/pprof/heap`, {
      resolve: tableResolver({ 'both.test': ['::1', '127.0.0.1'] }),
    });
    assert.deepEqual(Buffer.from(bytes), shopd('heap.a.pb.gz'));
  });

  test('basic auth from the URL, never shown in messages', async () => {
    const url = new URL(`${target.origin}/auth/debug/pprof/heap`);
    url.username = 'ops';
    url.password = 's3cret';
    assert.deepEqual(Buffer.from(await fetchProfile(url)), shopd('heap.a.pb.gz'));
    url.password = 'wrong';
    const err = await failure(url.href, 'http');
    assert.equal(err.status, 401);
    assert.doesNotMatch(err.message, /wrong|ops/);
    assert.equal(err.url, `${target.origin}/auth/debug/pprof/heap`);
  });

  test('the caller’s signal cancels', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await failure(`${target.origin}/hang`, 'aborted', { signal: controller.signal });
    assert.match(err.message, /: cancelled$/);
  });
});
