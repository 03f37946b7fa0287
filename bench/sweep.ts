/**
 * The everyday corpus through the service: warm `POST /v1/render` latency of every profile.proto in
 * test/fixtures/corpus/profiles as SVG and as top (median of RUNS after two warm-ups), beside
 * `go tool pprof` wall time on the same file when Go is on the PATH. The summary is the median of
 * the per-profile ratios: how the service compares with pprof on the profiles people send it.
 *
 * `node build/bench/sweep.js [--against path/to/other/server/main.js]`: with another build of the
 * server (a checkout of an older commit, say), both run side by side and every request alternates
 * between them, so a busy machine slows both alike; the summary adds the median of this build's
 * time over the other's (profiles a build refuses are left out of it). SWEEP_RUNS (9) sets the runs,
 * SWEEP_WARM_PASSES (3) the passes over the corpus that warm every build first; SWEEP_PPROF=0 skips pprof.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startService, type Service } from './service.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROFILES = path.join(ROOT, 'test/fixtures/corpus/profiles');

export interface SweepRow {
  profile: string;
  svgMs: number;
  topMs: number;
  /** the other build's (--against) */
  otherSvgMs?: number;
  otherTopMs?: number;
  pprofSvgMs?: number;
  pprofTopMs?: number;
}

export interface Sweep {
  rows: SweepRow[];
  /** median over profiles of service / pprof */
  svgRatio?: number;
  topRatio?: number;
  /** median over profiles of this build / the other build */
  svgVsOther?: number;
  topVsOther?: number;
  /** median over profiles of the service's own medians */
  svgMedianMs: number;
  topMedianMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Passes over the whole corpus, every build and format, before anything is timed. */
const WARM_PASSES = Number(process.env['SWEEP_WARM_PASSES'] ?? 3);

/** The profile.proto files of the corpus (text formats and the 1M-sample bench profile are not everyday uploads). */
export function everydayProfiles(): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(PROFILES).sort()) {
    for (const file of readdirSync(path.join(PROFILES, dir)).sort()) {
      if (/\.pb(\.gz)?$|^large\.cpu$/.test(file)) out.push(path.join(dir, file));
    }
  }
  return out;
}

