import { IdMap } from './id-map.js';
import type { Line, Location, Mapping, Profile, ProfileFunction, Sample } from './model.js';

/**
 * pprof's profile.Merge: samples with the same stack and labels are summed, all-zero samples dropped,
 * identical mappings/functions/locations shared, the first mapping kept first (it names the binary).
 * pprof runs it even on a single profile, which is visible in -traces (duplicate stacks merged).
 * The caller checks that the profiles are compatible (same sample types).
 */
export function mergeProfiles(srcs: Profile[]): Profile {
  const first = srcs[0]!;
  let timeNanos = 0n;
  let durationNanos = 0;
  let period = 0;
  const comments: string[] = [];
  let defaultSampleType = '';
  for (const s of srcs) {
    // Mirrors pprof: a later zero time wins too (0 < t), so the result is "earliest", zero included.
    if (timeNanos === 0n || s.timeNanos < timeNanos) timeNanos = s.timeNanos;
    durationNanos += s.durationNanos;
    if (period === 0 || period < s.period) period = s.period;
    for (const c of s.comments) if (!comments.includes(c)) comments.push(c);
    if (defaultSampleType === '') defaultSampleType = s.defaultSampleType;
  }
  const out: Profile = {
    sampleTypes: first.sampleTypes.map((t) => ({ ...t })),
    samples: [],
    mappings: [],
    locations: [],
    functions: [],
    dropFrames: first.dropFrames,
    keepFrames: first.keepFrames,
    timeNanos,
    durationNanos,
    periodType: first.periodType,
    period,
    comments,
    defaultSampleType,
  };
  const m = new Merger(out);
  for (const src of srcs) {
    m.startSource();
    if (out.mappings.length === 0 && src.mappings.length > 0) m.mapping(src.mappings[0]!);
    for (const s of src.samples) if (!isZero(s)) m.sample(s);
  }
  // Negative base values can cancel samples out: merge again to drop them, as pprof does.
  if (out.samples.some(isZero)) return mergeProfiles([out]);
  return out;
}

/**
 * Merge of one profile, without rebuilding it when it has nothing to deduplicate (the usual case):
 * identical samples are still summed and all-zero samples dropped, so the result is what
 * `mergeProfiles([p])` gives up to ids and object identity, which no report shows. Copying 23k
 * locations only to find them all distinct was the costliest step of normalizing a large profile.
 * Consumes `p`: its locations may be repointed at an equal, earlier mapping.
 */
export function compactProfile(p: Profile): Profile {
  shareEqualMappings(p);
  if (hasDuplicates(p)) return mergeProfiles([p]);
  // Each bucket holds indices into `samples`, so merging into a sample is O(1) wherever it sits.
  // Bucketed by a hash of stack and labels (a key string per sample was a sixth of a heap
  // profile's `top`); a bucket holds more than one sample only on a hash collision.
  const buckets = new Map<number, number[]>();
  const samples: Sample[] = [];
  const merged = new Set<number>();
  for (const s of p.samples) {
    if (isZero(s)) continue;
    const key = sampleHash(s.locations, s);
    let bucket = buckets.get(key);
    if (bucket === undefined) buckets.set(key, (bucket = []));
    const at = bucket.find((i) => sameStack(samples[i]!.locations, s.locations) && sameLabels(samples[i]!, s));
    if (at === undefined) {
      bucket.push(samples.length);
      samples.push(s);
      continue;
    }
    // Copy on first merge: the input's value arrays are not ours to change.
    if (!merged.has(at)) {
      samples[at] = { ...samples[at]!, values: samples[at]!.values.slice() };
      merged.add(at);
    }
    const values = samples[at]!.values;
    for (let i = 0; i < values.length; i++) values[i]! += s.values[i]!;
  }
  const used = new Set(p.locations.map((l) => l.mapping));
  return { ...p, mappings: p.mappings.filter((m, i) => i === 0 || used.has(m)), samples };
}

/**
 * pprof's merge treats mappings of equal size, offset and build ID (or file) as one, shifting addresses
 * by the difference of their starts. Repoint locations at the first of each such group, in place.
 */
function shareEqualMappings(p: Profile): void {
  const first = new Map<string, Mapping>();
  const canonical = new Map<Mapping, Mapping>();
  for (const m of p.mappings) {
    const key = mappingKey(m);
    const c = first.get(key);
    if (c === undefined) first.set(key, m);
    else canonical.set(m, c);
  }
  if (canonical.size === 0) return;
  for (const l of p.locations) {
    const c = l.mapping && canonical.get(l.mapping);
    if (c === undefined) continue;
    l.address = BigInt.asUintN(64, l.address + (c.start - l.mapping!.start));
    l.mapping = c;
  }
}

