import { decodeProfile, type DecodeLimits } from './decode.js';
import { isGoroutineDump, parseGoroutineDump } from './goroutine-dump.js';
import { parseFolded } from './folded.js';
import type { Profile } from './model.js';
import { normalizeProfile } from './normalize.js';
import { subtractBase } from './base.js';

/** What an input turned out to be. */
export type InputKind = 'proto' | 'goroutine-dump' | 'folded';

/**
 * bytes → normalized Profile, whatever we read: profile.proto (gzip'd or raw), a Go goroutine dump
 * (debug=1 or debug=2 text) or folded stacks. Normalization (spec §1.6) makes every report start
 * from what pprof would start from.
 */
export function loadProfile(bytes: Uint8Array, limits?: DecodeLimits): { profile: Profile; kind: InputKind } {
  const { profile, kind } = readProfile(bytes, limits);
  return { profile: normalizeProfile(profile), kind };
}

/** A profile compared against a base snapshot: -base (`diff` false) or -diff_base (`diff` true). */
export function loadProfileWithBase(bytes: Uint8Array, baseBytes: Uint8Array, diff: boolean, limits?: DecodeLimits): { profile: Profile; kind: InputKind } {
  const source = readProfile(bytes, limits);
  const base = readProfile(baseBytes, limits);
  return { profile: subtractBase(source.profile, base.profile, diff), kind: source.kind };
}

/** bytes → Profile as written, before normalization. */
export function readProfile(bytes: Uint8Array, limits?: DecodeLimits): { profile: Profile; kind: InputKind } {
  const kind = sniffInput(bytes);
  if (kind === 'goroutine-dump') return { profile: parseGoroutineDump(textOf(bytes)), kind };
  if (kind === 'folded') return { profile: parseFolded(textOf(bytes)), kind };
  return { profile: decodeProfile(bytes, limits), kind };
}

export function sniffInput(bytes: Uint8Array): InputKind {
  if (isGoroutineDump(bytes)) return 'goroutine-dump';
  if (looksLikeFolded(bytes)) return 'folded';
  return 'proto';
}

function textOf(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

/** Collapsed stacks: text whose first line is `frame;frame;… <count>`. A protobuf never starts like that. */
function looksLikeFolded(bytes: Uint8Array): boolean {
  const head = textOf(bytes.subarray(0, 4096));
  const first = head.split('\n').find((l) => l.trim() !== '');
  // Our own fixed pattern on at most 4 KiB: no user regex here.
  return first !== undefined && /^[^\u0000-\u0008\u000e-\u001f]+ \d+\r?$/.test(first) && !first.startsWith('goroutine ');
}
