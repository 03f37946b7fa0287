/**
 * Every legacy (pre-profile.proto) format pprof reads, tried in pprof's order (profile.go parseLegacy)
 * once the bytes are known not to be profile.proto: gperftools' binary CPU profile (and the Java one),
 * heap, the Go count profiles (threadcreate, goroutine), threadz, contention/mutex, Java heapz and
 * contentionz. The result is what pprof's parser returns, drop_frames included (addLegacyFrameInfo),
 * except that the `?debug=1` texts' `#` lines name the frames (function, file, line, inlining) unless
 * -symbolize=none, where the profile is pprof's own: addresses only.
 */
import { ProfileError } from '../../errors.js';
import type { Profile } from '../model.js';
import { MAX_SAFE } from '../wire.js';
import { debug1Locations, goroutineDumpFormat, parseDebug1Frame, parseGoroutineDump, ProfileBuilder } from '../goroutine-dump.js';
import type { SymbolizeMode } from '../../options.js';
import { SampleBudget } from '../budgets.js';
import type { DecodeLimits } from '../decode.js';
import { parseCpu } from './cpu.js';
import { parseJavaProfile } from './java.js';
import { parseContention, parseGoCount, parseHeap, parseThread, type ParsedText } from './text.js';
import { Unrecognized } from './scan.js';

type Parser = (b: Uint8Array, budget: SampleBudget) => Profile | ParsedText;
const PARSERS: Parser[] = [parseCpu, parseHeap, parseGoCount, parseThread, parseContention, parseJavaProfile];

/**
 * The profile in `data` (already gunzipped), or undefined when no legacy parser recognizes it. Throws
 * ProfileError when one does and the rest of the input does not parse (naming the line for texts), and
 * TooLargeError past a budget of `limits`: samples and frames are counted as they are read.
 */
export function parseLegacy(data: Uint8Array, mode: SymbolizeMode, limits?: DecodeLimits): Profile | undefined {
  // A goroutine debug=1 text (gzip'd, or the sniffer would have sent it there already) goes straight to
  // its own reader, which also keeps the `# labels:` lines: not read by parseGoCount first, then again.
  if (!mode.none && goroutineDumpFormat(data) === 'debug1') return parseGoroutineDump(new TextDecoder().decode(data), new SampleBudget(limits));
  for (const parse of PARSERS) {
    // A budget of its own for each parser tried: one may count samples before it gives up.
    const budget = new SampleBudget(limits);
    let r: Profile | ParsedText;
    try {
      r = parse(data, budget);
    } catch (e) {
      if (e instanceof Unrecognized) continue;
      throw e;
    }
    let p: Profile;
    if ('samples' in r) {
      p = r;
    } else {
      p = mode.none || r.stacks === undefined ? r.profile : withFrameNames(r, budget);
    }
    addLegacyFrameInfo(p);
    checkSums(p);
    return p;
  }
  return undefined;
}

/**
 * The samples' locations rebuilt from the `#` frame lines, as the goroutine reader pairs them with the
 * return addresses (inlined calls folded into one location, as in profile.proto); a text without
 * such lines keeps pprof's address-only locations. Mappings stay pprof's.
 */
function withFrameNames(r: ParsedText, budget: SampleBudget): Profile {
  const stacks = r.stacks!;
  if (!stacks.some((s) => s.frames.length > 0)) return r.profile;
  const p = r.profile;
  const mappingAt = new Map(p.locations.map((l) => [l.address, l.mapping]));
  const b = new ProfileBuilder(budget);
  const hidesRuntimeLeaf = r.what === 'heap profile';
  try {
    p.samples = p.samples.map((s, i) => {
      const st = stacks[i]!;
      // `N @` with no addresses (threadcreate) is followed by `#\t0x0`: there is nothing to name.
      const frames = st.addresses.length === 0 ? [] : st.frames.map((f) => parseDebug1Frame(f.text, f.line));
      let locations = debug1Locations(st.addresses, frames, st.line, b);
      if (hidesRuntimeLeaf && frames.length > 0) {
        // The heap writer leaves out the runtime.* frames at the leaf (the allocator's), which this
        // profile's drop_frames would prune anyway once named: as the proto writer, drop them.
        let first = 0;
        while (first < locations.length - 1 && locations[first]!.lines.length === 0) first++;
        locations = locations.slice(first);
      }
      return { ...s, locations };
    });
  } catch (e) {
    if (e instanceof ProfileError) e.message = e.message.replace(/^goroutine dump line/, `${r.what} line`);
    throw e;
  }
  const built = b.build();
  for (const l of built.locations) l.mapping = mappingAt.get(l.address);
  p.locations = built.locations;
  p.functions = built.functions;
  return p;
}

