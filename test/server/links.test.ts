/**
 * Stored profiles and their links (POST /v1/profiles, GET /p/{id}/…): a real server, real render
 * workers and a real store, SQLite always and PostgreSQL whenever DATABASE_URL is set.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { startServer, type RunningServer } from '../../src/server/app.js';
import { ARTIFACT_NAMES, profileMetaSchema, storedProfileAnswerSchema, type StoredProfileAnswer } from '../../src/server/links/schemas.js';
import { openSqliteStore, profileId, sourcesArchiveId, type Store } from '../../src/store/index.js';
import { tar, tarGzOfFolder } from '../support/tar.js';
import { BACKENDS, startChildServer, type Place } from './links-support.js';
import { CORPUS, ROOT, fixture, problemOf, startTestServer, type Answer } from './support.js';

const run = promisify(execFile);
const CPU = 'profiles/shopd/cpu.pb.gz';
const HEAP_A = 'profiles/shopd/heap.a.pb.gz';
const HEAP_B = 'profiles/shopd/heap.b.pb.gz';
const GOROUTINE = 'profiles/shopd/goroutine.b.pb.gz';

/** shopd's and billing's Go sources as one folder, `src`: what the -list goldens read with -source_path=src. */
const SOURCES = tarGzOfFolder(CORPUS, 'src');
const WALK_TREE = 'list.txt?list=catalog%5C.WalkTree';

/** `hotpath <args>` on corpus files, as the CLI prints it with TZ=UTC. */
async function cli(...args: string[]): Promise<string> {
  const files = args.map((a) => (a.startsWith('-') ? a : path.join(CORPUS, a)));
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'bin/hotpath.cjs'), ...files], { env: { ...process.env, TZ: 'UTC' }, maxBuffer: 16 << 20 });
  return stdout;
}

interface BinaryAnswer extends Answer {
  bytes: Buffer;
}

async function getBytes(url: string, headers: Record<string, string> = {}): Promise<BinaryAnswer> {
  const started = performance.now();
  const res = await fetch(url, { headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: bytes.toString('utf8'), bytes, ms: performance.now() - started };
}

/** POST /v1/profiles: raw bytes, or a form with `profile` and optional other files and fields. */
function upload(
  server: { url: string }, body: Buffer | Record<string, Buffer | string>, query = '', headers: Record<string, string> = {},
): Promise<Answer> {
  return post(server, `/v1/profiles${query}`, body, headers);
}

/** POST /v1/render with a form: what a stored link's artifact must equal. */
function renderForm(server: { url: string }, query: string, files: Record<string, Buffer>): Promise<Answer> {
  return post(server, `/v1/render?${query}`, files);
}

async function post(
  server: { url: string }, route: string, body: Buffer | Record<string, Buffer | string>, headers: Record<string, string> = {},
): Promise<Answer> {
  let payload: BodyInit;
  if (Buffer.isBuffer(body)) {
    payload = new Uint8Array(body);
    headers = { 'Content-Type': 'application/octet-stream', ...headers };
  } else {
    const form = new FormData();
    for (const [name, value] of Object.entries(body)) {
      if (typeof value === 'string') form.append(name, value);
      else form.append(name, new Blob([new Uint8Array(value)]), `${name}.pb.gz`);
    }
    payload = form;
  }
  const started = performance.now();
  const res = await fetch(server.url + route, { method: 'POST', body: payload, headers });
  return { status: res.status, headers: res.headers, text: await res.text(), ms: performance.now() - started };
}

function stored(a: Answer, status = 201): StoredProfileAnswer {
  assert.equal(a.status, status, a.text);
  return storedProfileAnswerSchema.parse(JSON.parse(a.text));
}

async function metric(server: { url: string }, line: RegExp): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  for (const l of text.split('\n')) {
    if (!line.test(l)) continue;
    return Number(l.slice(l.lastIndexOf(' ') + 1));
  }
  return 0;
}

const EXPECTED_TYPES: Record<string, RegExp> = {
  svg: /^image\/svg\+xml$/,
  png: /^image\/png$/,
  dot: /^text\/vnd\.graphviz; charset=utf-8$/,
  top: /^text\/plain; charset=utf-8$/,
  top_json: /^application\/json$/,
  traces: /^text\/plain; charset=utf-8$/,
  flame: /^image\/svg\+xml$/,
  card: /^image\/png$/,
};

