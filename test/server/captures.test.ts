/**
 * POST /v1/captures against a local stand-in for a Go service's /debug/pprof (test/fetch/target.ts),
 * listed in the server's HOTPATH_FETCH_ALLOW. Real server, real store (SQLite in a temporary
 * directory), real sockets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningServer } from '../../src/server/app.js';
import { storedProfileAnswerSchema } from '../../src/server/links/schemas.js';
import { profileId } from '../../src/store/index.js';
import { shopd, startTarget, type Target } from '../fetch/target.js';
import { problemOf, startTestServer, type Answer } from './support.js';

let target: Target;
/** answers 200 with a login page, as a proxy in front of a service might */
let notPprof: http.Server;
let notPprofPort: number;
let server: RunningServer;
before(async () => {
  target = await startTarget();
  notPprof = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Please log in</body></html>\n'));
  await new Promise<void>((resolve) => notPprof.listen(0, '127.0.0.1', resolve));
  notPprofPort = (notPprof.address() as AddressInfo).port;
  server = await startTestServer({ renderWorkers: 1, fetchAllow: `127.0.0.1:${target.port}, 127.0.0.1:${notPprofPort}` });
});
after(async () => {
  await server.shutdown();
  await target.close();
  notPprof.closeAllConnections();
  await new Promise<void>((resolve) => notPprof.close(() => resolve()));
});

async function capture(body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${server.url}/v1/captures`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text(), ms: performance.now() - started };
}

async function storedBytes(id: string): Promise<Buffer> {
  const res = await fetch(`${server.url}/p/${id}/profile.pb.gz`);
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

test('a listed host: 201 with links, and the stored profile is the served file', async () => {
  const a = await capture({ url: `${target.origin}/debug/pprof/heap`, title: 'heap during the incident', ttl: 3600 });
  assert.equal(a.status, 201, a.text);
  const answer = storedProfileAnswerSchema.parse(JSON.parse(a.text));
  assert.equal(answer.id, profileId(shopd('heap.a.pb.gz')));
  assert.equal(answer.title, 'heap during the incident');
  assert.ok(answer.expiresAt !== undefined);
  assert.equal(answer.links.top, `${server.url}/p/${answer.id}/top.txt`);
  assert.ok((await storedBytes(answer.id)).equals(shopd('heap.a.pb.gz')));
  const top = await fetch(answer.links.top);
  assert.equal(top.status, 200);
  assert.match(await top.text(), /^File: shopd\nType: inuse_space/);

  // Captured again: the same bytes, the same link (200); the default title names the source.
  const again = await capture({ url: `127.0.0.1:${target.port}/debug/pprof/goroutine` });
  assert.equal(again.status, 201, again.text);
  const g = storedProfileAnswerSchema.parse(JSON.parse(again.text));
  assert.equal(g.title, `127.0.0.1:${target.port}/debug/pprof/goroutine`);
  assert.ok((await storedBytes(g.id)).equals(shopd('goroutine.a.pb.gz')));
  assert.equal((await capture({ url: `${target.origin}/debug/pprof/goroutine` })).status, 200);
});

test('seconds is honoured: the target is asked for it and the capture waits for it', async () => {
  const seen = target.seen.length;
  const a = await capture({ url: `${target.origin}/debug/pprof/profile`, seconds: 1 });
  assert.equal(a.status, 201, a.text);
  assert.ok(a.ms >= 950, `answered after ${a.ms} ms`);
  assert.deepEqual(target.seen.slice(seen).map((s) => s.url), ['/debug/pprof/profile?seconds=1']);
  const { id } = storedProfileAnswerSchema.parse(JSON.parse(a.text));
  assert.ok((await storedBytes(id)).equals(shopd('cpu.pb.gz')));
});

test('a host or port not in the list is refused (403) without a connection', async () => {
  const seen = target.seen.length;
  for (const url of [
    `http://localhost:${target.port}/debug/pprof/heap`, // the same server through another name
    `http://127.0.0.1:${target.port + 1}/debug/pprof/heap`,
    'http://169.254.169.254/latest/meta-data/',
  ]) {
    const a = await capture({ url });
    assert.equal(problemOf(a).status, 403, url);
    assert.equal(problemOf(a).type, 'urn:hotpath:problem:forbidden');
  }
  assert.equal(target.seen.length, seen, 'nothing reached the target');
});

test('a redirect off the list is refused; one within it is followed', async () => {
  const seen = target.seen.length;
  const off = await capture({ url: `${target.origin}/redirect/off-list?port=${target.port}` });
  assert.equal(problemOf(off).status, 403);
  assert.match(problemOf(off).detail, /redirect refused/);
  assert.deepEqual(target.seen.slice(seen).map((s) => s.url), [`/redirect/off-list?port=${target.port}`]);
  const within = await capture({ url: `${target.origin}/redirect/absolute` });
  assert.equal(within.status, 200, within.text); // heap.a, stored by the first test
});

test('what the target answers, when it is not a profile, is a clear error', async () => {
  const missing = problemOf(await capture({ url: `${target.origin}/missing` }));
  assert.equal(missing.type, 'urn:hotpath:problem:fetch-failed');
  assert.match(missing.detail, /404 Not Found/);
  assert.equal(problemOf(await capture({ url: `${target.origin}/no-content` })).status, 502);
  const page = problemOf(await capture({ url: `http://127.0.0.1:${notPprofPort}/debug/pprof/heap` }));
  assert.equal(page.type, 'urn:hotpath:problem:unsupported-profile');
  assert.ok(page.detail.startsWith(`what 127.0.0.1:${notPprofPort} answered: `), page.detail);
});

test('the request is checked before anything is fetched', async () => {
  const seen = target.seen.length;
  const cases: [unknown, Record<string, string>?][] = [
    ['not json'],
    [{ url: `${target.origin}/debug/pprof/heap`, extra: 1 }],
    [{ url: `${target.origin}/debug/pprof/heap`, seconds: 0 }],
    [{ url: `${target.origin}/debug/pprof/heap`, seconds: 301 }],
    [{ url: `${target.origin}/debug/pprof/profile?seconds=9999` }],
    [{ url: `${target.origin}/debug/pprof/heap`, ttl: -1 }],
    [{ url: 'ftp://files.example/heap' }],
    [{ url: 'heap.pb.gz' }],
    [{ seconds: 1 }],
    [{ url: `${target.origin}/debug/pprof/heap` }, { 'Content-Type': 'text/plain' }],
  ];
  for (const [body, headers] of cases) {
    const a = await capture(body, headers);
    assert.equal(problemOf(a).status, 400, `${JSON.stringify(body)}: ${a.text}`);
  }
  assert.equal(target.seen.length, seen, 'nothing reached the target');
  assert.equal((await fetch(`${server.url}/v1/captures`)).status, 405);
});
