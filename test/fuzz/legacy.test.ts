/**
 * pprof's legacy formats (src/profile/legacy/) under hostile input, through the loader as an upload
 * reaches them, with and without -symbolize=none: a Profile that keeps the model's invariants, or a
 * ProfileError (a text's names its line) or TooLargeError. Never another exception, never a slow run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { readProfile } from '../../src/profile/load.js';
import { ProfileError, TooLargeError } from '../../src/errors.js';
import { applyByteEdits, applyTextEdits, byteEdits, textEdits } from './mutate.js';
import { FIXTURES, LONG_RUN, Tally, assertProfileInvariants, fuzzParams, listFiles, outcomeOf, timed } from './support.js';

const RUN_LIMIT_MS = 1000;
const TEST_TIMEOUT = LONG_RUN ? Infinity : 60_000;
const TEXTS = [
  ...['heap', 'block', 'mutex', 'threadcreate'].map((n) => join(FIXTURES, `corpus/profiles/goprof/${n}.debug1.txt`)),
  ...listFiles(join(FIXTURES, 'legacy'), '.txt'),
].map((f) => readFileSync(f, 'utf8'));
const BINARIES = ['java', 'go.crc32', 'gobench', 'cppbench'].map((n) => readFileSync(join(FIXTURES, `corpus/profiles/pprof-testdata/${n}.cpu.pb`)));

function readChecked(bytes: Uint8Array, symbolize: string, tally: Tally): void {
  const r = outcomeOf(() => timed(RUN_LIMIT_MS, `reading ${bytes.length} bytes`, () => readProfile(bytes, { symbolize })), [ProfileError, TooLargeError]);
  if (r.error instanceof ProfileError) {
    assert.ok(['empty', 'malformed', 'overflow', 'unrecognized', 'truncated'].includes(r.error.code), `code ${r.error.code}: ${r.error.message}`);
    if (r.error.field?.endsWith(' line')) assert.match(r.error.message, new RegExp(` line ${r.error.index}: `));
    tally.add(r.error.code);
    return;
  }
  if (r.error) {
    tally.add('too large');
    return;
  }
  assertProfileInvariants(r.value!.profile);
  tally.add(r.value!.kind);
}

test('fuzz legacy texts: mutated ?debug=1 and legacy fixtures', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  fc.assert(
    fc.property(fc.nat(), textEdits, fc.boolean(), (file, edits, none) => {
      readChecked(Buffer.from(applyTextEdits(TEXTS[file % TEXTS.length]!, edits)), none ? 'none' : '', tally);
    }),
    fuzzParams(2000),
  );
  console.log(tally.summary('legacy texts, mutated'));
  assert.ok(tally.get('legacy') > 0, 'some mutated texts still parse');
});

test('fuzz legacy binary CPU profiles: mutated bytes', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  fc.assert(
    fc.property(fc.nat(), byteEdits, (file, edits) => readChecked(applyByteEdits(BINARIES[file % BINARIES.length]!, edits, BINARIES), '', tally)),
    fuzzParams(1000),
  );
  console.log(tally.summary('legacy CPU profiles, mutated'));
  assert.ok(tally.get('legacy') > 0, 'some mutated profiles still parse');
});

const hex = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n) => `0x${n.toString(16)}`);
const stack = fc.array(hex, { minLength: 0, maxLength: 8 }).map((a) => a.join(' '));
const count = fc.oneof(fc.nat({ max: 1000 }), fc.bigInt({ min: 0n, max: 1n << 64n })).map(String);

test('fuzz generated heap and contention texts: pprof\'s arithmetic never escapes as NaN or a crash', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  const heap = fc.tuple(count, count, fc.constantFrom('heap', 'heap_v2', 'heapprofile', 'heapz_v2'), count,
    fc.array(fc.tuple(count, count, count, count, stack), { maxLength: 20 }))
    .map(([a, b, kind, rate, rows]) => `heap profile: ${a}: ${b} [${a}: ${b}] @ ${kind}/${rate}\n` +
      rows.map(([c, s, ac, as, st]) => `${c}: ${s} [${ac}: ${as}] @ ${st}\n#\t${st.split(' ')[0] ?? '0x0'}\tmain.f+0x1\tf.go:1\n`).join(''));
  const contention = fc.tuple(count, count, fc.array(fc.tuple(count, count, stack), { maxLength: 20 }))
    .map(([hz, period, rows]) => `--- contention:\ncycles/second=${hz}\nsampling period=${period}\n` + rows.map(([d, c, st]) => `${d} ${c} @ ${st}\n`).join(''));
  fc.assert(fc.property(fc.oneof(heap, contention), fc.boolean(), (text, none) => readChecked(Buffer.from(text), none ? 'none' : '', tally)), fuzzParams(1000));
  console.log(tally.summary('legacy texts, generated'));
  assert.ok(tally.get('legacy') > 0);
});
