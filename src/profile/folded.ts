/**
 * Brendan Gregg's collapsed ("folded") stacks → Profile (flame/folded.ts writes them).
 *
 * One stack per line, root first, frames separated by `;`, then a space and a count:
 *   main;handleRequest;json.Marshal 42
 * Frame names may contain spaces, so the count is whatever follows the LAST space. This is what
 * perf's stackcollapse scripts, async-profiler (`-o collapsed`) and py-spy (`--format raw`) write,
 * and what flamegraph.pl reads.
 */

import type { Location, Profile, ProfileFunction, Sample } from './model.js';
import { ProfileError } from '../errors.js';
import { SampleBudget } from './budgets.js';

const COUNT = /^-?\d+$/;

/** Longest piece of a bad line quoted back in an error message. */
const QUOTE_MAX = 60;

function quote(line: string): string {
  const cut = line.length > QUOTE_MAX ? line.slice(0, QUOTE_MAX) + '…' : line;
  return JSON.stringify(cut);
}

/**
 * The line without trailing spaces, tabs and CRs. Not `/[ \t\r]+$/`: a backtracking engine retries
 * that at every blank of a run that does not end the line, quadratic in the run's length (a line
 * with 40 K blanks before its last frame took 0.9 s; found by fuzzing).
 */
function trimBlanksEnd(line: string): string {
  let end = line.length;
  for (let c = line.charCodeAt(end - 1); c === 0x20 || c === 0x09 || c === 0x0d; c = line.charCodeAt(end - 1)) end--;
  return end === line.length ? line : line.slice(0, end);
}

/**
 * Reads collapsed stacks into a Profile with one sample type, samples/count. Each frame name
 * becomes one function and one location (no mapping, address 0); each non-blank line one sample.
 * Identical lines stay separate samples: merging is the pipeline's job, as for any profile.
 * Negative counts are accepted because pprof profiles may carry them (diffs); fractional ones are not.
 */
export function parseFolded(text: string, budget = new SampleBudget()): Profile {
  const functions: ProfileFunction[] = [];
  const locations: Location[] = [];
  const byName = new Map<string, Location>();
  const samples: Sample[] = [];
  let magnitude = 0;

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    // CRLF files and trailing blanks are common when stacks pass through editors or Windows tools.
    const line = trimBlanksEnd(lines[i]!);
    if (line === '') continue;
    const where = `folded line ${i + 1}`;
    const space = line.lastIndexOf(' ');
    if (space <= 0) {
      throw new ProfileError('malformed', `${where}: expected "frame;frame;... count", got ${quote(line)}`);
    }
    const countText = line.slice(space + 1);
    if (!COUNT.test(countText)) {
      throw new ProfileError('malformed', `${where}: the count after the last space is not a whole number: ${quote(countText)}`);
    }
    const count = Number(countText);
    magnitude += Math.abs(count);
    if (!Number.isSafeInteger(count) || !Number.isSafeInteger(magnitude)) {
      throw new ProfileError('overflow', `${where}: counts beyond 2^53 cannot be summed exactly`);
    }
    const names = line.slice(0, space).split(';');
    const stack: Location[] = new Array(names.length);
    for (let f = 0; f < names.length; f++) {
      const name = names[f]!;
      if (name === '') {
        throw new ProfileError('malformed', `${where}: frame ${f + 1} has an empty name: ${quote(line)}`);
      }
      let loc = byName.get(name);
      if (loc === undefined) {
        budget.name(name);
        const fn: ProfileFunction = { id: functions.length + 1, name, systemName: name, filename: '', startLine: 0 };
        functions.push(fn);
        loc = { id: locations.length + 1, mapping: undefined, address: 0n, lines: [{ function: fn, line: 0 }], isFolded: false };
        locations.push(loc);
        byName.set(name, loc);
      }
      // The file is root first; a Sample is leaf first.
      stack[names.length - 1 - f] = loc;
    }
    budget.sample(stack);
    samples.push({ locations: stack, values: [count], labels: undefined, numLabels: undefined, numUnits: undefined });
  }
  if (samples.length === 0) throw new ProfileError('empty', 'folded stacks: no stack lines in the input');

  const samplesType = { type: 'samples', unit: 'count' };
  return {
    sampleTypes: [samplesType],
    samples,
    mappings: [],
    locations,
    functions,
    dropFrames: '',
    keepFrames: '',
    timeNanos: 0n,
    durationNanos: 0,
    periodType: { ...samplesType },
    period: 1,
    comments: [],
    defaultSampleType: '',
  };
}
