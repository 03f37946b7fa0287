/**
 * What the legacy parsers share with Go's: a line scanner that behaves like bufio.Scanner (ScanLines),
 * Go's regexp semantics (through RE2: pprof's own patterns, linear time on any input), strconv's
 * integer parsing, and the errors they raise.
 */
import { Buffer } from 'node:buffer';
import type { RE2JS } from 're2js';
import { ProfileError } from '../../errors.js';
import { re2 } from '../../regex.js';
import { MAX_SAFE } from '../wire.js';

/** pprof's errUnrecognized: this parser does not know the input, the next one may. */
export class Unrecognized extends Error {
  override name = 'Unrecognized';
}
export const UNRECOGNIZED = new Unrecognized('unrecognized profile format');

/** A recognized legacy profile that does not parse: names the format and, for texts, the line. */
export function legacyError(what: string, line: number | undefined, message: string, code: 'malformed' | 'overflow' = 'malformed'): ProfileError {
  const where = line === undefined ? what : `${what} line ${line}`;
  return new ProfileError(code, `${where}: ${message}`, line === undefined ? undefined : `${what} line`, line);
}

/**
 * bufio.MaxScanTokenSize: the longest line pprof's scanners read, its \n included. pprof fails on a longer
 * one ("bufio.Scanner: token too long"), and so do we, before making a string of it: one line of
 * 512 MiB would otherwise pass what a JavaScript string can hold.
 */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * A line longer than pprof reads. Before a parser has recognized its format (`what` undefined), no
 * legacy profile starts so: the input is not one.
 */
export function lineTooLong(what: string | undefined, line: number, maxBytes = MAX_LINE_BYTES): ProfileError {
  const message = `longer than ${maxBytes} bytes, the most pprof's legacy parsers read (bufio.Scanner)`;
  if (what === undefined) return new ProfileError('unrecognized', `not a profile (unrecognized format): line ${line} is ${message}`, 'line', line);
  return legacyError(what, line, message);
}

/**
 * bufio.Scanner with ScanLines over bytes: lines split at \n, a trailing \r dropped, a last line without
 * \n still a line, none longer than MAX_LINE_BYTES. Lines are decoded one at a time, so a parser that
 * gives up after the first line costs nothing on a large input. After the last line, scan() is false and
 * text() is "" (as in Go).
 */
export class LineScanner {
  private readonly buf: Buffer;
  private pos: number;
  private current = '';
  /** 1-based number of the line text() returns (0 before the first scan) */
  line = 0;
  /** the format, once the parser has recognized it: names it when a line is too long */
  what: string | undefined;

  constructor(bytes: Uint8Array, start = 0) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  scan(): boolean {
    const buf = this.buf;
    if (this.pos >= buf.length) {
      this.current = '';
      return false;
    }
    let end = buf.indexOf(0x0a, this.pos);
    const next = end < 0 ? buf.length : end + 1;
    if (end < 0) end = buf.length;
    if (next - this.pos > MAX_LINE_BYTES) throw lineTooLong(this.what, this.line + 1);
    if (end > this.pos && buf[end - 1] === 0x0d) end--;
    this.current = buf.toString('utf8', this.pos, end);
    this.pos = next;
    this.line++;
    return true;
  }

  text(): string {
    return this.current;
  }
}

/**
 * A pprof regexp, compiled by RE2 with Go's syntax and semantics, on first use: these are module
 * constants of the legacy parsers, and compiling all of them (and loading re2js) cost every command
 * tens of ms at start-up, though few inputs are legacy profiles.
 */
export class GoRegexp {
  #re: RE2JS | undefined;
  constructor(private readonly pattern: string) {}

  private get re(): RE2JS {
    return (this.#re ??= re2().compile(this.pattern));
  }

  /** Go's FindStringSubmatch: null when there is no match, '' for a group that took no part. */
  submatch(s: string): string[] | null {
    const m = this.re.matcher(s);
    if (!m.find()) return null;
    const out: string[] = [];
    for (let i = 0; i <= m.groupCount(); i++) out.push(m.group(i) ?? '');
    return out;
  }

  /** Go's FindStringIndex end, or -1. */
  matchEnd(s: string): number {
    const m = this.re.matcher(s);
    return m.find() ? m.end() : -1;
  }
}

/** unicode.IsSpace: JS's \s without U+FEFF, plus U+0085. */
function isGoSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c === 0x85 || c === 0xa0 || c === 0x1680 || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000) return true;
  return c >= 0x2000 && c <= 0x200a;
}

