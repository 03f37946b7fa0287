import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { loadProfile, readProfile, type LoadOptions } from '../../src/profile/load.js';
import { produceReport } from '../../src/reports.js';
import { parseOptions, parseSymbolize } from '../../src/options.js';
import { ProfileError, TooLargeError } from '../../src/errors.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
const GOPROF = join(FIXTURES, 'corpus/profiles/goprof');

function report(bytes: Uint8Array, format: 'top' | 'raw' | 'traces', raw: Record<string, string> = {}): string {
  const options = parseOptions(raw);
  const { profile } = loadProfile(bytes, { symbolize: options.symbolize });
  return produceReport(profile, format, options, { timeZone: 'UTC' }).text;
}

/** The column's total over the samples, read with or without the # lines. */
function sum(bytes: Uint8Array, type: string, symbolize: string): number {
  const { profile } = loadProfile(bytes, { symbolize });
  const i = profile.sampleTypes.findIndex((t) => t.type === type);
  return profile.samples.reduce((a, s) => a + s.values[i]!, 0);
}
const names = (top: string) => top.split('\n').filter((l) => /^\s+\S+\s+\S+%/.test(l)).map((l) => l.replace(/^(\s+\S+){5}\s+/, '')).sort();

test('every legacy parser: -raw -symbolize=none is pprof\'s, byte for byte', () => {
  const dir = join(FIXTURES, 'legacy');
  const inputs = readdirSync(dir).filter((f) => f.endsWith('.txt'));
  assert.ok(inputs.length >= 6);
  for (const f of inputs) {
    const want = readFileSync(join(dir, f.replace(/\.txt$/, '.raw')), 'utf8');
    assert.equal(report(readFileSync(join(dir, f)), 'raw', { symbolize: 'none' }), want, f);
    // gzip'd, as pprof also reads them
    assert.equal(report(gzipSync(readFileSync(join(dir, f))), 'raw', { symbolize: 'none' }), want, `${f}.gz`);
  }
});

test('?debug=1 texts read with the names of their # lines, as the profile.proto of the same moment', () => {
  for (const [name, sampleIndex] of [['heap', 'inuse_space'], ['allocs', 'alloc_space'], ['block', 'delay'], ['mutex', 'delay']] as const) {
    const text = readFileSync(join(GOPROF, `${name}.debug1.txt`));
    const got = report(text, 'top', { sample_index: sampleIndex, nodefraction: '0' });
    const proto = report(readFileSync(join(GOPROF, `${name}.c.pb.gz`)), 'top', { sample_index: sampleIndex, nodefraction: '0' });
    assert.doesNotMatch(got, /<unknown>/, name);
    // The proto was written a moment later: the same functions, values close.
    assert.deepEqual(names(got), names(proto), name);
    // Without the # lines: the same total as pprof's reading (its goldens).
    assert.equal(sum(text, sampleIndex, ''), sum(text, sampleIndex, 'none'), name);
    assert.match(report(text, 'top', { symbolize: 'none' }), /<unknown>/);
  }
  const mutex = report(readFileSync(join(GOPROF, 'mutex.debug1.txt')), 'traces');
  assert.match(mutex, /sync\.\(\*Mutex\)\.Unlock \(inline\)\n\s+main\.contend\.func1\n/);
});

test('threadcreate?debug=1 reads (pprof cannot): a count profile, not folded stacks', () => {
  const text = readFileSync(join(GOPROF, 'threadcreate.debug1.txt'));
  assert.equal(readProfile(text).kind, 'legacy');
  for (const symbolize of ['', 'none']) {
    const top = report(text, 'top', symbolize ? { symbolize } : {});
    assert.match(top, /^Type: threadcreate\nShowing nodes accounting for 0, 0% of 5 total\n/);
  }
});

test('goroutine debug=1 keeps its reader (symbols, labels); -symbolize=none reads it as pprof does', () => {
  const text = readFileSync(join(FIXTURES, 'corpus/profiles/shopd/goroutine.b.debug1.txt'));
  assert.equal(readProfile(text).kind, 'goroutine-dump');
  assert.equal(readProfile(text, { symbolize: 'none' }).kind, 'legacy');
  assert.equal(readProfile(gzipSync(text)).kind, 'legacy');
  assert.match(report(gzipSync(text), 'top'), /sessions\.\(\*Store\)\.Watch/);
});

test('ids near 2^64: -raw and -top equal pprof\'s', () => {
  const bytes = readFileSync(join(FIXTURES, 'ids/big-ids.pb'));
  assert.equal(report(bytes, 'raw'), readFileSync(join(FIXTURES, 'ids/big-ids.raw.txt'), 'utf8'));
});

