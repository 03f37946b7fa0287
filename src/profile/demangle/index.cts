/**
 * C++ (Itanium ABI) and Rust symbol demangling as `go tool pprof` (Go 1.19) does it: a TypeScript port
 * of github.com/ianlancetaylor/demangle's Filter with the options pprof's demangler modes pass.
 * Copyright 2015 The Go Authors. BSD-style license: see LICENSE in this folder.
 *
 * CommonJS (.cts) on purpose: profile normalization is synchronous, and loads this folder with
 * require() the first time a profile has a name that looks mangled; other profiles never pay for it.
 *
 * Go indexes strings by byte. A name with non-ASCII characters is demangled as its UTF-8 bytes (one
 * UTF-16 unit each) and the result decoded back, so that lengths in the mangling count alike.
 */
import { astToString, type AST } from './ast.cjs';
import { budget } from './budget.cjs';
import { parseGlobalCDtor, parseMangled } from './cxx.cjs';
import { oldRustToString, rustToString } from './rust.cjs';
import { Special } from './ast.cjs';

/**
 * pprof's -symbolize=demangle= modes: `default` (no parameters, no template arguments), `templates`
 * (no parameters), `full` (no clone suffixes), `none` (everything: in Go 1.19 it passes no option at all).
 */
export type DemangleMode = 'default' | 'templates' | 'full' | 'none';

interface Options {
  /** the parameters (not NoParams) */
  params: boolean;
  /** the template arguments (not NoTemplateParams) */
  tparams: boolean;
  /** NoClones */
  noClones: boolean;
}

const MODES: Record<DemangleMode, Options> = {
  default: { params: false, tparams: false, noClones: false },
  templates: { params: false, tparams: true, noClones: false },
  full: { params: true, tparams: true, noClones: true },
  none: { params: true, tparams: true, noClones: false },
};

/*
 * Bounds (budget.cts). Of 100,000 real names (libstdc++, LLVM, boost, ICU, rustc), the longest is
 * 2.3 KB, the costliest takes 2,427 steps (20 on average), none nests deeper than 40, the longest output
 * is 8.4 KB. A step costs well under a microsecond, so a profile's names take a few seconds at most.
 */
const MAX_MANGLED_LENGTH = 16_384;
const MAX_STEPS = 100_000;
const MAX_DEPTH = 400;
const MAX_OUTPUT = 65_536;
const MAX_BATCH_STEPS = 5_000_000;

/** The name as pprof shows it in this mode when demangling succeeds, else the name itself (Go's Filter). */
export function demangle(name: string, mode: DemangleMode): string {
  return batch(mode)(name);
}

/** demangle for the names of one profile, which share a budget; past it, names stay as they are. */
export function batch(mode: DemangleMode): (name: string) => string {
  let left = MAX_BATCH_STEPS;
  return (name) => {
    budget.reset(MAX_STEPS, MAX_DEPTH, left);
    const r = demangleOne(name, MODES[mode]);
    left = Math.max(budget.left, 0);
    return r;
  };
}

function demangleOne(name: string, o: Options): string {
  if (name.length > MAX_MANGLED_LENGTH) return name;
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(name);
  const bytes = ascii ? name : Buffer.from(name, 'utf8').toString('latin1');
  let out: string | undefined;
  try {
    out = toString(bytes, o);
  } catch {
    // Malformed (Go's error), or past a bound, or where Go would panic: the name stays.
    return name;
  }
  if (out === undefined) return name;
  // Bytes back to text: the input's own, or UTF-8 that Rust's punycode produced.
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(out) ? out : Buffer.from(out, 'latin1').toString('utf8');
}

/** Go's ToString; undefined for a name that is not mangled. Throws on malformed names. */
function toString(name: string, o: Options): string | undefined {
  if (name.startsWith('_R')) return rustToString(name, MAX_OUTPUT);
  // A legacy Rust name: _ZN … 17h + 16 hex digits + E, with an optional "."-suffix (ignored).
  if (name.startsWith('_ZN')) {
    let rname = name;
    const pos = rname.lastIndexOf('E.');
    if (pos > 0) rname = rname.slice(0, pos + 1);
    if (rname.endsWith('E') && rname.length > 23 && rname.slice(rname.length - 20, rname.length - 17) === '17h') {
      const s = oldRustToString(rname);
      if (s !== undefined) return s;
    }
  }
  const a = toAST(name, o);
  return a === undefined ? undefined : astToString(a, o.tparams, MAX_OUTPUT);
}

/** Go's ToAST. */
function toAST(name: string, o: Options): AST | undefined {
  const parse = { params: o.params, clones: !o.noClones };
  if (name.startsWith('_Z')) return parseMangled(name.slice(2), parse);
  if (name.startsWith('___Z')) {
    // clang's blocks: ___Z<encoding>_block_invoke[_<digits>][.<anything>]
    const block = name.lastIndexOf('_block_invoke');
    if (block === -1) return undefined;
    const a = parseMangled(name.slice(4, block), parse);
    let rest = name.slice(block + '_block_invoke'.length);
    if (rest.startsWith('_')) rest = rest.slice(1);
    rest = rest.replace(/^[0-9]+/, '');
    if (rest.length > 0 && rest[0] !== '.') throw new Error('unparsed characters at end of mangled name');
    return new Special('invocation function for block in ', a);
  }
  // Global constructors and destructors: the standard demangler ignores NoParams for them.
  if (name.startsWith('_GLOBAL_')) return parseGlobalCDtor(name.slice('_GLOBAL_'.length), !o.noClones);
  return undefined;
}
