/**
 * Every hostile input of the corpus through the real CLI process: a clear one-line error and a
 * non-zero exit within 2 s for the invalid ones, a normal report for the valid-but-hostile ones, and
 * the gzip bomb stopped at the inflate cap with bounded memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS } from '../support/goldens.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = path.join(ROOT, 'bin/hotpath.js');

function hotpath(args: string[]) {
  const started = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - started };
}

const INVALID: Record<string, RegExp> = {
  'empty.pb.gz': /empty input/,
  'random.bin': /not a profile/,
  'truncated.pb.gz': /truncated gzip stream/,
  'gzip-of-garbage.pb.gz': /decompressed data is not profile\.proto/,
  'truncated-proto.pb': /truncated protobuf/,
  'missing-location.pb.gz': /location id 999/,
  'missing-function.pb.gz': /function id 777/,
  'string-index-out-of-range.pb.gz': /string index 5000/,
  'extra-sample-values.pb.gz': /sample has 3 values vs\. 2 types/,
  'int64-max-values.pb.gz': /value overflow/,
  'gzip-bomb-1GiB.pb.gz': /decompressed size over limit/,
  'gzip-in-gzip.pb.gz': /not profile\.proto/,
  'goroutine-debug2-truncated.txt': /goroutine dump line 2204/,
};

for (const [file, message] of Object.entries(INVALID)) {
  test(`bad/${file}: one clear line, non-zero exit, within 2 s`, () => {
    const r = hotpath(['-top', path.join(CORPUS, 'bad', file)]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^hotpath: [^\n]+\n$/);
    assert.match(r.stderr, message);
    assert.ok(r.ms < 2000, `took ${r.ms.toFixed(0)} ms`);
  });
}

for (const file of ['negative-values.pb.gz', 'zero-samples.pb.gz', 'hostile-names.pb.gz', 'hostile-graphviz-breakers.pb.gz', 'recursion-1000.pb.gz']) {
  test(`bad/${file}: valid but hostile, renders top and DOT`, () => {
    for (const report of ['-top', '-dot']) {
      const r = hotpath([report, path.join(CORPUS, 'bad', file)]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Showing nodes accounting for/);
    }
  });
}

test('the gzip bomb stops at the cap with peak RSS under 300 MB', () => {
  // Run the CLI in a child that reports its own peak RSS, so the measurement is of this input alone.
  const script = `import(${JSON.stringify(path.join(ROOT, 'build/src/cli/main.js'))}).then(async (m) => {
    const code = await m.main(['-top', ${JSON.stringify(path.join(CORPUS, 'bad/gzip-bomb-1GiB.pb.gz'))}]);
    process.stderr.write('maxrss ' + process.resourceUsage().maxRSS + '\\n');
    process.exitCode = code;
  })`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /decompressed size over limit/);
  const kb = Number(/maxrss (\d+)/.exec(r.stderr)![1]);
  assert.ok(kb < 300 * 1024, `peak RSS ${(kb / 1024).toFixed(0)} MB`);
});

test('usage errors: unknown flag, bad value, missing file — one line each', () => {
  const profile = path.join(CORPUS, 'profiles/shopd/cpu.pb.gz');
  const cases: [string[], RegExp][] = [
    [['-bogus', profile], /unknown flag -bogus/],
    [['-top', '-nodecount=many', profile], /nodecount/],
    [['-top', '-focus=(a', profile], /focus: .*missing closing \)/],
    [['-top', `-focus=${'\\pL{1000}'.repeat(40)}`, profile], /focus: regexp too complex/],
    [['-top', '-sample_index=bogus', profile], /sample_index "bogus" must be one of: \[samples cpu\]/],
    [['-top', path.join(CORPUS, 'no-such-file')], /no such file/],
    [['-top'], /no profile given/],
  ];
  for (const [args, message] of cases) {
    const r = hotpath(args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, /^hotpath: [^\n]+\n$/);
    assert.match(r.stderr, message);
  }
});

test('a catastrophic regex finishes quickly (RE2, not backtracking)', () => {
  const r = hotpath(['-top', '-focus=(a+)+$', path.join(CORPUS, 'bad/hostile-names.pb.gz')]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms < 2000, `took ${r.ms.toFixed(0)} ms`);
});

test('stdin as "-" and -output FILE give the same bytes as a file argument', async () => {
  const { readFileSync, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const profile = path.join(CORPUS, 'profiles/shopd/heap.b.pb.gz');
  const byFile = hotpath(['-top', profile]).stdout;
  const r = spawnSync(process.execPath, [BIN, '-top', '-'], { input: readFileSync(profile), encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  assert.equal(r.stdout, byFile);
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'hotpath-')), 'top.txt');
  assert.equal(hotpath(['--top', `--output=${out}`, profile]).code, 0);
  assert.equal(readFileSync(out, 'utf8'), byFile);
});
