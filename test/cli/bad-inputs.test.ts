/**
 * Every hostile input of the corpus through the real CLI process: a clear one-line error and a
 * non-zero exit for the invalid ones (no hang: each run is killed after a generous guard), a normal report for the valid-but-hostile ones, and
 * the gzip bomb stopped at the inflate cap with bounded memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS } from '../support/goldens.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = path.join(ROOT, 'bin/hotpath.cjs');

/**
 * A hang guard, not a speed test (speed is `npm run bench`'s): every input here takes well under a
 * second alone, but a loaded 2-core machine stretches that many times over.
 */
const HANG_GUARD_MS = 60_000;

function hotpath(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, timeout: HANG_GUARD_MS });
  assert.equal(r.signal, null, `hotpath ${args.join(' ')} did not finish within ${HANG_GUARD_MS} ms`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
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
  test(`bad/${file}: one clear line, non-zero exit`, () => {
    const r = hotpath(['-top', path.join(CORPUS, 'bad', file)]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^hotpath: [^\n]+\n$/);
    assert.match(r.stderr, message);
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
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: HANG_GUARD_MS });
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

test('a directory given as the profile: one line, exit 1, not an internal error', () => {
  const r = hotpath(['-top', path.join(CORPUS, 'profiles')]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^hotpath: [^\n]*is a directory\n$/);
});

test('a gzip of one 512 MiB line (under the inflate cap): one line, exit 1, not an internal error', async () => {
  // pprof's legacy text parsers read lines of at most 64 KiB; decoding this one whole would pass
  // what a JavaScript string can hold. 512 MiB of one byte gzips to half a megabyte, made here.
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { gzipSync } = await import('node:zlib');
  const dir = mkdtempSync(path.join(tmpdir(), 'hotpath-longline-'));
  try {
    const file = path.join(dir, 'longline.gz');
    writeFileSync(file, gzipSync(Buffer.alloc(536_870_900, 0x61), { level: 9 }));
    const r = hotpath(['-top', file]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^hotpath: not a profile \(unrecognized format\): line 1 is longer than 65536 bytes[^\n]*\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a catastrophic regex finishes (RE2, not backtracking)', async () => {
  // `(a+)+$` against 40 a's and a '!' is 2^40 steps for a backtracking engine (hours), one linear
  // pass for RE2: finishing before the hang guard is the proof.
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(path.join(tmpdir(), 'hotpath-regex-'));
  try {
    const folded = path.join(dir, 'evil.folded');
    writeFileSync(folded, `main;${'a'.repeat(40)}! 3\nmain;aaa 1\n`);
    const r = hotpath(['-top', '-focus=(a+)+$', folded]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Showing nodes accounting for 1, 25.00% of 4 total\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stdin as "-" and -output FILE give the same bytes as a file argument', async () => {
  const { readFileSync, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const profile = path.join(CORPUS, 'profiles/shopd/heap.b.pb.gz');
  const byFile = hotpath(['-top', profile]).stdout;
  const r = spawnSync(process.execPath, [BIN, '-top', '-'], { input: readFileSync(profile), encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, timeout: HANG_GUARD_MS });
  assert.equal(r.stdout, byFile);
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'hotpath-')), 'top.txt');
  assert.equal(hotpath(['--top', `--output=${out}`, profile]).code, 0);
  assert.equal(readFileSync(out, 'utf8'), byFile);
});

test('the limits are flags: past one, one line naming the flag that raises it, exit 1; a bad value is a usage error', () => {
  const cpu = path.join(CORPUS, 'profiles/shopd/cpu.pb.gz');
  const over = hotpath(['-top', '-max_samples=10', cpu]);
  assert.equal(over.code, 1);
  assert.equal(over.stderr, 'hotpath: profile has more than 10 samples; raise the limit with -max_samples=N\n');
  const report = hotpath(['-traces', '-max_output_chars=1000', cpu]);
  assert.equal(report.code, 1);
  assert.match(report.stderr, /^hotpath: the report would be more than 1000 characters;.*-max_output_chars=N\n$/);
  assert.equal(hotpath(['-top', '-max_samples=100000', cpu]).code, 0);
  const bad = hotpath(['-top', '-max_samples=lots', cpu]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /-max_samples takes a whole number/);
  assert.equal(hotpath(['-top', '-max_sources_bytes=1', cpu]).code, 2, 'the service\'s archive limits are not CLI flags');
});
