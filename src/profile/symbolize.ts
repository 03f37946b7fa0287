import { createRequire } from 'node:module';
import type { DemangleMode, SymbolizeMode } from '../options.js';
import type { ProfileFunction } from './model.js';

/*
 * pprof's demangling pass (symbolizer.Demangle), which runs on every profile before any report, as
 * -symbolize (options.ts) sets it. hotpath reads no binaries and asks no symbol server, so this is
 * all of pprof's symbolizer that applies.
 */

/**
 * pprof's Demangle: function names from their system names, in place. A function whose name differs
 * from its system name counts as symbolized already and keeps it, unless forced. Each distinct
 * system name is demangled once.
 */
export function demangleFunctions(functions: ProfileFunction[], s: SymbolizeMode): void {
  if (s.none) return;
  if (s.force) {
    for (const f of functions) if (f.name !== '' && f.systemName !== '') f.name = f.systemName;
  }
  const mode = s.demangle ?? 'default';
  // Only mangled names are worth remembering: the rest (every name of a Go profile) cost a scan each.
  const done = new Map<string, string>();
  let demangle: ((name: string) => string) | undefined;
  for (const f of functions) {
    if (f.name !== '' && f.name !== f.systemName) continue;
    const system = f.systemName;
    if (!mayBeMangled(system)) {
      f.name = demangleName(system, mode, undefined);
      continue;
    }
    let name = done.get(system);
    if (name === undefined) {
      // The demangler is loaded only for a profile with a name it may demangle.
      demangle ??= demangler().batch(mode);
      name = demangleName(system, mode, demangle);
      done.set(system, name);
    }
    f.name = name;
  }
}

/** pprof's demangleSingleFunction for one system name; `demangle` is the demangler's, when loaded. */
function demangleName(systemName: string, mode: DemangleMode, demangle: ((name: string) => string) | undefined): string {
  if (demangle !== undefined && mayBeMangled(systemName)) {
    const d = demangle(systemName);
    if (d !== systemName) return d;
  }
  // Not demangled: maybe it was demangled already. Simplify the C++-looking names as the mode says.
  let n = systemName;
  if (mode !== 'default' && mode !== 'templates') return n;
  if (looksLikeDemangledCpp(n)) {
    n = removeMatching(n, '(', ')');
    if (mode === 'default') n = removeMatching(n, '<', '>');
  }
  return n;
}

/** The prefixes Go's demangler knows; it leaves every other name as it is. */
function mayBeMangled(s: string): boolean {
  return s.startsWith('_Z') || s.startsWith('_R') || s.startsWith('___Z') || s.startsWith('_GLOBAL_');
}

type Demangler = typeof import('./demangle/index.cjs');
let loaded: Demangler | undefined;

/** The demangler, loaded on first use: most profiles (Go's) never need it. CommonJS, so synchronously. */
function demangler(): Demangler {
  return (loaded ??= createRequire(import.meta.url)('./demangle/index.cjs') as Demangler);
}

function looksLikeDemangledCpp(s: string): boolean {
  if (s.includes('.<')) return false; // Java's Class.<init>
  if (s.includes(']).')) return false; // Go's pkg.(*T[...]).Method
  return /[<>[\]]/.test(s) || s.includes('::');
}

/** Removes every balanced open…close group; an unbalanced closer leaves the name as it is. */
function removeMatching(name: string, open: string, close: string): string {
  let nesting = 0;
  let first = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === open) {
      if (++nesting === 1) first = i;
    } else if (c === close) {
      if (--nesting < 0) return name;
      if (nesting === 0) {
        name = name.slice(0, first) + name.slice(i + 1);
        i = first - 1;
      }
    }
  }
  return name;
}
