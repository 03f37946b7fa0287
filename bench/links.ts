/**
 * Shareable links under load, as `npm start` runs the service (a separate process, default
 * settings but one render worker, its SQLite store in a temporary directory; with `databaseUrl`,
 * PostgreSQL's default schema, where the bench's profile and artifacts then stay):
 * - cached `GET /p/{id}/graph.svg` requests per second (the shopd CPU graph, ~140 KB), from
 *   keep-alive connections in this process;
 * - the PNG of the shopd CPU graph (80 nodes): the first `GET graph.png` end to end (decode, graph,
 *   layout, rasterising, storing; the worker already warm), and the render pool's renderPng alone
 *   (median of warm runs);
 * - the unfurl card of the same profile, the first `GET card.png` end to end; and the viewer's
 *   flame.json of pprof's large.cpu (23k functions), the first GET end to end and its size.
 *
 * Run alone with `node build/bench/links.js`, or call benchLinks() from bench/run.ts. The figures
 * depend on the machine and on whatever else runs on it.
 */
import { startService } from './service.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseOptions } from '../src/options.js';
import { loadProfile } from '../src/profile/load.js';
import { WorkerPool } from '../src/jobs/pool.js';
import { produceReport } from '../src/reports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOPD = path.join(ROOT, 'test/fixtures/corpus/profiles/shopd/cpu.pb.gz');
const LARGE = path.join(ROOT, 'test/fixtures/corpus/profiles/pprof-testdata/large.cpu');

export interface LinksBench {
  /** cached graph.svg answers per second */
  svgRequestsPerSecond: number;
  svgBytes: number;
  concurrency: number;
  requests: number;
  seconds: number;
  svgMedianMs: number;
  svgP99Ms: number;
  /** a GET graph.png that renders: everything from the stored bytes to the stored PNG (median of 3, warm worker) */
  pngFirstGetMs: number;
  /** WorkerPool.renderPng of the graph's DOT (layout + rasterising), median of warm runs */
  pngRenderMedianMs: number;
  pngBytes: number;
  pngNodes: number;
  /** a GET card.png that renders (median of 3, warm worker), and its size */
  cardFirstGetMs: number;
  cardBytes: number;
  /** a GET flame.json of large.cpu that renders (median of 3), and its size */
  flameJsonFirstGetMs: number;
  flameJsonBytes: number;
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;


/** GETs `url` over `concurrency` keep-alive connections for `seconds`; every answer must be 200. */
async function hammer(url: string, concurrency: number, seconds: number): Promise<{ requests: number; latencies: number[]; bytes: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const until = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let bytes = 0;
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      http.get(url, { agent }, (res) => {
        let size = 0;
        res.on('data', (c: Buffer) => (size += c.length));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`GET answered ${res.statusCode}`));
          latencies.push(performance.now() - started);
          bytes = size;
          resolve();
        });
        res.on('error', reject);
      }).on('error', reject);
    });
  const loop = async () => {
    while (performance.now() < until) await once();
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  agent.destroy();
  return { requests: latencies.length, latencies, bytes };
}

/**
 * The first GET of an artifact, rendered each time: a filter that hides nothing makes each key new
 * (and new on every run), so each GET renders (a stored one answers in milliseconds); the report is
 * the same, a graph's legend one line longer. The first of four also loads the rasteriser and the
 * fonts and warms the worker: not counted. Median of the other three.
 */
async function firstGets(url: string): Promise<{ ms: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 4; i++) {
    const t = performance.now();
    const res = await fetch(`${url}?hide=%5Ebench_${Date.now()}_${i}%24`);
    bytes = (await res.arrayBuffer()).byteLength;
    if (res.status !== 200 || res.headers.get('x-hotpath-cache') !== 'miss') throw new Error(`${url} answered ${res.status}, ${res.headers.get('x-hotpath-cache')}`);
    if (i > 0) times.push(performance.now() - t);
  }
  return { ms: quantile(times, 0.5), bytes };
}

