/**
 * Fidelity: every -top, -traces, -dot, -tags, -raw, -list and -peek golden of the corpus (recorded with Go 1.19's `go tool pprof`,
 * flags in golden/INDEX.tsv) run through hotpath with the same flags. Text must be identical; DOT too,
 * except for diff profiles, where pprof's own edge order is random run to run and only the line sets
 * are compared. The few goldens that record pprof behaviour we differ from on purpose are checked for
 * *that* difference below, and listed in README's "Differences from pprof".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from '../src/cli/args.js';
import { parseOptions } from '../src/options.js';
import { loadProfile, loadProfileWithBase } from '../src/profile/load.js';
import { produceReport } from '../src/reports.js';
import { ProfileError } from '../src/errors.js';
import { CORPUS, goldenCases, inputPath, readGolden, type GoldenCase } from './support/goldens.js';
import { directorySources } from '../src/report/sources.js';

/** Goldens that record pprof behaviour hotpath deliberately does not reproduce (see README). */
const DELIBERATE: Record<string, string> = {
  'shopd.goroutine.b.debug1.top.txt': 'pprof reads a debug=1 goroutine profile as a legacy profile without symbols; hotpath parses its symbols',
  'bad.hostile-graphviz-breakers.dot': 'pprof writes the binary name raw into the graph title, making invalid DOT; hotpath escapes it',
  'bad.int64-max-values.top.txt': 'pprof wraps int64 sums around; hotpath refuses values beyond ±2^53 (value overflow)',
};

/** The 1M-sample profile takes seconds per report: its goldens run in `npm run bench`. */
const isHuge = (c: GoldenCase) => c.inputs.some((i) => i.includes('synthetic-1m'));

function run(c: GoldenCase): string {
  const args = parseArgs(c.flags.filter((f) => f !== '-base' && f !== '-diff_base'));
  const bytes = readFileSync(inputPath(c.inputs.at(-1)!));
  const options = parseOptions(args.options);
  const load = { symbolize: options.symbolize };
  const { profile } = c.inputs.length === 2
    ? loadProfileWithBase(bytes, readFileSync(inputPath(c.inputs[0]!)), c.flags.includes('-diff_base'), load)
    : loadProfile(bytes, load);
  // -source_path in INDEX.tsv is relative to the corpus folder, where the goldens were recorded.
  const sources = args.format === 'list'
    ? directorySources((options.source_path ?? '').split(':').filter(Boolean).map((d) => path.resolve(CORPUS, d)), { cwd: CORPUS })
    : undefined;
  return produceReport({ profile, kind: 'proto', sources }, args.json ? 'json' : args.format, options, { timeZone: 'UTC' }).text;
}

const reportFlag = (c: GoldenCase) => c.flags[0];
const cases = goldenCases().filter((c) => (['-top', '-traces', '-dot', '-tags', '-raw'].includes(reportFlag(c)!) || /^-(list|peek)=/.test(reportFlag(c)!)) && !isHuge(c));

test('the corpus has the goldens this suite expects', () => {
  assert.ok(cases.length >= 160, `only ${cases.length} top/traces/dot goldens found`);
});

for (const c of cases) {
  const name = `${c.golden}  (${c.flags.join(' ')})`;
  if (DELIBERATE[c.golden]) continue; // checked one by one below
  test(name, () => {
    const want = readGolden(c.golden);
    const got = run(c);
    if (c.inputs.length === 2 && c.golden.endsWith('.dot')) {
      assert.deepEqual(got.split('\n').sort(), want.split('\n').sort());
    } else {
      assert.equal(got, want);
    }
  });
}

test('deliberate difference: debug=1 goroutine text keeps its symbols', () => {
  const c = goldenCases().find((g) => g.golden === 'shopd.goroutine.b.debug1.top.txt')!;
  const got = run(c);
  assert.match(readGolden(c.golden), /<unknown>|^\s+\d+ .* 0x/m);
  assert.match(got, /shopd\/internal\/sessions\.\(\*Store\)\.Watch/);
  // Same total as pprof's reading of the same dump.
  const total = (s: string) => /of (\d+) total/.exec(s)?.[1];
  assert.equal(total(got), total(readGolden(c.golden)));
});

test('deliberate difference: the DOT title is escaped and NUL shown as ␀, everything else is pprof\'s', () => {
  const c = goldenCases().find((g) => g.golden === 'bad.hostile-graphviz-breakers.dot')!;
  const got = run(c).split('\n');
  const want = readGolden(c.golden).split('\n');
  assert.equal(got.length, want.length);
  got.forEach((line, i) => {
    if (line === want[i]) return;
    // The only differences: the escaped title (graph name, legend tooltip) and a NUL made visible.
    const pprofs = want[i]!.replace(/^digraph "b>"bin/, 'digraph "b>\\"bin').replace('tooltip="b>"bin\\"; rankdir=LR"', 'tooltip="b>\\"bin\\\\\\"; rankdir=LR"');
    assert.equal(line.replaceAll('\u2400', '\u0000'), pprofs.replace('digraph "b>\\"bin\\"', 'digraph "b>\\"bin\\\\\\"'), `line ${i + 1}`);
  });
  assert.match(got[0]!, /^digraph "b>\\"bin\\\\\\"; rankdir=LR" \{$/);
});

test('deliberate difference: int64 overflow is refused, not wrapped', () => {
  const c = goldenCases().find((g) => g.golden === 'bad.int64-max-values.top.txt')!;
  assert.match(readGolden(c.golden), /-2562047\.79hrs/);
  assert.throws(() => run(c), (e: unknown) => e instanceof ProfileError && e.code === 'overflow');
});
