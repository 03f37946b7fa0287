/**
 * Go's math.Log2 and float64→int64 conversion, bit for bit as Go 1.19 computes them on amd64.
 *
 * pprof's entropy score (spec §7.2) truncates S × cum to an integer, so a one-ulp difference in
 * log2 can move a node's score by one and reorder the DOT graph. `Math.log2` differs from Go in
 * the last bit for about a fifth of inputs, hence this port.
 *
 * Go computes log2(x) as: split x = frac × 2^exp with frac in [0.5, 1); a frac of exactly 0.5
 * gives exp − 1; otherwise log(frac) × (1/ln 2) + exp. On amd64, log is an assembly routine
 * implementing the FreeBSD/fdlibm reduction: f1 in [√2/2, √2), s = (f1−1)/(f1+1), a polynomial
 * in s², and ln 2 split into a high and a low part. The operation order below is the same as
 * that routine's, so every intermediate double is the same.
 */

const float64 = new Float64Array(1);
const uint64 = new BigUint64Array(float64.buffer);

function fromBits(bits: bigint): number {
  uint64[0] = bits;
  return float64[0];
}

// fdlibm's constants, written as bit patterns so no decimal parsing is involved.
const LN2_HI = fromBits(0x3fe62e42fee00000n);
const LN2_LO = fromBits(0x3dea39ef35793c76n);
const L1 = fromBits(0x3fe5555555555593n);
const L2 = fromBits(0x3fd999999997fa04n);
const L3 = fromBits(0x3fd2492494229359n);
const L4 = fromBits(0x3fcc71c51d8e78afn);
const L5 = fromBits(0x3fc7466496cb03den);
const L6 = fromBits(0x3fc39a09d078c69fn);
const L7 = fromBits(0x3fc2f112df3e5244n);
/** √2/2 rounded to a double */
const HALF_SQRT2 = fromBits(0x3fe6a09e667f3bcdn);
/** Go's constant 1/Ln2, evaluated exactly then rounded: */
const INV_LN2 = fromBits(0x3ff71547652b82fen);

const SMALLEST_NORMAL = 2.2250738585072014e-308;

/** Go's math.Frexp: x = frac × 2^exp, |frac| in [0.5, 1); ±0, ±Inf and NaN come back with exp 0. */
export function goFrexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let exp = 0;
  if (Math.abs(x) < SMALLEST_NORMAL) {
    x *= 2 ** 52;
    exp = -52;
  }
  float64[0] = x;
  const bits = uint64[0];
  exp += Number((bits >> 52n) & 0x7ffn) - 1022;
  uint64[0] = (bits & ~(0x7ffn << 52n)) | (1022n << 52n);
  return [float64[0], exp];
}

/**
 * Natural log of a *normal* positive double, as Go's amd64 assembly computes it (the routine
 * reads the exponent field directly, so it is only used here for frexp's fraction).
 */
function amd64Log(x: number): number {
  if (x === 0) return -Infinity;
  if (x < 0 || Number.isNaN(x)) return NaN;
  if (x === Infinity) return x;
  float64[0] = x;
  const bits = uint64[0];
  let k = Number((bits >> 52n) & 0x7ffn) - 0x3fe;
  uint64[0] = (bits & 0xfffffffffffffn) | 0x3fe0000000000000n;
  let f1 = float64[0];
  // The assembly tests "not less than" with √2/2 on the left, i.e. f1 <= √2/2 (pure Go uses <).
  if (f1 <= HALF_SQRT2) {
    k -= 1;
    f1 *= 2;
  }
  const f = f1 - 1;
  const s = f / (2 + f);
  const s2 = s * s;
  const s4 = s2 * s2;
  const t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
  const t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
  const R = t1 + t2;
  const hfsq = 0.5 * f * f;
  return k * LN2_HI - (hfsq - (s * (hfsq + R) + k * LN2_LO) - f);
}

/** Go's math.Log2 (amd64), bit for bit. */
export function goLog2(x: number): number {
  const [frac, exp] = goFrexp(x);
  // Exact powers of two give an exact answer.
  if (frac === 0.5) return exp - 1;
  return amd64Log(frac) * INV_LN2 + exp;
}

const TWO_63 = 2 ** 63;

/**
 * Go's int64(x) on amd64 (CVTTSD2SQ): truncates toward zero; NaN, ±Inf and anything outside
 * [−2^63, 2^63) become −2^63. Returned as a number: every int64 a double can hold is exact.
 */
export function goFloatToInt64(x: number): number {
  if (!(x >= -TWO_63 && x < TWO_63)) return -TWO_63;
  return Math.trunc(x) + 0; // + 0 turns -0 into 0
}

/** The same conversion as an exact bigint. */
export function goFloatToInt64Big(x: number): bigint {
  return BigInt(goFloatToInt64(x));
}
