import type { Location, Line } from '../profile/model.js';

/** How finely frames are told apart (pprof's -functions, -filefunctions, -files, -lines, -addresses). */
export type Granularity = 'functions' | 'filefunctions' | 'files' | 'lines' | 'addresses';

/**
 * What identifies a graph node: pprof's NodeInfo (spec §5.1). Frames with equal infos are one node, which is
 * also why recursion folds onto a single node.
 */
export interface NodeInfo {
  name: string;
  address: bigint;
  file: string;
  startLine: number;
  lineno: number;
  objfile: string;
}

/** A string that is equal for equal NodeInfos: the identity used by node maps and kept sets. */
export function nodeKey(i: NodeInfo): string {
  return `${i.name}\u0000${i.address}\u0000${i.file}\u0000${i.startLine}\u0000${i.lineno}\u0000${i.objfile}`;
}

/**
 * The NodeInfo of one frame of a location under a granularity. `line` is undefined for a location without
 * lines (unsymbolized). `trimPaths` applies pprof's graph-report path trimming, which -traces does not use.
 */
export function frameInfo(loc: Location, line: Line | undefined, g: Granularity, trimPaths: boolean): NodeInfo {
  // Aggregation (spec §4.2) zeroes addresses except at address granularity and line numbers below lines.
  const address = g === 'addresses' ? loc.address : 0n;
  if (line === undefined) {
    return { name: '', address, file: '', startLine: 0, lineno: 0, objfile: loc.mapping?.file ?? '' };
  }
  const fn = line.function;
  const name = g === 'files' ? '' : fn.name;
  const keepFile = g !== 'functions';
  let file = keepFile ? fn.filename : '';
  if (file !== '') file = cleanPath(trimPaths ? trimSourcePath(file) : file);
  const lineno = g === 'lines' || g === 'addresses' ? line.line : 0;
  if (name !== '') return { name, address, file, startLine: 0, lineno, objfile: '' };
  return { name, address, file, startLine: fn.startLine, lineno, objfile: loc.mapping?.file ?? '' };
}

/** pprof's printable name (spec §5.2): what -top prints and what sorting compares. */
export function printableName(i: NodeInfo): string {
  return nameComponents(i).join(' ');
}

/** The parts of a printable name: address, function name, then file:line, file, [binary] or <unknown>. */
export function nameComponents(i: NodeInfo, name = i.name, file = i.file): string[] {
  const parts: string[] = [];
  if (i.address !== 0n) parts.push(i.address.toString(16).padStart(16, '0'));
  if (name !== '') parts.push(name);
  if (i.lineno !== 0) parts.push(`${file}:${i.lineno}`);
  else if (file !== '') parts.push(file);
  else if (name !== '') { /* the function name says it all */ }
  else if (i.objfile !== '') parts.push(`[${goBase(i.objfile)}]`);
  else parts.push('<unknown>');
  return parts;
}

/** Go's `%v` of a NodeInfo: the last tie-break between nodes with equal printable names (spec §7.1). */
export function infoString(i: NodeInfo): string {
  return `{${i.name}  ${i.address} ${i.file} ${i.startLine} ${i.lineno} ${i.objfile}}`;
}

const CWD_PREFIXES = ['/proc/self/cwd/./', '/proc/self/cwd/'];

function trimSourcePath(file: string): string {
  for (const p of CWD_PREFIXES) if (file.startsWith(p)) return file.slice(p.length);
  return file;
}

/** Go's path/filepath.Clean on Unix, which differs from Node's path.normalize (a leading // becomes /). */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

/** Go's path/filepath.Base on Unix. */
export function goBase(p: string): string {
  if (p === '') return '.';
  let s = p;
  while (s.length > 1 && s.endsWith('/')) s = s.slice(0, -1);
  if (s === '/') return '/';
  const i = s.lastIndexOf('/');
  return i >= 0 ? s.slice(i + 1) : s;
}

/** Byte-wise (UTF-8) string order, as Go compares strings: differs from JS `<` above U+FFFF. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–DFFF) encode code points above U+FFFF, which sort after U+E000–U+FFFF in UTF-8.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
