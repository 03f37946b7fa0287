/**
 * Recognises a goroutine stack dump given where profile.proto was expected, so the decoder can say
 * what it is instead of "unrecognized format" (pprof's legacy formats are read: see legacy/).
 */

/** A `runtime.Stack`/`debug=2` goroutine dump: not a profile at all, but a common mix-up. */
export function looksLikeGoroutineDump(bytes: Uint8Array): boolean {
  const first = firstLine(bytes);
  return first !== undefined && /^goroutine \d+ \[[^\]]*\]:/.test(first);
}

/** The first line (≤ 200 bytes, leading blank space skipped) when it is printable ASCII. */
function firstLine(bytes: Uint8Array): string | undefined {
  let start = 0;
  while (start < bytes.length && (bytes[start] === 0x20 || bytes[start] === 0x0a || bytes[start] === 0x0d || bytes[start] === 0x09)) start++;
  let end = start;
  const limit = Math.min(bytes.length, start + 200);
  while (end < limit && bytes[end] !== 0x0a) {
    const c = bytes[end]!;
    if (c < 0x20 && c !== 0x09 && c !== 0x0d) return undefined;
    if (c >= 0x7f) return undefined;
    end++;
  }
  if (end === start) return undefined;
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
