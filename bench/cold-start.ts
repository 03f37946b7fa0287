/**
 * Cold start: `hotpath -top` and `hotpath -svg` as processes, as a user runs them, on the corpus's
 * everyday profiles (≤ 300 kB), beside `go tool pprof` in the same run (each pair timed back to
 * back, so both see the same load). Per profile the median wall time of RUNS runs, and the medians
 * of the per-profile ratios. Under the machine's Node, and under Node 22 and 24 when
 * scripts/node-lts.sh has installed them (.ci/run does; `scripts/node-lts.sh 24` by hand).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Runs per profile and command (HOTPATH_BENCH_RUNS to change; the median is reported). */
const RUNS = Number(process.env['HOTPATH_BENCH_RUNS'] ?? 5);
const EVERYDAY_MAX_BYTES = 300 * 1024;

export interface ColdStartOptions {
  root: string;
  /** whether `go tool pprof` is on the PATH; without it the pprof columns stay empty */
  hasGo: boolean;
}

export interface Runtime {
  name: string;
  node: string;
}

const PPROF_ENV = { HOME: os.tmpdir(), PPROF_BINARY_PATH: '/nonexistent' };

function wallMs(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): number | undefined {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, stdio: 'ignore', timeout: 120_000 });
  return r.status === 0 ? performance.now() - t : undefined;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The machine's Node, and the LTS lines scripts/node-lts.sh keeps in its cache (never installed from here). */
export function runtimes(): Runtime[] {
  const cache = process.env['HOTPATH_NODE_CACHE'] ?? path.join(process.env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'), 'hotpath/node');
  const found: Runtime[] = [{ name: `node ${process.versions.node.split('.')[0]} (machine)`, node: process.execPath }];
  for (const major of ['22', '24']) {
    const node = path.join(cache, major, 'node_modules/node/bin/node');
    if (existsSync(node)) found.push({ name: `node ${major}`, node });
  }
  return found;
}

/** Profiles of the corpus up to 300 kB that hotpath reads (and pprof too, when it is here). */
function everydayProfiles(root: string, hasGo: boolean): string[] {
  const dir = path.join(root, 'test/fixtures/corpus/profiles');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile() && statSync(f).size <= EVERYDAY_MAX_BYTES && !f.endsWith('LICENSE'))
    .sort();
  const bin = path.join(root, 'bin/hotpath.cjs');
  return files.filter((f) => wallMs(process.execPath, [bin, '-top', f]) !== undefined
    && (!hasGo || wallMs('go', ['tool', 'pprof', '-top', f], PPROF_ENV) !== undefined));
}

export function coldStart({ root, hasGo }: ColdStartOptions): string {
  const nodes = runtimes();
  const profiles = everydayProfiles(root, hasGo);
  const bin = path.join(root, 'bin/hotpath.cjs');
  const fmt = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(0));
  const out: string[] = [];
  for (const report of ['-top', '-svg']) {
    const ratios: number[][] = nodes.map(() => []);
    const pprofs: number[] = [];
    const ours: number[][] = nodes.map(() => []);
    out.push(`### hotpath ${report} as a process, wall ms (median of ${RUNS})${hasGo ? ` beside go tool pprof ${report}` : ''}\n`);
    out.push(`| profile | kB | ${hasGo ? `pprof ${report} | ` : ''}${nodes.map((n) => `${n.name}${hasGo ? ' | ×pprof' : ''}`).join(' | ')} |`);
    out.push(`|---|---|${hasGo ? '---|' : ''}${nodes.map(() => (hasGo ? '---|---|' : '---|')).join('')}`);
    for (const file of profiles) {
      const pprofRuns: number[] = [];
      const ourRuns: number[][] = nodes.map(() => []);
      for (let i = 0; i < RUNS; i++) {
        if (hasGo) pprofRuns.push(wallMs('go', ['tool', 'pprof', report, '-output', '/dev/null', file], PPROF_ENV) ?? NaN);
        nodes.forEach((n, j) => ourRuns[j]!.push(wallMs(n.node, [bin, report, '-output', '/dev/null', file]) ?? NaN));
      }
      const pprof = hasGo ? median(pprofRuns) : undefined;
      if (pprof !== undefined) pprofs.push(pprof);
      const cells = nodes.map((_, j) => {
        const ms = median(ourRuns[j]!);
        ours[j]!.push(ms);
        if (pprof === undefined) return fmt(ms);
        ratios[j]!.push(ms / pprof);
        return `${fmt(ms)} | ${(ms / pprof).toFixed(1)}×`;
      });
      const name = path.relative(path.join(root, 'test/fixtures/corpus/profiles'), file);
      out.push(`| ${name} | ${(statSync(file).size / 1024).toFixed(0)} | ${hasGo ? `${fmt(pprof)} | ` : ''}${cells.join(' | ')} |`);
    }
    const medians = nodes.map((_, j) => (hasGo ? `${fmt(median(ours[j]!))} | **${median(ratios[j]!).toFixed(1)}×**` : fmt(median(ours[j]!))));
    out.push(`| **median** (${profiles.length} profiles) | | ${hasGo ? `${fmt(median(pprofs))} | ` : ''}${medians.join(' | ')} |\n`);
  }
  return out.join('\n');
}
