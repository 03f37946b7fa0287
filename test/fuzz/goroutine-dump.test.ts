/**
 * parseGoroutineDump under hostile text: a Profile that keeps the model's invariants, or a
 * ProfileError that names a line of the input (1 ≤ line ≤ the input's line count, and the
 * message says the same line). Never another exception, never a slow run. Generated well-formed
 * dumps must parse, one sample per goroutine (debug=2) or per stack (debug=1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { parseGoroutineDump } from '../../src/profile/goroutine-dump.js';
import { ProfileError } from '../../src/errors.js';
import type { Profile } from '../../src/profile/model.js';
import { applyTextEdits, textEdits } from './mutate.js';
import { FUZZ_FIXTURES, LONG_RUN, SHOPD, Tally, assertProfileInvariants, fuzzParams, lineCount, listFiles, outcomeOf, timed } from './support.js';

const RUN_LIMIT_MS = 1000;
const TEST_TIMEOUT = LONG_RUN ? Infinity : 60_000;
const DUMPS = [...listFiles(SHOPD, '.debug1.txt'), ...listFiles(SHOPD, '.debug2.txt')].map((f) => readFileSync(f, 'utf8'));

function parseChecked(text: string, tally: Tally): Profile | undefined {
  const r = outcomeOf(() => timed(RUN_LIMIT_MS, `parsing ${text.length} chars`, () => parseGoroutineDump(text)), [ProfileError]);
  if (r.error instanceof ProfileError) {
    const e = r.error;
    assert.ok(e.code === 'malformed' || e.code === 'overflow', `code ${e.code}`);
    assert.equal(e.field, 'goroutine dump line');
    const lines = lineCount(text);
    assert.ok(Number.isSafeInteger(e.index) && e.index! >= 1 && e.index! <= lines, `line ${e.index} within 1..${lines}: ${e.message}`);
    assert.match(e.message, new RegExp(`^goroutine dump line ${e.index}: `));
    tally.add(e.code);
    return undefined;
  }
  assertProfileInvariants(r.value!);
  tally.add('profile');
  return r.value;
}

// ---------------------------------------------------------------------------------------------
// Generated dumps, well-formed by construction

const funcName = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9]{0,6}(\/[a-z][a-z0-9]{0,5}){0,2}\.(\(\*[A-Z][a-zA-Z]{0,4}\)\.)?[A-Za-z][A-Za-z0-9]{0,6}(\.func[1-9])?$/),
  fc.constantFrom('main.main', 'runtime.gopark', 'sync.(*WaitGroup).Wait', 'main.(*T[...]).M', 'σ.ƒ', 'main.<script>', 'type:.eq.struct { a int }'),
);
const fileName = fc.stringMatching(/^[a-z][a-z0-9_/]{0,12}\.go$/);
const lineNo = fc.integer({ min: 1, max: 100_000 });
const hex = (n: number | bigint) => `0x${n.toString(16)}`;

const debug2Frame = fc.record({
  name: funcName,
  args: fc.constantFrom('', '0x0', '0xc000012050, 0x1?', '{0x516880, 0xc000012050}', '...'),
  file: fileName,
  line: lineNo,
  offset: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
});
const goroutine = fc.record({
  id: fc.nat({ max: 1_000_000 }),
  state: fc.constantFrom('running', 'chan receive', 'select', 'IO wait', 'semacquire', 'sleep', 'sync.Mutex.Lock', 'runnable', 'syscall', 'chan send (scan)'),
  minutes: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }),
  locked: fc.boolean(),
  frames: fc.array(debug2Frame, { minLength: 1, maxLength: 6 }),
  createdBy: fc.option(fc.record({ name: funcName, inGoroutine: fc.option(fc.nat(1000), { nil: undefined }), file: fileName, line: lineNo }), { nil: undefined }),
});

interface Generated {
  text: string;
  /** one per sample, in order: its value and (debug=2) state label */
  samples: { value: number; state?: string }[];
}

const debug2Dump: fc.Arbitrary<Generated> = fc.array(goroutine, { minLength: 1, maxLength: 8 }).map((gs) => {
  let text = '';
  for (const g of gs) {
    const notes = [g.state, ...(g.minutes ? [`${g.minutes} minutes`] : []), ...(g.locked ? ['locked to thread'] : [])];
    text += `goroutine ${g.id} [${notes.join(', ')}]:\n`;
    for (const f of g.frames) {
      // an inlined frame is printed with (...) and no offset
      const offset = f.offset === undefined ? (f.args === '...' ? '' : ' +0x1') : ` +${hex(f.offset)}`;
      text += `${f.name}(${f.args})\n\t${f.file}:${f.line}${offset}\n`;
    }
    if (g.createdBy) {
      const c = g.createdBy;
      text += `created by ${c.name}${c.inGoroutine === undefined ? '' : ` in goroutine ${c.inGoroutine}`}\n\t${c.file}:${c.line} +0x2e5\n`;
    }
    text += '\n';
  }
  return { text, samples: gs.map((g) => ({ value: 1, state: g.state.replace(/ \(scan\)$/, '') })) };
});

