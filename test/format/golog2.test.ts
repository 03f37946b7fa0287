import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { goLog2, goFrexp, goFloatToInt64, goFloatToInt64Big } from '../../src/format/golog2.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

/** [input bits, output bits] from Go 1.19.8 math.Log2 on linux/amd64 (see the file's `source`). */
const log2Vectors = JSON.parse(readFileSync(FIXTURES + 'golog2-vectors.json', 'utf8')) as {
  vectors: [string, string][];
};
/** Go int64(x) conversions, from the same Go run. */
const conversions = (
  JSON.parse(readFileSync(FIXTURES + 'units-vectors.json', 'utf8')) as { goFloatToInt64: [string, string][] }
).goFloatToInt64;

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
function fromHex(hex: string): number {
  u64[0] = BigInt('0x' + hex);
  return f64[0];
}
function toHex(x: number): string {
  f64[0] = x;
  return u64[0].toString(16).padStart(16, '0');
}

test('goLog2 is bit-identical to Go math.Log2 on the fixture vectors', () => {
  assert.ok(log2Vectors.vectors.length >= 300);
  let mathLog2Differs = 0;
  for (const [inHex, outHex] of log2Vectors.vectors) {
    const x = fromHex(inHex);
    const want = fromHex(outHex);
    const got = goLog2(x);
    if (Number.isNaN(want)) {
      assert.ok(Number.isNaN(got), `log2(${x}) should be NaN`); // JS does not keep NaN payloads
      continue;
    }
    assert.equal(toHex(got), outHex, `log2(${x}) [${inHex}]`);
    if (toHex(Math.log2(x)) !== outHex) mathLog2Differs++;
  }
  // The fixture deliberately includes inputs where Math.log2 is one ulp off Go.
  assert.ok(mathLog2Differs > 100, `Math.log2 differs on ${mathLog2Differs}`);
});

test('goLog2 special cases and exact powers of two', () => {
  assert.equal(goLog2(8), 3);
  assert.equal(goLog2(0.5), -1);
  assert.equal(goLog2(2 ** -1074), -1074);
  assert.equal(goLog2(2 ** 1023), 1023);
  assert.equal(goLog2(1), 0);
  assert.equal(goLog2(0), -Infinity);
  assert.equal(goLog2(-0), -Infinity);
  assert.ok(Number.isNaN(goLog2(-1)));
  assert.ok(Number.isNaN(goLog2(NaN)));
  assert.equal(goLog2(Infinity), Infinity);
  assert.ok(Number.isNaN(goLog2(-Infinity)));
});

/** pprof's entropy score (spec §7.2), written out here to check goLog2 and goFloatToInt64 together. */
function entropyScore(flat: number, cum: number, incoming: number[], outgoing: number[]): number {
  const edgeEntropy = (weights: number[], self: number): number => {
    let total = self;
    for (const w of weights) if (w > 0) total += Math.abs(w);
    let score = 0;
    if (total === 0) return score;
    for (const w of weights) {
      const frac = Math.abs(w) / total;
      score += -frac * goLog2(frac);
    }
    if (self > 0) {
      const frac = Math.abs(self) / total;
      score += -frac * goLog2(frac);
    }
    return score;
  };
  let score = 0;
  score += incoming.length === 0 ? 1 : edgeEntropy(incoming, 0);
  score += outgoing.length === 0 ? 1 : edgeEntropy(outgoing, flat);
  return goFloatToInt64(score * cum) + flat;
}

test('entropy scores of spec §7.2 (pprof -dot on the goprof cpu profile)', () => {
  assert.equal(entropyScore(0, 5540000000, [5540000000], [4270000000, 560000000, 530000000, 180000000]), 6139974553);
  assert.equal(entropyScore(2510000000, 3250000000, [3250000000], [600000000, 100000000, 40000000]), 5664060213);
  assert.equal(entropyScore(0, 5540000000, [], [5540000000]), 5540000000);
  assert.equal(entropyScore(40000000, 4000000000, [4000000000], [3250000000, 490000000, 210000000]), 3651048734);
});

test('goFrexp splits like Go math.Frexp, subnormals included', () => {
  assert.deepEqual(goFrexp(8), [0.5, 4]);
  assert.deepEqual(goFrexp(-3), [-0.75, 2]);
  assert.deepEqual(goFrexp(2 ** -1074), [0.5, -1073]);
  assert.deepEqual(goFrexp(0), [0, 0]);
  assert.deepEqual(goFrexp(Infinity), [Infinity, 0]);
  const [frac, exp] = goFrexp(Number.MAX_VALUE);
  assert.equal(exp, 1024);
  assert.equal(frac * 2 ** 1023 * 2, Number.MAX_VALUE);
});

test('goFloatToInt64 follows amd64: truncate, NaN/Inf/out of range → -2^63', () => {
  const MIN = -(2 ** 63);
  assert.equal(goFloatToInt64(1.9), 1);
  assert.equal(goFloatToInt64(-1.9), -1);
  assert.ok(Object.is(goFloatToInt64(-0.5), 0));
  assert.equal(goFloatToInt64(NaN), MIN);
  assert.equal(goFloatToInt64(Infinity), MIN);
  assert.equal(goFloatToInt64(-Infinity), MIN);
  assert.equal(goFloatToInt64(2 ** 63), MIN);
  assert.equal(goFloatToInt64(-(2 ** 63)), MIN);
  assert.equal(goFloatToInt64(2 ** 63 - 1024), 2 ** 63 - 1024);
  assert.equal(goFloatToInt64Big(2 ** 63 - 1024), 9223372036854774784n);
  assert.equal(goFloatToInt64Big(NaN), -9223372036854775808n);
  assert.ok(conversions.length > 50);
  for (const [hex, want] of conversions) {
    assert.equal(goFloatToInt64Big(fromHex(hex)).toString(), want, `int64(${fromHex(hex)})`);
  }
});
