import type { Line, Location, Mapping, Profile, ProfileFunction, Sample } from './model.js';

/**
 * pprof's profile.Merge: samples with the same stack and labels are summed, all-zero samples dropped,
 * identical mappings/functions/locations shared, the first mapping kept first (it names the binary).
 * pprof runs it even on a single profile, which is visible in -traces (duplicate stacks merged).
 * The caller checks that the profiles are compatible (same sample types).
 */
export function mergeProfiles(srcs: Profile[]): Profile {
  const first = srcs[0]!;
  let timeNanos = 0;
  let durationNanos = 0;
  let period = 0;
  const comments: string[] = [];
  let defaultSampleType = '';
  for (const s of srcs) {
    // Mirrors pprof: a later zero time wins too (0 < t), so the result is "earliest", zero included.
    if (timeNanos === 0 || s.timeNanos < timeNanos) timeNanos = s.timeNanos;
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
  private samples = new Map<string, Sample>();
  private locations = new Map<string, Location>();
  private functions = new Map<string, ProfileFunction>();
  private mappings = new Map<string, Mapping>();
  private locationsBySrc = new Map<Location, Location>();
  private functionsBySrc = new Map<ProfileFunction, ProfileFunction>();
  private mappingsBySrc = new Map<Mapping, MappingInfo>();
  private locationIds = new Map<Location, number>();

  constructor(private readonly p: Profile) {}

  startSource(): void {
    this.locationsBySrc.clear();
    this.functionsBySrc.clear();
    this.mappingsBySrc.clear();
  }

  sample(src: Sample): void {
    const locations = src.locations.map((l) => this.location(l));
    const key = sampleKey(locations.map((l) => this.locationIds.get(l)!), src);
    const existing = this.samples.get(key);
    if (existing !== undefined) {
      for (let i = 0; i < src.values.length; i++) existing.values[i] += src.values[i]!;
      return;
    }
    const s: Sample = {
      locations,
      values: src.values.slice(),
      labels: src.labels,
      numLabels: src.numLabels,
      numUnits: src.numUnits,
    };
    this.samples.set(key, s);
    this.p.samples.push(s);
  }

  mapping(src: Mapping | undefined): MappingInfo | undefined {
    if (src === undefined) return undefined;
    const known = this.mappingsBySrc.get(src);
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
    this.mappingsBySrc.set(src, info);
    return info;
  }

  private location(src: Location): Location {
    const known = this.locationsBySrc.get(src);
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
      this.locationsBySrc.set(src, existing);
      return existing;
    }
    this.locationsBySrc.set(src, l);
    this.locations.set(key, l);
    this.locationIds.set(l, l.id);
    this.p.locations.push(l);
    return l;
  }

  private function(src: ProfileFunction): ProfileFunction {
    const known = this.functionsBySrc.get(src);
    if (known) return known;
    const key = `${src.startLine}\u0000${src.name}\u0000${src.systemName}\u0000${src.filename}`;
    let f = this.functions.get(key);
    if (f === undefined) {
      f = { ...src, id: this.p.functions.length + 1 };
      this.functions.set(key, f);
      this.p.functions.push(f);
    }
    this.functionsBySrc.set(src, f);
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

function sampleKey(locationIds: number[], s: Sample): string {
  const parts = [locationIds.join('|')];
  if (s.labels) parts.push(Object.keys(s.labels).sort().map((k) => JSON.stringify([k, s.labels![k]])).join(''));
  else parts.push('');
  if (s.numLabels) {
    parts.push(Object.keys(s.numLabels).sort()
      .map((k) => JSON.stringify([k, s.numLabels![k], s.numUnits?.[k] ?? []])).join(''));
  }
  return parts.join('\u0001');
}