for (const backend of BACKENDS) {
  describe(`links: ${backend.name}`, { skip: backend.skip }, () => {
    const places: Place[] = [];
    const fresh = () => {
      const place = backend.fresh();
      places.push(place);
      return place;
    };
    let place: Place;
    let server: RunningServer;
    /** the server's clock runs this far ahead of the real one (expiry tests move it) */
    let skew = 0;
    before(async () => {
      place = fresh();
      const now = () => Date.now() + skew;
      server = await startTestServer({ renderWorkers: 1 }, undefined, { openStore: () => place.open({ now }), now });
    });
    after(async () => {
      await server.shutdown();
      for (const p of places) await p.cleanup();
    });

    test('upload → 201 with links; the same bytes → the same id (200); every link answers with its type', async () => {
      const bytes = fixture(CPU);
      const first = stored(await upload(server, bytes, '?title=checkout%20CPU'));
      assert.equal(first.id, profileId(bytes), 'the id is the store\'s content address of the bytes');
      assert.equal(first.title, 'checkout CPU');
      assert.equal(first.expiresAt, undefined);
      assert.equal(first.links.view, `${server.url}/p/${first.id}`);
      const again = stored(await upload(server, { profile: bytes, title: 'another title' }), 200);
      assert.deepEqual(again, first, 'same id and links; the first title is kept');

      for (const [name, url] of Object.entries(first.links)) {
        assert.ok(url.startsWith(`${server.url}/p/${first.id}`), url);
        if (name === 'view') continue; // the viewer page (viewer.ts)
        const a = await getBytes(url);
        assert.equal(a.status, 200, `${name}: ${a.text.slice(0, 300)}`);
        assert.match(a.headers.get('content-type') ?? '', EXPECTED_TYPES[name]!, name);
        assert.ok(a.bytes.length > 100, name);
      }
    });

    test('top.txt equals `hotpath -top` of the file (TZ=UTC), with and without options', async () => {
      const { id } = stored(await upload(server, fixture(CPU)), 200);
      const plain = await getBytes(`${server.url}/p/${id}/top.txt`);
      assert.equal(plain.text, await cli('-top', CPU));
      const opts = await getBytes(`${server.url}/p/${id}/top.txt?nodecount=7&cum&focus=main%5C.`);
      assert.equal(opts.text, await cli('-top', '-nodecount=7', '-cum', '-focus=main\\.', CPU));
      const traces = await getBytes(`${server.url}/p/${id}/traces.txt`);
      assert.equal(traces.text, await cli('-traces', CPU));
    });

    test('graph.png is a PNG of the call graph; scale makes it larger', async () => {
      const { id } = stored(await upload(server, fixture(CPU)), 200);
      const size = (b: Buffer) => ({ width: b.readUInt32BE(16), height: b.readUInt32BE(20) });
      const one = await getBytes(`${server.url}/p/${id}/graph.png`);
      assert.equal(one.status, 200, one.text);
      assert.deepEqual([...one.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.equal(one.bytes.toString('latin1', 12, 16), 'IHDR');
      const two = await getBytes(`${server.url}/p/${id}/graph.png?scale=2`);
      assert.equal(two.status, 200, two.text);
      assert.ok(Math.abs(size(two.bytes).width - 2 * size(one.bytes).width) <= 2, JSON.stringify([size(one.bytes), size(two.bytes)]));
      const bad = await getBytes(`${server.url}/p/${id}/graph.png?scale=5`);
      assert.equal(problemOf(bad).option, 'scale');
      assert.equal(problemOf(await getBytes(`${server.url}/p/${id}/graph.svg?scale=2`)).status, 422, 'scale is for the PNG only');
    });

    test('card.png is the 1200×630 unfurl card, cached like every artifact; it takes no scale', async () => {
      const { id } = stored(await upload(server, fixture(CPU)), 200);
      const size = (b: Buffer) => ({ width: b.readUInt32BE(16), height: b.readUInt32BE(20) });
      const first = await getBytes(`${server.url}/p/${id}/card.png`);
      assert.equal(first.status, 200, first.text);
      assert.equal(first.headers.get('content-type'), 'image/png');
      assert.deepEqual(size(first.bytes), { width: 1200, height: 630 });
      assert.ok(first.bytes.length < 1_000_000, `${first.bytes.length} bytes`);
      const again = await getBytes(`${server.url}/p/${id}/card.png`);
      assert.equal(again.headers.get('x-hotpath-cache'), 'hit');
      assert.equal(again.headers.get('etag'), first.headers.get('etag'));
      // Options reach it like any artifact (another card), scale does not (one size).
      const focused = await getBytes(`${server.url}/p/${id}/card.png?focus=main%5C.checkout`);
      assert.equal(focused.status, 200, focused.text);
      assert.notEqual(focused.headers.get('etag'), first.headers.get('etag'));
      assert.equal(problemOf(await getBytes(`${server.url}/p/${id}/card.png?scale=2`)).option, 'scale');
    });

    test('flame.json is the tree flame.svg draws, as data', async () => {
      const { id } = stored(await upload(server, fixture(CPU)), 200);
      const a = await getBytes(`${server.url}/p/${id}/flame.json?sample_index=cpu`);
      assert.equal(a.status, 200, a.text);
      assert.equal(a.headers.get('content-type'), 'application/json');
      const data = JSON.parse(a.text) as { total: number; names: string[]; name: number[]; value: number[]; depth: number[] };
      const svg = (await getBytes(`${server.url}/p/${id}/flame.svg?sample_index=cpu`)).text;
      assert.equal(data.depth.length, svg.match(/<g class="frame"/g)!.length, 'one entry per frame drawn');
      assert.equal(String(data.total), /data-total="(\d+)"/.exec(svg)![1]);
      assert.equal(data.value[0], data.total);
      assert.ok(data.name.some((n) => data.names[n] === 'main.checkout'));
    });

    test('a second GET is served from the store (its memory copy) with the same ETag; If-None-Match → 304; immutable', async () => {
      const { id } = stored(await upload(server, fixture(CPU)), 200);
      const url = `${server.url}/p/${id}/graph.svg?nodecount=12`;
      const hits = () => metric(server, /^hotpath_artifacts_total\{artifact="graph.svg",outcome="memory"\}/);
      const hitsBefore = await hits();
      const miss = await getBytes(url);
      assert.equal(miss.status, 200, miss.text);
      assert.equal(miss.headers.get('x-hotpath-cache'), 'miss');
      const hit = await getBytes(url);
      assert.equal(hit.headers.get('x-hotpath-cache'), 'hit');
      assert.equal(await hits(), hitsBefore + 1);
      const etag = miss.headers.get('etag');
      assert.match(etag ?? '', /^"[A-Za-z0-9_-]{22}"$/);
      assert.equal(hit.headers.get('etag'), etag);
      assert.ok(hit.bytes.equals(miss.bytes));
      assert.equal(hit.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      const revalidated = await getBytes(url, { 'If-None-Match': `"other", ${etag}` });
      assert.equal(revalidated.status, 304);
      assert.equal(revalidated.bytes.length, 0);
      assert.equal(revalidated.headers.get('etag'), etag);
      assert.equal((await getBytes(url, { 'If-None-Match': '"other"' })).status, 200);
      // The raw bytes too: as uploaded, with a stable ETag.
      const raw = await getBytes(`${server.url}/p/${id}/profile.pb.gz`);
      assert.ok(raw.bytes.equals(fixture(CPU)));
      assert.equal(raw.headers.get('content-type'), 'application/octet-stream');
      assert.equal((await getBytes(`${server.url}/p/${id}/profile.pb.gz`, { 'If-None-Match': raw.headers.get('etag')! })).status, 304);
    });

    test('options are normalized: spellings of the same options share one stored artifact', async () => {
      const { id } = stored(await upload(server, fixture(CPU)), 200);
      const first = await getBytes(`${server.url}/p/${id}/graph.dot?nodecount=9&focus=runtime&trim=true`);
      assert.equal(first.headers.get('x-hotpath-cache'), 'miss');
      for (const q of ['focus=runtime&nodecount=9', 'nodecount=09&nodefraction=0.005&focus=runtime', 'focus=runtime&nodecount=9&cum=false']) {
        const a = await getBytes(`${server.url}/p/${id}/graph.dot?${q}`);
        assert.equal(a.headers.get('x-hotpath-cache'), 'hit', q);
        assert.equal(a.headers.get('etag'), first.headers.get('etag'));
      }
      assert.equal((await getBytes(`${server.url}/p/${id}/graph.dot?focus=runtime&nodecount=10`)).headers.get('x-hotpath-cache'), 'miss');
    });

    test('concurrent requests for one uncached artifact render it once', async () => {
      const { id } = stored(await upload(server, fixture(CPU)), 200);
      const renders = () => metric(server, /^hotpath_renders_total\{format="svg",outcome="ok"\}/);
      const before = await renders();
      const answers = await Promise.all(Array.from({ length: 6 }, () => getBytes(`${server.url}/p/${id}/graph.svg?nodecount=33`)));
      for (const a of answers) {
        assert.equal(a.status, 200);
        assert.ok(a.bytes.equals(answers[0]!.bytes));
      }
      assert.equal(await renders(), before + 1);
      assert.ok(await metric(server, /^hotpath_artifacts_total\{artifact="graph.svg",outcome="joined"\}/) >= 1);
    });

    test('pprof notes come back as headers, rendered or from the store', async () => {
      const { id } = stored(await upload(server, fixture(CPU)), 200);
      for (const cache of ['miss', 'hit']) {
        const a = await getBytes(`${server.url}/p/${id}/top.txt?focus=no_such_function_anywhere`);
        assert.equal(a.headers.get('x-hotpath-cache'), cache);
        assert.equal(a.headers.get('x-hotpath-warning'), 'Focus expression matched no samples');
        assert.equal(a.headers.get('content-type'), 'text/plain; charset=utf-8');
      }
    });

    test('a stored base applies to every artifact; ?base= compares against another stored profile', async () => {
      const expected = await cli('-top', '-base', HEAP_A, HEAP_B);
      const withBase = stored(await upload(server, { profile: fixture(HEAP_B), base: fixture(HEAP_A), title: 'heap growth' }));
      const baseId = profileId(fixture(HEAP_A));
      assert.equal(withBase.id, profileId(fixture(HEAP_B), baseId));
      assert.equal((await getBytes(`${server.url}/p/${withBase.id}/top.txt`)).text, expected);
      const meta = profileMetaSchema.parse(JSON.parse((await getBytes(`${server.url}/p/${withBase.id}/meta.json`)).text));
      assert.deepEqual(meta.base, { id: baseId, diff: false });
      assert.ok((await getBytes(`${server.url}/p/${baseId}/profile.pb.gz`)).bytes.equals(fixture(HEAP_A)), 'the base is stored as its own profile');

      const diff = stored(await upload(server, { profile: fixture(HEAP_B), diff_base: fixture(HEAP_A) }));
      assert.notEqual(diff.id, withBase.id, 'the diff flag is part of the id');
      assert.equal((await getBytes(`${server.url}/p/${diff.id}/top.txt`)).text, await cli('-top', '-diff_base', HEAP_A, HEAP_B));
      assert.deepEqual(profileMetaSchema.parse(JSON.parse((await getBytes(`${server.url}/p/${diff.id}/meta.json`)).text)).base, { id: baseId, diff: true });

      const alone = stored(await upload(server, fixture(HEAP_B)));
      assert.equal((await getBytes(`${server.url}/p/${alone.id}/top.txt?base=${baseId}`)).text, expected);
      assert.equal((await getBytes(`${server.url}/p/${alone.id}/top.txt`)).text, await cli('-top', HEAP_B));
      const missing = await getBytes(`${server.url}/p/${alone.id}/top.txt?base=${profileId(Buffer.from('never stored'))}`);
      assert.equal(problemOf(missing).status, 404);
      assert.equal(problemOf(await getBytes(`${server.url}/p/${alone.id}/top.txt?base=nope`)).option, 'base');
    });

    test('an upload with sources: list.txt shows the code, the bytes /v1/render gives for the same archive', async () => {
      const answer = stored(await upload(server, { profile: fixture(CPU), sources: SOURCES, title: 'with code' }));
      assert.equal(answer.id, profileId(fixture(CPU), undefined, false, sourcesArchiveId(SOURCES)), 'the sources are part of the address');
      assert.notEqual(answer.id, profileId(fixture(CPU)));
      const list = await getBytes(`${server.url}/p/${answer.id}/${WALK_TREE}`);
      assert.equal(list.status, 200, list.text);
      const rendered = await renderForm(server, 'format=list&list=catalog%5C.WalkTree', { profile: fixture(CPU), sources: SOURCES });
      assert.equal(rendered.status, 200, rendered.text);
      assert.ok(list.bytes.equals(Buffer.from(rendered.text)), 'list.txt equals /v1/render?format=list with the same archive');
      assert.match(list.text, /^ +50ms +420ms +91:\t\ts \+= WalkTree\(ch\)$/m, 'a line of code, with its costs');
      assert.equal((await getBytes(`${server.url}/p/${answer.id}/${WALK_TREE}`)).headers.get('x-hotpath-cache'), 'hit');

      const meta = profileMetaSchema.parse(JSON.parse((await getBytes(`${server.url}/p/${answer.id}/meta.json`)).text));
      assert.equal(meta.hasSources, true);
      // The same profile without sources is another link, whose list has no code.
      const plain = { id: profileId(fixture(CPU)) };
      assert.ok([200, 201].includes((await upload(server, fixture(CPU))).status));
      assert.equal(profileMetaSchema.parse(JSON.parse((await getBytes(`${server.url}/p/${plain.id}/meta.json`)).text)).hasSources, false);
      const without = await getBytes(`${server.url}/p/${plain.id}/${WALK_TREE}`);
      assert.doesNotMatch(without.text, /WalkTree\(ch\)/);
      assert.match(without.text, /could not find file/);
      // The other reports do not read the archive: they are the plain profile's.
      for (const name of ['top.txt', 'traces.txt']) {
        assert.ok((await getBytes(`${server.url}/p/${answer.id}/${name}`)).bytes.equals((await getBytes(`${server.url}/p/${plain.id}/${name}`)).bytes), name);
      }
      // Stored again with the same archive: the same link; the raw bytes are the profile's alone.
      assert.equal(stored(await upload(server, { profile: fixture(CPU), sources: SOURCES }), 200).id, answer.id);
      assert.ok((await getBytes(`${server.url}/p/${answer.id}/profile.pb.gz`)).bytes.equals(fixture(CPU)));
      // The archive is nobody's profile: its own address answers nothing.
      for (const route of ['', '/graph.svg', '/meta.json', '/profile.pb.gz', `/${WALK_TREE}`]) {
        const a = await getBytes(`${server.url}/p/${sourcesArchiveId(SOURCES)}${route}`);
        assert.equal(problemOf(a).type, 'urn:hotpath:problem:not-found', route);
      }
    });

    test('sources with a base: list.txt is /v1/render\'s with both; past the TTL the list is gone with the profile', async () => {
      const answer = stored(await upload(server, { profile: fixture(HEAP_B), base: fixture(HEAP_A), sources: SOURCES, ttl: '60' }));
      const query = 'list=newSession&sample_index=inuse_space';
      const list = await getBytes(`${server.url}/p/${answer.id}/list.txt?${query}`);
      const rendered = await renderForm(server, `format=list&${query}`, { profile: fixture(HEAP_B), base: fixture(HEAP_A), sources: SOURCES });
      assert.equal(list.status, 200, list.text);
      assert.equal(list.text, rendered.text);
      assert.match(list.text, /ROUTINE =+ shopd\/internal\/sessions\.newSession in /);
      assert.doesNotMatch(list.text, /could not find file/);
      skew += 61_000;
      assert.equal(problemOf(await getBytes(`${server.url}/p/${answer.id}/list.txt?${query}&nodecount=1`)).status, 404);
    });

    test('a bad sources archive is refused as /v1/render refuses it, and nothing is stored', async () => {
      const cases: [string, Buffer][] = [
        ['not an archive', Buffer.from('hello')],
        ['empty', Buffer.alloc(0)],
        ['../ path', gzipSync(tar([{ name: '../etc/passwd', data: 'x' }]))],
        ['symlink', gzipSync(tar([{ name: 'src/shopd/main.go', type: '2', linkname: '/etc/passwd' }]))],
        ['a file over 8 MiB', gzipSync(tar([{ name: 'src/big.go', data: new Uint8Array((8 << 20) + 1) }]))],
      ];
      for (const [what, archive] of cases) {
        const bytes = Buffer.from(`main;${what.replace(/\W/g, '_')} 3\n`);
        const got = problemOf(await upload(server, { profile: bytes, sources: archive }));
        const want = problemOf(await renderForm(server, 'format=list&list=main', { profile: bytes, sources: archive }));
        assert.ok(got.status === 415 || got.status === 422, `${what}: ${got.status}`);
        assert.deepEqual(got, want, what);
        const id = profileId(bytes, undefined, false, sourcesArchiveId(archive));
        assert.equal(problemOf(await getBytes(`${server.url}/p/${id}/meta.json`)).status, 404, `${what}: not stored`);
      }
    });

    test('meta.json describes the profile as -top sees it', async () => {
      const { id } = stored(await upload(server, fixture(CPU), '?title=checkout%20CPU'), 200);
      const a = await getBytes(`${server.url}/p/${id}/meta.json`);
      assert.equal(a.status, 200, a.text);
      const meta = profileMetaSchema.parse(JSON.parse(a.text));
      const top = await cli('-top', CPU);
      const firstRow = top.split('\n')[top.split('\n').findIndex((l) => l.includes('flat%')) + 1]!;
      assert.equal(meta.id, id);
      assert.equal(meta.title, 'checkout CPU');
      assert.equal(meta.kind, 'proto');
      assert.deepEqual(meta.sampleTypes, [{ type: 'samples', unit: 'count' }, { type: 'cpu', unit: 'nanoseconds' }]);
      assert.equal(meta.defaultSampleIndex, 'cpu');
      assert.deepEqual(meta.periodType, { type: 'cpu', unit: 'nanoseconds' });
      assert.ok(top.includes(`Time: ${meta.time}\n`), meta.time ?? 'no time');
      assert.match(meta.time ?? '', /\(UTC\)$/);
      assert.ok(top.includes(`Duration: ${meta.duration},`), meta.duration ?? 'no duration');
      assert.ok(top.includes(`of ${meta.total} total`), meta.total ?? 'no total');
      assert.ok(firstRow.endsWith(`  ${meta.topFunction}`), `${firstRow} / ${meta.topFunction}`);
      assert.equal(meta.base, null);
      assert.equal(meta.links.svg, `${server.url}/p/${id}/graph.svg`);
      assert.equal(profileMetaSchema.parse(JSON.parse((await getBytes(`${server.url}/p/${id}/meta.json`)).text)).topFunction, meta.topFunction);

      const g = stored(await upload(server, fixture(GOROUTINE)));
      const gm = profileMetaSchema.parse(JSON.parse((await getBytes(`${server.url}/p/${g.id}/meta.json`)).text));
      assert.equal(gm.defaultSampleIndex, 'goroutine');
      for (const name of ARTIFACT_NAMES) {
        const q = name === 'peek.txt' ? '?peek=main' : name === 'list.txt' ? '?list=main' : '';
        const r = await getBytes(`${server.url}/p/${g.id}/${name}${q}`);
        assert.equal(r.status, 200, `${name}: ${r.text.slice(0, 200)}`);
      }
    });

    test('a TTL: the answer says when; past it every link is a 404', async () => {
      const bytes = Buffer.from('main;handler;work 10\nmain;idle 3\n');
      const { id, expiresAt } = stored(await upload(server, { profile: bytes, ttl: '120' }));
      assert.ok(expiresAt !== undefined && Math.abs(Date.parse(expiresAt) - (Date.now() + skew + 120_000)) < 10_000, expiresAt);
      assert.equal((await getBytes(`${server.url}/p/${id}/top.txt`)).status, 200);
      skew += 121_000;
      for (const route of ['top.txt', 'meta.json', 'profile.pb.gz', 'graph.svg']) {
        const a = await getBytes(`${server.url}/p/${id}/${route}`);
        assert.equal(problemOf(a).status, 404, route);
      }
      assert.equal(problemOf(await getBytes(`${server.url}/p/AAAAAAAAAAAAAAAAAAAAAA/graph.svg`)).status, 404);
      assert.equal(problemOf(await getBytes(`${server.url}/p/not-an-id/graph.svg`)).status, 404);
    });

    test('retention is a promise: a re-upload (with or without ttl) never moves the expiry, and says so', async () => {
      const bytes = Buffer.from('main;retained 7\n');
      const first = stored(await upload(server, { profile: bytes, ttl: '120' }));
      const agains: Record<string, Buffer | string>[] = [{ profile: bytes }, { profile: bytes, ttl: '100000' }, { profile: bytes, ttl: '10' }];
      for (const again of agains) {
        const res = await upload(server, again);
        assert.equal(stored(res, 200).expiresAt, first.expiresAt);
        assert.match(res.headers.get('x-hotpath-warning') ?? '', /already stored and expires at .*; its expiry does not change/);
      }
      assert.equal((await upload(server, { profile: bytes, ttl: '120' })).headers.get('x-hotpath-warning'), null, 'nothing to say when it matches');
      skew += 121_000;
      assert.equal(problemOf(await getBytes(`${server.url}/p/${first.id}/top.txt`)).status, 404, 'gone at the first expiry');
    });

    test('an artifact made against ?base=X is gone when X expires, from the store and from memory', async () => {
      const base = stored(await upload(server, { profile: Buffer.from('main;a 5\nmain;b 1\n'), ttl: '60' }));
      const profile = stored(await upload(server, Buffer.from('main;a 9\nmain;b 1\n')));
      const url = `${server.url}/p/${profile.id}/top.txt?base=${base.id}`;
      const first = await getBytes(url);
      assert.equal(first.status, 200, first.text);
      assert.equal((await getBytes(url)).headers.get('x-hotpath-cache'), 'hit');
      skew += 61_000;
      assert.equal(problemOf(await getBytes(url)).status, 404, 'not served from memory or the store once its base expired');
      assert.equal((await getBytes(`${server.url}/p/${profile.id}/top.txt`)).status, 200, 'the profile itself lives on');
    });

    test('a profile stored with a base that expires sooner expires with it, and the answer says so', async () => {
      const base = stored(await upload(server, { profile: Buffer.from('main;x 5\n'), ttl: '60' }));
      const res = await upload(server, { profile: Buffer.from('main;x 9\n'), base: Buffer.from('main;x 5\n'), ttl: '3600' });
      const withBase = stored(res);
      assert.equal(withBase.expiresAt, base.expiresAt);
      assert.match(res.headers.get('x-hotpath-warning') ?? '', /its base expires sooner/);
    });

    test('bad uploads and bad options answer as /v1/render does', async () => {
      const bad = await upload(server, Buffer.from('\x1f\x8b\x08\x00garbage that is not gzip'));
      const rendered = await fetch(`${server.url}/v1/render?format=top`, { method: 'POST', body: new Uint8Array(Buffer.from('\x1f\x8b\x08\x00garbage that is not gzip')) });
      assert.equal(problemOf(bad).type, (await rendered.json()).type);
      assert.equal(problemOf(await upload(server, Buffer.alloc(0))).type, 'urn:hotpath:problem:empty-profile');
      assert.match(problemOf(await upload(server, fixture(CPU), '?nodecount=3')).detail, /unknown query parameter/);
      assert.equal(problemOf(await upload(server, fixture(CPU), '?ttl=0')).status, 400);
      assert.equal(problemOf(await upload(server, fixture(CPU), '?ttl=1h')).status, 400);
      assert.equal(problemOf(await upload(server, fixture(CPU), `?title=${'x'.repeat(201)}`)).status, 400);
      assert.equal(problemOf(await upload(server, { profile: fixture(CPU), title: 'a' }, '?title=b')).status, 400);
      assert.equal(problemOf(await upload(server, { profile: fixture(CPU), other: 'x' })).status, 400);
      assert.equal(problemOf(await upload(server, { profile: fixture(CPU), base: fixture(HEAP_A) })).type, 'urn:hotpath:problem:bad-options',
        'a base that cannot be compared');

      const { id } = stored(await upload(server, fixture(CPU)), 200);
      const opt = async (q: string) => problemOf(await getBytes(`${server.url}/p/${id}/${q}`));
      assert.equal((await opt('top.txt?sample_index=inuse_space')).option, 'sample_index');
      assert.equal((await opt('top.txt?format=svg')).option, 'format');
      assert.equal((await opt('top.txt?nodecount=1&nodecount=2')).status, 422);
      assert.equal((await opt('top.txt?constructor=1')).status, 422);
      assert.equal((await opt('top.txt?source_path=/etc')).option, 'source_path');
      assert.equal((await opt('peek.txt')).status, 422);
      assert.equal((await opt('top.txt?base=AAAAAAAAAAAAAAAAAAAAAA&diff_base=AAAAAAAAAAAAAAAAAAAAAA')).status, 422);
      assert.equal((await opt('nope.txt')).status, 404);
      assert.equal((await fetch(`${server.url}/v1/profiles`)).status, 405);
      assert.equal(problemOf(await getBytes(`${server.url}/v1/profiles`)).status, 405);
    });

    test('HOTPATH_TOKENS: uploads need a bearer token (checked in constant time), reading needs only the link', async () => {
      const locked = await startTestServer({ renderWorkers: 1, writeTokens: ['s3cret-token', 'second.token'] }, undefined, { openStore: () => place.open() });
      try {
        const bytes = fixture(CPU);
        const none = await upload(locked, bytes);
        assert.equal(problemOf(none).status, 401);
        assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="hotpath"');
        const wrong = await upload(locked, bytes, '', { Authorization: 'Bearer s3cret-tokeN' });
        assert.equal(problemOf(wrong).status, 401);
        assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer realm="hotpath", error="invalid_token"$/);
        assert.equal(problemOf(await upload(locked, bytes, '', { Authorization: 'Basic czNjcmV0LXRva2Vu' })).status, 401);
        assert.equal(problemOf(await upload(locked, bytes, '', { Authorization: 'Bearer s3cret-token second.token' })).status, 401);
        const ok = stored(await upload(locked, { profile: Buffer.from('a;b 1\n') }, '', { Authorization: 'Bearer second.token' }));
        stored(await upload(locked, Buffer.from('a;b 1\n'), '', { Authorization: 'bearer  s3cret-token' }), 200);
        assert.equal((await getBytes(`${locked.url}/p/${ok.id}/top.txt`)).status, 200, 'reading needs no token');
        const capture = await fetch(`${locked.url}/v1/captures`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"url":"http://x:1/"}' });
        assert.equal(capture.status, 401);
      } finally {
        await locked.shutdown();
      }
    });

    test('captures are refused (403) when HOTPATH_FETCH_ALLOW lists nothing', async () => {
      const res = await fetch(`${server.url}/v1/captures`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ url: 'http://127.0.0.1:6060/debug/pprof/heap' }),
      });
      assert.equal(res.status, 403);
      assert.match((await res.json()).detail, /HOTPATH_FETCH_ALLOW/);
    });

    test('after a restart on the same store every earlier link resolves, rendered ones from the store', async () => {
      const p = fresh();
      const first = await startTestServer({ renderWorkers: 1 }, undefined, { openStore: () => p.open() });
      const links: StoredProfileAnswer[] = [];
      const etags = new Map<string, string>();
      try {
        for (const f of [CPU, HEAP_B, GOROUTINE]) links.push(stored(await upload(first, fixture(f), '?title=before%20restart')));
        for (const l of links) {
          const a = await getBytes(l.links.svg);
          assert.equal(a.status, 200);
          etags.set(l.links.svg, a.headers.get('etag')!);
        }
      } finally {
        await first.shutdown();
      }
      // No memory copies: every hit below is a read from the store.
      const second = await startTestServer({ renderWorkers: 1, artifactMemoryBytes: 0 }, undefined, { openStore: () => p.open() });
      try {
        for (const [i, l] of links.entries()) {
          const svg = await getBytes(l.links.svg.replace(first.url, second.url));
          assert.equal(svg.headers.get('x-hotpath-cache'), 'hit');
          assert.equal(svg.headers.get('etag'), etags.get(l.links.svg));
          for (const url of Object.values(l.links).slice(2)) assert.equal((await getBytes(url.replace(first.url, second.url))).status, 200, url);
          assert.ok((await getBytes(`${second.url}/p/${l.id}/profile.pb.gz`)).bytes.equals(fixture([CPU, HEAP_B, GOROUTINE][i]!)));
          assert.equal(profileMetaSchema.parse(JSON.parse((await getBytes(`${second.url}/p/${l.id}/meta.json`)).text)).title, 'before restart');
        }
        assert.equal(await metric(second, /^hotpath_artifacts_total\{artifact="graph.svg",outcome="hit"\}/), links.length);
      } finally {
        await second.shutdown();
      }
    });

    if (backend.name === 'postgres') {
      test('two server processes on one PostgreSQL serve each other\'s links', async () => {
        const p = fresh();
        const here = await startTestServer({ renderWorkers: 1 }, undefined, { openStore: () => p.open() });
        const there = await startChildServer(p.child);
        try {
          const a = stored(await upload(here, fixture(CPU)));
          const b = stored(await upload(there, fixture(HEAP_B)));
          const svgHere = await getBytes(a.links.svg);
          const svgThere = await getBytes(a.links.svg.replace(here.url, there.url));
          assert.equal(svgThere.headers.get('x-hotpath-cache'), 'hit', 'rendered by one replica, served by the other');
          assert.ok(svgThere.bytes.equals(svgHere.bytes));
          const topHere = await getBytes(b.links.top.replace(there.url, here.url));
          assert.equal(topHere.text, await cli('-top', HEAP_B));
          assert.ok((await getBytes(`${here.url}/p/${b.id}/profile.pb.gz`)).bytes.equals(fixture(HEAP_B)));
          stored(await upload(here, fixture(HEAP_B)), 200);
        } finally {
          there.child.kill('SIGTERM');
          await there.exited;
          await here.shutdown();
        }
      });
    }

    test('kill -9 during 50 concurrent uploads: every 201 is readable and byte-identical after restart, nothing half-written', async () => {
      const p = fresh();
      // Room for all 50 at once (the default admits 16 and answers the rest 503), so the kill lands on many writes.
      const child = await startChildServer({ ...p.child, config: { maxActiveRequests: 64 } });
      const profiles = Array.from({ length: 50 }, (_, i) => foldedProfile(i));
      const acknowledged = new Set<number>();
      let killed = false;
      const uploads = profiles.map(async (bytes, i) => {
        try {
          const a = await upload({ url: child.url }, bytes, `?title=upload%20${i}`);
          if (a.status === 201) {
            assert.equal(JSON.parse(a.text).id, profileId(bytes));
            acknowledged.add(i);
          } else {
            assert.ok(killed, `upload ${i} answered ${a.status} before the kill: ${a.text}`);
          }
          if (acknowledged.size >= 5 && !killed) {
            killed = true;
            child.child.kill('SIGKILL');
          }
        } catch (err) {
          assert.ok(killed, `upload ${i} failed before the kill: ${(err as Error).message}`);
        }
      });
      await Promise.all(uploads);
      await child.exited;
      assert.ok(killed && child.child.signalCode === 'SIGKILL', 'the server was killed mid-run');
      assert.ok(acknowledged.size >= 5 && acknowledged.size < 50, `${acknowledged.size} acknowledged: the kill came mid-run`);
      await p.checkIntegrity();

      const restarted = await startTestServer({ renderWorkers: 1 }, undefined, { openStore: () => p.open() });
      try {
        let present = 0;
        for (const [i, bytes] of profiles.entries()) {
          const id = profileId(bytes);
          const raw = await getBytes(`${restarted.url}/p/${id}/profile.pb.gz`);
          if (acknowledged.has(i)) assert.equal(raw.status, 200, `acknowledged upload ${i} is gone`);
          if (raw.status === 404) continue;
          assert.equal(raw.status, 200);
          assert.ok(raw.bytes.equals(bytes), `upload ${i} is not byte-identical`);
          present++;
        }
        // One of them through a report too: the stored bytes load.
        const one = [...acknowledged][0]!;
        assert.equal((await getBytes(`${restarted.url}/p/${profileId(profiles[one]!)}/folded.txt`)).status, 200);
        console.log(`links ${backend.name}: kill -9 after ${acknowledged.size} acknowledged uploads; ${present} of 50 present after restart, all intact`);
      } finally {
        await restarted.shutdown();
      }
    });
  });
}

