/**
 * Admission control (admission.ts): past HOTPATH_MAX_ACTIVE_REQUESTS requests reading a profile,
 * the next answers 503 at once (before its body is read) while cheap requests are still served,
 * and a place comes free when a request ends.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Admission, admittedWork } from '../../src/server/admission.js';
import { HttpProblem } from '../../src/server/problem.js';
import type { RunningServer } from '../../src/server/app.js';
import { configFromEnv } from '../../src/server/config.js';
import { fixture, get, problemOf, render, startTestServer } from './support.js';

test('Admission: places up to max, then the busy problem; a release frees one, twice frees one', () => {
  const admission = new Admission(2);
  const a = admission.enter();
  admission.enter();
  assert.equal(admission.active, 2);
  assert.throws(() => admission.enter(), (err: unknown) =>
    err instanceof HttpProblem && err.kind === 'busy' && err.headers['Retry-After'] === '1');
  assert.equal(admission.refused, 1);
  a();
  a();
  assert.equal(admission.active, 1);
  admission.enter();
  assert.throws(() => admission.enter(), HttpProblem);
  assert.throws(() => new Admission(0), RangeError);
});

test('HOTPATH_MAX_ACTIVE_REQUESTS: default 16, at least 1', () => {
  assert.equal(configFromEnv({}).maxActiveRequests, 16);
  assert.equal(configFromEnv({ HOTPATH_MAX_ACTIVE_REQUESTS: '3' }).maxActiveRequests, 3);
  assert.throws(() => configFromEnv({ HOTPATH_MAX_ACTIVE_REQUESTS: '0' }), /HOTPATH_MAX_ACTIVE_REQUESTS/);
});

let server: RunningServer;
before(async () => {
  // 4 s: shopd's graph must lay out within it on a loaded machine (1.5 s did not, under Node 24);
  // megasvc untrimmed takes far longer (~15-55 s here), so it still holds the place until the deadline.
  server = await startTestServer({ renderWorkers: 1, maxActiveRequests: 1, renderDeadlineMs: 4000, maxSvgNodes: 5000 });
});
after(() => server.shutdown());

test('at the limit: renders, uploads and uncached links answer 503 busy; cached links and health do not', async () => {
  const cpu = fixture('profiles/shopd/cpu.pb.gz');
  const up = await fetch(`${server.url}/v1/profiles`, { method: 'POST', body: new Uint8Array(cpu) });
  assert.equal(up.status, 201);
  const { links } = (await up.json()) as { links: { svg: string; top: string } };
  assert.equal((await fetch(links.svg)).status, 200); // rendered now, served from memory later

  // megasvc untrimmed lays out far longer than the deadline: it holds the only place until then.
  const slow = render(server, fixture('profiles/large/megasvc.cpu.pb.gz'), { format: 'svg', trim: 'false' });
  const started = performance.now();
  while (server.pool.stats().busy === 0) {
    assert.ok(performance.now() - started < 20_000, 'the slow layout never started');
    await new Promise((r) => setTimeout(r, 5));
  }

  const refused = await render(server, cpu, { format: 'top' });
  assert.equal(refused.status, 503, refused.text);
  assert.equal(problemOf(refused).type, 'urn:hotpath:problem:busy');
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.ok(refused.ms < 1000, `refused after ${refused.ms.toFixed(0)} ms`);
  const upload = await fetch(`${server.url}/v1/profiles`, { method: 'POST', body: new Uint8Array(fixture('profiles/shopd/heap.b.pb.gz')) });
  assert.equal(upload.status, 503);
  assert.equal((await fetch(links.top)).status, 503, 'a link that must be rendered');

  const cached = await fetch(links.svg);
  assert.equal(cached.status, 200);
  assert.equal(cached.headers.get('x-hotpath-cache'), 'hit');
  assert.equal((await get(server, '/healthz')).status, 200);
  assert.equal((await get(server, '/metrics')).status, 200);

  assert.equal((await slow).status, 504);
  const now = await render(server, cpu, { format: 'top' });
  assert.equal(now.status, 200, 'the place came free');
  assert.equal((await fetch(links.top)).status, 200);
});

test('Admission.admitted: the place is held until the handler\'s work ends, not until its client leaves', async () => {
  const admission = new Admission(1);
  let finishWork!: () => void;
  let gone: AbortSignal | undefined;
  const handler = admission.admitted(async (_req, _res, signal) => {
    gone = signal;
    await new Promise<void>((resolve) => (finishWork = resolve));
  });
  // A response as far as admitted() looks at one: its locals, its close event, whether it was sent.
  const res = Object.assign(new EventEmitter(), { locals: {} as Record<string, unknown>, writableFinished: false });
  const work = handler(undefined as never, res as never);
  res.emit('close'); // the client hung up before the answer
  assert.equal(gone?.aborted, true, 'the handler learns that its client left');
  assert.ok(gone?.reason instanceof HttpProblem);
  assert.equal(admission.active, 1, 'its work still holds the place');
  assert.throws(() => admission.enter(), HttpProblem);
  finishWork();
  await work;
  assert.equal(admission.active, 0);
  await admittedWork(res as never);
});

/** Waits (polling, bounded) until `ok()`; fails with `what` past `ms`. */
async function until(ok: () => boolean, what: string, ms = 10_000): Promise<void> {
  const started = performance.now();
  while (!ok()) {
    assert.ok(performance.now() - started < ms, what);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a client that leaves: its waiting job leaves the queue, its running job keeps its place and the server in flight', async () => {
  // megasvc untrimmed lays out far longer than the deadline: it holds the one worker until then.
  const service = await startTestServer({ renderWorkers: 1, maxActiveRequests: 2, renderDeadlineMs: 12_000, maxSvgNodes: 5000 });
  try {
    const cpu = new Uint8Array(fixture('profiles/shopd/cpu.pb.gz'));
    const post = (bytes: Uint8Array<ArrayBuffer>, query: string, signal?: AbortSignal) =>
      fetch(`${service.url}/v1/render?${query}`, { method: 'POST', body: bytes, headers: { 'Content-Type': 'application/octet-stream' }, ...(signal && { signal }) });
    const hangUp = (p: Promise<Response>) => p.then(() => assert.fail('answered a client that left'), (err: Error) => assert.equal(err.name, 'AbortError'));

    const slowClient = new AbortController();
    const slow = hangUp(post(new Uint8Array(fixture('profiles/large/megasvc.cpu.pb.gz')), 'format=svg&trim=false', slowClient.signal));
    await until(() => service.pool.stats().busy === 1, 'the slow layout never started', 20_000);

    // A body sent, its job queued behind the slow one, and the client gone: the job goes too.
    const waitingClient = new AbortController();
    const waiting = hangUp(post(cpu, 'format=top', waitingClient.signal));
    await until(() => service.pool.stats().queued === 1, 'the second job never queued');
    waitingClient.abort();
    await waiting;
    await until(() => service.pool.stats().queued === 0, 'the job of a client that left stayed queued', 3000);
    assert.equal(service.pool.stats().busy, 1, 'while the slow layout still runs');

    // An upload to /v1/profiles likewise: its check job leaves the queue with its client, and nothing is stored.
    const uploadClient = new AbortController();
    const upload = hangUp(fetch(`${service.url}/v1/profiles`, {
      method: 'POST', body: cpu, headers: { 'Content-Type': 'application/octet-stream' }, signal: uploadClient.signal,
    }));
    await until(() => service.pool.stats().queued === 1, "the upload's check never queued");
    uploadClient.abort();
    await upload;
    await until(() => service.pool.stats().queued === 0, 'the check of an upload whose client left stayed queued', 3000);

    // The slow client leaves too: its job runs on, holding its place, and the request is in flight.
    slowClient.abort();
    await slow;
    await until(() => service.state.inFlight === 1, 'the waiting request still in flight');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(service.state.inFlight, 1, 'the running job keeps its request in flight');
    const nextClient = new AbortController();
    const next = hangUp(post(cpu, 'format=top', nextClient.signal)); // takes the one free place
    await until(() => service.pool.stats().queued === 1, 'the next request was not admitted');
    const refused = await render(service, cpu, { format: 'top' });
    assert.equal(refused.status, 503, 'the slow job still holds its place');
    assert.equal(problemOf(refused).type, 'urn:hotpath:problem:busy');
    nextClient.abort();
    await next;

    // At the slow job's deadline its worker is replaced and its request ends: the server serves on.
    await until(() => service.state.inFlight === 0, 'requests left in flight', 20_000);
    assert.equal((await get(service, '/healthz')).status, 200);
    assert.equal((await render(service, cpu, { format: 'top' })).status, 200);
  } finally {
    await service.shutdown();
  }
});
