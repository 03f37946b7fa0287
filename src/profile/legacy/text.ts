/**
 * pprof's legacy text profiles (profile/legacy_profile.go): heap (`heap profile: …`, Go's and
 * gperftools'), contention and mutex (`--- contention:`, `--- mutex:`), counts (`threadcreate profile:
 * total N`, `goroutine profile: total N`) and threadz. Values, sample types, periods and locations are
 * pprof's, step for step. Each parser also keeps, per sample, its text line, return addresses and the
 * `#` frame lines under it: what the `?debug=1` writers add and pprof skips as comments, from which
 * index.ts names the frames unless -symbolize=none.
 */
import type { Location, Profile, Sample } from '../model.js';
import type { SampleBudget } from '../budgets.js';
import { isMemoryMapSentinel, parseAdditionalSections } from './mappings.js';
import { cleanupDuplicateLocations } from './cpu.js';
import {
  exactValue, GoRegexp, isSpaceOrComment, legacyError, LineScanner, parseHexAddresses, parseInt64, parseUint64,
  scaleHeapSample, trimSpace, u64, UNRECOGNIZED,
} from './scan.js';

const countStartRE = new GoRegexp(String.raw`\A(\S+) profile: total \d+\z`);
/** pprof's countRE needs one address at least; `N @` alone (threadcreate's) is read as an empty stack, where pprof fails */
const countRE = new GoRegexp(String.raw`\A(\d+) @((?: 0x[0-9a-f]+)*)\z`);
const heapHeaderRE = new GoRegexp(String.raw`heap profile: *(\d+): *(\d+) *\[ *(\d+): *(\d+) *\] *@ *(heap[_a-z0-9]*)/?(\d*)`);
const heapSampleRE = new GoRegexp(String.raw`(-?\d+): *(-?\d+) *\[ *(\d+): *(\d+) *] @([ x0-9a-f]*)`);
const contentionSampleRE = new GoRegexp(String.raw`(\d+) *(\d+) @([ x0-9a-f]*)`);
const growthHeaderRE = new GoRegexp(String.raw`heap profile: *(\d+): *(\d+) *\[ *(\d+): *(\d+) *\] @ growthz?`);
const fragmentationHeaderRE = new GoRegexp(String.raw`heap profile: *(\d+): *(\d+) *\[ *(\d+): *(\d+) *\] @ fragmentationz?`);
const threadzStartRE = new GoRegexp(String.raw`--- threadz \d+ ---`);
const threadStartRE = new GoRegexp(String.raw`--- Thread ([[:xdigit:]]+) \(name: (.*)/(\d+)\) stack: ---`);

/** A sample as written: where, its return addresses, and the `#\t0xPC\tfunc+0xOFF\tfile:line` lines under it. */
export interface StackText {
  line: number;
  addresses: bigint[];
  frames: { text: string; line: number }[];
}

export interface ParsedText {
  profile: Profile;
  /** what names the frames, per sample of `profile` (same order); undefined for formats without `#` lines */
  stacks: StackText[] | undefined;
  /** the format, for messages */
  what: string;
}

function emptyProfile(type: string, unit: string): Profile {
  return {
    sampleTypes: [], samples: [], mappings: [], locations: [], functions: [],
    dropFrames: '', keepFrames: '', timeNanos: 0n, durationNanos: 0,
    periodType: { type, unit }, period: 1, comments: [], defaultSampleType: '',
  };
}

/** One location per address (pprof keys them by address), in order of first appearance. */
class AddressLocations {
  private readonly byAddress = new Map<bigint, Location>();
  constructor(private readonly p: Profile) {}

  get(addr: bigint): Location {
    let loc = this.byAddress.get(addr);
    if (loc === undefined) {
      loc = { id: 0, mapping: undefined, address: addr, lines: [], isFolded: false };
      this.byAddress.set(addr, loc);
      this.p.locations.push(loc);
    }
    return loc;
  }

  /** Return addresses → the call instructions (address − 1, wrapping as uint64). */
  calls(addrs: bigint[]): Location[] {
    return addrs.map((a) => this.get(u64(a - 1n)));
  }
}

function sample(locations: Location[], values: number[]): Sample {
  return { locations, values, labels: undefined, numLabels: undefined, numUnits: undefined };
}

