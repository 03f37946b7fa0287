import type { Location, Mapping, Profile, ProfileFunction } from './model.js';

/**
 * pprof's Merge numbers mappings, locations and functions 1…n in order of first use by the samples (the
 * profile's first mapping first, as it names the binary) and drops the ones no sample uses; -raw shows
 * those ids. compactProfile skips that rebuild when nothing merges, keeping the file's ids, which may be
 * anything up to 2^64−1: this numbers them as Merge would, in place, in one pass over the stacks.
 */
export function numberByFirstUse(p: Profile): void {
  // 0 marks "not numbered yet": the decoder refuses id 0, and every object reachable from a sample is in the tables.
  for (const l of p.locations) l.id = 0;
  for (const f of p.functions) f.id = 0;
  for (const m of p.mappings) m.id = 0;
  const mappings: Mapping[] = [];
  const locations: Location[] = [];
  const functions: ProfileFunction[] = [];
  const useMapping = (m: Mapping) => {
    if (m.id === 0) m.id = mappings.push(m);
  };
  if (p.mappings.length > 0) useMapping(p.mappings[0]!);
  for (const s of p.samples) {
    for (const l of s.locations) {
      if (l.id !== 0) continue;
      if (l.mapping !== undefined) useMapping(l.mapping);
      l.id = locations.push(l);
      for (const ln of l.lines) if (ln.function.id === 0) ln.function.id = functions.push(ln.function);
    }
  }
  p.mappings = mappings;
  p.locations = locations;
  p.functions = functions;
}
