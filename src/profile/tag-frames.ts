import { scaledLabel } from '../format/units.js';
import type { Location, Profile, ProfileFunction, Sample } from './model.js';

/**
 * -tagroot / -tagleaf (spec §3.9): a label becomes a pseudo frame at the root or leaf of every stack, so
 * a graph splits by tenant or endpoint. The frame's name is the sample's values for the key (joined by
 * ","), its file name the key; samples without the key get a nameless frame (`<unknown>`).
 */
export function addLabelFrames(p: Profile, rootKeys: string[], leafKeys: string[], outputUnit: string): { profile: Profile; warnings: string[] } {
  let nextLoc = Math.max(0, ...p.locations.map((l) => l.id)) + 1;
  let nextFn = Math.max(0, ...p.functions.map((f) => f.id)) + 1;
  const locations = p.locations.slice();
  const functions = p.functions.slice();
  const interned = new Map<string, Location>();
  const intern = (name: string, file: string): Location => {
    const key = `${name}\u0000${file}`;
    let loc = interned.get(key);
    if (loc === undefined) {
      const fn: ProfileFunction = { id: nextFn++, name, systemName: '', filename: file, startLine: 0 };
      loc = { id: nextLoc++, mapping: undefined, address: 0n, lines: [{ function: fn, line: 0 }], isFolded: false };
      functions.push(fn);
      locations.push(loc);
      interned.set(key, loc);
    }
    return loc;
  };
  let rootMatched = false;
  let leafMatched = false;
  const frames = (s: Sample, keys: string[]): [Location[], boolean] => {
    const out: Location[] = [];
    let matched = false;
    for (let i = keys.length - 1; i >= 0; i--) {
      const values = labelValues(s, keys[i]!, outputUnit);
      if (values.length > 0) matched = true;
      out.push(intern(values.join(','), keys[i]!));
    }
    return [out, matched];
  };
  const samples = p.samples.map((s) => {
    const [roots, rm] = frames(s, rootKeys);
    const [leaves, lm] = frames(s, leafKeys);
    rootMatched ||= rm;
    leafMatched ||= lm;
    return { ...s, locations: [...leaves, ...s.locations, ...roots] };
  });
  const warnings: string[] = [];
  if (rootKeys.length > 0 && !rootMatched) warnings.push('TagRoot expression matched no samples');
  if (leafKeys.length > 0 && !leafMatched) warnings.push('TagLeaf expression matched no samples');
  return { profile: { ...p, samples, locations, functions }, warnings };
}

function labelValues(s: Sample, key: string, outputUnit: string): string[] {
  const values = [...(s.labels?.[key] ?? [])];
  const nums = s.numLabels?.[key] ?? [];
  const units = s.numUnits?.[key] ?? [];
  if (nums.length !== units.length && units.length !== 0) return values;
  nums.forEach((v, i) => values.push(units.length !== 0 ? scaledLabel(v, units[i]!, outputUnit) : scaledLabel(v, '', '')));
  return values;
}

/** "a,,b" → ["a", "b"]: pprof drops empty keys. */
export function labelKeys(list: string | undefined): string[] {
  return (list ?? '').split(',').filter((k) => k !== '');
}