const debug1Stack = fc.record({
  count: fc.integer({ min: 1, max: 10_000 }),
  frames: fc.array(fc.record({ name: funcName, file: fileName, line: lineNo, offset: fc.integer({ min: 1, max: 0xfff }) }), { maxLength: 6 }),
  hidden: fc.nat(2),
  labels: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { minKeys: 1, maxKeys: 3 }), { nil: undefined }),
});

const debug1Dump: fc.Arbitrary<Generated> = fc.array(debug1Stack, { minLength: 1, maxLength: 6 }).map((stacks) => {
  let text = `goroutine profile: total ${stacks.reduce((n, s) => n + s.count, 0)}\n`;
  let pc = 0x400000;
  for (const s of stacks) {
    // `hidden` runtime frames at the leaf have an address but no # line, as the runtime prints them
    const addresses = Array.from({ length: s.hidden + s.frames.length + 1 }, () => (pc += 0x1000));
    text += `${s.count} @ ${addresses.map(hex).join(' ')}\n`;
    if (s.labels) text += `# labels: {${Object.entries(s.labels).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}\n`;
    s.frames.forEach((f, i) => {
      text += `#\t${hex(addresses[s.hidden + i]! - 1)}\t${f.name}+${hex(f.offset)}\t\t${f.file}:${f.line}\n`;
    });
    text += '\n';
  }
  return { text, samples: stacks.map((s) => ({ value: s.count })) };
});

test('fuzz parseGoroutineDump: generated well-formed dumps parse, one sample per goroutine or stack', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  fc.assert(
    fc.property(fc.oneof(debug1Dump, debug2Dump), ({ text, samples }) => {
      const p = parseChecked(text, tally);
      assert.ok(p, 'a well-formed dump parses');
      assert.deepEqual(p.samples.map((s) => s.values), samples.map((s) => [s.value]));
      for (const [i, s] of samples.entries()) if (s.state !== undefined) assert.deepEqual(p.samples[i]!.labels?.['state'], [s.state]);
    }),
    fuzzParams(2000),
  );
  console.log(tally.summary('parseGoroutineDump, generated dumps'));
});

test('fuzz parseGoroutineDump: mutated generated dumps', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  fc.assert(
    fc.property(fc.oneof(debug1Dump, debug2Dump), textEdits, ({ text }, edits) => void parseChecked(applyTextEdits(text, edits), tally)),
    fuzzParams(3000),
  );
  console.log(tally.summary('parseGoroutineDump, mutated generated dumps'));
});

test('fuzz parseGoroutineDump: mutated real dumps', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  fc.assert(
    fc.property(fc.nat(), textEdits, (file, edits) => void parseChecked(applyTextEdits(DUMPS[file % DUMPS.length]!, edits), tally)),
    fuzzParams(3000),
  );
  console.log(tally.summary('parseGoroutineDump, mutated real dumps'));
  assert.ok(tally.get('profile') > 0, 'some mutated dumps still parse');
});

test('fuzz parseGoroutineDump: arbitrary text after a dump header', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  const header = fc.constantFrom('goroutine profile: total 1\n', 'goroutine 1 [running]:\n', 'panic: boom\n\ngoroutine 1 [running]:\n', '\ufeffgoroutine 1 [x]:\n', '');
  const body = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 100 }), fc.array(fc.constantFrom('\n', '\t', '(', ')', ':', '+0x1', ' ', 'created by ', 'a.b', '1', '#', '@', '0x1'), { maxLength: 60 }).map((a) => a.join('')));
  fc.assert(fc.property(header, body, (h, b) => void parseChecked(h + b, tally)), fuzzParams(3000));
  console.log(tally.summary('parseGoroutineDump, arbitrary text'));
});

/**
 * One debug=1 stack of n addresses and n `#` frames (a few MB, as a server accepts), shaped to
 * reach the pairing code's worst cases: frames matching no address, every frame an inline mark
 * folded into the one before, one address repeated n times, plain one-to-one frames.
 */
const SHAPES = ['unmatched', 'inlined', 'repeated', 'matched'] as const;
const largeDebug1Spec = fc.record({ n: fc.integer({ min: 20_000, max: 150_000 }), shape: fc.constantFrom(...SHAPES) });