test('-symbolize: pprof\'s modes, `:` or `,` separated; none ends the list', () => {
  assert.deepEqual(parseSymbolize(undefined), { none: false, demangle: undefined, force: false });
  assert.deepEqual(parseSymbolize('none'), { none: true, demangle: undefined, force: false });
  assert.deepEqual(parseSymbolize('local:force,demangle=full'), { none: false, demangle: 'full', force: true });
  assert.deepEqual(parseSymbolize('demangle=templates:none'), { none: true, demangle: undefined, force: false });
  assert.throws(() => parseOptions({ symbolize: 'bogus' }), /symbolize: unknown mode "bogus"/);
  // none also skips pprof's demangling heuristic
  const s1 = readFileSync(join(FIXTURES, 'spec/synthetic/s1.pb.gz'));
  assert.match(report(s1, 'top'), / ::Helper::run\n/);
  assert.match(report(s1, 'top', { symbolize: 'none' }), / \(anonymous namespace\)::Helper::run\n/);
});

/** A ProfileError whose message matches. */
function refused(text: string | Uint8Array, message: RegExp, code = 'malformed'): void {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  assert.throws(() => loadProfile(bytes), (e: unknown) => e instanceof ProfileError && e.code === code && message.test(e.message), String(message));
}

test('bad legacy input: a clear error naming the line, never a crash', () => {
  refused('heap profile: 1: 2 [3: 4] @ heap/1048576\n1: 2 [3: 4] @ 0x1\nnot a sample\n', /^heap profile line 3: expected "N: BYTES/);
  refused('heap profile: 1: 2 [3: 4] @ heap/1048576\n0: 2 [3: 4] @ 0x1\n', /^heap profile line 2: inuse count was 0 but inuse bytes was 2/);
  refused('heap profile: 1: 2 [3: 4] @ heap/1048576\n1: 99999999999999999999 [1: 4] @ 0x1\n', /^heap profile line 2: malformed sample/);
  refused('heap profile: 1: 2 [3: 4] @ heap_v2/1\n1: 9007199254740993 [1: 4] @ 0x1\n', /^heap profile line 2: value overflow/, 'overflow');
  refused('--- mutex:\ncycles/second=1000\nx @ 0x1\n', /^mutex profile line 3: expected "CYCLES COUNT/);
  refused('threadcreate profile: total 1\n1 @ 0x1 junk\n', /^threadcreate profile line 2: expected "COUNT @ 0xPC/);
  refused('--- contention:\ncycles/second=1\n1 1 @ 0x10000000000000000\n', /^contention profile line 3: an address beyond 64 bits/);
  // a # line that matches none of the stack's addresses
  refused('heap profile: 1: 2 [1: 2] @ heap/2\n1: 2 [1: 2] @ 0x10\n#\t0x99\tmain.f+0x1\tf.go:1\n', /^heap profile line 3: frame pc 0x99 is not in the stack on line 2/);
  // Unknown text: the protobuf error, as pprof's "unrecognized profile format"
  refused('--- weird:\n', /^not a profile/, 'unrecognized');
});

test('hostile legacy input stays bounded: sizes from headers are checked against the data', () => {
  // gperftools header, then a sample claiming 2^31 frames in 16 bytes
  const cpu = new Uint8Array(48);
  const v = new DataView(cpu.buffer);
  v.setUint32(4, 3, true); v.setUint32(12, 10000, true);
  v.setUint32(20, 1, true); v.setUint32(24, 0x80000000, true);
  refused(cpu, /^not a profile/, 'unrecognized');
  // a memory map of many entries against many addresses: refused, not matched for minutes
  // (in samples of 4,000 addresses: a line is at most 64 KiB, as for pprof)
  const addrs = Array.from({ length: 5 }, (_, s) => Array.from({ length: 4000 }, (_, i) => `0x${(0x100000 + (s * 4000 + i) * 16).toString(16)}`).join(' '));
  const maps = Array.from({ length: 4000 }, (_, i) => `${(0x10000000 + i * 0x2000).toString(16)}-${(0x10001000 + i * 0x2000).toString(16)} r-xp 00000000 08:01 1 /lib${i}.so`).join('\n');
  const started = performance.now();
  refused(`heap profile: 1: 2 [1: 2] @ heapprofile\n${addrs.map((a) => `1: 2 [1: 2] @ ${a}\n`).join('')}MAPPED_LIBRARIES:\n${maps}\n`, /too many to match/);
  assert.ok(performance.now() - started < 5000);
  // a long line of blanks and digits: linear regexps (RE2), not a backtracking stall
  const line = '1'.repeat(200_000) + ' '.repeat(200_000);
  const t0 = performance.now();
  assert.throws(() => loadProfile(Buffer.from(`--- contention:\n${line}x\n`)));
  assert.ok(performance.now() - t0 < 3000, `${performance.now() - t0} ms`);
});

/** A TooLargeError past the named budget (its flag name). */
function overBudget(bytes: Uint8Array, limits: LoadOptions, limitName: string, message: RegExp): void {
  assert.throws(() => loadProfile(bytes, limits), (e: unknown) => {
    assert.ok(e instanceof TooLargeError, String(e));
    assert.equal(e.limitName, limitName);
    assert.match(e.message, message);
    return true;
  });
}

test('legacy profiles are budgeted as they are read: refused at the sample past the budget, not after the whole parse', () => {
  // Each input ends with a line that does not parse: a parse checked only at its end fails there instead.
  const heap = 'heap profile: 3: 6 [3: 6] @ heap/2\n1: 2 [1: 2] @ 0x10\n1: 2 [1: 2] @ 0x20\n1: 2 [1: 2] @ 0x30\nnot a sample\n';
  overBudget(Buffer.from(heap), { maxSamples: 2 }, 'max_samples', /more than 2 samples/);
  const mutex = '--- mutex:\ncycles/second=1000\n1 1 @ 0x10 0x20 0x30\nx @ 0x1\n';
  overBudget(Buffer.from(mutex), { maxStackDepth: 2 }, 'max_stack_depth', /more than 2 frames/);
  const threads = '--- Thread 1 (name: main/1) stack: ---\n  PC: 0x10 0x20 0x30\n--- Thread 2 (name: main/2) stack: ---\n  PC: 0x10\n0x1\n';
  overBudget(Buffer.from(threads), { maxStackDepth: 2 }, 'max_stack_depth', /more than 2 frames/);
  // `#` frame lines count as frames as they are read: 3 of them, then a stray line
  const named = 'heap profile: 1: 2 [1: 2] @ heap/2\n1: 2 [1: 2] @ 0x10\n#\t0xf\tmain.a+0x1\ta.go:1\n#\t0xf\tmain.b+0x1\ta.go:2\n#\t0xf\tmain.c+0x1\ta.go:3\nnot a sample\n';
  overBudget(Buffer.from(named), { maxFrames: 2 }, 'max_frames', /more than 2 frames in all/);
  // gperftools' binary CPU profile: a stack deeper than the budget is refused before it is read
  const words = [0, 3, 0, 10000, 0, /* sample */ 1, 3, 0x10, 0x20, 0x30, /* corrupt: depth past the data */ 1, 1000];
  const cpu = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(cpu.buffer).setUint32(i * 4, w, true));
  overBudget(cpu, { maxStackDepth: 2 }, 'max_stack_depth', /more than 2 frames/);
  // a memory map's entries are entries of a table like any other
  const maps = Array.from({ length: 20 }, (_, i) => `${(0x10000000 + i * 0x2000).toString(16)}-${(0x10001000 + i * 0x2000).toString(16)} r-xp 00000000 08:01 1 /lib${i}.so`).join('\n');
  overBudget(Buffer.from(`heap profile: 1: 2 [1: 2] @ heap/2\n1: 2 [1: 2] @ 0x10\nMAPPED_LIBRARIES:\n${maps}\n`), { maxEntries: 19 }, 'max_entries', /more than 19 memory map entries/);
});

test('a gzip\'d goroutine debug=1 text goes straight to its reader, budgeted as it is read', () => {
  // Two stacks over a budget of one, then a line pprof's count parser would refuse before any budget.
  const text = 'goroutine profile: total 3\n2 @ 0x10 0x20\n#\t0xf\tmain.a+0x1\ta.go:1\n\n1 @ 0x30\n#\t0x2f\tmain.b+0x1\tb.go:1\n\n1 @ 0xZZ\n';
  overBudget(gzipSync(text), { maxSamples: 1 }, 'max_samples', /more than 1 samples/);
});

test('a line longer than pprof\'s scanners read is refused before it is decoded, naming the line', () => {
  refused(`heap profile: 1: 2 [1: 2] @ heap/2\n1: 2 [1: 2] @ ${'0x10 '.repeat(14_000)}\n`, /^heap profile line 2: longer than 65536 bytes/);
  refused(`${'x'.repeat(70_000)}\n`, /^not a profile \(unrecognized format\): line 1 is longer than 65536 bytes/, 'unrecognized');
  refused(`--- heapz 1 ---\nformat = java\nresolution = bytes\n${'1'.repeat(70_000)}\n`, /^Java heap profile line 4: longer than 65536 bytes/);
});
