/**
 * The decoder's budgets (src/limits.ts) for inputs read as text: goroutine dumps, folded stacks and
 * pprof's legacy formats. Their parsers count what they push as they push it (SampleBudget), so that
 * 512 MiB of inflated text is refused at its 1,500,001st sample, not once it is all in memory; a
 * finished legacy profile is checked once more (checkProfileBudgets), when its frames have their names.
 */
import { CLI_LIMITS } from '../limits.js';
import { framesOf, overBudget, tooMany, tooManyFrames, type DecodeLimits } from './decode.js';
import type { Location, Profile } from './model.js';

export class SampleBudget {
  private readonly maxSamples: number;
  private readonly maxFrames: number;
  private readonly maxStackDepth: number;
  private readonly maxNameBytes: number;
  private readonly maxEntries: number;
  private samples = 0;
  private frames = 0;
  private frameLines = 0;

  constructor(limits: DecodeLimits = {}) {
    this.maxSamples = limits.maxSamples ?? CLI_LIMITS.maxSamples;
    this.maxFrames = limits.maxFrames ?? CLI_LIMITS.maxFrames;
    this.maxStackDepth = limits.maxStackDepth ?? CLI_LIMITS.maxStackDepth;
    this.maxNameBytes = limits.maxNameBytes ?? CLI_LIMITS.maxNameBytes;
    this.maxEntries = limits.maxEntries ?? CLI_LIMITS.maxEntries;
  }

  /** One more sample with these locations, counted before it is kept. */
  sample(locations: readonly Location[]): void {
    if (++this.samples > this.maxSamples) throw tooMany('samples', this.maxSamples, 'maxSamples');
    this.depth(locations.length);
    for (const l of locations) this.frames += framesOf(l);
    if (this.frames > this.maxFrames) throw tooManyFrames(this.maxFrames);
  }

  /** A stack of `depth` frames, before it is read. */
  depth(depth: number): void {
    if (depth > this.maxStackDepth) throw overBudget('maxStackDepth', this.maxStackDepth, `a sample's stack has more than ${this.maxStackDepth} frames`);
  }

  /**
   * One frame as its text names it (a `#` line of a `?debug=1` text, a call of a goroutine dump), before
   * it is kept: named frames are frames of the stacks, counted apart from the samples' addresses, which
   * they mostly repeat.
   */
  frameLine(): void {
    if (++this.frameLines > this.maxFrames) throw tooManyFrames(this.maxFrames);
  }

  /** Entries of a table other than the samples (memory-map entries, …): `count` after one more. */
  entries(count: number, what: string): void {
    if (count > this.maxEntries) throw tooMany(what, this.maxEntries, 'maxEntries');
  }

  name(name: string): void {
    // UTF-16 units ≤ UTF-8 bytes ≤ 3 × units: count bytes only when it could matter.
    if (name.length * 3 > this.maxNameBytes && Buffer.byteLength(name, 'utf8') > this.maxNameBytes) {
      throw overBudget('maxNameBytes', this.maxNameBytes, `a name is ${Buffer.byteLength(name, 'utf8')} bytes long, over ${this.maxNameBytes}`);
    }
  }
}

/** The budgets on a finished profile, before any report walks it. */
export function checkProfileBudgets(p: Profile, limits: DecodeLimits = {}): void {
  const budget = new SampleBudget(limits);
  for (const s of p.samples) budget.sample(s.locations);
  for (const f of p.functions) {
    budget.name(f.name);
    budget.name(f.filename);
  }
}