/** Collects the `#\t` frame lines that follow a sample line (pprof skips them as comments). */
function noteComment(stacks: StackText[], line: string, lineNumber: number, budget: SampleBudget): void {
  if (line.startsWith('#\t') && stacks.length > 0) {
    budget.frameLine();
    stacks[stacks.length - 1]!.frames.push({ text: line, line: lineNumber });
  }
}

/** A sample counted against the budgets, then kept. */
function push(p: Profile, budget: SampleBudget, smp: Sample): void {
  budget.sample(smp.locations);
  p.samples.push(smp);
}

// ---------------------------------------------------------------------------------------------
// counts: goroutine, threadcreate

export function parseGoCount(b: Uint8Array, budget: SampleBudget): ParsedText {
  const s = new LineScanner(b);
  while (s.scan() && isSpaceOrComment(s.text()));
  const m = countStartRE.submatch(s.text());
  if (m === null) throw UNRECOGNIZED;
  const what = `${m[1]} profile`;
  s.what = what;
  const p = emptyProfile(m[1]!, 'count');
  p.sampleTypes = [{ type: m[1]!, unit: 'count' }];
  const locs = new AddressLocations(p);
  const stacks: StackText[] = [];
  while (s.scan()) {
    const line = s.text();
    if (isSpaceOrComment(line)) {
      noteComment(stacks, trimSpace(line), s.line, budget);
      continue;
    }
    if (line.startsWith('---')) break;
    const c = countRE.submatch(line);
    if (c === null) throw legacyError(what, s.line, `expected "COUNT @ 0xPC 0xPC ...", got ${quote(line)}`);
    const n = parseInt64(c[1]!, 0);
    if (n === undefined) throw legacyError(what, s.line, `count ${quote(c[1]!)} is not an int64`);
    const addrs = c[2]!.split(' ').filter((f) => f !== '').map((f) => parseUint64(f, 0));
    if (addrs.some((a) => a === undefined)) throw legacyError(what, s.line, 'an address beyond 64 bits');
    const addresses = addrs as bigint[];
    push(p, budget, sample(locs.calls(addresses), [exactValue(n, 'count', s.line, what)]));
    stacks.push({ line: s.line, addresses, frames: [] });
  }
  parseAdditionalSections(s, p, what, budget);
  return { profile: p, stacks, what };
}

// ---------------------------------------------------------------------------------------------
// heap

