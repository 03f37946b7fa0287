/**
 * Rust symbol names, v0 (`_R…`) and legacy (`_ZN…17h<hash>E`): a TypeScript port of rust.go from
 * github.com/ianlancetaylor/demangle as vendored in Go 1.19 (the demangler `go tool pprof` uses).
 * Copyright 2021 The Go Authors. BSD-style license: see LICENSE in this folder.
 *
 * As in Go, the v0 output keeps generic arguments whatever the options (pprof prints them), and
 * drops a `.suffix` (`.llvm.123`). Base-62 numbers are Go's int64s, which wrap: plain numbers while
 * they are small (always, in real names), BigInt past 2^47.
 */
import { budget, BudgetError } from './budget.cjs';
import { DemangleError } from './cxx.cjs';

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** Go's int64: a number while it is small, else a BigInt (wrapped to 64 bits). */
type Int64 = number | bigint;
const plus1 = (v: Int64): Int64 => (typeof v === 'bigint' ? BigInt.asIntN(64, v + 1n) : v + 1);
const MAX_INT32 = 2147483647;

/** A v0 name → its demangled form; throws DemangleError when malformed. */
export function rustToString(name: string, maxLength: number): string {
  const dot = name.indexOf('.');
  if (dot >= 0) name = name.slice(0, dot); // the suffix is printed in the LLVM style only
  const rst = new RustState(name.slice(2), maxLength);
  rst.symbolName();
  if (rst.rest() > 0) rst.fail('unparsed characters at end of mangled name');
  return rst.buf;
}

const BASIC_TYPES: Record<string, string> = {
  a: 'i8', b: 'bool', c: 'char', d: 'f64', e: 'str', f: 'f32', h: 'u8', i: 'isize', j: 'usize', l: 'i32', m: 'u32',
  n: 'i128', o: 'u128', p: '_', s: 'i16', t: 'u16', u: '()', v: '...', x: 'i64', y: 'u64', z: '!',
};

class RustState {
  /** the name without _R; `i` is where parsing is */
  private s: string;
  private i = 0;
  buf = '';
  /** don't print, just skip */
  private skip = false;
  /** the number of bound lifetimes: at most the name's length (binder checks) */
  private lifetimes = 0;
  /** the last byte written */
  private last = '';
  /** identifier's disambiguator, undisambiguatedIdentifier's punycode flag: their second results */
  private dis: Int64 = 0;
  private punycode = false;
  private depth = 0;

  constructor(private readonly orig: string, private readonly maxLength: number) {
    this.s = orig;
  }

  rest(): number { return this.s.length - this.i; }
  private ch(k = 0): string | undefined { return this.s[this.i + k]; }
  private at(c: string): boolean { return this.s[this.i] === c; }

  fail(err: string): never { throw new DemangleError(err); }

  private advance(n: number): void {
    if (this.rest() < n) throw new Error('internal error');
    this.i += n;
  }

  private checkChar(c: string): void {
    if (!this.at(c)) this.fail(`expected ${c}`);
    this.advance(1);
  }

  private enter(): void {
    budget.tick();
    if (++this.depth > budget.maxDepth) throw new BudgetError('mangled name nests too deep');
  }

  private writeString(s: string): void {
    if (this.skip || s.length === 0) return;
    this.last = s[s.length - 1]!;
    this.buf += s;
    if (this.buf.length > this.maxLength) throw new BudgetError('demangled name too long');
  }

  /**
   * <symbol-name> = "_R" [<decimal-number>] <path> [<instantiating-crate>]
   * <instantiating-crate> = <path>
   */
  symbolName(): void {
    if (this.rest() < 1) this.fail('expected symbol-name');
    if (isDigit(this.ch())) this.fail('unsupported Rust encoding version');
    this.path(true);
    if (this.rest() > 0) {
      this.skip = true;
      this.path(false);
    }
  }

