/**
 * Samples are summed when their stacks and their labels are equal (pprof's Merge), by compactProfile
 * (one profile, as normalization runs it) and mergeProfiles (bases, duplicates) alike: equal labels in
 * different objects merge, different labels or units do not, and a sample with no labels never merges
 * with one that has a label object, even an empty one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Location, Profile, ProfileFunction, Sample } from '../../src/profile/model.js';
import { compactProfile, mergeProfiles } from '../../src/profile/merge.js';

function fn(id: number, name: string): ProfileFunction {
  return { id, name, systemName: name, filename: 'f.go', startLine: 0 };
}

function loc(id: number, f: ProfileFunction): Location {
  return { id, mapping: undefined, address: BigInt(0x1000 + id), lines: [{ function: f, line: id }], isFolded: false };
}

function profile(samples: Sample[], locations: Location[], functions: ProfileFunction[]): Profile {
  return {
    sampleTypes: [{ type: 'alloc_space', unit: 'bytes' }], samples, mappings: [], locations, functions, dropFrames: '', keepFrames: '',
    timeNanos: 0n, durationNanos: 0, periodType: { type: 'space', unit: 'bytes' }, period: 1, comments: [], defaultSampleType: '',
  };
}

function sample(locations: Location[], value: number, labels?: Sample['labels'], numLabels?: Sample['numLabels'], numUnits?: Sample['numUnits']): Sample {
  return { locations, values: [value], labels, numLabels, numUnits };
}

/** What is left, as text: stack, value and labels per sample, in order (JSON: an absent set is null). */
function shown(p: Profile): string[] {
  return p.samples.map((s) => `${s.locations.map((l) => l.id).join(',')} ${s.values[0]} ${JSON.stringify([s.labels, s.numLabels, s.numUnits])}`);
}

const cases = () => {
  const fa = fn(1, 'a');
  const fb = fn(2, 'b');
  const la = loc(1, fa);
  const lb = loc(2, fb);
  const stack = [la, lb];
  const samples = [
    sample(stack, 1),
    sample(stack, 2, { tier: ['web'] }),
    sample(stack, 4, { tier: ['web'] }), // equal labels, other objects: merged into the one above
    sample(stack, 8, { tier: ['db'] }),
    sample(stack, 16), // no labels: merged into the first
    sample(stack, 32, {}), // an (empty) label object: not the same as none
    sample(stack, 64, undefined, { bytes: [512] }),
    sample(stack, 128, undefined, { bytes: [512] }, { bytes: ['bytes'] }), // a unit makes it different
    sample(stack, 256, undefined, { bytes: [512] }),
    sample([lb], 512, { tier: ['web'] }), // another stack
  ];
  return profile(samples, [la, lb], [fa, fb]);
};

const expected = [
  '1,2 17 [null,null,null]',
  '1,2 6 [{"tier":["web"]},null,null]',
  '1,2 8 [{"tier":["db"]},null,null]',
  '1,2 32 [{},null,null]',
  '1,2 320 [null,{"bytes":[512]},null]',
  '1,2 128 [null,{"bytes":[512]},{"bytes":["bytes"]}]',
  '2 512 [{"tier":["web"]},null,null]',
];

test('compactProfile sums samples of equal stacks and equal labels only', () => {
  assert.deepEqual(shown(compactProfile(cases())), expected);
});

test('mergeProfiles sums them the same way', () => {
  assert.deepEqual(shown(mergeProfiles([cases()])), expected);
});