export function parseHeap(b: Uint8Array, budget: SampleBudget): ParsedText {
  const s = new LineScanner(b);
  if (!s.scan()) throw UNRECOGNIZED;
  const what = 'heap profile';
  const p = emptyProfile('space', 'bytes');
  let sampling = '';
  let rate = 0n;
  let hasAlloc = false;
  const header = heapHeaderRE.submatch(s.text());
  if (header !== null) {
    if (header[6] !== '') {
      const v = parseInt64(header[6]!, 10);
      if (v === undefined) throw UNRECOGNIZED;
      rate = v;
    }
    hasAlloc = (header[3] !== header[1] && header[3] !== '0') || (header[4] !== header[2] && header[4] !== '0');
    switch (header[5]) {
      case 'heapz_v2':
      case 'heap_v2':
        sampling = 'v2';
        break;
      case 'heapprofile':
        rate = 1n;
        break;
      case 'heap':
        // Go's runtime writes heap/<2 × MemProfileRate>.
        sampling = 'v2';
        rate /= 2n;
        break;
      default:
        throw UNRECOGNIZED;
    }
  } else if (growthHeaderRE.submatch(s.text()) !== null || fragmentationHeaderRE.submatch(s.text()) !== null) {
    rate = 1n;
  } else {
    throw UNRECOGNIZED;
  }
  s.what = what;
  p.period = exactValue(rate, 'sampling period', 1, what);
  // alloc before inuse, so that the default (the last type) is inuse_space.
  p.sampleTypes = hasAlloc
    ? [
        { type: 'alloc_objects', unit: 'count' }, { type: 'alloc_space', unit: 'bytes' },
        { type: 'inuse_objects', unit: 'count' }, { type: 'inuse_space', unit: 'bytes' },
      ]
    : [{ type: 'objects', unit: 'count' }, { type: 'space', unit: 'bytes' }];

  const locs = new AddressLocations(p);
  const stacks: StackText[] = [];
  while (s.scan()) {
    const line = trimSpace(s.text());
    if (isSpaceOrComment(line)) {
      noteComment(stacks, line, s.line, budget);
      continue;
    }
    if (isMemoryMapSentinel(line)) break;
    const m = heapSampleRE.submatch(line);
    if (m === null) throw legacyError(what, s.line, `expected "N: BYTES [N: BYTES] @ 0xPC ...", got ${quote(line)}`);
    const values: number[] = [];
    let blockSize = 0n;
    const addValues = (countText: string, sizeText: string, label: string) => {
      let count = parseInt64(countText, 10);
      let size = parseInt64(sizeText, 10);
      if (count === undefined || size === undefined) throw legacyError(what, s.line, `malformed sample: ${quote(line)}: value out of int64 range`);
      if (count === 0n && size !== 0n) throw legacyError(what, s.line, `${label} count was 0 but ${label} bytes was ${size}`);
      if (count !== 0n) {
        blockSize = size / count;
        if (sampling === 'v2') [count, size] = scaleHeapSample(count, size, rate);
      }
      values.push(exactValue(count, `${label} count`, s.line, what), exactValue(size, `${label} bytes`, s.line, what));
    };
    if (hasAlloc) addValues(m[3]!, m[4]!, 'allocation');
    addValues(m[1]!, m[2]!, 'inuse');
    const addresses = parseHexAddresses(m[5]!);
    if (addresses === undefined) throw legacyError(what, s.line, 'an address beyond 64 bits');
    const smp = sample(locs.calls(addresses), values);
    // pprof sets bytes = 0 too, but a zero numeric label without unit does not survive its proto round trip.
    if (blockSize !== 0n) smp.numLabels = { bytes: [exactValue(blockSize, 'block size', s.line, what)] };
    push(p, budget, smp);
    stacks.push({ line: s.line, addresses, frames: [] });
  }
  parseAdditionalSections(s, p, what, budget);
  return { profile: p, stacks, what };
}

// ---------------------------------------------------------------------------------------------
// contention, mutex

export function parseContention(b: Uint8Array, budget: SampleBudget): ParsedText {
  const s = new LineScanner(b);
  if (!s.scan()) throw UNRECOGNIZED;
  const first = s.text();
  if (!first.startsWith('--- contentionz ') && !first.startsWith('--- mutex:') && !first.startsWith('--- contention:')) throw UNRECOGNIZED;
  const what = first.startsWith('--- mutex:') ? 'mutex profile' : 'contention profile';
  s.what = what;
  const p = emptyProfile('contentions', 'count');
  p.sampleTypes = [{ type: 'contentions', unit: 'count' }, { type: 'delay', unit: 'nanoseconds' }];

  // `attribute = value` lines before the samples
  let cpuHz = 0n;
  let period = 1n;
  while (s.scan()) {
    const line = trimSpace(s.text());
    if (isSpaceOrComment(line)) continue;
    if (line.startsWith('---')) break;
    const eq = line.indexOf('=');
    if (eq < 0) break;
    const key = trimSpace(line.slice(0, eq));
    const val = trimSpace(line.slice(eq + 1));
    const int = () => parseInt64(val, 0) ?? ((): never => { throw UNRECOGNIZED; })();
    switch (key) {
      case 'cycles/second':
        cpuHz = int();
        break;
      case 'sampling period':
        period = int();
        break;
      case 'ms since reset':
        p.durationNanos = exactValue(BigInt.asIntN(64, int() * 1_000_000n), 'ms since reset', s.line, what);
        break;
      case 'discarded samples':
        break;
      default:
        // includes `format` and `resolution`: a C++ contentionz profile, which pprof does not read here
        throw UNRECOGNIZED;
    }
  }
  p.period = exactValue(period, 'sampling period', s.line, what);

  const locs = new AddressLocations(p);
  const stacks: StackText[] = [];
  for (;;) {
    const line = trimSpace(s.text());
    if (line.startsWith('---')) break;
    if (!isSpaceOrComment(line)) {
      const m = contentionSampleRE.submatch(line);
      // pprof answers "unrecognized profile format" here; the line number says more.
      if (m === null) throw legacyError(what, s.line, `expected "CYCLES COUNT @ 0xPC ...", got ${quote(line)}`);
      let delay = parseInt64(m[1]!, 10);
      let count = parseInt64(m[2]!, 10);
      if (delay === undefined || count === undefined) throw legacyError(what, s.line, `malformed sample: ${quote(line)}: value out of int64 range`);
      // Unsampled: delays from cycles to nanoseconds, both multiplied by the sampling period.
      if (period > 0n) {
        if (cpuHz > 0n) {
          const cpuGHz = Number(cpuHz) / 1e9;
          const d = (Number(delay) * Number(period)) / cpuGHz;
          delay = Number.isFinite(d) ? BigInt(Math.trunc(d)) : 1n << 63n;
        }
        count = BigInt.asIntN(64, count * period);
      }
      const addresses = parseHexAddresses(m[3]!);
      if (addresses === undefined) throw legacyError(what, s.line, 'an address beyond 64 bits');
      push(p, budget, sample(locs.calls(addresses), [
        exactValue(count, 'contentions', s.line, what), exactValue(delay, 'delay', s.line, what),
      ]));
      stacks.push({ line: s.line, addresses, frames: [] });
    } else {
      noteComment(stacks, line, s.line, budget);
    }
    if (!s.scan()) break;
  }
  parseAdditionalSections(s, p, what, budget);
  return { profile: p, stacks, what };
}

