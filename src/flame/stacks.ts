/**
 * A sample's call stack as a list of frame names, root first, with inlined frames expanded.
 * Shared by the folded-stacks writer and the flame tree so that both name frames the same way,
 * and the same way pprof's -traces does (functions granularity, no path trimming).
 */

import type { Location, Profile, Sample } from '../profile/model.js';
import { OptionsError } from '../errors.js';
import { frameInfo, printableName } from '../graph/node-info.js';

/**
 * The frames of one location, outermost first. A location's lines are stored innermost first
 * (the inlined callee, then its callers, the out-of-line function last), so they are reversed.
 * A location without lines is one frame named like pprof does (`[binary]` or `<unknown>`).
 */
export function locationFrames(loc: Location): string[] {
  if (loc.lines.length === 0) return [printableName(frameInfo(loc, undefined, 'functions', false))];
  const names: string[] = new Array(loc.lines.length);
  for (let i = 0; i < loc.lines.length; i++) {
    names[loc.lines.length - 1 - i] = printableName(frameInfo(loc, loc.lines[i], 'functions', false));
  }
  return names;
}

/**
 * Names frames once per location: profiles reuse locations across many samples, so this turns
 * the per-sample work into array concatenation.
 */
export class StackNamer {
  private readonly byLocation = new Map<Location, string[]>();

  /** Frame names of `sample`, root first, leaf last. */
  frames(sample: Sample): string[] {
    const out: string[] = [];
    const locs = sample.locations;
    for (let i = locs.length - 1; i >= 0; i--) {
      const loc = locs[i]!;
      let names = this.byLocation.get(loc);
      if (names === undefined) {
        names = locationFrames(loc);
        this.byLocation.set(loc, names);
      }
      for (const n of names) out.push(n);
    }
    return out;
  }
}

/** Throws unless `valueIndex` selects one of the profile's sample types. */
export function checkValueIndex(profile: Profile, valueIndex: number): void {
  if (!Number.isInteger(valueIndex) || valueIndex < 0 || valueIndex >= profile.sampleTypes.length) {
    const types = profile.sampleTypes.map((t) => t.type).join(' ');
    throw new OptionsError(`value index ${valueIndex} must select one of: [${types}]`, 'sample_index');
  }
}
