/**
 * Issue 13's attacks, sent in a row to one service process with the default settings (two job
 * workers): each gets its 4xx or 503 (or a correct 200), /healthz answers within a second the whole
 * time (polled from a worker thread), and afterwards the process is the same one and still serves.
 * Before the job workers and the budgets, the first of these killed the process ("JavaScript heap
 * out of memory") after 48 s without a health answer. The retention attacks (a base's artifacts
 * outliving it, a re-upload lifting a ttl) need a clock the test can move: they are in
 * test/server/links.test.ts, against both stores.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLValidator } from 'fast-xml-parser';
import { openSqliteStore } from '../../src/store/index.js';
import { fixture } from '../server/support.js';
import { deepStack, longNameStack, manySamples, namedProfile, newlineArchive } from './shapes.js';
import { form, get, pollHealth, post, problem, startServiceProcess, type HealthReport, type ServiceProcess } from './support.js';

const MiB = 1024 * 1024;
const T = { timeout: 120_000 };

// Built before the server starts: gzip'ing 96 MB takes the test's own thread for a while.
const SIXTEEN_M = manySamples(16_000_000);
const TWO_M = manySamples(2_000_000);
const DEEP = deepStack(35_000_000);
const LONG_NAME = longNameStack('a'.repeat(1_000_000), 600);
const NEWLINES = newlineArchive(63 * MiB);
const CAPTURED = fixture('profiles/shopd/heap.a.pb.gz');

let service: ServiceProcess;
let health: { stop(): Promise<HealthReport> };
let target: http.Server;
let captureRequests = 0;

before(async () => {
  // The capture target: an allowlisted /debug/pprof that answers slowly, so captures overlap.
  target = http.createServer((req, res) => {
    captureRequests++;
    setTimeout(() => res.end(CAPTURED), 1500);
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const { port } = target.address() as AddressInfo;
  service = await startServiceProcess({ fetchAllow: `127.0.0.1:${port}` });
  health = pollHealth(service.url);
});

after(async () => {
  await service?.stop();
  await new Promise((resolve) => target?.close(resolve));
});

test('16 M one-value samples in a 100 KB gzip: 413 max_samples, at once', T, async () => {
  assert.ok(SIXTEEN_M.length < 200_000, `${SIXTEEN_M.length} bytes`);
  const a = await post(`${service.url}/v1/render?format=top`, SIXTEEN_M);
  assert.equal(a.status, 413);
  const p = problem(a);
  assert.equal(p.type, 'urn:hotpath:problem:too-large');
  assert.equal(p.limitName, 'max_samples');
  assert.match(p.detail, /more than 1500000 samples.*HOTPATH_MAX_SAMPLES/);
});

test('eight 2 M-sample profiles at once: each 413 max_samples', T, async () => {
  const answers = await Promise.all(Array.from({ length: 8 }, () => post(`${service.url}/v1/render?format=top`, TWO_M)));
  for (const a of answers) {
    assert.equal(a.status, 413);
    assert.equal(problem(a).limitName, 'max_samples');
  }
});

test('one 35 M-frame stack: traces 413 max_stack_depth, and it is not stored', T, async () => {
  assert.ok(DEEP.length < 64 * 1024, `${DEEP.length} bytes`);
  for (const format of ['traces', 'top']) {
    const a = await post(`${service.url}/v1/render?format=${format}`, DEEP);
    assert.equal(a.status, 413, format);
    assert.equal(problem(a).limitName, 'max_stack_depth');
  }
  const stored = await post(`${service.url}/v1/profiles`, DEEP);
  assert.equal(stored.status, 413);
});

test('a stored 35 M-frame stack (stored before the budgets existed) is no kill switch: its links answer 413', T, async () => {
  const store = await openSqliteStore({ dir: service.dataDir });
  const { id } = await store.putProfile(DEEP);
  await store.close();
  for (let i = 0; i < 2; i++) {
    for (const artifact of ['traces.txt', 'graph.svg', 'folded.txt', 'meta.json']) {
      const a = await get(`${service.url}/p/${id}/${artifact}`);
      assert.equal(a.status, 413, artifact);
      assert.equal(problem(a).limitName, 'max_stack_depth', artifact);
    }
  }
});

test('a 64 KB sources archive of one 63 MiB file, named by two paths: 422, the file over max_source_file_bytes', T, async () => {
  assert.ok(NEWLINES.archive.length < 100 * 1024, `${NEWLINES.archive.length} bytes`);
  const a = await post(`${service.url}/v1/render?format=list&list=main`, form({ profile: NEWLINES.profile, sources: NEWLINES.archive }));
  assert.equal(a.status, 422);
  const p = problem(a);
  assert.equal(p.type, 'urn:hotpath:problem:bad-sources');
  assert.match(p.detail, /src\/big\.go is 66060288 bytes, over 8388608 \(max_source_file_bytes\)/);
});

test('24 concurrent captures of a slow target: at most HOTPATH_MAX_ACTIVE_REQUESTS (16) admitted, the rest 503 at once', T, async () => {
  const { port } = target.address() as AddressInfo;
  const body = JSON.stringify({ url: `http://127.0.0.1:${port}/debug/pprof/heap` });
  const answers = await Promise.all(Array.from({ length: 24 }, () => post(`${service.url}/v1/captures`, body, { 'Content-Type': 'application/json' })));
  const shed = answers.filter((a) => a.status === 503);
  const stored = answers.filter((a) => a.status === 201 || a.status === 200);
  assert.equal(shed.length + stored.length, 24, answers.map((a) => a.status).join(' '));
  assert.ok(stored.length <= 16 && shed.length >= 8, `${stored.length} stored, ${shed.length} shed`);
  assert.equal(captureRequests, stored.length, 'a shed capture never reached the target');
  for (const a of shed) {
    assert.equal(problem(a).type, 'urn:hotpath:problem:busy');
    assert.equal(a.headers.get('retry-after'), '1');
  }
});

test('a 1,000,000-character function name in a 600-frame stack: traces and folded 413 max_name_bytes, not 500', T, async () => {
  assert.ok(LONG_NAME.length < 8 * 1024, `${LONG_NAME.length} bytes`);
  for (const format of ['traces', 'folded']) {
    const a = await post(`${service.url}/v1/render?format=${format}`, LONG_NAME);
    assert.equal(a.status, 413, format);
    assert.equal(problem(a).limitName, 'max_name_bytes');
  }
});

test('control characters, U+FFFF and names Graphviz WASM crashed on: graph.svg is 200 and XML', T, async () => {
  const names = ['main.\u0001ctl', 'main.nul\u0000x', 'bad\uFFFFname', '.leading.dot', '::x::y', '.', '::', '\n', 'x\u0008y', '\uD800lone'];
  const stored = await post(`${service.url}/v1/profiles`, namedProfile(names));
  assert.equal(stored.status, 201, stored.text);
  const { links } = JSON.parse(stored.text) as { links: { svg: string; png: string } };
  for (let i = 0; i < 2; i++) {
    const svg = await get(links.svg);
    assert.equal(svg.status, 200, svg.text.slice(0, 300));
    assert.equal(XMLValidator.validate(svg.text), true);
    assert.ok(svg.text.includes('\uFFFD'), 'the characters XML forbids are shown as U+FFFD');
    assert.doesNotMatch(svg.text, /[\u0001\u0008\uFFFF]/);
  }
  const png = await fetch(links.png);
  assert.equal(png.status, 200);
  assert.equal(png.headers.get('content-type'), 'image/png');
  const direct = await post(`${service.url}/v1/render?format=svg`, namedProfile(names));
  assert.equal(direct.status, 200);
  assert.equal(XMLValidator.validate(direct.text), true);
});

test('after all of them: the same process, still serving, /healthz within 1 s throughout', T, async () => {
  const report = await health.stop();
  assert.equal(service.exited(), undefined, 'the service process is the one started');
  const a = await post(`${service.url}/v1/render?format=top`, fixture('profiles/shopd/cpu.pb.gz'));
  assert.equal(a.status, 200);
  console.log(`healthz: ${report.polls} polls, slowest ${report.maxMs.toFixed(0)} ms; peak RSS ${(service.peakRss() / MiB).toFixed(0)} MiB`);
  assert.deepEqual(report.failures, []);
  assert.ok(service.peakRss() < 1024 * MiB, 'peak RSS under 1 GiB (the 16 M-sample upload alone took 5.2 GB before)');
  assert.ok(report.polls > 10, `${report.polls} polls`);
  assert.ok(report.maxMs <= 1000, `slowest /healthz ${report.maxMs.toFixed(0)} ms`);
});
