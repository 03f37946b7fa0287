import { decodeProfile, type DecodeLimits } from './decode.js';
import { isGoroutineDump, parseGoroutineDump } from './goroutine-dump.js';
import { parseFolded } from './folded.js';
import type { Profile } from './model.js';
import { normalizeProfile } from './normalize.js';
import { subtractBase } from './base.js';
import { parseLegacy } from './legacy/index.js';
import { parseSymbolize, type SymbolizeMode } from '../options.js';
import { checkProfileBudgets, SampleBudget } from './budgets.js';
import { isBeyondJsLimits, ProfileError, TooLargeError } from '../errors.js';

/** What an input turned out to be. */
export type InputKind = 'proto' | 'legacy' | 'goroutine-dump' | 'folded';

/** How to read an input: the decoder's limits, and pprof's -symbolize option as given (see symbolize.ts). */
export interface LoadOptions extends DecodeLimits {
  symbolize?: string | undefined;
}

/**
 * bytes → normalized Profile, whatever we read: profile.proto (gzip'd or raw), pprof's legacy formats
 * (the `?debug=1` texts, gperftools CPU profiles, …), a Go goroutine dump (debug=1 or debug=2 text)
 * or folded stacks. Normalization (spec §1.6) makes every report start from what pprof would start from.
 */
export function loadProfile(bytes: Uint8Array, options?: LoadOptions): { profile: Profile; kind: InputKind } {
  const { profile, kind } = readProfile(bytes, options);
  return { profile: normalizeProfile(profile, parseSymbolize(options?.symbolize)), kind };
}

/** A profile compared against a base snapshot: -base (`diff` false) or -diff_base (`diff` true). */
export function loadProfileWithBase(bytes: Uint8Array, baseBytes: Uint8Array, diff: boolean, options?: LoadOptions): { profile: Profile; kind: InputKind } {
  const source = readProfile(bytes, options);
  const base = asBase(diff, () => readProfile(baseBytes, options));
  return { profile: subtractBase(source.profile, base.profile, diff, parseSymbolize(options?.symbolize)), kind: source.kind };
}

/**
 * Reads a base: its errors (bad input, past a budget) say it is the base that is at fault, as
 * `base: …` or `diff_base: …`, where they happen, rather than by reading the profile again to find out.
 */
export function asBase<T>(diff: boolean, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ProfileError || err instanceof TooLargeError) err.message = `${diff ? 'diff_base' : 'base'}: ${err.message}`;
    throw err;
  }
}

/** bytes → Profile as written, before normalization. */
export function readProfile(bytes: Uint8Array, options?: LoadOptions): { profile: Profile; kind: InputKind } {
  try {
    return readAny(bytes, options);
  } catch (err) {
    // What a string cannot hold (a text of more than 2^29 − 24 characters) is a size problem of the
    // input, not a bug: the budgets should stop such work first, and this says so if one did not.
    if (isBeyondJsLimits(err)) {
      throw new TooLargeError(`the profile is larger than this process can hold (${(err as Error).message})`, bytes.length);
    }
    throw err;
  }
}

function readAny(bytes: Uint8Array, options?: LoadOptions): { profile: Profile; kind: InputKind } {
  const mode = parseSymbolize(options?.symbolize);
  const kind = sniffInput(bytes, mode);
  if (kind === 'goroutine-dump' || kind === 'folded') {
    // Their readers count every sample, with its final stack, and every name as they add it.
    const budget = new SampleBudget(options);
    const profile = kind === 'goroutine-dump' ? parseGoroutineDump(textOf(bytes), budget) : parseFolded(textOf(bytes), budget);
    return { profile, kind };
  }
  let legacy = false;
  const profile = decodeProfile(bytes, options, (data) => {
    const p = parseLegacy(data, mode, options);
    legacy = p !== undefined;
    return p;
  });
  // profile.proto was counted while it was decoded. A legacy text's samples were counted as they
  // were read, but naming its frames from the `#` lines can add inlined ones: checked once more.
  if (legacy) checkProfileBudgets(profile, options);
  return { profile, kind: legacy ? 'legacy' : 'proto' };
}

/**
 * A goroutine dump is read with its symbols; under -symbolize=none a debug=1 one is what pprof reads
 * it as, a legacy count profile of addresses.
 */
export function sniffInput(bytes: Uint8Array, mode?: SymbolizeMode): InputKind {
  // gzip, and most of protobuf: a first byte no text format starts with (folded stacks' first line
  // may not hold one; a goroutine dump's starts with a letter). Most uploads, decided without decoding any text.
  if (bytes.length > 0 && isControlByte(bytes[0]!)) return 'proto';
  if (isGoroutineDump(bytes) && !(mode?.none === true && COUNT_HEADER.test(firstLineOf(bytes)))) return 'goroutine-dump';
  if (looksLikeFolded(bytes)) return 'folded';
  return 'proto';
}

/** A C0 control character other than the blanks \t \n \v \f \r, which String.trim removes. */
function isControlByte(b: number): boolean {
  return b <= 0x08 || (b >= 0x0e && b <= 0x1f);
}

/** `goroutine profile: total 12`, `threadcreate profile: total 5`: a legacy count profile, not folded stacks. */
const COUNT_HEADER = /^\S+ profile: total \d+\r?$/;

function textOf(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

function firstLineOf(bytes: Uint8Array): string {
  const head = textOf(bytes.subarray(0, 4096));
  return head.split('\n').find((l) => l.trim() !== '') ?? '';
}

/** Collapsed stacks: text whose first line is `frame;frame;… <count>`. A protobuf never starts like that. */
function looksLikeFolded(bytes: Uint8Array): boolean {
  const first = firstLineOf(bytes);
  // Our own fixed pattern on at most 4 KiB: no user regex here.
  return /^[^\u0000-\u0008\u000e-\u001f]+ \d+\r?$/.test(first) && !first.startsWith('goroutine ') && !COUNT_HEADER.test(first);
}
