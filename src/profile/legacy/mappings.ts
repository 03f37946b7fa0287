/**
 * pprof's handling of a legacy profile's memory map (profile/legacy_profile.go: ParseProcMaps,
 * ParseMemoryMapFromScanner, remap*IDs; profile.go: massageMappings), step for step: the order of the
 * mappings, which one is the main binary, and which mapping each address falls in are what the reports
 * print (`File:`, `[binary]` names, -raw), so the heuristics are pprof's, quirks included.
 */
import type { Location, Mapping, Profile, ProfileFunction } from '../model.js';
import type { SampleBudget } from '../budgets.js';
import { GoRegexp, legacyError, LineScanner, parseUint64, trimSpace, u64 } from './scan.js';

// pprof's patterns, verbatim (Go syntax, run by RE2).
const spaceDigits = String.raw`\s+[[:digit:]]+`;
const hexPair = String.raw`\s+[[:xdigit:]]+:[[:xdigit:]]+`;
const oSpace = String.raw`\s*`;
const cHex = String.raw`(?:0x)?([[:xdigit:]]+)`;
const cHexRange = String.raw`\s*` + cHex + String.raw`[\s-]?` + oSpace + cHex + ':?';
const cSpaceString = String.raw`(?:\s+(\S+))?`;
const cSpaceHex = String.raw`(?:\s+([[:xdigit:]]+))?`;
const cSpaceAtOffset = String.raw`(?:\s+\(@([[:xdigit:]]+)\))?`;
const cPerm = String.raw`(?:\s+([-rwxp]+))?`;
const procMapsRE = new GoRegexp('^' + cHexRange + cPerm + cSpaceHex + hexPair + spaceDigits + cSpaceString);
const briefMapsRE = new GoRegexp('^' + cHexRange + cPerm + cSpaceString + cSpaceAtOffset + cSpaceHex);
/** glog's `I0102 15:04:05.000000 123 file.go:45] ` prefix */
const logInfoRE = new GoRegexp(String.raw`^[^\[\]]+:[0-9]+]\s`);
const libRx = /([.]so$|[.]so[._][0-9]+)/;

const MEMORY_MAP_SENTINELS = ['--- Memory map: ---', 'MAPPED_LIBRARIES:'];

export function isMemoryMapSentinel(line: string): boolean {
  return MEMORY_MAP_SENTINELS.some((s) => line.includes(s));
}

/**
 * Work allowed for `$attr` substitution and for matching addresses to mappings (both quadratic in
 * pprof): real memory maps have tens to hundreds of entries; a hostile one is refused, not waited on.
 */
const MAX_MAPPING_WORK = 50_000_000;

export function newMapping(start: bigint, limit: bigint, offset: bigint, file: string, buildId: string): Mapping {
  return { id: 0, start, limit, offset, file, buildId, hasFunctions: false, hasFilenames: false, hasLineNumbers: false, hasInlineFrames: false };
}

/** parseProcMapsFromScanner: every mapping line from the scanner's next line on; `attr=value` lines define `$attr`. */
export function parseProcMaps(s: LineScanner, what: string, budget: SampleBudget): Mapping[] {
  const mappings: Mapping[] = [];
  const attrs: [string, string][] = [];
  let work = 0;
  while (s.scan()) {
    let line = removeLoggingInfo(s.text());
    if (attrs.length > 0) {
      const r = replaceAttrs(line, attrs, MAX_MAPPING_WORK - work);
      work += r.work;
      if (r.text === undefined) throw legacyError(what, s.line, 'memory map: too many $attribute substitutions');
      line = r.text;
    }
    const m = parseMappingEntry(line);
    if (m === 'unrecognized') {
      const eq = line.indexOf('=');
      if (eq >= 0) attrs.push(['$' + trimSpace(line.slice(0, eq)), trimSpace(line.slice(eq + 1))]);
      continue;
    }
    if (m !== undefined) {
      budget.entries(mappings.length + 1, 'memory map entries');
      mappings.push(m);
    }
  }
  return mappings;
}

/**
 * strings.NewReplacer(attrs...).Replace(line): left to right, no overlaps; where several old strings
 * match at one place, the first given wins. Every old string starts with `$`.
 */
function replaceAttrs(line: string, attrs: [string, string][], budget: number): { text: string | undefined; work: number } {
  if (!line.includes('$')) return { text: line, work: 1 };
  let out = '';
  let work = 0;
  let i = 0;
  while (i < line.length) {
    const next = line.indexOf('$', i);
    if (next < 0) break;
    out += line.slice(i, next);
    i = next;
    const hit = attrs.find(([old]) => line.startsWith(old, i));
    work += attrs.length;
    if (work > budget) return { text: undefined, work };
    if (hit === undefined) {
      out += '$';
      i++;
    } else {
      out += hit[1];
      i += hit[0].length;
    }
  }
  return { text: out + line.slice(i), work };
}

function removeLoggingInfo(line: string): string {
  if (!line.includes(']')) return line; // the prefix ends in `]`: most lines are settled without RE2
  const end = logInfoRE.matchEnd(line);
  return end >= 0 ? line.slice(end) : line;
}

/** A mapping; undefined for a non-executable one (skipped); 'unrecognized' when the line is no mapping. */
function parseMappingEntry(l: string): Mapping | undefined | 'unrecognized' {
  let start: string, end: string, perm: string, file: string, offset: string, buildId = '';
  const pm = procMapsRE.submatch(l);
  if (pm !== null && pm.length === 6) {
    [, start, end, perm, offset, file] = pm as [string, string, string, string, string, string];
  } else {
    const bm = briefMapsRE.submatch(l);
    if (bm === null || bm.length !== 7) return 'unrecognized';
    [, start, end, perm, file, offset, buildId] = bm as [string, string, string, string, string, string, string];
  }
  if (perm !== '' && !perm.includes('x')) return undefined;
  const s = parseUint64(start, 16);
  const e = parseUint64(end, 16);
  const o = offset === '' ? 0n : parseUint64(offset, 16);
  if (s === undefined || e === undefined || o === undefined) return 'unrecognized';
  return newMapping(s, e, o, file, buildId);
}

