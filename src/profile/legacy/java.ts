/**
 * pprof's legacy Java profiles (profile/legacy_java_profile.go): the text heapz and contentionz
 * formats (`--- heapz 1 ---`), and the symbol lines that follow the samples of those and of the binary
 * Java CPU profile (`0xADDR function (file:line)`). Addresses are only keys here: pprof clears them
 * once the names are attached.
 */
import { Buffer } from 'node:buffer';
import type { Location, Profile, ProfileFunction, Sample } from '../model.js';
import type { SampleBudget } from '../budgets.js';
import { goBase } from '../../format/go-strings.js';
import { remapFunctionIds, remapLocationIds, remapMappingIds } from './mappings.js';
import {
  exactValue, GoRegexp, legacyError, lineTooLong, MAX_LINE_BYTES, parseHexAddresses, parseInt64, parseUint64, scaleHeapSample, trimSpace,
  UNRECOGNIZED,
} from './scan.js';

const attributeRx = new GoRegexp(String.raw`([\w ]+)=([\w ]+)`);
const javaSampleRx = new GoRegexp(String.raw` *(\d+) +(\d+) +@ +([ x0-9a-f]*)`);
const javaLocationRx = new GoRegexp(String.raw`^\s*0x([[:xdigit:]]+)\s+(.*)\s*$`);
const javaLocationFileLineRx = new GoRegexp(String.raw`^(.*)\s+\((.+):(-?[[:digit:]]+)\)$`);
const javaLocationPathRx = new GoRegexp(String.raw`^(.*)\s+\((.*)\)$`);

const JAVA_HEAPZ_SAMPLING_RATE = 524288n;

/**
 * Newline-terminated lines of b from `pos` on, as pprof's loops over bytes.IndexByte(b, '\n') see them;
 * as long as its scanners read at most (pprof reads any here: only a hostile profile can tell).
 */
class Lines {
  readonly buf: Buffer;
  /** 1-based number of the line starting at `pos` */
  line = 1;
  /** the format, once the header is read */
  what: string | undefined;
  constructor(bytes: Uint8Array, public pos = 0) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The next terminated line, trimmed, without consuming it; undefined when no \n is left. */
  peek(): string | undefined {
    const nl = this.buf.indexOf(0x0a, this.pos);
    if (nl < 0) return undefined;
    if (nl + 1 - this.pos > MAX_LINE_BYTES) throw lineTooLong(this.what, this.line);
    return trimSpace(this.buf.toString('utf8', this.pos, nl));
  }

  advance(): void {
    this.pos = this.buf.indexOf(0x0a, this.pos) + 1;
    this.line++;
  }
}

/** parseJavaProfile: `--- heapz 1 ---` or `--- contentionz 1 ---`, else UNRECOGNIZED. */
export function parseJavaProfile(b: Uint8Array, budget: SampleBudget): Profile {
  const lines = new Lines(b);
  const header = lines.peek();
  const pType = header === '--- heapz 1 ---' ? 'heap' : header === '--- contentionz 1 ---' ? 'contention' : undefined;
  if (pType === undefined) throw UNRECOGNIZED;
  lines.advance();
  const what = `Java ${pType} profile`;
  lines.what = what;
  const p: Profile = {
    sampleTypes: [], samples: [], mappings: [], locations: [], functions: [],
    dropFrames: '', keepFrames: '', timeNanos: 0n, durationNanos: 0,
    periodType: { type: '', unit: '' }, period: 0, comments: [], defaultSampleType: '',
  };
  parseJavaHeader(pType, lines, p, what);
  const locs = parseJavaSamples(pType, lines, p, what, budget);
  parseJavaLocations(b.subarray(lines.pos), locs, p, budget);
  if (p.samples.length > 0 && p.sampleTypes.length === 0) {
    throw legacyError(what, undefined, 'missing sample type information (no "resolution" attribute)');
  }
  return p;
}

function parseJavaHeader(pType: string, lines: Lines, p: Profile, what: string): void {
  for (let line = lines.peek(); line !== undefined; line = lines.peek()) {
    if (line !== '') {
      const h = attributeRx.submatch(line);
      if (h === null) return;
      const attribute = trimSpace(h[1]!);
      const value = trimSpace(h[2]!);
      switch (`${pType}/${attribute}`) {
        case 'heap/format':
        case 'cpu/format':
        case 'contention/format':
          if (value !== 'java') throw UNRECOGNIZED;
          break;
        case 'heap/resolution':
          p.sampleTypes = [{ type: 'inuse_objects', unit: 'count' }, { type: 'inuse_space', unit: value }];
          break;
        case 'contention/resolution':
          p.sampleTypes = [{ type: 'contentions', unit: 'count' }, { type: 'delay', unit: value }];
          break;
        case 'contention/sampling period': {
          p.periodType = { type: 'contentions', unit: 'count' };
          const v = parseInt64(value, 0);
          if (v === undefined) throw legacyError(what, lines.line, `failed to parse attribute ${line}`);
          p.period = exactValue(v, 'sampling period', lines.line, what);
          break;
        }
        case 'contention/ms since reset': {
          const v = parseInt64(value, 0);
          if (v === undefined) throw legacyError(what, lines.line, `failed to parse attribute ${line}`);
          p.durationNanos = exactValue(BigInt.asIntN(64, v * 1_000_000n), 'ms since reset', lines.line, what);
          break;
        }
        default:
          throw UNRECOGNIZED;
      }
    }
    lines.advance();
  }
}

