import type { Location, Line } from '../profile/model.js';
import { cleanPath, goBase } from '../format/go-strings.js';

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
