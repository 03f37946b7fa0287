/**
 * The demangler under hostile names: random strings in the manglings' alphabets, and real names
 * (names.tsv) with text edits. Always a string back, never an exception, never a slow run; a name
 * that does not demangle comes back as it is; demangling is deterministic. Seeded (support.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { demangle, type DemangleMode } from '../../src/profile/demangle/index.cjs';
import { applyTextEdits, textEdits } from './mutate.js';
import { FIXTURES, LONG_RUN, Tally, fuzzParams, timed } from './support.js';

/** Per name: the budget (100,000 steps, depth 400, 64 KiB out) keeps the worst under ~100 ms. */
const RUN_LIMIT_MS = 500;
const TEST_TIMEOUT = LONG_RUN ? Infinity : 60_000;
const MODES: DemangleMode[] = ['default', 'templates', 'full', 'none'];

const REAL = readFileSync(join(FIXTURES, 'demangle/names.tsv'), 'utf8').split('\n')
  .filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split('\t')[0]!);

function check(name: string, tally: Tally): void {
  for (const mode of MODES) {
    const out = timed(RUN_LIMIT_MS, `demangling ${name.length} chars (${mode})`, () => demangle(name, mode));
    assert.equal(typeof out, 'string');
    assert.equal(demangle(name, mode), out, 'deterministic');
    tally.add(out === name ? 'kept' : 'demangled');
  }
}

/** Itanium and Rust v0 symbols: the prefixes, then the letters the grammars use, heavy on the recursive ones. */
const mangled = fc.tuple(
  fc.constantFrom('_Z', '_ZN', '_ZNK', '_ZZ', '_ZT', '_ZGV', '___Z', '_GLOBAL__I_', '_R', '_RNv', '_RINv', '_RNvM'),
  fc.array(fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...'NIESTPRKVLXZDFMAJCUlptdvyiS_0123456789'.split('')) },
    { weight: 3, arbitrary: fc.constantFrom('S_', 'S0_', 'T_', 'T0_', 'St', 'Sa', 'IiE', '3foo', '1a', 'Ul', 'Ut_', 'Dp', 'DT', 'sr', 'fp_', 'B_', 'B0_', 'Cs1_', 'Nv', 'C3std', '17h0123456789abcdefE', '.cold', '_block_invoke', 'u3é') },
    { weight: 1, arbitrary: fc.string({ maxLength: 3 }) },
  ), { maxLength: 120 }).map((parts) => parts.join('')),
).map(([prefix, rest]) => prefix + rest);

test('random mangled-looking names: a string back, deterministic, fast', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  fc.assert(fc.property(mangled, (name) => check(name, tally)), fuzzParams(400));
  console.log(tally.summary('demangle random'));
});

test('real names with edits: a string back, deterministic, fast', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  fc.assert(fc.property(fc.constantFrom(...REAL), textEdits, (name, edits) => check(applyTextEdits(name, edits), tally)), fuzzParams(300));
  console.log(tally.summary('demangle mutated'));
});

test('names repeated into long ones stay within the bounds', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  fc.assert(fc.property(fc.constantFrom(...REAL), fc.integer({ min: 2, max: 60 }), (name, n) => {
    // The body of a real name repeated: deep nesting, long back-reference chains.
    check(name.slice(0, 3) + name.slice(3).repeat(n), tally);
  }), fuzzParams(60));
  console.log(tally.summary('demangle repeated'));
});
