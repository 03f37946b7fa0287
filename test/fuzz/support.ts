/**
 * Shared pieces of the property-based fuzz tests (fast-check): the run budget, the fixed seed,
 * fixture access, the per-run time bound and the Profile invariants every parser's result must
 * satisfy.
 *
 * Budget: `npm test` runs each property a fixed number of times from a fixed seed, so CI is
 * deterministic and quick. `HOTPATH_FUZZ_RUNS=100000 npm run fuzz` runs the cheap properties that
 * many times (the costly ones a share of it); `HOTPATH_FUZZ_SEED=n` explores other inputs. A
 * failure prints fast-check's seed and path, which replay it exactly.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Parameters } from 'fast-check';
import type { Profile } from '../../src/profile/model.js';

// Compiled to build/test/fuzz/: the fixtures stay in the source tree.
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
export const SHOPD = join(FIXTURES, 'corpus/profiles/shopd');
export const FUZZ_FIXTURES = join(FIXTURES, 'fuzz');

const LONG_RUNS = process.env['HOTPATH_FUZZ_RUNS'] ? Number(process.env['HOTPATH_FUZZ_RUNS']) : undefined;
if (LONG_RUNS !== undefined && !(Number.isSafeInteger(LONG_RUNS) && LONG_RUNS > 0)) {
  throw new Error(`HOTPATH_FUZZ_RUNS must be a positive integer, got ${process.env['HOTPATH_FUZZ_RUNS']}`);
}
export const SEED = process.env['HOTPATH_FUZZ_SEED'] ? Number(process.env['HOTPATH_FUZZ_SEED']) : 0x5eed;

/** True under `HOTPATH_FUZZ_RUNS`: tests give themselves no wall-clock timeout then. */
export const LONG_RUN = LONG_RUNS !== undefined;

/**
 * fast-check parameters: `defaultRuns` in `npm test`; under HOTPATH_FUZZ_RUNS=N, N × `share`
 * (for properties that cost far more per run than the parsers alone), never fewer than the default.
 */
export function fuzzParams<T>(defaultRuns: number, share = 1): Parameters<T> {
  const numRuns = LONG_RUNS === undefined ? defaultRuns : Math.max(defaultRuns, Math.round(LONG_RUNS * share));
  return { seed: SEED, numRuns, includeErrorInReport: true };
}

/**
 * Returns a function to await in an async property: it lets the event loop turn every `every`
 * calls. node:zlib closes the handle of a failed gunzipSync on a later tick, so in one
 * synchronous loop every corrupt gzip input keeps ~16 KB until the loop yields (20 K failures:
 * 300 MB). A server yields between requests; a fuzz loop must do it itself.
 */