function largeDebug1({ n, shape }: { n: number; shape: (typeof SHAPES)[number] }): string {
  const entry = 0x400000;
  const pcOf = (i: number) => (shape === 'repeated' ? entry + 0x10 : shape === 'unmatched' ? 0x300000 + i : entry + 0x10 + i * 16);
  const addresses = Array.from({ length: n }, (_, i) => hex((shape === 'unmatched' ? entry + i * 16 : pcOf(i)) + 1)).join(' ');
  const frames = Array.from({ length: n }, (_, i) => {
    const pc = pcOf(i);
    // inlined: one entry (pc − offset) for all, distinct names
    const offset = shape === 'inlined' || shape === 'repeated' ? pc - entry : 0x10;
    return `#\t${hex(pc)}\tmain.f${i}+${hex(offset)}\tmain.go:${i + 1}\n`;
  }).join('');
  return `goroutine profile: total 1\n1 @ ${addresses}\n${frames}`;
}

test('fuzz parseGoroutineDump: large stacks parse', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  fc.assert(fc.property(largeDebug1Spec, (spec) => {
    const r = outcomeOf(() => parseGoroutineDump(largeDebug1(spec)), [ProfileError]);
    tally.add(r.error ? 'error' : 'profile');
    assert.ok(r.value, `a large well-formed stack parses: ${r.error?.message}`);
  }), {
    // every shape at the largest size first (these are the 4 runs of `npm test`), then random ones
    ...fuzzParams<[{ n: number; shape: (typeof SHAPES)[number] }]>(SHAPES.length, 1 / 5000),
    examples: SHAPES.map((shape) => [{ n: 150_000, shape }] as [{ n: number; shape: (typeof SHAPES)[number] }]),
  });
  console.log(tally.summary('parseGoroutineDump, large stacks'));
});

test('parseGoroutineDump: time grows linearly with the stack, in every shape', { timeout: TEST_TIMEOUT }, () => {
  // Compared with itself on one machine, not with a clock: 8× the frames may take 8× the time; the
  // quadratic scan this guards against took 64×. The best of three runs per size keeps a busy
  // neighbour's spikes out, and the bound (24×) leaves room for a loaded machine either way.
  const bestOf3 = (text: string) => Math.min(...[0, 1, 2].map(() => {
    const start = performance.now();
    parseGoroutineDump(text);
    return performance.now() - start;
  }));
  for (const shape of SHAPES) {
    const small = bestOf3(largeDebug1({ n: 10_000, shape }));
    const large = bestOf3(largeDebug1({ n: 80_000, shape }));
    assert.ok(large < 24 * Math.max(small, 1), `${shape}: 10k frames ${small.toFixed(1)} ms, 80k frames ${large.toFixed(1)} ms`);
  }
});

// Inputs the fuzzer found, kept as fixtures, and the answer each must now get.
const FOUND = join(FUZZ_FIXTURES, 'goroutine-dump');
// Found: numbers were taken with Number()/BigInt() as they came, so 400 digits made a line number
// Infinity, 20 digits a count that is not exact, and 17 hex digits an address beyond uint64.
const REGRESSIONS: Record<string, { expect: 'malformed' | 'overflow' | 'profile'; line?: number }> = {
  'debug2-line-number-400-digits.txt': { expect: 'overflow', line: 3 },
  'debug2-wait-minutes-beyond-2p53.txt': { expect: 'overflow', line: 1 },
  'debug1-count-beyond-2p53.txt': { expect: 'overflow', line: 2 },
  'debug1-counts-sum-beyond-2p53.txt': { expect: 'overflow', line: 4 },
  'debug1-address-beyond-64-bits.txt': { expect: 'overflow', line: 2 },
  'debug1-frame-line-number-400-digits.txt': { expect: 'overflow', line: 3 },
  // Math.max(...folded) with 150 K inline marks as arguments: RangeError (call stack exceeded).
  'debug1-150k-inline-marks.txt.gz': { expect: 'profile' },
  // every `#` frame scanned the rest of the `@` line: quadratic, 3.3 s for this 1.2 MB dump
  'debug1-30k-frames-matching-no-address.txt.gz': { expect: 'profile' },
};

test('fuzz regressions: every fixture in test/fixtures/fuzz/goroutine-dump has an expectation', () => {
  assert.deepEqual(readdirSync(FOUND).sort(), Object.keys(REGRESSIONS).sort());
});

for (const [file, { expect, line }] of Object.entries(REGRESSIONS)) {
  test(`fuzz regression: parseGoroutineDump ${file} → ${expect}`, () => {
    const bytes = readFileSync(join(FOUND, file));
    const text = (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
    const r = outcomeOf(() => timed(2000, file, () => parseGoroutineDump(text)), [ProfileError]);
    if (expect === 'profile') return assertProfileInvariants(r.value!);
    assert.ok(r.error instanceof ProfileError, 'a ProfileError');
    assert.equal(r.error.code, expect, r.error.message);
    assert.equal(r.error.index, line, r.error.message);
  });
}
