import { decodeProfile, type DecodeLimits } from './decode.js';
import { isGoroutineDump, parseGoroutineDump } from './goroutine-dump.js';
import { parseFolded } from './folded.js';
import type { Profile } from './model.js';
import { normalizeProfile } from './normalize.js';

/** What an input turned out to be. */
export type InputKind = 'proto' | 'goroutine-dump' | 'folded';

/**
 * bytes → normalized Profile, whatever we read: profile.proto (gzip'd or raw), a Go goroutine dump
 * (debug=1 or debug=2 text) or folded stacks. Normalization (spec §1.6) makes every report start
 * from what pprof would start from.
 */
export function loadProfile(bytes: Uint8Array, limits?: DecodeLimits): { profile: Profile; kind: InputKind } {
  const kind = sniffInput(bytes);
  let raw: Profile;
  if (kind === 'goroutine-dump') raw = parseGoroutineDump(textOf(bytes));
  else if (kind === 'folded') raw = parseFolded(textOf(bytes));
  else raw = decodeProfile(bytes, limits);
  return { profile: normalizeProfile(raw), kind };
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