export function breather(every = 250): () => Promise<void> {
  let calls = 0;
  return async () => {
    if (++calls % every === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  };
}

/** Counts what a property saw, for the summary line each fuzz test prints. */
export class Tally {
  private readonly counts = new Map<string, number>();
  private readonly started = performance.now();
  runs = 0;

  add(outcome: string): void {
    this.runs++;
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
  }

  get(outcome: string): number {
    return this.counts.get(outcome) ?? 0;
  }

  /** `name: N runs in T s (R runs/s), peak RSS M MiB; outcome a, outcome b …` */
  summary(name: string): string {
    const seconds = (performance.now() - this.started) / 1000;
    const parts = [...this.counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`);
    const peakMiB = Math.round(process.resourceUsage().maxRSS / 1024);
    return `${name}: ${this.runs} runs in ${seconds.toFixed(1)} s (${Math.round(this.runs / seconds)} runs/s), peak RSS ${peakMiB} MiB; ${parts.join(', ')}`;
  }
}

/**
 * Runs `fn` and fails when it took longer than `limitMs`. A synchronous parser cannot be stopped
 * from outside, so "never hangs" is checked as "every run over inputs this small is fast": a
 * super-linear path shows up as one slow run, which fast-check then shrinks.
 */
export function timed<T>(limitMs: number, what: string, fn: () => T): T {
  const start = performance.now();
  try {
    return fn();
  } finally {
    const took = performance.now() - start;
    if (took > limitMs) assert.fail(`${what} took ${took.toFixed(0)} ms (bound ${limitMs} ms)`);
  }
}

/** The error `fn` threw, or undefined when it returned; any other class than `allowed` fails. */
export function outcomeOf<T>(fn: () => T, allowed: readonly (abstract new (...args: never[]) => Error)[]): { value?: T; error?: Error } {
  try {
    return { value: fn() };
  } catch (err) {
    if (allowed.some((cls) => err instanceof cls)) return { error: err as Error };
    const name = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err);
    return assert.fail(`expected ${allowed.map((c) => c.name).join(' or ')}, got ${name}`);
  }
}

export function readFixture(...path: string[]): Buffer {
  return readFileSync(join(FIXTURES, ...path));
}

export function listFiles(dir: string, suffix: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(suffix)).sort().map((f) => join(dir, f));
}

/** 1-based line count as a parser numbers lines: a trailing newline does not start a line. */
export function lineCount(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10 && i < text.length - 1) n++;
  return n;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const UINT64_MAX = (1n << 64n) - 1n;

/**
 * What src/profile/model.ts promises of every Profile a parser returns: each reference points at
 * an object of the same profile, ids are unique non-zero safe integers (negative: the decoder's
 * stand-ins for ids above 2^53−1, see big-ids.ts), every sample has one
 * value per sample type, values and numeric labels are safe integers, and each column's sum of
 * |values| is within 2^53−1 (so later arithmetic is exact).
 */
export function assertProfileInvariants(p: Profile): void {
  const isStr = (s: unknown, what: string) => assert.equal(typeof s, 'string', `${what} is a string`);
  const isInt = (n: unknown, what: string) => assert.ok(typeof n === 'number' && Number.isFinite(n) && Number.isInteger(n), `${what} is a finite integer (${String(n)})`);
  const isU64 = (n: unknown, what: string) => assert.ok(typeof n === 'bigint' && n >= 0n && n <= UINT64_MAX, `${what} is a uint64 (${String(n)})`);
  const uniqueIds = (items: readonly { id: number }[], what: string) => {
    const seen = new Set<number>();
    for (const item of items) {
      assert.ok(Number.isSafeInteger(item.id) && item.id !== 0, `${what} id ${item.id} is a non-zero safe integer`);
      assert.ok(!seen.has(item.id), `${what} id ${item.id} is unique`);
      seen.add(item.id);
    }
  };

  for (const t of [...p.sampleTypes, p.periodType]) {
    isStr(t.type, 'sample type');
    isStr(t.unit, 'sample unit');
  }
  for (const s of [p.dropFrames, p.keepFrames, p.defaultSampleType, ...p.comments]) isStr(s, 'profile string');
  assert.equal(typeof p.timeNanos, 'bigint', 'time_nanos');
  isInt(p.durationNanos, 'duration_nanos');
  isInt(p.period, 'period');

  uniqueIds(p.mappings, 'mapping');
  for (const m of p.mappings) {
    isU64(m.start, 'mapping start');
    isU64(m.limit, 'mapping limit');
    isU64(m.offset, 'mapping offset');
    isStr(m.file, 'mapping file');
    isStr(m.buildId, 'mapping build id');
  }
  uniqueIds(p.functions, 'function');
  for (const f of p.functions) {
    isStr(f.name, 'function name');
    isStr(f.systemName, 'function system name');
    isStr(f.filename, 'function filename');
    isInt(f.startLine, 'function start line');
  }
  const mappings = new Set(p.mappings);
  const functions = new Set(p.functions);
  uniqueIds(p.locations, 'location');
  for (const loc of p.locations) {
    assert.ok(loc.mapping === undefined || mappings.has(loc.mapping), `location ${loc.id}: its mapping is one of the profile's`);
    isU64(loc.address, 'location address');
    for (const line of loc.lines) {
      assert.ok(functions.has(line.function), `location ${loc.id}: its function is one of the profile's`);
      isInt(line.line, 'line number');
    }
  }
  const locations = new Set(p.locations);
  const absSums = new Array<number>(p.sampleTypes.length).fill(0);
  for (const [i, s] of p.samples.entries()) {
    for (const loc of s.locations) assert.ok(locations.has(loc), `sample ${i}: its locations are the profile's`);
    assert.equal(s.values.length, p.sampleTypes.length, `sample ${i} has one value per sample type`);
    for (const [c, v] of s.values.entries()) {
      assert.ok(Number.isSafeInteger(v), `sample ${i} value ${v} is a safe integer`);
      absSums[c] += Math.abs(v);
      assert.ok(absSums[c]! <= MAX_SAFE, `column ${c}: Σ|value| stays within 2^53−1`);
    }
    for (const values of Object.values(s.labels ?? {})) for (const v of values) isStr(v, 'label value');
    for (const [key, values] of Object.entries(s.numLabels ?? {})) {
      for (const v of values) assert.ok(Number.isSafeInteger(v), `sample ${i} numeric label ${key}=${v} is a safe integer`);
      const units = s.numUnits?.[key];
      if (units !== undefined) assert.equal(units.length, values.length, `numeric label ${key}: one unit per value`);
    }
    for (const key of Object.keys(s.numUnits ?? {})) assert.ok(s.numLabels?.[key] !== undefined, `unit for numeric label ${key} has values`);
  }
}
