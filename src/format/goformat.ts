/**
 * Go `fmt` number formatting, reproduced exactly.
 *
 * pprof prints values with `%.2f` and percentages with `%5.2f` / `%5.2g`. Go rounds the *exact*
 * binary value of the double and breaks exact ties to the even digit. JavaScript's `toFixed`
 * also works on the exact value but breaks ties away from zero, and `toPrecision` has the same
 * tie rule plus a different layout, so neither can be used as they are (spec §2.6).
 *
 * The exact path below expands the double into its full decimal digits with BigInt (every
 * finite double has a finite decimal expansion), then rounds that digit string the way Go's
 * strconv does. `goFixed` has a fast path through `toFixed` for the overwhelmingly common
 * case where no exact tie is possible.
 */

export { formatGoTime } from './gotime.js';

/** A non-negative decimal number 0.d1d2d3… × 10^dp; `digits` has no leading or trailing zeros. */
interface Decimal {
  digits: string;
  dp: number;
}

const ZERO: Decimal = { digits: '', dp: 0 };

const float64 = new Float64Array(1);
const uint64 = new BigUint64Array(float64.buffer);

const pow5Cache: bigint[] = [1n];
function pow5(n: number): bigint {
  // Cached because denormals need 5^1074 and formatting runs in loops.
  while (pow5Cache.length <= n) pow5Cache.push(pow5Cache[pow5Cache.length - 1] * 5n);
  return pow5Cache[n];
}

function stripTrailingZeros(d: Decimal): Decimal {
  let end = d.digits.length;
  while (end > 0 && d.digits.charCodeAt(end - 1) === 48) end--;
  if (end === 0) return ZERO;
  return end === d.digits.length ? d : { digits: d.digits.slice(0, end), dp: d.dp };
}

/** The exact decimal expansion of |x| for a finite x. */
function exactDecimal(x: number): Decimal {
  if (x === 0) return ZERO;
  float64[0] = x;
  const bits = uint64[0];
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  const mantissa = biased === 0 ? fraction : fraction | 0x10000000000000n;
  const exp2 = (biased === 0 ? 1 : biased) - 1075;
  if (exp2 >= 0) {
    const s = (mantissa << BigInt(exp2)).toString();
    return stripTrailingZeros({ digits: s, dp: s.length });
  }
  // mantissa / 2^k = mantissa × 5^k / 10^k
  const s = (mantissa * pow5(-exp2)).toString();
  return stripTrailingZeros({ digits: s, dp: s.length + exp2 });
}

/**
 * Keeps the first `keep` digits, rounding half to even on the exact value (Go's
 * strconv decimal rounding: a tie is a single trailing 5 with nothing after it).
 */
function roundDecimal(d: Decimal, keep: number): Decimal {
  const n = d.digits.length;
  if (keep >= n) return d;
  if (keep < 0) return ZERO;
  const next = d.digits.charCodeAt(keep) - 48;
  let up: boolean;
  if (next !== 5) up = next > 5;
  else if (keep + 1 < n) up = true; // more non-zero digits follow: above the half
  else up = keep > 0 && (d.digits.charCodeAt(keep - 1) - 48) % 2 === 1;
  if (!up) return stripTrailingZeros({ digits: d.digits.slice(0, keep), dp: d.dp });
  let i = keep - 1;
  while (i >= 0 && d.digits.charCodeAt(i) === 57) i--;
  if (i < 0) return { digits: '1', dp: d.dp + 1 }; // 999… rounds up to 1000…
  const bumped = String.fromCharCode(d.digits.charCodeAt(i) + 1);
  return { digits: d.digits.slice(0, i) + bumped, dp: d.dp };
}

function digitAt(d: Decimal, i: number): string {
  return i >= 0 && i < d.digits.length ? d.digits[i] : '0';
}

