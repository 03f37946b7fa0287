/** `hotpath report`, the CI command, run as the real CLI process over the fixture profiles. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CORPUS } from '../support/goldens.js';
import { folderName, profileName } from '../../src/ci/run.js';

const BIN = fileURLToPath(new URL('../../../bin/hotpath.cjs', import.meta.url));
const shopd = (f: string) => path.join(CORPUS, 'profiles/shopd', f);
const env = { ...process.env, TZ: 'UTC' };
const hotpath = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, timeout: 120_000 });

const TMP = mkdtempSync(path.join(os.tmpdir(), 'hotpath-report-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** A profile file name no Markdown reader may see as HTML. */
const HOSTILE_FILE = '<script>alert(1)<!--.pb.gz';

interface Run {
  status: number | null;
  stderr: string;
  out: string;
  summary: string;
}

function report(name: string, args: string[]): Run {
  const out = path.join(TMP, name);
  const r = hotpath('report', '--out', out, ...args);
  const summaryPath = path.join(out, 'summary.md');
  return { status: r.status, stderr: r.stderr, out, summary: existsSync(summaryPath) ? readFileSync(summaryPath, 'utf8') : '' };
}

function writeJson(name: string, value: unknown): string {
  const file = path.join(TMP, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

// The main run: four profiles, bases found by file name in a folder (as a CI job keeps the last
// run's profiles), and a budget with one rule that breaks.
let main: Run;
const inputs: Record<string, string> = {};
before(() => {
  const baseDir = path.join(TMP, 'base');
  const hostileDir = path.join(TMP, 'hostile');
  for (const d of [baseDir, hostileDir]) rmSync(d, { recursive: true, force: true });
  spawnSync('mkdir', ['-p', baseDir, hostileDir]);
  copyFileSync(shopd('heap.a.pb.gz'), path.join(baseDir, 'heap.b.pb.gz'));
  copyFileSync(shopd('goroutine.a.pb.gz'), path.join(baseDir, 'goroutine.b.pb.gz'));
  inputs['hostile'] = path.join(hostileDir, HOSTILE_FILE);
  copyFileSync(path.join(CORPUS, 'bad/hostile-names.pb.gz'), inputs['hostile']);
  inputs['cpu'] = shopd('cpu.pb.gz');
  inputs['heap'] = shopd('heap.b.pb.gz');
  inputs['goroutine'] = shopd('goroutine.b.pb.gz');
  const budget = writeJson('budget.json', {
    budgets: [
      { profile: 'goroutine*', max_goroutines: 500 },
      { profile: 'cpu*', function: 'sha256', max_flat_percent: 50 },
      { profile: 'heap*', sample_index: 'inuse_space', max_growth_percent: 500 },
      { profile: 'goroutine*', function: 'Watch$', max_growth_cum: 200, name: 'watchers' },
    ],
  });
  main = report('main', ['--base', baseDir, '--budget', budget, '--rows', '20',
    inputs['cpu'], inputs['heap'], inputs['goroutine'], inputs['hostile']]);
});

test('budget breaches exit 1 and are named on stderr (one line each) and first in summary.md', () => {
  assert.equal(main.status, 1, main.stderr);
  const breaches = main.stderr.split('\n').filter((l) => l.startsWith('hotpath: budget exceeded: '));
  assert.deepEqual(breaches, [
    'hotpath: budget exceeded: goroutine.b.pb.gz: 542 goroutines, more than the maximum of 500 (budgets[0])',
    // Growth is the -base report's: cum of Watch went from 6 to 306 goroutines.
    'hotpath: budget exceeded: goroutine.b.pb.gz: shopd/internal/sessions.(*Store).Watch: cum grew by 300, more than 200 (budgets[3] "watchers")',
  ]);
  const firstSection = main.summary.indexOf('\n## ');
  const breach = main.summary.indexOf('\n- ❌ goroutine.b.pb.gz: 542 goroutines, more than the maximum of 500 (budgets\\[0\\])\n');
  assert.ok(breach > 0 && breach < firstSection, 'the breach comes before the first profile');
  assert.match(main.summary.slice(0, firstSection), /^# hotpath report\n\n\*\*❌ Budget exceeded: 2 breaches\*\*\n/);
  assert.ok(main.summary.includes('(\\\*Store).Watch: cum grew by 300, more than 200 (budgets\\[3\\] "watchers")'));
});

const FOLDERS = { cpu: 'cpu', heap: 'heap.b', goroutine: 'goroutine.b', hostile: 'script_alert_1' };

test('every profile gets its folder with every file, each valid', () => {
  assert.deepEqual(readdirSync(main.out).sort(), [...Object.values(FOLDERS), 'summary.md'].sort());
  const parser = new XMLParser({ ignoreAttributes: false });
  for (const [key, dir] of Object.entries(FOLDERS)) {
    const at = (f: string) => path.join(main.out, dir, f);
    const expected = ['flame.svg', 'graph.png', 'graph.svg', 'top.json', 'top.txt'];
    if (key === 'goroutine') expected.push('leaks.txt');
    if (key === 'heap' || key === 'goroutine') expected.push('flame.diff.svg', 'graph.diff.svg', 'top.diff.json', 'top.diff.txt');
    assert.deepEqual(readdirSync(path.join(main.out, dir)).sort(), expected.sort(), dir);
    for (const svg of expected.filter((f) => f.endsWith('.svg'))) {
      const text = readFileSync(at(svg), 'utf8');
      assert.equal(XMLValidator.validate(text), true, `${dir}/${svg} is well-formed XML`);
      assert.ok(parser.parse(text).svg, `${dir}/${svg} has an <svg> root`);
    }
    const png = readFileSync(at('graph.png'));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${dir}/graph.png is a PNG`);
    assert.ok(png.readUInt32BE(16) > 100 && png.readUInt32BE(20) > 100, 'an image of some size');
    assert.ok(JSON.parse(readFileSync(at('top.json'), 'utf8')).rows.length > 0);
  }
});

test('the text reports are byte for byte what the single-report CLI prints', () => {
  for (const [key, dir] of Object.entries(FOLDERS)) {
    const file = inputs[key]!;
    assert.equal(readFileSync(path.join(main.out, dir, 'top.txt'), 'utf8'), hotpath('-top', file).stdout, `${dir}/top.txt`);
    assert.equal(readFileSync(path.join(main.out, dir, 'top.json'), 'utf8'), hotpath('-top', '-json', file).stdout, `${dir}/top.json`);
  }
  const read = (f: string) => readFileSync(path.join(main.out, f), 'utf8');
  assert.equal(read('heap.b/top.diff.txt'), hotpath('-top', '-base', shopd('heap.a.pb.gz'), shopd('heap.b.pb.gz')).stdout);
  assert.equal(read('goroutine.b/leaks.txt'), hotpath('-leaks', '-base', shopd('goroutine.a.pb.gz'), shopd('goroutine.b.pb.gz')).stdout);
});

test('summary.md: a top table per profile with -top\'s numbers, and the biggest changes against the base', () => {
  // The first rows of cpu's -top, as -top prints them.
  const topRows = hotpath('-top', inputs['cpu']!).stdout.split('\n').filter((l) => /^ +[\d.]+\w* /.test(l)).slice(0, 3);
  for (const row of topRows) {
    const [flat, flatPct, , cum, cumPct, ...name] = row.trim().split(/\s+/);
    const cells = `| ${flat} | ${flatPct} | ${cum} | ${cumPct} | ${name.join(' ').replaceAll('*', '\\*')} |`;
    assert.ok(main.summary.includes(cells), `summary has ${cells}`);
  }
  const heap = section(main.summary, 'heap.b.pb.gz');
  assert.match(heap, /### Biggest changes against .*heap\.b\.pb\.gz/);
  const changes = heap.slice(heap.indexOf('### Biggest changes'));
  const firstChange = changes.split('\n').find((l) => l.startsWith('| +'));
  assert.equal(firstChange, '| +9.39MB | +9.39MB | main.growCache (inline) |', 'largest flat growth first');
  const goroutine = section(main.summary, 'goroutine.b.pb.gz');
  assert.match(goroutine, /\*\*Goroutines: 542\*\* \(base 7, \+535\)/);
  assert.match(goroutine, /\| 306 \| \+300 \| chan receive \| shopd\/internal\/sessions\.\(\\\*Store\)\.Watch \|/);
  // No base in the folder for cpu: said so, and no changes section.
  assert.doesNotMatch(section(main.summary, 'cpu.pb.gz'), /Biggest changes/);
  assert.match(main.summary, /cpu\.pb\.gz: no base with the same name in /);
});

test('summary.md links only to files that exist, relative to itself, and embeds each call graph PNG', () => {
  const targets = [...main.summary.matchAll(/\]\(([^)]*)\)/g)].map((m) => m[1]!);
  assert.ok(targets.length >= 4 * 6);
  for (const t of targets) {
    assert.doesNotMatch(t, /^(\/|[a-z]+:)/i, `${t} is relative`);
    assert.ok(existsSync(path.join(main.out, decodeURIComponent(t))), `${t} exists`);
  }
  for (const dir of Object.values(FOLDERS)) assert.ok(main.summary.includes(`](${dir}/graph.png)`), `${dir}'s PNG is embedded`);
  assert.equal(main.summary.match(/!\[/g)?.length, 4);
});

test('summary.md tables keep their columns, whatever the names hold', () => {
  for (const table of tables(main.summary)) {
    const widths = table.map(cellCount);
    assert.ok(widths.every((w) => w === widths[0]), `a table with rows of ${widths.join(', ')} cells:\n${table.join('\n')}`);
  }
});

test('hostile names are escaped: no HTML, links or code spans come out of a profile', () => {
  const s = main.summary;
  assert.doesNotMatch(s, /<script|<img|<names|<x>|<!--/i);
  assert.ok(s.includes('## &lt;script&gt;alert(1)&lt;!--.pb.gz'), 'the file name, as text');
  const hostile = section(s, '&lt;script&gt;alert(1)&lt;!--.pb.gz');
  assert.ok(hostile.includes('| \\[hostile&amp;&lt;names&gt;\\] |'), 'the binary pseudo-frame, as text');
  assert.ok(hostile.includes('main.amp&amp;amp;&amp;lt;'), 'an entity in a name stays literal');
  assert.ok(hostile.includes('main.new\\\\nline\\\\nname'), 'line breaks written as \\n');
  assert.ok(hostile.includes('main.rtl\\\\u202egnp.exe'), 'a bidi override made visible');
  assert.ok(hostile.includes('main.single\'quote\\`tick'), 'a backtick cannot open a code span');
  assert.ok(hostile.includes('main.label{x\\|y}'), 'a pipe cannot end a cell');
  // Every line of the section is one of ours: a name never starts a line.
  for (const line of hostile.split('\n')) assert.match(line, /^(|## .*|\|.*\||Type: .*|\[call graph\].*|Top \d+ .*|!\[Call graph of .*)$/, line);
});

test('--base FILE for one profile, a budget that passes: exit 0 and says so', () => {
  const budget = writeJson('ok.json', {
    budgets: [{ profile: 'goroutine*', max_goroutines: 1000, max_goroutine_growth: 600 }, { function: 'Watch', max_growth_cum: 400 }],
  });
  const r = report('single', ['--base', shopd('goroutine.a.pb.gz'), '--budget', budget, shopd('goroutine.b.pb.gz')]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.summary, /Within budget\*\* \(2 rules\)/);
  assert.match(r.summary, /### Biggest changes against .*goroutine\.a\.pb\.gz/);
  assert.ok(existsSync(path.join(r.out, 'goroutine.b', 'leaks.txt')));
});

test('a budget file with an error exits 2 naming the JSON path, before writing anything', () => {
  // Each kind of error in the file itself is in test/ci/budget.test.ts.
  const cases: [unknown, RegExp][] = [
    [{ budgets: [{ max_goroutines: 1 }, { profile: 'cpu*', max_flat_percent: 120 }] }, /budgets\[1\]\.max_flat_percent: Too big/],
    // Valid JSON, but the rule names a CPU profile and limits it in bytes.
    [{ budgets: [{ profile: 'cpu*', max_total: '10MB' }] }, /budgets\[0\]\.max_total: "10MB" is not in nanoseconds/],
  ];
  for (const [i, [content, message]] of cases.entries()) {
    const file = writeJson(`bad-${i}.json`, content);
    const r = report(`bad-${i}`, ['--budget', file, shopd('cpu.pb.gz')]);
    assert.equal(r.status, 2, `case ${i}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, 'one line');
    assert.equal(r.summary, '');
    assert.ok(!existsSync(path.join(r.out, 'cpu')), 'nothing rendered');
  }
  const missing = report('bad-missing', ['--budget', path.join(TMP, 'nope.json'), shopd('cpu.pb.gz')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--budget: .*nope\.json: no such file/);
});

test('a budget file error is one line of at most 500 characters, however long the key it names', () => {
  const file = writeJson('bad-long.json', `{ "budgets": [{ "${'k'.repeat(3000)}": 1 }] }`);
  const r = report('bad-long', ['--budget', file, shopd('cpu.pb.gz')]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^hotpath: .*bad-long\.json: budgets\[0\]\.kkkk/);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, 'one line');
  assert.ok(r.stderr.length <= 'hotpath: \n'.length + 500, `${r.stderr.length} characters`);
});

test('the decode budgets (-max_samples=N, …) bound report as they bound -top: exit 1 naming the flag', () => {
  const single = hotpath('-top', '-max_samples=2', shopd('heap.a.pb.gz'));
  assert.equal(single.status, 1);
  assert.match(single.stderr, /-max_samples=N/);
  const r = report('max-samples', ['-max_samples=2', shopd('heap.a.pb.gz'), '--base', shopd('heap.b.pb.gz')]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^hotpath: heap\.a\.pb\.gz: profile has more than 2 samples; raise the limit with -max_samples=N$/m);
  assert.match(r.summary, /Profiles that could not be read:\*\*\n\n- \*\*heap\.a\.pb\.gz\*\*: profile has more than 2 samples/);
  assert.ok(!existsSync(path.join(r.out, 'heap.a')), 'nothing written for it');
  // The base is read under the same budget.
  const base = report('max-samples-base', ['-max_samples=30', shopd('heap.b.pb.gz'), '--base', shopd('heap.a.pb.gz')]);
  assert.equal(base.status, 1, base.stderr);
  assert.match(base.stderr, /-max_samples=N/);
});

test('the output budget (-max_output_chars=N) refuses each file past it; the others and summary.md are still written', () => {
  const refusedFiles = (r: Run, max: number) => r.stderr.split('\n')
    .filter((l) => new RegExp(`more than ${max} characters; .*-max_output_chars=N$`).test(l)).map((l) => l.split(': ')[2]);
  // top.txt fits in 1,500 characters; its JSON, the graph's DOT and the flame graph do not.
  const r = report('max-output', ['-max_output_chars=1500', shopd('heap.a.pb.gz')]);
  assert.equal(r.status, 1, r.stderr);
  assert.deepEqual(refusedFiles(r, 1500), ['top.json', 'graph.svg', 'flame.svg']);
  for (const f of ['top.json', 'graph.svg', 'graph.png', 'flame.svg']) assert.ok(!existsSync(path.join(r.out, 'heap.a', f)), `${f} is not written`);
  assert.equal(readFileSync(path.join(r.out, 'heap.a', 'top.txt'), 'utf8'), hotpath('-top', shopd('heap.a.pb.gz')).stdout);
  assert.match(r.summary, /⚠️ graph\.svg: the report would be more than 1500 characters/);
  assert.match(r.summary, /\| shopd\/internal\/catalog\.BuildTree \|/, 'the table is still there');
  // Not even top.txt: the table stays, without a link to a file that is not there.
  const tight = report('max-output-tight', ['-max_output_chars=100', shopd('heap.a.pb.gz')]);
  assert.deepEqual(refusedFiles(tight, 100), ['top.txt', 'top.json', 'graph.svg', 'flame.svg']);
  assert.match(tight.summary, /Top 10 of 15 functions by flat\.\n/);
  assert.doesNotMatch(tight.summary, /\]\(heap\.a\/top\.txt\)/);
});

test('-symbolize applies to report as to -top: none keeps C++ names mangled', () => {
  const folded = path.join(TMP, 'mangled.folded');
  writeFileSync(folded, 'main;_ZN3foo3barEv 5\n');
  const demangled = report('symbolize-default', [folded]);
  assert.equal(demangled.status, 0, demangled.stderr);
  assert.equal(readFileSync(path.join(demangled.out, 'mangled', 'top.txt'), 'utf8'), hotpath('-top', folded).stdout);
  assert.match(demangled.summary, /\| foo::bar \|/);
  const none = report('symbolize-none', ['-symbolize=none', folded]);
  assert.equal(none.status, 0, none.stderr);
  assert.equal(readFileSync(path.join(none.out, 'mangled', 'top.txt'), 'utf8'), hotpath('-top', '-symbolize=none', folded).stdout);
  assert.match(none.summary, /\| \\_ZN3foo3barEv \|/);
  assert.match(readFileSync(path.join(none.out, 'mangled', 'graph.svg'), 'utf8'), /_ZN3foo3barEv/);
});

test('usage errors exit 2', () => {
  const cases: [string[], RegExp][] = [
    [[shopd('cpu.pb.gz')], /needs --out DIR/],
    [['--out', TMP], /no profile given/],
    [['--out', TMP, '-svg', shopd('cpu.pb.gz')], /drop -svg/],
    [['--out', TMP, '--base', shopd('cpu.pb.gz'), shopd('cpu.pb.gz'), shopd('heap.b.pb.gz')], /--base FILE goes with one profile/],
    [['--out', TMP, '--rows', 'many', shopd('cpu.pb.gz')], /--rows takes a whole number/],
  ];
  for (const [args, message] of cases) {
    const r = hotpath('report', ...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, message);
  }
  assert.match(hotpath('report', '-help').stdout, /^usage: hotpath report --out DIR/);
});

test('a profile that cannot be read is reported, and the others are still written', () => {
  const r = report('partial', [path.join(CORPUS, 'bad/truncated.pb.gz'), shopd('goroutine.a.pb.gz')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^hotpath: truncated\.pb\.gz: /m);
  assert.match(r.summary, /Profiles that could not be read:\*\*\n\n- \*\*truncated\.pb\.gz\*\*: /);
  assert.ok(existsSync(path.join(r.out, 'goroutine.a', 'graph.png')));
});

test('a /debug/pprof URL is a profile too: named after its path, titled by its URL', async () => {
  const bytes = readFileSync(shopd('goroutine.a.pb.gz'));
  const server = http.createServer((req, res) => {
    if (req.url !== '/debug/pprof/goroutine') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/debug/pprof/goroutine`;
    const out = path.join(TMP, 'url');
    // Asynchronous: the server runs in this process and must keep answering.
    const status = await new Promise<number | null>((resolve) => {
      spawn(process.execPath, [BIN, 'report', '--out', out, url], { env, stdio: 'ignore' }).on('close', resolve);
    });
    assert.equal(status, 0);
    const summary = readFileSync(path.join(out, 'summary.md'), 'utf8');
    assert.ok(summary.includes(`## http://127.0.0.1:`));
    assert.equal(readFileSync(path.join(out, 'goroutine', 'top.txt'), 'utf8'), hotpath('-top', shopd('goroutine.a.pb.gz')).stdout);
  } finally {
    server.close();
  }
});

test('folder names are safe in a URL, a zip and any file system, and unique ignoring case', () => {
  const taken = new Set(['summary.md']);
  const names = ['cpu.pb.gz', 'CPU.pb.gz', 'cpu.pprof', '../../etc/passwd', '.hidden.pb.gz', 'a b%2F<c>.pb.gz', 'pb.gz', 'summary.md',
    'con.pb.gz', 'x'.repeat(300), 'heap'];
  assert.deepEqual(names.map((n) => folderName(n, taken)), [
    'cpu', 'CPU-2', 'cpu-3', 'etc_passwd', 'hidden', 'a_b_2F_c', 'pb', 'summary.md-2', 'profile-con', 'x'.repeat(80), 'heap',
  ]);
  assert.equal(profileName('/tmp/profiles/cpu.pb.gz'), 'cpu.pb.gz');
  assert.equal(profileName('http://user:pw@host:6060/debug/pprof/heap?gc=1'), 'heap');
  assert.equal(profileName('host:6060/debug/pprof/profile'), 'profile');
  assert.equal(profileName('-'), 'stdin');
});

/** The lines of summary.md from the heading `## title` to the next `## `. */
function section(summary: string, title: string): string {
  const start = summary.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `a section for ${title}`);
  const end = summary.indexOf('\n## ', start + 1);
  return summary.slice(start + 1, end < 0 ? undefined : end);
}

/** Runs of consecutive lines that start with `|`. */
function tables(md: string): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) current.push(line);
    else if (current.length > 0) {
      out.push(current);
      current = [];
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Cells of a GFM table row: pipes not escaped by an odd run of backslashes separate them. */
function cellCount(row: string): number {
  let pipes = 0;
  let backslashes = 0;
  for (const c of row) {
    if (c === '|' && backslashes % 2 === 0) pipes++;
    backslashes = c === '\\' ? backslashes + 1 : 0;
  }
  return pipes - 1;
}
