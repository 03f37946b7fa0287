/**
 * gperftools' binary CPU profile (profile/legacy_profile.go parseCPU, cpuProfile, parseCPUSamples) and
 * pprof's legacy Java variant (legacy_java_profile.go javaCPUProfile): a header of five words, samples
 * `count, depth, pc…`, an end marker `0, 1, 0`, then the process's memory map as text. Words are 32 or
 * 64 bits in either byte order, told apart by which reading makes the header valid.
 */
import type { Location, Profile } from '../model.js';
import type { SampleBudget } from '../budgets.js';
import { parseMemoryMap } from './mappings.js';
import { parseJavaLocations } from './java.js';
import { exactValue, LineScanner, UNRECOGNIZED } from './scan.js';

const FORMAT = 'legacy CPU profile';

/** Reads one word at a time; `failed` is Go's nil slice: a read past the end gives 0 and ends the data. */
class WordReader {
  pos: number;
  failed = false;
  private readonly view: DataView;

  constructor(private readonly b: Uint8Array, readonly width: 4 | 8, readonly littleEndian: boolean, start = 0) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.failed ? 0 : this.b.length - this.pos;
  }

  read(): bigint {
    if (this.failed || this.remaining < this.width) {
      this.failed = true;
      return 0n;
    }
    const v = this.width === 4 ? BigInt(this.view.getUint32(this.pos, this.littleEndian)) : this.view.getBigUint64(this.pos, this.littleEndian);
    this.pos += this.width;
    return v;
  }
}

/** pprof's order of trial: 32-bit little, 32-bit big, 64-bit little, 64-bit big endian. */
const LAYOUTS: [4 | 8, boolean][] = [[4, true], [4, false], [8, true], [8, false]];

/** parseCPU: a C++ (version 0) or Java (version 1) CPU profile, or UNRECOGNIZED. */
export function parseCpu(b: Uint8Array, budget: SampleBudget): Profile {
  for (const [width, le] of LAYOUTS) {
    const r = new WordReader(b, width, le);
    const n = [r.read(), r.read(), r.read(), r.read(), r.read()];
    if (r.failed || n[0] !== 0n || n[1] !== 3n || n[3]! <= 0n || n[4] !== 0n) continue;
    // int64(n4): a period of 2^63 or more is negative to pprof, and its products wrap.
    const period = BigInt.asIntN(64, n[3]!);
    if (n[2] === 0n) return cpuProfile(b, r, period, budget);
    if (n[2] === 1n) return javaCpuProfile(b, r, period, budget);
  }
  throw UNRECOGNIZED;
}

function emptyCpuProfile(period: bigint): Profile {
  return {
    sampleTypes: [{ type: 'samples', unit: 'count' }, { type: 'cpu', unit: 'nanoseconds' }],
    samples: [], mappings: [], locations: [], functions: [],
    dropFrames: '', keepFrames: '', timeNanos: 0n, durationNanos: 0,
    periodType: { type: 'cpu', unit: 'nanoseconds' },
    period: exactValue(BigInt.asIntN(64, period * 1000n), 'period', undefined, FORMAT),
    comments: [], defaultSampleType: '',
  };
}

function cpuProfile(b: Uint8Array, r: WordReader, period: bigint, budget: SampleBudget): Profile {
  const p = emptyCpuProfile(period);
  parseCpuSamples(r, true, p, BigInt.asIntN(64, period * 1000n), budget);

  // Most samples sharing their second frame means it is the signal handler's, not the program's:
  // pprof removes such a frame, up to twice, allowing one odd sample in 32.
  const margin = Math.trunc(p.samples.length / 32);
  for (let iter = 0; iter < 2; iter++) {
    const counts = new Map<bigint, number>();
    for (const s of p.samples) {
      if (s.locations.length > 1) {
        const a = s.locations[1]!.address;
        counts.set(a, (counts.get(a) ?? 0) + 1);
      }
    }
    // At most one address can reach the bar (two would need more samples than there are), so
    // the order of Go's map iteration does not matter here.
    for (const [a, count] of counts) {
      if (count >= p.samples.length - margin) {
        for (const s of p.samples) {
          if (s.locations.length > 1 && s.locations[1]!.address === a) s.locations.splice(1, 1);
        }
        break;
      }
    }
  }

  const map = new LineScanner(r.failed ? new Uint8Array(0) : b, r.failed ? 0 : r.pos);
  map.what = FORMAT;
  parseMemoryMap(p, map, FORMAT, budget);
  cleanupDuplicateLocations(p);
  return p;
}

function javaCpuProfile(b: Uint8Array, r: WordReader, period: bigint, budget: SampleBudget): Profile {
  const p = emptyCpuProfile(period);
  const locs = parseCpuSamples(r, false, p, BigInt.asIntN(64, period * 1000n), budget);
  parseJavaLocations(r.failed ? new Uint8Array(0) : b.subarray(r.pos), locs, p, budget);
  return p;
}

/**
 * The samples up to the end marker (or the end of the data). With `adjust`, every pc but the leaf's is a
 * return address, moved back by one onto the call. One location per distinct address.
 */
function parseCpuSamples(r: WordReader, adjust: boolean, p: Profile, periodNanos: bigint, budget: SampleBudget): Map<bigint, Location> {
  const locs = new Map<bigint, Location>();
  while (r.remaining > 0) {
    const count = r.read();
    const nstk = r.read();
    // Depth is checked against the words that could follow (Go checks len/4 whatever the width):
    // a corrupt depth cannot make us allocate more than the input holds.
    if (r.failed || nstk > BigInt(Math.trunc(r.remaining / 4))) throw UNRECOGNIZED;
    const depth = Number(nstk);
    budget.depth(depth);
    const addrs: bigint[] = new Array<bigint>(depth);
    for (let i = 0; i < depth; i++) addrs[i] = r.read();
    if (count === 0n && depth === 1 && addrs[0] === 0n) break;
    const sloc: Location[] = [];
    for (let i = 0; i < depth; i++) {
      const addr = adjust && i > 0 ? BigInt.asUintN(64, addrs[i]! - 1n) : addrs[i]!;
      let loc = locs.get(addr);
      if (loc === undefined) {
        loc = { id: 0, mapping: undefined, address: addr, lines: [], isFolded: false };
        locs.set(addr, loc);
        p.locations.push(loc);
      }
      sloc.push(loc);
    }
    budget.sample(sloc);
    const n = BigInt.asIntN(64, count);
    const sample = p.samples.length;
    p.samples.push({
      locations: sloc,
      values: [
        exactValue(n, `sample ${sample} count`, undefined, FORMAT),
        exactValue(BigInt.asIntN(64, n * periodNanos), `sample ${sample} cpu time`, undefined, FORMAT),
      ],
      labels: undefined, numLabels: undefined, numUnits: undefined,
    });
  }
  return locs;
}

/**
 * The leaf pc may come twice, from the signal context and from unwinding (then moved back by one):
 * the second copy goes.
 */
export function cleanupDuplicateLocations(p: Profile): void {
  for (const s of p.samples) {
    if (s.locations.length > 1 && s.locations[0]!.address === BigInt.asUintN(64, s.locations[1]!.address + 1n)) {
      s.locations.splice(1, 1);
    }
  }
}