/** Milliseconds to the whole answer; NaN when the build refused the profile (an older build may). */
async function timeRender(url: string, body: Uint8Array<ArrayBuffer>, format: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${url}/v1/render?format=${format}`, { method: 'POST', body });
  await res.arrayBuffer();
  if (res.status >= 500) throw new Error(`render answered ${res.status}`);
  return res.status === 200 ? performance.now() - t : NaN;
}

function pprofMs(file: string, flag: string, runs: number): number | undefined {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync('go', ['tool', 'pprof', flag, '-output', '/dev/null', file], {
      env: { ...process.env, TZ: 'UTC', HOME: '/tmp', PPROF_BINARY_PATH: '/nonexistent' },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    if (r.status !== 0) return undefined;
    times.push(performance.now() - t);
  }
  return median(times);
}

/** Medians per service of `runs` requests each, sent in turns (A B, B A, A B, …). */
async function timedInTurns(urls: string[], body: Uint8Array<ArrayBuffer>, format: string, runs: number): Promise<number[]> {
  for (const url of urls) for (let i = 0; i < 2; i++) await timeRender(url, body, format);
  const times = urls.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? urls.map((_, k) => k) : urls.map((_, k) => urls.length - 1 - k);
    for (const k of order) times[k]!.push(await timeRender(urls[k]!, body, format));
  }
  return times.map(median);
}

export async function sweepService(opts: { against?: string; runs?: number; pprof?: boolean } = {}): Promise<Sweep> {
  const runs = opts.runs ?? Number(process.env['SWEEP_RUNS'] ?? 9);
  const withPprof = (opts.pprof ?? process.env['SWEEP_PPROF'] !== '0') && spawnSync('go', ['version']).status === 0;
  const rows: SweepRow[] = [];
  const services: Service[] = [await startService()];
  try {
    if (opts.against !== undefined) services.push(await startService({}, opts.against));
    const urls = services.map((s) => s.url);
    // Warm every build on the whole corpus first: a service in use is warm in every worker, and the
    // first profiles timed should not pay for the JIT the later ones reuse.
    for (let pass = 0; pass < WARM_PASSES; pass++) {
      for (const name of everydayProfiles()) {
        const body = new Uint8Array(readFileSync(path.join(PROFILES, name)));
        for (const url of urls) for (const format of ['svg', 'top']) await timeRender(url, body, format);
      }
    }
    for (const name of everydayProfiles()) {
      const body = new Uint8Array(readFileSync(path.join(PROFILES, name)));
      const [svgMs, otherSvgMs] = await timedInTurns(urls, body, 'svg', runs);
      const [topMs, otherTopMs] = await timedInTurns(urls, body, 'top', runs);
      rows.push({ profile: name, svgMs: svgMs!, topMs: topMs!, ...(otherSvgMs !== undefined && { otherSvgMs, otherTopMs: otherTopMs! }) });
    }
  } finally {
    for (const s of services) s.child.kill('SIGTERM');
  }
  // After the services have stopped: pprof's processes neither compete with them nor idle their connections.
  if (withPprof) {
    for (const row of rows) {
      const file = path.join(PROFILES, row.profile);
      const svg = pprofMs(file, '-svg', 3);
      const top = pprofMs(file, '-top', 3);
      if (svg !== undefined) row.pprofSvgMs = svg;
      if (top !== undefined) row.pprofTopMs = top;
    }
  }
  // A profile one build refuses (NaN) is no comparison of speed.
  const ratios = (pick: (r: SweepRow) => [number, number | undefined]) => {
    const xs = rows.map(pick).filter(([s, p]) => p !== undefined && !Number.isNaN(p) && !Number.isNaN(s)).map(([s, p]) => s / p!);
    return xs.length === 0 ? undefined : median(xs);
  };
  const sweep: Sweep = {
    rows,
    svgMedianMs: median(rows.map((r) => r.svgMs)),
    topMedianMs: median(rows.map((r) => r.topMs)),
  };
  const svgRatio = ratios((r) => [r.svgMs, r.pprofSvgMs]);
  const topRatio = ratios((r) => [r.topMs, r.pprofTopMs]);
  const svgVsOther = ratios((r) => [r.svgMs, r.otherSvgMs]);
  const topVsOther = ratios((r) => [r.topMs, r.otherTopMs]);
  return {
    ...sweep,
    ...(svgRatio !== undefined && { svgRatio }), ...(topRatio !== undefined && { topRatio }),
    ...(svgVsOther !== undefined && { svgVsOther }), ...(topVsOther !== undefined && { topVsOther }),
  };
}

export function formatSweep(s: Sweep): string {
  const f = (x: number | undefined) => (x === undefined ? '—' : Number.isNaN(x) ? 'refused' : x.toFixed(1));
  const r = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(2) + '×');
  const other = s.svgVsOther !== undefined;
  const lines = [
    '## Everyday corpus through the service (warm POST /v1/render, median ms)',
    '',
    `| profile | SVG |${other ? ' SVG, other build |' : ''} pprof -svg | top |${other ? ' top, other build |' : ''} pprof -top |`,
    `|---|---|${other ? '---|' : ''}---|---|${other ? '---|' : ''}---|`,
    ...s.rows.map((x) => `| ${x.profile} | ${f(x.svgMs)} |${other ? ` ${f(x.otherSvgMs)} |` : ''} ${f(x.pprofSvgMs)} | ${f(x.topMs)} |${other ? ` ${f(x.otherTopMs)} |` : ''} ${f(x.pprofTopMs)} |`),
    '',
    `Median over profiles: SVG ${f(s.svgMedianMs)} ms (${r(s.svgRatio)} pprof), top ${f(s.topMedianMs)} ms (${r(s.topRatio)} pprof).`,
  ];
  if (other) lines.push(`This build over the other, median over profiles: SVG ${r(s.svgVsOther)}, top ${r(s.topVsOther)}.`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--against');
  const against = at >= 0 ? process.argv[at + 1] : undefined;
  console.log(formatSweep(await sweepService({ ...(against !== undefined && { against: path.resolve(against) }) })));
}