/** strings.TrimSpace. A loop, not /\s+$/: that regexp is quadratic on long runs of inner blanks. */
export function trimSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isGoSpace(s.charCodeAt(start))) start++;
  while (end > start && isGoSpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** pprof's isSpaceOrComment. */
export function isSpaceOrComment(line: string): boolean {
  const t = trimSpace(line);
  return t.length === 0 || t[0] === '#';
}

const MIN_INT64 = -(1n << 63n);
const MAX_INT64 = (1n << 63n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * strconv.ParseUint(s, base, 64) for base 10, 16 or 0 (0x/0o/0b/0 prefixes); undefined where Go fails.
 * Go also allows `_` between digits with base 0; the profiles' writers never put one.
 */
export function parseUint64(s: string, base: 0 | 10 | 16): bigint | undefined {
  let digits = s;
  let radix: number = base;
  if (base === 0) {
    radix = 10;
    const p = s.slice(0, 2).toLowerCase();
    if (p === '0x') [digits, radix] = [s.slice(2), 16];
    else if (p === '0o') [digits, radix] = [s.slice(2), 8];
    else if (p === '0b') [digits, radix] = [s.slice(2), 2];
    else if (s.length > 1 && s[0] === '0') [digits, radix] = [s.slice(1), 8];
  }
  digits = digits.replace(/^0+(?=.)/, ''); // leading zeros are allowed, and no reason to refuse a long input
  const valid = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 10 ? /^[0-9]+$/ : radix === 8 ? /^[0-7]+$/ : /^[01]+$/;
  // 80 digits are far past 2^64 in any base: refuse before BigInt works on a megabyte of digits.
  if (digits.length > 80 || !valid.test(digits)) return undefined;
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : radix === 2 ? '0b' : '';
  const v = BigInt(prefix + digits);
  return v <= MAX_UINT64 ? v : undefined;
}

/** strconv.ParseInt(s, base, 64); undefined where Go fails (syntax or range). */
export function parseInt64(s: string, base: 0 | 10): bigint | undefined {
  const neg = s.startsWith('-');
  const body = neg || s.startsWith('+') ? s.slice(1) : s;
  const u = parseUint64(body, base);
  if (u === undefined) return undefined;
  const v = neg ? -u : u;
  return v < MIN_INT64 || v > MAX_INT64 ? undefined : v;
}

/** An int64 that Go would have computed, as an exact number, or an overflow error (the model's values are exact doubles). */
export function exactValue(v: bigint, what: string, line: number | undefined, format: string): number {
  if (v <= BigInt(MAX_SAFE) && v >= -BigInt(MAX_SAFE)) return Number(v);
  throw legacyError(format, line, `value overflow: ${what} ${v} is outside ±(2^53−1)`, 'overflow');
}

/** uint64 arithmetic wraps around, as in Go. */
export function u64(v: bigint): bigint {
  return BigInt.asUintN(64, v);
}

/** pprof's hexNumberRE.FindAllString + ParseUint: every 0x… number in s. */
export function parseHexAddresses(s: string): bigint[] | undefined {
  const out: bigint[] = [];
  for (const m of s.matchAll(/0x[0-9a-f]+/g)) {
    const a = parseUint64(m[0], 0);
    if (a === undefined) return undefined;
    out.push(a);
  }
  return out;
}

/**
 * scaleHeapSample: a sampled heap record → the estimated unsampled one. Allocations are sampled by a
 * Poisson process of mean `rate` bytes, so one of average size S is in the profile with probability
 * 1 − e^(−S/rate); dividing by it undoes the sampling. Float arithmetic and truncation as in Go.
 */
export function scaleHeapSample(count: bigint, size: bigint, rate: bigint): [bigint, bigint] {
  if (count === 0n || size === 0n) return [0n, 0n];
  if (rate <= 1n) return [count, size];
  const avgSize = Number(size) / Number(count);
  const scale = 1 / (1 - Math.exp(-avgSize / Number(rate)));
  return [truncInt64(Number(count) * scale), truncInt64(Number(size) * scale)];
}

/** int64(f): toward zero; out of range (Go leaves that to the platform) it is refused later as overflow. */
function truncInt64(f: number): bigint {
  return Number.isFinite(f) ? BigInt(Math.trunc(f)) : 1n << 63n;
}
