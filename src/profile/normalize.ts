import { compileRegex, type Matcher } from '../regex.js';
import { compactProfile } from './merge.js';
import { numberByFirstUse } from './first-use.js';
import type { Mapping, Profile } from './model.js';
import { DEFAULT_SYMBOLIZE, type SymbolizeMode } from '../options.js';
import { demangleFunctions } from './symbolize.js';

/**
 * What pprof does to every profile before any report (spec §1.6, Go 1.19 order): a fake mapping when
 * there is none, compaction (Merge of the single profile), demangling (as `symbolize`, pprof's
 * -symbolize, says), drop_frames. Consumes its input (names and locations are rewritten in place):
 * pass a freshly decoded profile.
 */
export function normalizeProfile(p: Profile, symbolize: SymbolizeMode = DEFAULT_SYMBOLIZE): Profile {
  const compacted = compactProfile(withMapping(p));
  numberByFirstUse(compacted);
  return finishNormalizing(compacted, symbolize);
}

/**
 * The steps after merging, shared with -base/-diff_base, which merge two profiles instead of one.
 * -symbolize=none skips pprof's symbolizer altogether, and with it the demangling.
 */
export function finishNormalizing(p: Profile, symbolize: SymbolizeMode = DEFAULT_SYMBOLIZE): Profile {
  demangleFunctions(p.functions, symbolize);
  pruneDroppedFrames(p);
  return p;
}

/** pprof's symbolizer adds mapping 1 (no file) to a profile without mappings, and points every location at it. */
export function withMapping(p: Profile): Profile {
  if (p.mappings.length > 0) return p;
  const fake: Mapping = {
    id: 1, start: 0n, limit: 0n, offset: 0n, file: '', buildId: '',
    hasFunctions: false, hasFilenames: false, hasLineNumbers: false, hasInlineFrames: false,
  };
  const locations = new Map(p.locations.map((l) => [l, { ...l, mapping: fake }]));
  return {
    ...p,
    mappings: [fake],
    locations: [...locations.values()],
    samples: p.samples.map((s) => ({ ...s, locations: s.locations.map((l) => locations.get(l) ?? { ...l, mapping: fake }) })),
  };
}

const RESERVED = ['(anonymous namespace)', 'operator()'];

/** pprof's simplifyFunc: drop a leading '.', cut at the first '(' that does not start a reserved name. */
export function simplifyFuncName(f: string): string {
  const s = f.startsWith('.') ? f.slice(1) : f;
  for (let i = 0; i < s.length; i++) {
    const r = RESERVED.find((x) => s.startsWith(x, i));
    if (r !== undefined) {
      i += r.length - 1;
      continue;
    }
    if (s[i] === '(') return s.slice(0, i);
  }
  return s;
}

/**
 * drop_frames/keep_frames from the profile (spec §3.8): allocation profiles name runtime frames that are
 * noise (malloc internals); samples are cut at the first such frame below the first user frame.
 */
function pruneDroppedFrames(p: Profile): void {
  if (p.dropFrames === '') return;
  let drop: Matcher;
  let keep: Matcher | undefined;
  try {
    drop = compileRegex(`^(${p.dropFrames})$`, 'drop_frames');
    if (p.keepFrames !== '') keep = compileRegex(`^(${p.keepFrames})$`, 'keep_frames');
  } catch {
    return; // pprof ignores a profile's broken drop_frames as well (RemoveUninteresting's error is dropped)
  }
  const prune = new Set<number>();
  const pruneBeneath = new Set<number>();
  for (const loc of p.locations) {
    let i = loc.lines.length - 1;
    for (; i >= 0; i--) {
      const name = loc.lines[i]!.function.name;
      if (name === '') continue;
      const simple = simplifyFuncName(name);
      if (drop.test(simple) && (keep === undefined || !keep.test(simple))) break;
    }
    if (i < 0) continue;
    pruneBeneath.add(loc.id);
    if (i === loc.lines.length - 1) prune.add(loc.id);
    else loc.lines = loc.lines.slice(i + 1);
  }
  if (pruneBeneath.size === 0) return;
  for (const s of p.samples) {
    let foundUser = false;
    for (let i = s.locations.length - 1; i >= 0; i--) {
      const id = s.locations[i]!.id;
      if (!prune.has(id) && !pruneBeneath.has(id)) {
        foundUser = true;
        continue;
      }
      if (!foundUser) continue;
      s.locations = prune.has(id) ? s.locations.slice(i + 1) : s.locations.slice(i);
      break;
    }
  }
}