/** pprof's addLegacyFrameInfo: the allocator's or the lock's own frames, or the CPU profiler's, to drop. */
function addLegacyFrameInfo(p: Profile): void {
  const types = p.sampleTypes.map((t) => t.type).join(',');
  if (HEAPZ_SAMPLE_TYPES.has(types)) {
    p.dropFrames = ALLOC_RX;
    p.keepFrames = ALLOC_SKIP_RX;
  } else if (types === 'contentions,delay') {
    p.dropFrames = LOCK_RX;
  } else {
    p.dropFrames = CPU_PROFILER_RX;
  }
}

/** Every column's Σ|value| exact in a double, as the proto decoder requires: else an overflow error. */
function checkSums(p: Profile): void {
  const sums = new Float64Array(p.sampleTypes.length);
  for (const s of p.samples) {
    for (let i = 0; i < s.values.length; i++) {
      sums[i] = sums[i]! + Math.abs(s.values[i]!);
      if (sums[i]! > MAX_SAFE) {
        const t = p.sampleTypes[i]!;
        throw new ProfileError('overflow', `value overflow: the sum of |${t.type}/${t.unit}| over the samples exceeds 2^53−1`, 'sample.value');
      }
    }
  }
}


const HEAPZ_SAMPLE_TYPES = new Set([
  'allocations,size', 'objects,space', 'inuse_objects,inuse_space', 'alloc_objects,alloc_space',
  'alloc_objects,alloc_space,inuse_objects,inuse_space',
]);

const ALLOC_RX = [
  // POSIX entry points.
  'calloc', 'cfree', 'malloc', 'free', 'memalign', 'do_memalign', '(__)?posix_memalign', 'pvalloc', 'valloc', 'realloc',
  // TC malloc.
  'tcmalloc::.*', 'tc_calloc', 'tc_cfree', 'tc_malloc', 'tc_free', 'tc_memalign', 'tc_posix_memalign', 'tc_pvalloc',
  'tc_valloc', 'tc_realloc', 'tc_new', 'tc_delete', 'tc_newarray', 'tc_deletearray', 'tc_new_nothrow', 'tc_newarray_nothrow',
  // Memory-allocation routines on OS X.
  'malloc_zone_malloc', 'malloc_zone_calloc', 'malloc_zone_valloc', 'malloc_zone_realloc', 'malloc_zone_memalign', 'malloc_zone_free',
  // Go runtime
  String.raw`runtime\..*`,
  // Other misc. memory allocation routines
  'BaseArena::.*', '(::)?do_malloc_no_errno', '(::)?do_malloc_pages', '(::)?do_malloc', 'DoSampledAllocation',
  'MallocedMemBlock::MallocedMemBlock', '_M_allocate', '__builtin_(vec_)?delete', '__builtin_(vec_)?new',
  '__gnu_cxx::new_allocator::allocate', '__libc_malloc', '__malloc_alloc_template::allocate', 'allocate', 'cpp_alloc',
  String.raw`operator new(\[\])?`, 'simple_alloc::allocate',
].join('|');

// Go runtime frames in the middle or at the bottom of a stack stay.
const ALLOC_SKIP_RX = [String.raw`runtime\.panic`, String.raw`runtime\.reflectcall`, String.raw`runtime\.call[0-9]*`].join('|');

const CPU_PROFILER_RX = ['ProfileData::Add', 'ProfileData::prof_handler', 'CpuProfiler::prof_handler', '__pthread_sighandler', '__restore'].join('|');

const LOCK_RX = [
  'RecordLockProfileData', '(base::)?RecordLockProfileData.*', '(base::)?SubmitMutexProfileData.*',
  '(base::)?SubmitSpinLockProfileData.*', '(base::Mutex::)?AwaitCommon.*', '(base::Mutex::)?Unlock.*',
  '(base::Mutex::)?UnlockSlow.*', '(base::Mutex::)?ReaderUnlock.*', '(base::MutexLock::)?~MutexLock.*',
  '(Mutex::)?AwaitCommon.*', '(Mutex::)?Unlock.*', '(Mutex::)?UnlockSlow.*', '(Mutex::)?ReaderUnlock.*',
  '(MutexLock::)?~MutexLock.*', '(SpinLock::)?Unlock.*', '(SpinLock::)?SlowUnlock.*', '(SpinLockHolder::)?~SpinLockHolder.*',
].join('|');