/**
 * Are any two functions or locations equal in the sense of pprof's merge keys? Bucketed by a cheap key
 * (the name; the first line) and compared in full only within a bucket: building a string key per
 * location cost more than the rest of normalizing.
 */
function hasDuplicates(p: Profile): boolean {
  const byName = new Map<string, ProfileFunction[]>();
  for (const f of p.functions) {
    const bucket = byName.get(f.name);
    if (bucket === undefined) byName.set(f.name, [f]);
    else if (bucket.some((g) => g.startLine === f.startLine && g.systemName === f.systemName && g.filename === f.filename)) return true;
    else bucket.push(f);
  }
  const byFirstLine = new Map<number, Location[]>();
  for (const l of p.locations) {
    // Address and first line: many locations share a line (or have none) but not an address as well.
    const first = l.lines[0];
    const offset = Number(BigInt.asUintN(32, l.mapping ? l.address - l.mapping.start : l.address));
    const key = ((first === undefined ? 0 : Math.imul(first.function.id, 65599) + first.line) ^ Math.imul(offset, 0x9e3779b1)) >>> 0;
    const bucket = byFirstLine.get(key);
    if (bucket === undefined) byFirstLine.set(key, [l]);
    else if (bucket.some((m) => sameLocation(l, m))) return true;
    else bucket.push(l);
  }
  return false;
}

/** pprof's location key, compared field by field: mapping, address within it, folding, lines. */
function sameLocation(a: Location, b: Location): boolean {
  if (a.mapping !== b.mapping || a.isFolded !== b.isFolded || a.lines.length !== b.lines.length) return false;
  const offset = (l: Location) => (l.mapping ? l.address - l.mapping.start : l.address);
  if (offset(a) !== offset(b)) return false;
  return a.lines.every((ln, i) => ln.function === b.lines[i]!.function && ln.line === b.lines[i]!.line);
}

function isZero(s: Sample): boolean {
  for (const v of s.values) if (v !== 0) return false;
  return true;
}

interface MappingInfo {
  m: Mapping;
  /** address shift when an equal mapping was loaded at another start address */
  offset: bigint;
}

class Merger {
  private samples = new Map<number, Sample[]>();
  private locations = new Map<string, Location>();
  private functions = new Map<string, ProfileFunction>();
  private mappings = new Map<string, Mapping>();
  private locationsBySrc = new IdMap<Location>();
  private functionsBySrc = new IdMap<ProfileFunction>();
  private mappingsBySrc = new IdMap<MappingInfo>();

  constructor(private readonly p: Profile) {}

  startSource(): void {
    this.locationsBySrc.clear();
    this.functionsBySrc.clear();
    this.mappingsBySrc.clear();
  }

  sample(src: Sample): void {
    const locations = src.locations.map((l) => this.location(l));
    // Keyed by a hash of stack and labels, with collisions resolved by comparing them: a string
    // per sample made this the costliest step on deep profiles (see compactProfile).
    const key = sampleHash(locations, src);
    let bucket = this.samples.get(key);
    if (bucket === undefined) this.samples.set(key, (bucket = []));
    for (const existing of bucket) {
      if (sameStack(existing.locations, locations) && sameLabels(existing, src)) {
        for (let i = 0; i < src.values.length; i++) existing.values[i] += src.values[i]!;
        return;
      }
    }
    const s: Sample = {
      locations,
      values: src.values.slice(),
      labels: src.labels,
      numLabels: src.numLabels,
      numUnits: src.numUnits,
    };
    bucket.push(s);
    this.p.samples.push(s);
  }

  mapping(src: Mapping | undefined): MappingInfo | undefined {
    if (src === undefined) return undefined;
    const known = this.mappingsBySrc.get(src.id);
    if (known) return known;
    const key = mappingKey(src);
    const existing = this.mappings.get(key);
    let info: MappingInfo;
    if (existing) {
      info = { m: existing, offset: existing.start - src.start };
    } else {
      const m: Mapping = { ...src, id: this.p.mappings.length + 1 };
      this.p.mappings.push(m);
      this.mappings.set(key, m);
      info = { m, offset: 0n };
    }
    this.mappingsBySrc.set(src.id, info);
    return info;
  }