/** ParseMemoryMapFromScanner: the rest of the input as a memory map, then every id renumbered. */
export function parseMemoryMap(p: Profile, s: LineScanner, what: string, budget: SampleBudget): void {
  // A loop, not push(...): a map of a few hundred thousand entries would overflow the call stack.
  for (const m of parseProcMaps(s, what, budget)) p.mappings.push(m);
  massageMappings(p);
  remapLocationIds(p);
  remapFunctionIds(p);
  remapMappingIds(p, what);
}

/** parseAdditionalSections: skip to the memory map sentinel (if not on it already), then read the map. */
export function parseAdditionalSections(s: LineScanner, p: Profile, what: string, budget: SampleBudget): void {
  while (!isMemoryMapSentinel(s.text()) && s.scan());
  parseMemoryMap(p, s, what, budget);
}

/** Adjacent pieces of one file merged, the main binary (a guess) moved first, ids 1…n. */
export function massageMappings(p: Profile): void {
  // Legacy parsers assign mappings to locations only afterwards (remapMappingIds); skip pprof's
  // repointing loop then, which is quadratic in what a hostile map can make.
  const repoint = p.locations.some((l) => l.mapping !== undefined);
  if (p.mappings.length > 1) {
    const merged: Mapping[] = [p.mappings[0]!];
    for (const m of p.mappings.slice(1)) {
      const lm = merged[merged.length - 1]!;
      if (adjacent(lm, m)) {
        lm.limit = m.limit;
        if (m.file !== '') lm.file = m.file;
        if (m.buildId !== '') lm.buildId = m.buildId;
        if (repoint) for (const l of p.locations) if (l.mapping === m) l.mapping = lm;
        continue;
      }
      merged.push(m);
    }
    p.mappings = merged;
  }
  for (let i = 0; i < p.mappings.length; i++) {
    const m = p.mappings[i]!;
    const file = trimSpace(m.file.replaceAll('(deleted)', ''));
    if (file.length === 0 || libRx.test(file) || file[0] === '[') continue;
    p.mappings[i] = p.mappings[0]!;
    p.mappings[0] = m;
    break;
  }
  p.mappings.forEach((m, i) => (m.id = i + 1));
}

function adjacent(m1: Mapping, m2: Mapping): boolean {
  if (m1.file !== '' && m2.file !== '' && m1.file !== m2.file) return false;
  if (m1.buildId !== '' && m2.buildId !== '' && m1.buildId !== m2.buildId) return false;
  if (m1.limit !== m2.start) return false;
  if (m1.offset !== 0n && m2.offset !== 0n && u64(m1.offset + (m1.limit - m1.start)) !== m2.offset) return false;
  return true;
}

/** The locations the samples use, in order of first use, numbered 1…n; the others dropped. */
export function remapLocationIds(p: Profile): void {
  const seen = new Set<Location>();
  const locations: Location[] = [];
  for (const s of p.samples) {
    for (const l of s.locations) {
      if (seen.has(l)) continue;
      seen.add(l);
      l.id = locations.length + 1;
      locations.push(l);
    }
  }
  p.locations = locations;
}

/** The functions the locations use, in order of first use, numbered 1…n. */
export function remapFunctionIds(p: Profile): void {
  const seen = new Set<ProfileFunction>();
  const functions: ProfileFunction[] = [];
  for (const l of p.locations) {
    for (const ln of l.lines) {
      if (seen.has(ln.function)) continue;
      seen.add(ln.function);
      ln.function.id = functions.length + 1;
      functions.push(ln.function);
    }
  }
  p.functions = functions;
}

/**
 * Each location with an address into the first mapping that holds it (with pprof's repairs of
 * main-binary mappings that legacy writers got wrong), else into one fake mapping of all addresses.
 */
export function remapMappingIds(p: Profile, what: string): void {
  if (p.mappings.length > 1 && p.mappings[0]!.file.startsWith('/anon_hugepage') && p.mappings[0]!.limit === p.mappings[1]!.start) {
    p.mappings = p.mappings.slice(1);
  }
  const main = p.mappings[0];
  if (main !== undefined && u64(main.start - main.offset) === 0x400000n) {
    main.start = 0x400000n;
    main.offset = 0n;
  }
  if (p.locations.length * p.mappings.length > MAX_MAPPING_WORK) {
    throw legacyError(what, undefined, `memory map of ${p.mappings.length} entries for ${p.locations.length} addresses: too many to match`);
  }
  let fake: Mapping | undefined;
  next: for (const l of p.locations) {
    const a = l.address;
    if (l.mapping !== undefined || a === 0n) continue;
    for (const m of p.mappings) {
      if (m.start <= a && a < m.limit) {
        l.mapping = m;
        continue next;
      }
    }
    for (const m of p.mappings) {
      if (m.offset !== 0n && u64(m.start - m.offset) <= a && a < m.start) {
        m.start = u64(m.start - m.offset);
        m.offset = 0n;
        l.mapping = m;
        continue next;
      }
    }
    if (fake === undefined) {
      fake = newMapping(0n, 0xffffffffffffffffn, 0n, '', '');
      p.mappings.push(fake);
    }
    l.mapping = fake;
  }
  p.mappings.forEach((m, i) => (m.id = i + 1));
}
