import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { BroadcastChannel } from 'node:worker_threads';
import { promisify } from 'node:util';
import { XMLValidator } from 'fast-xml-parser';
import { WorkerPool } from '../../src/jobs/pool.js';
import { BusyError, RenderError, RenderTimeoutError, TooLargeError } from '../../src/errors.js';

const shopdDot = readFileSync(
  new URL('../../../test/fixtures/corpus/golden/shopd.cpu.dot', import.meta.url),
  'utf8',
);
const tinyDot = 'digraph { a -> b }';

/** A graph Graphviz's dot layout does not finish in any useful time (measured: never). */
function hugeDot(nodes = 3000, edges = 20_000): string {
  let seed = 42;
  const next = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const lines = ['digraph huge {'];
  for (let i = 0; i < nodes; i++) lines.push(`N${i} [label="node ${i}" shape=box]`);
  for (let i = 0; i < edges; i++) lines.push(`N${next(nodes)} -> N${next(nodes)} [label="${i}"]`);
  lines.push('}');
  return lines.join('\n');
}

/** A worker module given as a data: URL, for failure paths Graphviz cannot be made to take. */
function workerFromSource(source: string): URL {
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

test('concurrent renders all succeed and return finished SVG', async () => {
  const pool = new WorkerPool({ size: 2 });
  try {
    await pool.ready();
    assert.deepEqual(pool.stats(), { size: 2, busy: 0, queued: 0, restarts: 0, rendered: 0 });
    const svgs = await Promise.all(Array.from({ length: 6 }, () => pool.render(shopdDot)));
    for (const svg of svgs) {
      assert.equal(XMLValidator.validate(svg), true);
      assert.ok(svg.includes('<g id="viewport"'));
      assert.ok(svg.includes('>handleRequest</text>'));
    }
    assert.equal(pool.stats().rendered, 6);
    assert.equal(pool.stats().restarts, 0);
  } finally {
    await pool.close();
  }
});

test('deadline terminates a runaway layout, a full queue is Busy, and the pool keeps serving', async () => {
  const pool = new WorkerPool({ size: 1, maxQueue: 1 });
  try {
    await pool.ready();
    const started = performance.now();
    const runaway = pool.render(hugeDot(), { deadlineMs: 300 });
    const waiting = pool.render(tinyDot, { deadlineMs: 5000 }); // queued behind it
    assert.equal(pool.stats().queued, 1);
    await assert.rejects(pool.render(tinyDot), (err: unknown) => {
      assert.ok(err instanceof BusyError);
      assert.ok(err.retryAfterSeconds >= 1 && err.retryAfterSeconds <= 5);
      return true;
    });
    await assert.rejects(runaway, RenderTimeoutError);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1300, `timed out after ${elapsed} ms`);
    // The replacement worker loads Graphviz and serves the queued job.
    assert.ok((await waiting).includes('>a</text>'));
    assert.ok((await pool.render(tinyDot)).includes('>b</text>'));
    assert.deepEqual(pool.stats(), { size: 1, busy: 0, queued: 0, restarts: 1, rendered: 2 });
  } finally {
    await pool.close();
  }
});

test('time spent queued counts toward the deadline', async () => {
  const pool = new WorkerPool({ size: 1 });
  try {
    await pool.ready();
    let runawayOver = false;
    const runaway = pool.render(hugeDot(), { deadlineMs: 400 }).finally(() => (runawayOver = true));
    // Never reaches a worker: its deadline passes while the runaway holds the only one.
    await assert.rejects(pool.render(tinyDot, { deadlineMs: 150 }), RenderTimeoutError);
    assert.equal(runawayOver, false, 'the queued job waited for the worker');
    assert.equal(pool.stats().rendered, 0);
    await assert.rejects(runaway, RenderTimeoutError);
  } finally {
    await pool.close();
  }
});

test('a caller\'s signal takes its waiting job out of the queue; a running job finishes', async () => {
  // Answers its job when the test says "go" on a channel, so that which job runs and which waits is exact.
  const gated = workerFromSource(`
    import { BroadcastChannel, parentPort } from 'node:worker_threads';
    const gate = new BroadcastChannel('pool-test-gate');
    gate.unref();
    const jobs = [];
    let go = 0; // a "go" may arrive before the job it is meant for: the two come by different ports
    const answer = () => {
      for (; go > 0 && jobs.length > 0; go--) {
        const id = jobs.shift();
        parentPort.postMessage({ kind: 'done', id, body: new Uint8Array([id]) });
      }
    };
    parentPort.on('message', ({ id }) => (jobs.push(id), answer()));
    gate.onmessage = () => (go++, answer());
    parentPort.postMessage({ kind: 'ready' });
  `);
  const gate = new BroadcastChannel('pool-test-gate');
  const pool = new WorkerPool({ size: 1, workerUrl: gated, deadlineMs: 30_000 });
  try {
    await pool.ready();
    const runningGone = new AbortController();
    const running = pool.run({ kind: 'layout', dot: 'a' }, { signal: runningGone.signal });
    const waitingGone = new AbortController();
    const waiting = pool.run({ kind: 'layout', dot: 'b' }, { signal: waitingGone.signal });
    const kept = pool.run({ kind: 'layout', dot: 'c' });
    assert.deepEqual([pool.stats().busy, pool.stats().queued], [1, 2]);

    const reason = new Error('client gone');
    waitingGone.abort(reason);
    assert.equal(pool.stats().queued, 1, 'out of the queue at once');
    await assert.rejects(waiting, (err) => err === reason);
    runningGone.abort(new Error('too late'));
    assert.equal(pool.stats().busy, 1, 'a running job is not stopped');

    gate.postMessage('go');
    assert.deepEqual((await running).body, new Uint8Array([1]));
    gate.postMessage('go');
    assert.deepEqual((await kept).body, new Uint8Array([3]), 'the next job in line ran; the withdrawn one never did');
    await assert.rejects(pool.run({ kind: 'layout', dot: 'd' }, { signal: AbortSignal.abort(reason) }), (err) => err === reason);
    assert.deepEqual(pool.stats(), { size: 1, busy: 0, queued: 0, restarts: 0, rendered: 2 });
  } finally {
    gate.close();
    await pool.close();
  }
});