// ---------------------------------------------------------------------------------------------
// threadz

export function parseThread(b: Uint8Array, budget: SampleBudget): ParsedText {
  const s = new LineScanner(b);
  while (s.scan() && isSpaceOrComment(s.text()));
  const what = 'threadz profile';
  let line = s.text();
  if (threadzStartRE.submatch(line) !== null) {
    s.what = what;
    while (s.scan()) {
      line = s.text();
      if (isMemoryMapSentinel(line) || line.startsWith('-')) break;
    }
  } else if (threadStartRE.submatch(line) === null) {
    throw UNRECOGNIZED;
  }
  s.what = what;
  const p = emptyProfile('thread', 'count');
  p.sampleTypes = [{ type: 'thread', unit: 'count' }];
  const byAddress = new AddressLocations(p);
  while (!isMemoryMapSentinel(line)) {
    if (line.startsWith('---- no stack trace for')) {
      line = '';
      break;
    }
    if (threadStartRE.submatch(line) === null) throw UNRECOGNIZED;
    const r = parseThreadSample(s, what, budget);
    line = r.next;
    if (r.addrs.length === 0) {
      // "same as previous thread": one more of the last sample
      const last = p.samples[p.samples.length - 1];
      if (last !== undefined) last.values[0] = exactValue(BigInt(last.values[0]!) + 1n, 'thread count', s.line, what);
      continue;
    }
    // The leaf pc is where the thread is, not a return address.
    push(p, budget, sample(r.addrs.map((a, i) => byAddress.get(i > 0 ? u64(a - 1n) : a)), [1]));
  }
  parseAdditionalSections(s, p, what, budget);
  cleanupDuplicateLocations(p);
  return { profile: p, stacks: undefined, what };
}

function parseThreadSample(s: LineScanner, what: string, budget: SampleBudget): { next: string; addrs: bigint[] } {
  let line = '';
  let sameAsPrevious = false;
  const addrs: bigint[] = [];
  while (s.scan()) {
    line = trimSpace(s.text());
    if (line === '') continue;
    if (line.startsWith('---')) break;
    if (line.includes('same as previous thread')) {
      sameAsPrevious = true;
      continue;
    }
    const a = parseHexAddresses(line);
    if (a === undefined) throw legacyError(what, s.line, 'an address beyond 64 bits');
    // A loop, not push(...a): a line of a million addresses would overflow the call stack.
    for (const x of a) addrs.push(x);
    budget.depth(addrs.length);
  }
  return { next: line, addrs: sameAsPrevious ? [] : addrs };
}

/** A line quoted for an error message, shortened. */
function quote(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}...` : line);
}
