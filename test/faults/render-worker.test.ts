/**
 * A render worker killed in the middle of a layout: the request it was serving fails at once with a
 * 503 problem (Retry-After), not a hang and not a 4xx about the graph; the pool starts a
 * replacement, the render queued behind it still completes, and the next request is a 200.
 *
 * The worker is terminated through the pool's fault-injection hook (killBusyWorkerForTesting),
 * which ends the thread from outside the pool's bookkeeping, as a crash would.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningServer } from '../../src/server/app.js';
import { fixture, get, problemOf, render, startTestServer } from '../server/support.js';

let server: RunningServer;

before(async () => {
  // One worker, so the job behind the killed one must wait for its replacement.
  server = await startTestServer({ renderWorkers: 1, renderDeadlineMs: 30_000, maxSvgNodes: 5000 });
});
after(() => server.shutdown());

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a worker killed mid-layout: that request answers 503 problem+json at once, the queued one and the next succeed', async () => {
  // megasvc untrimmed (1,866 nodes) takes far longer to lay out than this test waits.
  const doomed = render(server, fixture('profiles/large/megasvc.cpu.pb.gz'), { format: 'svg', trim: 'false' });
  await until(() => server.pool.stats().busy === 1, 20_000, 'the layout reaching the worker');
  const queued = render(server, fixture('profiles/shopd/cpu.pb.gz'), { format: 'svg' });
  await until(() => server.pool.stats().queued === 1, 10_000, 'a second render queued');

  const killedAt = performance.now();
  const threadId = server.pool.killBusyWorkerForTesting();
  assert.ok(typeof threadId === 'number' && threadId > 0, `killed thread ${threadId}`);

  const failed = await doomed;
  const failedAfterMs = performance.now() - killedAt;
  assert.equal(failed.status, 503, failed.text);
  const problem = problemOf(failed);
  assert.equal(problem.type, 'urn:hotpath:problem:unavailable');
  assert.match(problem.detail, /job worker .*stopped.*retry/);
  assert.equal(failed.headers.get('retry-after'), '1');
  assert.ok(failedAfterMs < 2000, `answered ${failedAfterMs.toFixed(0)} ms after the kill`);

  const next = await queued;
  assert.equal(next.status, 200, `the render queued behind the killed one: ${next.text.slice(0, 300)}`);
  assert.match(next.text, /<svg/);
  const again = await render(server, fixture('profiles/shopd/heap.b.pb.gz'), { format: 'svg' });
  assert.equal(again.status, 200, again.text.slice(0, 300));

  const stats = server.pool.stats();
  assert.equal(stats.size, 1, 'one worker again');
  assert.ok(stats.restarts >= 1, `restarts: ${stats.restarts}`);
  assert.equal(server.pool.killBusyWorkerForTesting(), undefined, 'nothing is running now');
  const metrics = (await get(server, '/metrics')).text;
  assert.match(metrics, /hotpath_http_requests_total\{route="\/v1\/render",method="POST",status="503"\} 1/);
  assert.match(metrics, /hotpath_render_worker_restarts_total [1-9]/);
  assert.equal((await get(server, '/healthz')).status, 200);
});