  /**
   * <path> = "C" <identifier>                    // crate root
   *        | "M" <impl-path> <type>              // <T> (inherent impl)
   *        | "X" <impl-path> <type> <path>       // <T as Trait> (trait impl)
   *        | "Y" <type> <path>                   // <T as Trait> (trait definition)
   *        | "N" <namespace> <path> <identifier> // ...::ident (nested path)
   *        | "I" <path> {<generic-arg>} "E"      // ...<T, U> (generic args)
   *        | <backref>
   * <namespace> = "C"      // closure
   *             | "S"      // shim
   *             | <A-Z>    // other special namespaces
   *             | <a-z>    // internal namespaces
   *
   * needsSeparator: write :: before generic arguments (false inside a type).
   */
  private path(needsSeparator: boolean): void {
    this.enter();
    if (this.rest() < 1) this.fail('expected path');
    const c = this.ch()!;
    switch (c) {
      case 'C': {
        this.advance(1);
        this.writeString(this.identifier());
        break;
      }
      case 'M':
      case 'X':
        this.advance(1);
        this.implPath();
        this.writeString('<');
        this.demangleType();
        if (c === 'X') {
          this.writeString(' as ');
          this.path(false);
        }
        this.writeString('>');
        break;
      case 'Y':
        this.advance(1);
        this.writeString('<');
        this.demangleType();
        this.writeString(' as ');
        this.path(false);
        this.writeString('>');
        break;
      case 'N': {
        this.advance(1);
        if (this.rest() < 1) this.fail('expected namespace');
        const ns = this.ch()!;
        const upper = ns >= 'A' && ns <= 'Z';
        if (!upper && !(ns >= 'a' && ns <= 'z')) this.fail('invalid namespace character');
        this.advance(1);
        this.path(needsSeparator);
        const ident = this.identifier();
        const dis = this.dis;
        if (upper) {
          this.writeString('::{');
          this.writeString(ns === 'C' ? 'closure' : ns === 'S' ? 'shim' : ns);
          if (ident.length > 0) {
            this.writeString(':');
            this.writeString(ident);
          }
          this.writeString(`#${dis}}`);
        } else {
          this.writeString('::');
          this.writeString(ident);
        }
        break;
      }
      case 'I': {
        this.advance(1);
        this.path(needsSeparator);
        if (needsSeparator) this.writeString('::');
        this.writeString('<');
        this.genericArgs();
        this.writeString('>');
        this.checkChar('E');
        break;
      }
      case 'B':
        this.backref(() => this.path(needsSeparator));
        break;
      default:
        this.fail('unrecognized letter in path');
    }
    this.depth--;
  }

  /** {<generic-arg>} up to the E, `, `-separated. */
  private genericArgs(): void {
    let first = true;
    while (this.rest() > 0 && !this.at('E')) {
      if (!first) this.writeString(', ');
      first = false;
      this.genericArg();
    }
  }

  /** <impl-path> = [<disambiguator>] <path>: not part of the demangled string. */
  private implPath(): void {
    const hold = this.skip;
    this.skip = true;
    this.disambiguator();
    this.path(false);
    this.skip = hold;
  }

  /** <identifier> = [<disambiguator>] <undisambiguated-identifier> → the identifier; the disambiguator in `dis`. */
  private identifier(): string {
    this.dis = this.disambiguator();
    return this.undisambiguatedIdentifier();
  }

  /** An optional <disambiguator> = "s" <base-62-number>. */
  private disambiguator(): Int64 {
    if (!this.at('s')) return 0;
    this.advance(1);
    return plus1(this.base62Number());
  }