  private location(src: Location): Location {
    const known = this.locationsBySrc.get(src.id);
    if (known) return known;
    const mi = this.mapping(src.mapping);
    const lines: Line[] = src.lines.map((ln) => ({ function: this.function(ln.function), line: ln.line }));
    const l: Location = {
      id: this.p.locations.length + 1,
      mapping: mi?.m,
      address: BigInt.asUintN(64, src.address + (mi?.offset ?? 0n)),
      lines,
      isFolded: src.isFolded,
    };
    const key = locationKey(l);
    const existing = this.locations.get(key);
    if (existing) {
      this.locationsBySrc.set(src.id, existing);
      return existing;
    }
    this.locationsBySrc.set(src.id, l);
    this.locations.set(key, l);
    this.p.locations.push(l);
    return l;
  }

  private function(src: ProfileFunction): ProfileFunction {
    const known = this.functionsBySrc.get(src.id);
    if (known) return known;
    const key = `${src.startLine}\u0000${src.name}\u0000${src.systemName}\u0000${src.filename}`;
    let f = this.functions.get(key);
    if (f === undefined) {
      f = { ...src, id: this.p.functions.length + 1 };
      this.functions.set(key, f);
      this.p.functions.push(f);
    }
    this.functionsBySrc.set(src.id, f);
    return f;
  }
}

function mappingKey(m: Mapping): string {
  // pprof rounds the size up to 4 KiB and prefers the build ID over the file name.
  const round = 0x1000n;
  let size = m.limit - m.start + round - 1n;
  size -= size % round;
  return `${size}\u0000${m.offset}\u0000${m.buildId !== '' ? m.buildId : m.file}`;
}

function locationKey(l: Location): string {
  const addr = l.mapping ? l.address - l.mapping.start : l.address;
  const lines = l.lines.map((ln) => `${ln.function.id}:${ln.line}`).join('|');
  return `${addr}\u0000${l.mapping?.id ?? 0}\u0000${l.isFolded}\u0000${lines}`;
}

/**
 * FNV-1a over the stack's location ids and the labels' hash: equal for samples that may merge.
 * The labels count, not only the stack: samples of one stack that each carry their own label (a
 * span id, say) would otherwise share a bucket and be compared each with all before it.
 */
function sampleHash(locations: Location[], labelled: Sample): number {
  let h = 0x811c9dc5;
  for (const l of locations) h = Math.imul(h ^ l.id, 0x01000193);
  if (labelled.labels || labelled.numLabels) h = Math.imul(h ^ labelKey(labelled).hash, 0x01000193);
  return h >>> 0;
}

function sameStack(a: Location[], b: Location[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Equal labels, as labelKey compares them; a sample with no label objects equals only another such. */
function sameLabels(a: Sample, b: Sample): boolean {
  // The decoder's samples with equal labels share the same objects: most comparisons end here.
  if (a.labels === b.labels && a.numLabels === b.numLabels && a.numUnits === b.numUnits) return true;
  const aHas = Boolean(a.labels || a.numLabels);
  const bHas = Boolean(b.labels || b.numLabels);
  return aHas && bHas && labelKey(a).key === labelKey(b).key;
}

/** A label set as a string that is equal for equal labels, and a hash of that string. */
interface LabelKey {
  key: string;
  hash: number;
}

/** Samples merge only when their labels are equal too: values in order, numeric units included. */
function labelKey(s: Sample): LabelKey {
  // The decoder shares one label set among the samples that have equal labels: key each set once.
  const byNum = labelKeys.get(s.labels ?? NO_LABELS);
  const cached = byNum?.get(s.numLabels ?? NO_LABELS);
  if (cached !== undefined && s.numUnits === undefined) return cached;
  const parts: string[] = [];
  if (s.labels) for (const k of Object.keys(s.labels).sort()) parts.push(JSON.stringify([k, s.labels[k]]));
  parts.push('\u0002');
  if (s.numLabels) {
    for (const k of Object.keys(s.numLabels).sort()) parts.push(JSON.stringify([k, s.numLabels[k], s.numUnits?.[k] ?? []]));
  }
  const text = parts.join('');
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  const entry = { key: text, hash };
  // Only frozen sets (the decoder's) are cached: anyone else's could still change.
  if (s.numUnits === undefined && Object.isFrozen(s.labels ?? NO_LABELS) && Object.isFrozen(s.numLabels ?? NO_LABELS)) {
    if (byNum === undefined) labelKeys.set(s.labels ?? NO_LABELS, new WeakMap([[s.numLabels ?? NO_LABELS, entry]]));
    else byNum.set(s.numLabels ?? NO_LABELS, entry);
  }
  return entry;
}

const NO_LABELS = Object.freeze({});
/** Label set objects → their key; weak, so nothing outlives the profiles it came from. */
const labelKeys = new WeakMap<object, WeakMap<object, LabelKey>>();