test('/readyz is 503 until the store is open; links answer 503 meanwhile', async () => {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-ready-'));
  const server = await startServer(
    { port: 0, host: '127.0.0.1', log: false, renderWorkers: 1 },
    { openStore: async (): Promise<Store> => gate.then(() => openSqliteStore({ dir })) },
  );
  try {
    const readyz = await fetch(`${server.url}/readyz`);
    assert.equal(readyz.status, 503);
    assert.equal((await readyz.json()).store, 'opening');
    const up = await fetch(`${server.url}/v1/profiles`, { method: 'POST', body: 'a;b 1\n' });
    assert.equal(up.status, 503);
    assert.ok(up.headers.get('retry-after'));
    open();
    await server.ready();
    const now = await fetch(`${server.url}/readyz`);
    assert.equal(now.status, 200);
    assert.equal((await now.json()).store, 'open');
  } finally {
    await server.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A valid profile (folded stacks), distinct for each i, 100–250 KB. */
function foldedProfile(i: number): Buffer {
  const lines: string[] = [];
  const n = 2500 + (i % 7) * 500;
  for (let j = 0; j < n; j++) lines.push(`main;service${i}.handle${j % 97};work.step${j % 1013};leaf${j} ${1 + ((i * 7919 + j * 31) % 1000)}`);
  return Buffer.from(lines.join('\n') + '\n');
}