/** `databaseUrl`: serve from PostgreSQL (its default schema) instead of SQLite in a temporary directory. */
export async function benchLinks(opts: { concurrency?: number; seconds?: number; databaseUrl?: string } = {}): Promise<LinksBench & { store: string }> {
  const concurrency = opts.concurrency ?? 16;
  const seconds = opts.seconds ?? 5;
  const profile = readFileSync(SHOPD);

  // The PNG job alone, in a pool of this process (as the server's workers run it).
  const dot = produceReport(loadProfile(profile).profile, 'svg', parseOptions({}), { timeZone: 'UTC' }).text;
  const pool = new WorkerPool({ size: 1 });
  let pngRenderMedianMs: number;
  let pngBytes = 0;
  try {
    await pool.ready();
    await pool.renderPng({ dot }); // warm
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      pngBytes = (await pool.renderPng({ dot })).byteLength;
      times.push(performance.now() - t);
    }
    pngRenderMedianMs = quantile(times, 0.5);
  } finally {
    await pool.close();
  }

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-bench-links-'));
  const { url, child } = await startService({ HOTPATH_DATA: dataDir, DATABASE_URL: opts.databaseUrl ?? '', HOTPATH_RENDER_WORKERS: '1' });
  try {
    const up = await fetch(`${url}/v1/profiles`, { method: 'POST', body: new Uint8Array(profile), headers: { 'Content-Type': 'application/octet-stream' } });
    if (up.status !== 201 && up.status !== 200) throw new Error(`upload answered ${up.status}: ${await up.text()}`);
    const { links } = (await up.json()) as { links: { svg: string; png: string } };

    const png = await firstGets(links.png);
    const card = await firstGets(links.png.replace(/graph\.png$/, 'card.png'));
    const large = await fetch(`${url}/v1/profiles`, { method: 'POST', body: new Uint8Array(readFileSync(LARGE)), headers: { 'Content-Type': 'application/octet-stream' } });
    const flame = await firstGets(`${((await large.json()) as { links: { view: string } }).links.view}/flame.json`);

    const first = await fetch(links.svg); // renders and stores it
    await first.arrayBuffer();
    await hammer(links.svg, concurrency, 1); // warm-up
    const t = performance.now();
    const run = await hammer(links.svg, concurrency, seconds);
    const elapsed = (performance.now() - t) / 1000;
    return {
      store: opts.databaseUrl ? 'PostgreSQL' : 'SQLite',
      svgRequestsPerSecond: run.requests / elapsed,
      svgBytes: run.bytes,
      concurrency,
      requests: run.requests,
      seconds: elapsed,
      svgMedianMs: quantile(run.latencies, 0.5),
      svgP99Ms: quantile(run.latencies, 0.99),
      pngFirstGetMs: png.ms,
      pngRenderMedianMs,
      cardFirstGetMs: card.ms,
      cardBytes: card.bytes,
      flameJsonFirstGetMs: flame.ms,
      flameJsonBytes: flame.bytes,
      pngBytes,
      pngNodes: (dot.match(/^N\d+ \[/gm) ?? []).length,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatLinksBench(b: LinksBench & { store?: string }): string {
  return [
    '| measure | value |',
    '|---|---|',
    `| cached GET /p/{id}/graph.svg (${(b.svgBytes / 1024).toFixed(0)} KB) from ${b.store ?? 'the store'}, ${b.concurrency} keep-alive connections | ${b.svgRequestsPerSecond.toFixed(0)} requests/s (${b.requests} in ${b.seconds.toFixed(1)} s; median ${b.svgMedianMs.toFixed(1)} ms, p99 ${b.svgP99Ms.toFixed(1)} ms) |`,
    `| GET graph.png not yet rendered, shopd CPU (${b.pngNodes} nodes): stored bytes → stored PNG (median of 3) | ${b.pngFirstGetMs.toFixed(0)} ms |`,
    `| WorkerPool.renderPng of that graph (layout + rasterising, median of 5) | ${b.pngRenderMedianMs.toFixed(0)} ms (${(b.pngBytes / 1024).toFixed(0)} KB) |`,
    `| GET card.png not yet rendered, shopd CPU (top rows, hot path, rasterising; median of 3) | ${b.cardFirstGetMs.toFixed(0)} ms (${(b.cardBytes / 1024).toFixed(0)} KB) |`,
    `| GET flame.json not yet rendered, large.cpu (23k functions; median of 3) | ${b.flameJsonFirstGetMs.toFixed(0)} ms (${(b.flameJsonBytes / 1024).toFixed(0)} KB) |`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // As `npm start` would: PostgreSQL when DATABASE_URL is set.
  console.log(formatLinksBench(await benchLinks({ databaseUrl: process.env['DATABASE_URL']?.trim() || undefined })));
}