test('a Graphviz error rejects with RenderError and recycles the worker', async () => {
  const pool = new WorkerPool({ size: 1 });
  try {
    await assert.rejects(pool.render('not dot at all'), (err: unknown) => {
      assert.ok(err instanceof RenderError);
      assert.match(err.message, /syntax error/);
      return true;
    });
    assert.equal(pool.stats().restarts, 1);
    assert.ok((await pool.render(tinyDot)).includes('>a</text>'));
  } finally {
    await pool.close();
  }
});

test('workers are recycled after recycleAfterJobs jobs', async () => {
  const pool = new WorkerPool({ size: 1, recycleAfterJobs: 2 });
  try {
    for (let i = 0; i < 3; i++) await pool.render(tinyDot);
    assert.equal(pool.stats().restarts, 1);
    assert.equal(pool.stats().rendered, 3);
  } finally {
    await pool.close();
  }
});

test('a crashing worker rejects its job with RenderError and is replaced', async () => {
  const crashing = workerFromSource(`
    import { parentPort } from 'node:worker_threads';
    parentPort.on('message', () => process.exit(7));
    parentPort.postMessage({ kind: 'ready' });
  `);
  const pool = new WorkerPool({ size: 1, workerUrl: crashing });
  try {
    await pool.ready();
    await assert.rejects(pool.render(tinyDot), (err: unknown) => {
      assert.ok(err instanceof RenderError);
      assert.match(err.message, /code 7/);
      return true;
    });
    await pool.ready(); // the replacement started
    assert.equal(pool.stats().restarts, 1);
    assert.equal(pool.stats().size, 1);
  } finally {
    await pool.close();
  }
});

test('a job past its worker\'s heap ceiling ends that worker only: TooLargeError naming the limit, then the pool serves on', async () => {
  // Answers a layout like the real worker; a job whose DOT is "eat" allocates until V8 stops it.
  const hungry = workerFromSource(`
    import { parentPort } from 'node:worker_threads';
    const { runJob } = await import(${JSON.stringify(new URL('../../src/jobs/job.js', import.meta.url).href)});
    parentPort.on('message', async ({ id, job }) => {
      if (job.dot === 'eat') { const hoard = []; for (;;) hoard.push(new Array(1e5).fill(hoard.length)); }
      parentPort.postMessage({ kind: 'done', id, ...(await runJob(job)) });
    });
    parentPort.postMessage({ kind: 'ready' });
  `);
  const pool = new WorkerPool({ size: 1, heapMb: 32, heapLimitName: 'worker_heap_mb', workerUrl: hungry });
  try {
    await pool.ready();
    await assert.rejects(pool.render('eat', { deadlineMs: 30_000 }), (err: unknown) => {
      assert.ok(err instanceof TooLargeError, String(err));
      assert.equal(err.limitName, 'worker_heap_mb');
      assert.equal(err.limit, 32 * 1024 * 1024);
      assert.match(err.message, /more memory than a worker has \(32 MiB/);
      return true;
    });
    assert.ok((await pool.render(tinyDot)).includes('>a</text>'), 'the replacement serves');
    assert.equal(pool.stats().restarts, 1);
  } finally {
    await pool.close();
  }
});

test('workers that cannot start make the pool fail instead of retrying forever', async () => {
  const broken = workerFromSource(`throw new Error('no graphviz here');`);
  const pool = new WorkerPool({ size: 2, workerUrl: broken });
  try {
    await assert.rejects(pool.ready(), /cannot start: .*no graphviz here/);
    await assert.rejects(pool.render(tinyDot), RenderError);
    assert.equal(pool.stats().size, 0);
  } finally {
    await pool.close();
  }
});

test('close() rejects pending work and lets the process exit', async () => {
  const pool = new WorkerPool({ size: 1 });
  await pool.ready();
  const pending = assert.rejects(pool.render(hugeDot(), { deadlineMs: 60_000 }), /closed/);
  await pool.close();
  await pending;
  await assert.rejects(pool.render(tinyDot), RenderError);
  assert.equal(pool.stats().size, 0);

  // A process that opens a pool and closes it must end by itself (no leaked threads or timers).
  const poolModule = new URL('../../src/jobs/pool.js', import.meta.url).href;
  const script = `
    const { WorkerPool } = await import(${JSON.stringify(poolModule)});
    const pool = new WorkerPool({ size: 2 });
    await pool.ready();
    await pool.render('digraph { a -> b }');
    await pool.close();
    console.log('closed');
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script],
    { timeout: 10_000 },
  );
  assert.equal(stdout.trim(), 'closed');
});