/** Go's fmtF: integer part, then `decimals` digits after the point. */
function layoutFixed(d: Decimal, decimals: number): string {
  let out = '';
  if (d.dp > 0) {
    const m = Math.min(d.digits.length, d.dp);
    out = d.digits.slice(0, m) + '0'.repeat(d.dp - m);
  } else {
    out = '0';
  }
  if (decimals > 0) {
    out += '.';
    for (let i = 0; i < decimals; i++) out += digitAt(d, d.dp + i);
  }
  return out;
}

/** Go's fmtE: one digit, `decimals` more after the point, `e`, sign, at least two exponent digits. */
function layoutExponent(d: Decimal, decimals: number): string {
  let out = digitAt(d, 0);
  if (decimals > 0) {
    out += '.';
    for (let i = 1; i <= decimals; i++) out += digitAt(d, i);
  }
  const exp = d.digits.length === 0 ? 0 : d.dp - 1;
  const absExp = Math.abs(exp);
  return out + 'e' + (exp < 0 ? '-' : '+') + (absExp < 10 ? '0' : '') + String(absExp);
}

function isNegative(x: number): boolean {
  return x < 0 || Object.is(x, -0);
}

/** NaN and infinities as Go's fmt prints them with %f/%g (no flags). */
function nonFinite(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  return x > 0 ? '+Inf' : '-Inf';
}

function checkPrecision(p: number): void {
  if (!Number.isInteger(p) || p < 0) throw new RangeError(`precision must be a non-negative integer, got ${p}`);
}

/** Go `%.<digits>f`: exact binary value, exact ties to even; `-0` keeps its sign (`-0.00`). */
export function goFixed(x: number, digits: number): string {
  checkPrecision(digits);
  if (!Number.isFinite(x)) return nonFinite(x);
  const sign = isNegative(x) ? '-' : '';
  const abs = Math.abs(x);
  if (abs < 1e21 && digits <= 100) {
    // x·10^digits is exactly halfway between two integers iff x = odd / 2^(digits+1)
    // (a double is dyadic, so the factor 5^digits must divide the numerator). Only then do
    // toFixed (ties away from zero) and Go (ties to even) disagree.
    const scaled = abs * 2 ** (digits + 1);
    const exactTie = Number.isInteger(scaled) && scaled % 2 === 1;
    if (!exactTie) return sign + abs.toFixed(digits);
  }
  const d = exactDecimal(abs);
  return sign + layoutFixed(roundDecimal(d, d.dp + digits), digits);
}

/** Go `%.<precision>g` (precision 0 means 1): significant digits, trailing zeros dropped,
 *  exponent form when the exponent is < -4 or ≥ the precision. */
export function goGeneral(x: number, precision: number): string {
  checkPrecision(precision);
  if (!Number.isFinite(x)) return nonFinite(x);
  const sign = isNegative(x) ? '-' : '';
  const prec = precision === 0 ? 1 : precision;
  const d = x === 0 ? ZERO : roundDecimal(exactDecimal(Math.abs(x)), prec);
  const nd = d.digits.length;
  // The layout rules follow Go's strconv %g for an explicit precision.
  let eprec = prec;
  if (eprec > nd && nd >= d.dp) eprec = nd;
  const exp = d.dp - 1;
  if (exp < -4 || exp >= eprec) {
    return sign + layoutExponent(d, Math.min(prec, nd) - 1);
  }
  const p = prec > d.dp ? nd : prec;
  return sign + layoutFixed(d, Math.max(p - d.dp, 0));
}

/** Go `%<width>s`: left-pads with spaces to `width` runes (code points). */
export function padLeft(s: string, width: number): string {
  let runes = 0;
  for (const _ of s) runes++;
  return runes >= width ? s : ' '.repeat(width - runes) + s;
}

/** Go `%<width>.<digits>f`. */
export function goFixedWidth(x: number, width: number, digits: number): string {
  return padLeft(goFixed(x, digits), width);
}

/** Go `%<width>.<precision>g`. */
export function goGeneralWidth(x: number, width: number, precision: number): string {
  return padLeft(goGeneral(x, precision), width);
}