  /** <undisambiguated-identifier> = ["u"] <decimal-number> ["_"] <bytes>; whether punycode in `punycode`. */
  private undisambiguatedIdentifier(): string {
    const isPunycode = this.punycode = this.at('u');
    if (isPunycode) this.advance(1);
    const val = this.decimalNumber();
    if (this.at('_')) this.advance(1);
    if (this.rest() < val) this.fail('not enough characters for identifier');
    let id = this.s.slice(this.i, this.i + val);
    this.advance(val);
    for (let k = 0; k < id.length; k++) {
      const c = id.charCodeAt(k);
      if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) this.fail('invalid character in identifier');
    }
    if (isPunycode) id = this.expandPunycode(id);
    return id;
  }

  /** Rust's punycode (RFC 3492 section 6.2); the result in UTF-8 bytes, as Go's string holds it. */
  private expandPunycode(s: string): string {
    const base = 36, tmin = 1, tmax = 26, skew = 38, damp = 700;
    let output: number[] = [];
    let encoding: string;
    const idx = s.lastIndexOf('_');
    if (idx >= 0) {
      output = [...s.slice(0, idx)].map((c) => c.charCodeAt(0));
      encoding = s.slice(idx + 1);
    } else {
      encoding = s;
    }
    let i = 0;
    let n = 128;
    let bias = 72;
    let pos = 0;
    while (pos < encoding.length) {
      budget.tick();
      const oldI = i;
      let w = 1;
      for (let k = base; ; k += base) {
        if (pos === encoding.length) this.fail('unterminated punycode');
        const d = encoding.charCodeAt(pos++);
        let digit: number;
        if (d >= 48 && d <= 57) digit = d - 48 + 26;
        else if (d >= 65 && d <= 90) digit = d - 65;
        else if (d >= 97 && d <= 122) digit = d - 97;
        else this.fail('invalid punycode digit');
        i += digit * w;
        if (i > Number.MAX_SAFE_INTEGER) this.fail('punycode number overflow');
        const t = k <= bias ? tmin : k > bias + tmax ? tmax : k - bias;
        if (digit < t) break;
        if (w >= Math.trunc(MAX_INT32 / base)) this.fail('punycode number overflow');
        w *= base - t;
      }
      let delta = i - oldI;
      const numPoints = output.length + 1;
      delta = oldI === 0 ? Math.trunc(delta / damp) : Math.trunc(delta / 2);
      delta += Math.trunc(delta / numPoints);
      let k = 0;
      while (delta > ((base - tmin) * tmax) / 2) {
        delta = Math.trunc(delta / (base - tmin));
        k += base;
      }
      bias = k + Math.trunc(((base - tmin + 1) * delta) / (delta + skew));
      n += Math.trunc(i / (output.length + 1));
      if (n > 0x10ffff) this.fail('punycode rune overflow');
      else if (n >= 0xd800 && n <= 0xdfff) this.fail('punycode invalid code point');
      i %= output.length + 1;
      output.splice(i, 0, n);
      i++;
    }
    return Buffer.from(String.fromCodePoint(...output), 'utf8').toString('latin1');
  }

  /**
   * <generic-arg> = <lifetime>
   *               | <type>
   *               | "K" <const> // forward-compat for const generics
   * <lifetime> = "L" <base-62-number>
   */
  private genericArg(): void {
    if (this.rest() < 1) this.fail('expected generic-arg');
    if (this.at('L')) {
      this.advance(1);
      this.writeLifetime(this.base62Number());
    } else if (this.at('K')) {
      this.advance(1);
      this.demangleConst();
    } else {
      this.demangleType();
    }
  }

  /** An optional <binder> = "G" <base-62-number>. */
  private binder(): void {
    if (!this.at('G')) return;
    this.advance(1);
    const binderLifetimes = plus1(this.base62Number());
    // Every bound lifetime should be referred to later.
    if (binderLifetimes >= this.rest() - this.lifetimes) this.fail('binder lifetimes overflow');
    this.writeString('for<');
    for (let i = 0; i < binderLifetimes; i++) {
      budget.tick();
      if (i > 0) this.writeString(', ');
      this.lifetimes++;
      this.writeLifetime(1);
    }
    this.writeString('> ');
  }

  /**
   * <type> = <basic-type>
   *        | <path>                      // named type
   *        | "A" <type> <const>          // [T; N]
   *        | "S" <type>                  // [T]
   *        | "T" {<type>} "E"            // (T1, T2, T3, ...)
   *        | "R" [<lifetime>] <type>     // &T
   *        | "Q" [<lifetime>] <type>     // &mut T
   *        | "P" <type>                  // *const T
   *        | "O" <type>                  // *mut T
   *        | "F" <fn-sig>                // fn(...) -> ...
   *        | "D" <dyn-bounds> <lifetime> // dyn Trait<Assoc = X> + Send + 'a
   *        | <backref>
   */
  private demangleType(): void {
    this.enter();
    if (this.rest() < 1) this.fail('expected type');
    const c = this.ch()!;
    if (c >= 'a' && c <= 'z') {
      this.basicType();
      this.depth--;
      return;
    }
    switch (c) {
      case 'C': case 'M': case 'X': case 'Y': case 'N': case 'I':
        this.path(false);
        break;
      case 'A':
      case 'S':
        this.advance(1);
        this.writeString('[');
        this.demangleType();
        if (c === 'A') {
          this.writeString('; ');
          this.demangleConst();
        }
        this.writeString(']');
        break;
      case 'T': {
        this.advance(1);
        this.writeString('(');
        let n = 0;
        while (this.rest() > 0 && !this.at('E')) {
          if (n > 0) this.writeString(', ');
          n++;
          this.demangleType();
        }
        if (n === 1) this.writeString(',');
        this.writeString(')');
        this.checkChar('E');
        break;
      }
      case 'R':
      case 'Q':
        this.advance(1);
        this.writeString('&');
        if (this.at('L')) {
          this.advance(1);
          const lifetime = this.base62Number();
          if (lifetime > 0) {
            this.writeLifetime(lifetime);
            this.writeString(' ');
          }
        }
        if (c === 'Q') this.writeString('mut ');
        this.demangleType();
        break;
      case 'P':
        this.advance(1);
        this.writeString('*const ');
        this.demangleType();
        break;
      case 'O':
        this.advance(1);
        this.writeString('*mut ');
        this.demangleType();
        break;
      case 'F': {
        this.advance(1);
        const hold = this.lifetimes;
        this.fnSig();
        this.lifetimes = hold;
        break;
      }
      case 'D': {
        this.advance(1);
        const hold = this.lifetimes;
        this.dynBounds();
        this.lifetimes = hold;
        if (!this.at('L')) this.fail('expected L');
        this.advance(1);
        const lifetime = this.base62Number();
        if (lifetime > 0) {
          if (this.last !== ' ') this.writeString(' ');
          this.writeString('+ ');
          this.writeLifetime(lifetime);
        }
        break;
      }
      case 'B':
        this.backref(() => this.demangleType());
        break;
      default:
        this.fail('unrecognized character in type');
    }
    this.depth--;
  }

  private basicType(): void {
    if (this.rest() < 1) this.fail('expected basic type');
    const c = this.ch()!;
    const str = Object.hasOwn(BASIC_TYPES, c) ? BASIC_TYPES[c] : undefined;
    if (str === undefined) this.fail('unrecognized basic type character');
    this.advance(1);
    this.writeString(str);
  }

  /**
   * <fn-sig> = [<binder>] ["U"] ["K" <abi>] {<type>} "E" <type>
   * <abi> = "C"
   *       | <undisambiguated-identifier>
   */
  private fnSig(): void {
    this.binder();
    if (this.at('U')) {
      this.advance(1);
      this.writeString('unsafe ');
    }
    if (this.at('K')) {
      this.advance(1);
      if (this.at('C')) {
        this.advance(1);
        this.writeString('extern "C" ');
      } else {
        this.writeString('extern "');
        const id = this.undisambiguatedIdentifier();
        if (this.punycode) this.fail('punycode used in ABI string');
        this.writeString(id.replaceAll('_', '-'));
        this.writeString('" ');
      }
    }
    this.writeString('fn(');
    let first = true;
    while (this.rest() > 0 && !this.at('E')) {
      if (!first) this.writeString(', ');
      first = false;
      this.demangleType();
    }
    this.checkChar('E');
    this.writeString(')');
    if (this.at('u')) {
      this.advance(1);
    } else {
      this.writeString(' -> ');
      this.demangleType();
    }
  }

  /** <dyn-bounds> = [<binder>] {<dyn-trait>} "E" */
  private dynBounds(): void {
    this.writeString('dyn ');
    this.binder();
    let first = true;
    while (this.rest() > 0 && !this.at('E')) {
      if (!first) this.writeString(' + ');
      first = false;
      this.dynTrait();
    }
    this.checkChar('E');
  }

  /**
   * <dyn-trait> = <path> {<dyn-trait-assoc-binding>}
   * <dyn-trait-assoc-binding> = "p" <undisambiguated-identifier> <type>
   */
  private dynTrait(): void {
    let started = this.pathStartGenerics();
    while (this.at('p')) {
      budget.tick();
      this.advance(1);
      if (started) {
        this.writeString(', ');
      } else {
        this.writeString('<');
        started = true;
      }
      const id = this.undisambiguatedIdentifier();
      this.writeString(id);
      this.writeString(' = ');
      this.demangleType();
    }
    if (started) this.writeString('>');
  }

  /** Like path, but generic arguments it starts are left open; returns whether it started them. */
  private pathStartGenerics(): boolean {
    this.enter();
    if (this.rest() < 1) this.fail('expected path');
    let started = false;
    switch (this.ch()) {
      case 'I':
        this.advance(1);
        this.path(false);
        this.writeString('<');
        this.genericArgs();
        this.checkChar('E');
        started = true;
        break;
      case 'B':
        this.backref(() => { started = this.pathStartGenerics(); });
        break;
      default:
        this.path(false);
    }
    this.depth--;
    return started;
  }

  /** Writes a lifetime binding. */
  private writeLifetime(lifetime: Int64): void {
    this.writeString("'");
    if (lifetime == 0) { // eslint-disable-line eqeqeq -- a number or a bigint
      this.writeString('_');
      return;
    }
    const depth = typeof lifetime === 'bigint' ? BigInt.asIntN(64, BigInt(this.lifetimes) - lifetime) : this.lifetimes - lifetime;
    if (depth < 0) this.fail('invalid lifetime');
    else if (depth < 26) this.writeString(String.fromCharCode(97 + Number(depth)));
    else this.writeString(`z${typeof depth === 'bigint' ? depth - 25n : depth - 25}`);
  }

  /**
   * <const> = <type> <const-data>
   *         | "p" // placeholder, shown as _
   *         | <backref>
   * <const-data> = ["n"] {<hex-digit>} "_"
   */
  private demangleConst(): void {
    this.enter();
    this.demangleConst1();
    this.depth--;
  }

  private demangleConst1(): void {
    if (this.rest() < 1) this.fail('expected constant');
    if (this.at('B')) {
      this.backref(() => this.demangleConst());
      return;
    }
    if (this.at('p')) {
      this.advance(1);
      this.writeString('_');
      return;
    }
    const typ = this.ch()!;
    let kind: 'signed' | 'unsigned' | 'bool' | 'char';
    if ('aslxni'.includes(typ)) kind = 'signed';
    else if ('htmyoj'.includes(typ)) kind = 'unsigned';
    else if (typ === 'b') kind = 'bool';
    else if (typ === 'c') kind = 'char';
    else this.fail('unrecognized constant type');
    this.advance(1);
    if (kind === 'signed' && this.at('n')) {
      this.advance(1);
      this.writeString('-');
    }
    const start = this.i;
    let digits = 0;
    let val = 0n;
    while (this.rest() > 0) {
      const c = this.ch()!;
      let digit: bigint;
      if (c >= '0' && c <= '9') digit = BigInt(c.charCodeAt(0) - 48);
      else if (c >= 'a' && c <= 'f') digit = BigInt(c.charCodeAt(0) - 97 + 10);
      else if (c === '_') {
        this.advance(1);
        break;
      } else this.fail('expected hex digit or _');
      this.advance(1);
      if (val === 0n && digit === 0n && !this.at('_')) this.fail('invalid leading 0 in constant');
      val = BigInt.asUintN(64, val * 16n + digit);
      digits++;
    }
    if (digits === 0) this.fail('expected constant');
    switch (kind) {
      case 'signed':
      case 'unsigned':
        // Too big: the digits as they are.
        if (digits > 16) this.writeString('0x' + this.s.slice(start, start + digits));
        else this.writeString(String(val));
        break;
      case 'bool':
        if (digits > 1) this.fail('boolean value too large');
        else if (val === 0n) this.writeString('false');
        else if (val === 1n) this.writeString('true');
        else this.fail('invalid boolean value');
        break;
      case 'char': {
        if (digits > 6) this.fail('character value too large');
        this.writeString("'");
        const escapes: Record<number, string> = { 9: '\\t', 13: '\\r', 10: '\\n', 92: '\\\\', 39: "\\'" };
        const v = Number(val);
        if (Object.hasOwn(escapes, v)) this.writeString(escapes[v]!);
        else if (v >= 32 && v <= 126) this.writeString(String.fromCharCode(v)); // printable ASCII
        else this.writeString(`\\u{${v.toString(16)}}`);
        this.writeString("'");
        break;
      }
    }
  }

  /** <base-62-number> = {<0-9a-zA-Z>} "_" */
  private base62Number(): Int64 {
    if (this.at('_')) {
      this.advance(1);
      return 0;
    }
    let val = 0;
    let big: bigint | undefined;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i++);
      if (c === 95) return big === undefined ? val + 1 : plus1(big); // _
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 122) d = c - 97 + 10;
      else if (c >= 65 && c <= 90) d = c - 65 + 36;
      else this.fail('invalid digit in base 62 number');
      if (big !== undefined) big = BigInt.asIntN(64, big * 62n + BigInt(d));
      else if ((val = val * 62 + d) > 2 ** 47) big = BigInt(val); // exact still: 2^47·62 < 2^53
    }
    this.fail('expected _ after base 62 number');
  }

  /** <backref> = "B" <base-62-number>: parses the earlier text it points at with `demangle`. */
  private backref(demangle: () => void): void {
    const backoff = this.i;
    this.checkChar('B');
    const idx = this.base62Number();
    if (this.skip) return;
    if (idx < 0 || idx >= backoff) this.fail('invalid backref index');
    const holdStr = this.s;
    const holdI = this.i;
    // Go parses orig[idx:backoff]: the text may not run past where the backref is.
    this.s = this.orig.slice(0, backoff);
    this.i = Number(idx);
    demangle();
    this.s = holdStr;
    this.i = holdI;
  }

  private decimalNumber(): number {
    if (this.rest() === 0) this.fail('expected number');
    let val = 0;
    while (isDigit(this.ch())) {
      const add = this.ch()!.charCodeAt(0) - 48;
      if (val >= Math.trunc(MAX_INT32 / 10) - add) this.fail('decimal number overflow');
      val = val * 10 + add;
      this.advance(1);
    }
    return val;
  }
}