function parseJavaSamples(pType: string, lines: Lines, p: Profile, what: string, budget: SampleBudget): Map<bigint, Location> {
  const locs = new Map<bigint, Location>();
  for (let line = lines.peek(); line !== undefined; line = lines.peek()) {
    if (line !== '') {
      const sample = javaSampleRx.submatch(line);
      if (sample === null) return locs;
      // Java writes the fields the other way round: size first, then count.
      const addrs = parseHexAddresses(sample[3]!);
      if (addrs === undefined) throw legacyError(what, lines.line, `malformed sample: ${line}: an address beyond 64 bits`);
      const sloc: Location[] = addrs.map((addr) => {
        let loc = locs.get(addr);
        if (loc === undefined) {
          loc = { id: 0, mapping: undefined, address: addr, lines: [], isFolded: false };
          p.locations.push(loc);
          locs.set(addr, loc);
        }
        return loc;
      });
      let v0 = parseInt64(sample[2]!, 0);
      let v1 = parseInt64(sample[1]!, 0);
      if (v0 === undefined || v1 === undefined) throw legacyError(what, lines.line, `parsing sample ${line}: value out of range`);
      const s: Sample = { locations: sloc, values: [], labels: undefined, numLabels: undefined, numUnits: undefined };
      if (pType === 'heap') {
        if (v0 === 0n) throw legacyError(what, lines.line, `parsing sample ${line}: second value must be non-zero`);
        const blockSize = v1 / v0;
        if (blockSize !== 0n) s.numLabels = { bytes: [exactValue(blockSize, 'block size', lines.line, what)] };
        [v0, v1] = scaleHeapSample(v0, v1, JAVA_HEAPZ_SAMPLING_RATE);
      } else if (p.period !== 0) {
        v0 = BigInt.asIntN(64, v0 * BigInt(p.period));
        v1 = BigInt.asIntN(64, v1 * BigInt(p.period));
      }
      s.values = [exactValue(v0, 'sample value', lines.line, what), exactValue(v1, 'sample value', lines.line, what)];
      budget.sample(sloc);
      p.samples.push(s);
    }
    lines.advance();
  }
  return locs;
}

/**
 * parseJavaLocations: `0xADDR function (file:line)` names the location at ADDR (other lines are
 * skipped). Functions are shared by name; every location that gets a name loses its address. Then
 * ids as pprof's remap*IDs, and every address cleared (pprof's Aggregate without addresses).
 */
export function parseJavaLocations(b: Uint8Array, locs: Map<bigint, Location>, p: Profile, budget: SampleBudget): void {
  const fns = new Map<string, ProfileFunction>();
  const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  for (let pos = 0, n = 1; pos < text.length; n++) {
    const nl = text.indexOf(0x0a, pos);
    const end = nl < 0 ? text.length : nl;
    if (end - pos >= MAX_LINE_BYTES) throw lineTooLong('Java profile symbols', n);
    const line = trimSpace(text.toString('utf8', pos, end));
    pos = end + 1;
    if (line === '') continue;
    const jloc = javaLocationRx.submatch(line);
    if (jloc === null) continue;
    const addr = parseUint64(jloc[1]!, 16);
    if (addr === undefined) throw legacyError('Java profile', undefined, `parsing sample ${line.slice(0, 80)}: address beyond 64 bits`);
    const loc = locs.get(addr);
    if (loc === undefined) continue;
    let func: string;
    let file = '';
    let lineNo = 0;
    const fileLine = javaLocationFileLineRx.submatch(jloc[2]!);
    const filePath = fileLine === null ? javaLocationPathRx.submatch(jloc[2]!) : null;
    if (fileLine !== null) {
      [func, file] = [fileLine[1]!, fileLine[2]!];
      const n = parseInt64(fileLine[3]!, 10);
      if (n !== undefined && n > 0n && n <= BigInt(Number.MAX_SAFE_INTEGER)) lineNo = Number(n);
    } else if (filePath !== null) {
      // A shared library's path: its base name is all that is worth showing.
      [func, file] = [filePath[1]!, goBase(filePath[2]!)];
    } else if (jloc[2]!.includes('generated stub/JIT')) {
      func = 'STUB';
    } else {
      // The agent's own states, such as "GC" or "VM".
      func = jloc[2]!;
    }
    let fn = fns.get(func);
    if (fn === undefined) {
      budget.name(func);
      budget.name(file);
      fn = { id: 0, name: func, systemName: func, filename: file, startLine: 0 };
      fns.set(func, fn);
      p.functions.push(fn);
    }
    loc.lines = [{ function: fn, line: lineNo }];
    loc.address = 0n;
  }
  remapLocationIds(p);
  remapFunctionIds(p);
  remapMappingIds(p, 'Java profile');
  // pprof then Aggregates without addresses; legacy mappings have no has_* flags for it to clear.
  for (const l of p.locations) l.address = 0n;
}
