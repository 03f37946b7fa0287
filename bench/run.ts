/**
 * `npm run bench`: the CLI's cold start on everyday profiles, hotpath's in-process pipeline and CLI
 * wall time beside `go tool pprof -svg` on the same files (when Go is on the PATH), plus the
 * 1M-sample profile's goldens, which are too slow for `npm test`, and how merging labelled samples
 * scales. Figures depend on the machine: run it quiet. `npm run bench -- cold-start` runs the first part only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from '../src/cli/args.js';
import { parseOptions } from '../src/options.js';
import { loadProfile } from '../src/profile/load.js';
import { produceReport } from '../src/reports.js';
import { benchServer, formatServerBench } from './server.js';
import { benchLinks, formatLinksBench } from './links.js';
import { coldStart, runtimes } from './cold-start.js';
import { formatSweep, sweepService } from './sweep.js';
import { benchStoreDrivers, formatStoreDrivers } from './store-drivers.js';
import { benchLabelledMerge, formatLabelledMerge } from './merge.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = [
  ['large.cpu (pprof testdata, 23k functions)', path.join(ROOT, 'test/fixtures/corpus/profiles/pprof-testdata/large.cpu')],
  ['synthetic-1m.cpu (1M samples, 54 MB raw)', path.join(ROOT, 'bench/fixtures/synthetic-1m.cpu.pb.gz')],
] as const;

function wall(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return performance.now() - t;
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const hasGo = spawnSync('go', ['version']).status === 0;
const fmt = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(0));

console.log('## Cold start: the CLI on everyday profiles, beside go tool pprof\n');
console.log(coldStart({ root: ROOT, hasGo }));
if (process.argv[2] === 'cold-start') process.exit(0);

console.log('## Pipeline, in process (median of warm runs) and as processes, ms\n');
console.log('| profile | decode | normalize | graph | DOT | layout | in-process total | peak RSS MB | hotpath -svg process | go tool pprof -svg | in-process / pprof | process / pprof |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const [name, file] of FIXTURES) {
  const runs = file.includes('synthetic') ? 3 : 7;
  const s = JSON.parse(execFileSync(process.execPath, [path.join(ROOT, 'build/bench/stages.js'), file, String(runs)], { encoding: 'utf8' }));
  const cliRuns = file.includes('synthetic') ? 1 : 3;
  const cli = median(Array.from({ length: cliRuns }, () => wall(process.execPath, [path.join(ROOT, 'bin/hotpath.cjs'), '-svg', '-output', '/dev/null', file])));
  const pprof = hasGo ? median(Array.from({ length: cliRuns }, () => wall('go', ['tool', 'pprof', '-svg', '-output', '/dev/null', file], { HOME: '/tmp', PPROF_BINARY_PATH: '/nonexistent' }))) : undefined;
  const ratio = (x: number) => (pprof === undefined ? '—' : (x / pprof).toFixed(2) + '×');
  console.log(`| ${name} | ${fmt(s.decode)} | ${fmt(s.normalize)} | ${fmt(s.graph)} | ${fmt(s.dot)} | ${fmt(s.layout)} | ${fmt(s.total)} | ${s.peakRssMB} | ${fmt(cli)} | ${fmt(pprof)} | ${ratio(s.total)} | ${ratio(cli)} |`);
}

console.log('\n## The 1M-sample profile against its goldens\n');
const corpus = path.join(ROOT, 'test/fixtures/corpus');
const index = readFileSync(path.join(corpus, 'golden/INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
const huge = path.join(ROOT, 'bench/fixtures/synthetic-1m.cpu.pb.gz');
const { profile } = loadProfile(readFileSync(huge));
let pass = 0;
let fail = 0;
for (const [golden, , flags] of index.filter(([, inputs]) => inputs!.includes('synthetic-1m'))) {
  const args = parseArgs(flags!.split(' '));
  const t = performance.now();
  const got = produceReport(profile, args.format === 'svg' ? 'dot' : args.format, parseOptions(args.options), { timeZone: 'UTC' }).text;
  const ms = performance.now() - t;
  const ok = existsSync(path.join(corpus, 'golden', golden!)) && got === readFileSync(path.join(corpus, 'golden', golden!), 'utf8');
  if (ok) pass++;
  else fail++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${golden} (${flags}) ${ms.toFixed(0)} ms`);
}
console.log(`\n${pass} passed, ${fail} failed`);

console.log('\n## Merging samples of one stack that each carry their own label\n');
console.log(formatLabelledMerge(benchLabelledMerge()));

console.log('\n## The HTTP service\n');
console.log(formatServerBench(await benchServer()));

console.log('\n' + formatSweep(await sweepService()));

console.log('\n## Shared links\n');
console.log(formatLinksBench(await benchLinks()));

console.log('\n## The embedded store, per SQLite driver (1 MiB uploads with synchronous=FULL; ~140 KB cached artifacts)\n');
console.log(formatStoreDrivers(runtimes().flatMap((r) => benchStoreDrivers(r.node))));
process.exitCode = fail === 0 ? 0 : 1;