/**
 * A legacy Rust name (`_ZN` … `17h` + 16 hex digits + `E`, already checked by the caller) → its
 * demangled form, or undefined when it is no valid one after all.
 */
export function oldRustToString(name: string): string | undefined {
  name = name.slice(3);
  const hexDigit = (c: string | undefined) => (c !== undefined && c >= '0' && c <= '9') ? c.charCodeAt(0) - 48
    : (c !== undefined && c >= 'a' && c <= 'f') ? c.charCodeAt(0) - 97 + 10 : -1;
  // The 16 hex digits must contain at least 5 distinct ones.
  const seen = new Set<number>();
  for (let i = name.length - 17; i < name.length - 1; i++) {
    const d = hexDigit(name[i]);
    if (d < 0) return undefined;
    seen.add(d);
  }
  if (seen.size < 5) return undefined;
  name = name.slice(0, name.length - 20);

  // Length-prefixed identifiers.
  const codes: Record<string, string> = { SP: '@', BP: '*', RF: '&', LT: '<', GT: '>', LP: '(', RP: ')' };
  let sb = '';
  let p = 0;
  while (p < name.length) {
    if (!isDigit(name[p])) return undefined;
    let val = 0;
    while (p < name.length && isDigit(name[p])) {
      const add = name.charCodeAt(p) - 48;
      if (val >= Math.trunc(MAX_INT32 / 10) - add) return undefined;
      val = val * 10 + add;
      p++;
    }
    // An optional underscore can separate the length from the identifier.
    if (name[p] === '_') {
      p++;
      val--;
    }
    if (name.length - p < val) return undefined;
    // (A negative val, "0_": Go's id = name[:-1] panics, a crash of pprof; here the name stays.)
    if (val < 0) return undefined;
    let id = name.slice(p, p + val);
    p += val;
    if (sb.length > 0) sb += '::';
    // Leading underscores before escape sequences are ignored.
    if (id.startsWith('_$')) id = id.slice(1);
    // Escape sequences.
    escape: while (id.length > 0) {
      const c = id[0];
      if (c === '$') {
        let valid = true;
        if (id.length > 2 && id[1] === 'C' && id[2] === '$') {
          sb += ',';
          id = id.slice(3);
        } else if (id.length > 4 && id[1] === 'u' && id[4] === '$') {
          const d1 = hexDigit(id[2]);
          const d2 = hexDigit(id[3]);
          const v = ((d1 & 0xff) << 4 | (d2 & 0xff)) & 0xff;
          if (d1 < 0 || d2 < 0 || d1 > 7 || v < 32) {
            valid = false;
          } else {
            sb += String.fromCharCode(v);
            id = id.slice(5);
          }
        } else if (id.length > 3 && id[3] === '$') {
          const code = id.slice(1, 3);
          if (!Object.hasOwn(codes, code)) {
            valid = false;
          } else {
            sb += codes[code];
            id = id.slice(4);
          }
        } else {
          valid = false;
        }
        if (!valid) {
          sb += id;
          break escape;
        }
      } else if (c === '.') {
        if (id.startsWith('..')) {
          sb += '::';
          id = id.slice(2);
        } else {
          sb += c;
          id = id.slice(1);
        }
      } else {
        sb += c;
        id = id.slice(1);
      }
    }
  }
  return sb;
}
