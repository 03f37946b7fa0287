/**
 * The render service under load, as `npm start` runs it (a separate process, default settings):
 * - warm `POST /v1/render?format=svg` latency for pprof's large.cpu (median of 20), beside
 *   `go tool pprof -svg` wall time on the same file when Go is on the PATH;
 * - SVG renders per second for the corpus CPU profile (shopd, ~80 nodes) at concurrency 8.
 *
 * Run alone with `node build/bench/server.js`, or call benchServer() from bench/run.ts. The figures
 * depend on the machine and on whatever else runs on it.
 */
import { startService } from './service.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LARGE = path.join(ROOT, 'test/fixtures/corpus/profiles/pprof-testdata/large.cpu');
const SHOPD = path.join(ROOT, 'test/fixtures/corpus/profiles/shopd/cpu.pb.gz');

export interface ServerBench {
  largeMedianMs: number;
  largeP90Ms: number;
  pprofMedianMs?: number;
  shopdRendersPerSecond: number;
  shopdMedianMs: number;
  shopdP95Ms: number;
  shopdNodes: number;
  concurrency: number;
  requests: number;
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;


async function renderOnce(url: string, body: Uint8Array<ArrayBuffer>, query: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${url}/v1/render?${query}`, { method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`render answered ${res.status}: ${text.slice(0, 200)}`);
  return performance.now() - t;
}

function pprofWallMs(file: string, runs: number): number | undefined {
  if (spawnSync('go', ['version']).status !== 0) return undefined;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync('go', ['tool', 'pprof', '-svg', '-output', '/dev/null', file], {
      env: { ...process.env, TZ: 'UTC', HOME: '/tmp', PPROF_BINARY_PATH: '/nonexistent' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (r.status !== 0) return undefined;
    times.push(performance.now() - t);
  }
  return quantile(times, 0.5);
}

export async function benchServer(opts: { largeRuns?: number; concurrency?: number; requests?: number } = {}): Promise<ServerBench> {
  const largeRuns = opts.largeRuns ?? 20;
  const concurrency = opts.concurrency ?? 8;
  const requests = opts.requests ?? 160;
  const large = new Uint8Array(readFileSync(LARGE));
  const shopd = new Uint8Array(readFileSync(SHOPD));
  const { url, child } = await startService();
  try {
    for (let i = 0; i < 2; i++) await renderOnce(url, large, 'format=svg'); // warm-up: JIT, worker heaps
    const largeTimes: number[] = [];
    for (let i = 0; i < largeRuns; i++) largeTimes.push(await renderOnce(url, large, 'format=svg'));

    const dot = await fetch(`${url}/v1/render?format=dot`, { method: 'POST', body: shopd }).then((r) => r.text());
    const shopdNodes = (dot.match(/^N\d+ \[/gm) ?? []).length;
    for (let i = 0; i < concurrency; i++) await renderOnce(url, shopd, 'format=svg');
    const times: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          next++;
          times.push(await renderOnce(url, shopd, 'format=svg'));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;

    return {
      largeMedianMs: quantile(largeTimes, 0.5),
      largeP90Ms: quantile(largeTimes, 0.9),
      pprofMedianMs: pprofWallMs(LARGE, 3),
      shopdRendersPerSecond: times.length / seconds,
      shopdMedianMs: quantile(times, 0.5),
      shopdP95Ms: quantile(times, 0.95),
      shopdNodes,
      concurrency,
      requests: times.length,
    };
  } finally {
    child.kill('SIGTERM');
  }
}

export function formatServerBench(b: ServerBench): string {
  const f = (x: number) => x.toFixed(0);
  const lines = [
    '## Render service (npm start, default settings), ms',
    '',
    '| measurement | hotpath service | go tool pprof -svg | ratio |',
    '|---|---|---|---|',
    `| large.cpu → SVG, warm, median of 20 (p90) | ${f(b.largeMedianMs)} (${f(b.largeP90Ms)}) | ${b.pprofMedianMs === undefined ? '—' : f(b.pprofMedianMs)} | ${
      b.pprofMedianMs === undefined ? '—' : (b.largeMedianMs / b.pprofMedianMs).toFixed(2) + '×'
    } |`,
    '',
    '| measurement | renders/s | median ms | p95 ms |',
    '|---|---|---|---|',
    `| shopd cpu → SVG (${b.shopdNodes} nodes), concurrency ${b.concurrency}, ${b.requests} requests | ${b.shopdRendersPerSecond.toFixed(1)} | ${f(b.shopdMedianMs)} | ${f(b.shopdP95Ms)} |`,
  ];
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(formatServerBench(await benchServer()));
}
