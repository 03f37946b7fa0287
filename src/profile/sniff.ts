/**
 * Recognises inputs that are profiles, but not profile.proto, so the decoder can say what they
 * are instead of "unrecognized format". Checked before protobuf decoding: none of these can be a
 * valid profile.proto message anyway (a protobuf cannot start with a zero byte, and the text
 * headers below decode as wrong wire types), so the order costs nothing.
 */

/** What a legacy pprof input is, in words, or undefined when it is not one we know. */
export function detectLegacyFormat(bytes: Uint8Array): string | undefined {
  if (isLegacyBinaryCpu(bytes)) return 'gperftools-style binary CPU profile';
  const first = firstLine(bytes);
  if (first === undefined) return undefined;
  const m = /^(\w+) profile: total \d+/.exec(first);
  if (m) return `text ${m[1]} profile ("${m[1]} profile: total N")`;
  if (first.startsWith('heap profile:') || first.startsWith('heap_v2/')) return 'text heap profile';
  if (/^--- ?\w+/.test(first)) return `text profile ("${first.slice(0, 40).trim()}")`;
  return undefined;
}

/** A `runtime.Stack`/`debug=2` goroutine dump: not a profile at all, but a common mix-up. */
export function looksLikeGoroutineDump(bytes: Uint8Array): boolean {
  const first = firstLine(bytes);
  return first !== undefined && /^goroutine \d+ \[[^\]]*\]:/.test(first);
}

/**
 * gperftools CPU profiles (and pprof's legacy Java variant) start with a header of five words:
 * 0 (header count), 3 (header words), version (0, or 1 for Java), sampling period, 0 (padding),
 * as 32- or 64-bit words in either byte order.
 */
function isLegacyBinaryCpu(b: Uint8Array): boolean {
  for (const width of [4, 8]) {
    if (b.length < 5 * width) continue;
    for (const littleEndian of [true, false]) {
      const w = (i: number) => readWord(b, i * width, width, littleEndian);
      if (w(0) === 0 && w(1) === 3 && w(2) <= 1 && w(3) > 0 && w(4) === 0) return true;
    }
  }
  return false;
}

function readWord(b: Uint8Array, at: number, width: number, littleEndian: boolean): number {
  const view = new DataView(b.buffer, b.byteOffset + at, width);
  if (width === 4) return view.getUint32(0, littleEndian);
  const v = view.getBigUint64(0, littleEndian);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
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
