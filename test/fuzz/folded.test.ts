/**
 * parseFolded under hostile text: a Profile that keeps the model's invariants, or a ProfileError
 * whose message names a line of the input (`folded line N:`, 1 ≤ N ≤ the input's line count;
 * only "no stack lines at all" names none). Never another exception, never a slow run.
 * Generated well-formed input must parse into exactly its stacks and counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseFolded } from '../../src/profile/folded.js';
import { ProfileError } from '../../src/errors.js';
import type { Profile } from '../../src/profile/model.js';
import { applyTextEdits, textEdits } from './mutate.js';
import { FIXTURES, FUZZ_FIXTURES, LONG_RUN, Tally, assertProfileInvariants, fuzzParams, lineCount, outcomeOf, timed } from './support.js';

/**
 * Inputs reach ~100 K characters (long blank runs); a linear parse of that takes a few ms, the
 * quadratic trailing-blank regex this once had took 0.9 s at 40 K blanks and ~6 s at 100 K.
 */
const RUN_LIMIT_MS = 1000;
const TEST_TIMEOUT = LONG_RUN ? Infinity : 60_000;
const REAL = readFileSync(join(FIXTURES, 'corpus/profiles/folded/shopd.cpu.folded'), 'utf8');

function parseChecked(text: string, tally: Tally): Profile | undefined {
  const r = outcomeOf(() => timed(RUN_LIMIT_MS, `parsing ${text.length} chars`, () => parseFolded(text)), [ProfileError]);
  if (r.error instanceof ProfileError) {
    const e = r.error;
    assert.ok(['malformed', 'overflow', 'empty'].includes(e.code), `code ${e.code}`);
    if (e.code !== 'empty') {
      const m = /^folded line (\d+): /.exec(e.message);
      assert.ok(m, `the message names a line: ${e.message}`);
      const line = Number(m[1]);
      const lines = lineCount(text);
      assert.ok(line >= 1 && line <= lines, `line ${line} within 1..${lines}`);
    }
    tally.add(e.code);
    return undefined;
  }
  assertProfileInvariants(r.value!);
  tally.add('profile');
  return r.value;
}

/** a frame name as folded files carry them: anything but `;` and line breaks, not blank at the end */
const frame = fc.oneof(
  fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_./()*\[\] -]{0,20}[a-zA-Z0-9_)\]]$/),
  fc.constantFrom('main.main', '<script>alert(1)</script>', 'a"b', 'σ∂ƒ', '😀', '[unknown]', 'java/lang/Thread.run', 'x 12', '__proto__', '-->'),
);
const count = fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 0, max: 1_000_000 }) }, { weight: 1, arbitrary: fc.integer({ min: -1000, max: -1 }) });
const stackLine = fc.record({ frames: fc.array(frame, { minLength: 1, maxLength: 8 }), count });
const folded = fc.record({
  stacks: fc.array(stackLine, { minLength: 1, maxLength: 20 }),
  eol: fc.constantFrom('\n', '\r\n'),
  blankLines: fc.boolean(),
}).map(({ stacks, eol, blankLines }) => ({
  stacks,
  text: stacks.map((s) => `${s.frames.join(';')} ${s.count}`).join(blankLines ? `${eol}${eol}` : eol) + eol,
}));

test('fuzz parseFolded: generated well-formed input parses into its stacks and counts', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  fc.assert(
    fc.property(folded, ({ stacks, text }) => {
      const p = parseChecked(text, tally);
      assert.ok(p, 'well-formed folded text parses');
      assert.deepEqual(
        p.samples.map((s) => [s.locations.map((l) => l.lines[0]!.function.name).reverse(), s.values[0]]),
        stacks.map((s) => [s.frames, s.count]),
      );
    }),
    fuzzParams(2000),
  );
  console.log(tally.summary('parseFolded, generated input'));
});

test('fuzz parseFolded: mutated real and generated input', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  const source = fc.oneof(fc.constant(REAL), folded.map((f) => f.text));
  fc.assert(fc.property(source, textEdits, (text, edits) => void parseChecked(applyTextEdits(text, edits), tally)), fuzzParams(3000));
  console.log(tally.summary('parseFolded, mutated input'));
});

test('fuzz parseFolded: arbitrary text, and long runs of blanks', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  const blanks = fc.record({
    unit: fc.constantFrom(' ', '\t', '\r', ' \t', '\t\r '),
    repeat: fc.integer({ min: 1, max: 100_000 }),
    before: fc.constantFrom('a', 'a;b', ''),
    after: fc.constantFrom('x 1', '1', ' 1', ''),
  }).map(({ unit, repeat, before, after }) => before + unit.repeat(repeat) + after);
  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.array(fc.constantFrom('a', ';', ' ', '1', '-', '\n', '\r', '\t', '0', '9'.repeat(20), 'é'), { maxLength: 80 }).map((a) => a.join('')),
    blanks,
  );
  fc.assert(fc.property(text, (t) => void parseChecked(t, tally)), fuzzParams(3000));
  console.log(tally.summary('parseFolded, arbitrary text'));
});

// Inputs the fuzzer found, kept as fixtures, and the answer each must now get.
const FOUND = join(FUZZ_FIXTURES, 'folded');
const REGRESSIONS: Record<string, { expect: 'malformed' | 'overflow' | 'empty' | 'profile' }> = {
  // /[ \t\r]+$/ backtracked over the 100 K blanks at every one of them: quadratic, ~6 s.
  'blank-run-100k-inside-line.folded': { expect: 'profile' },
};

test('fuzz regressions: every fixture in test/fixtures/fuzz/folded has an expectation', () => {
  assert.deepEqual(readdirSync(FOUND).sort(), Object.keys(REGRESSIONS).sort());
});

for (const [file, { expect }] of Object.entries(REGRESSIONS)) {
  test(`fuzz regression: parseFolded ${file} → ${expect}`, () => {
    const text = readFileSync(join(FOUND, file), 'utf8');
    const r = outcomeOf(() => timed(RUN_LIMIT_MS, file, () => parseFolded(text)), [ProfileError]);
    if (expect === 'profile') return assertProfileInvariants(r.value!);
    assert.ok(r.error instanceof ProfileError, 'a ProfileError');
    assert.equal(r.error.code, expect, r.error.message);
  });
}
