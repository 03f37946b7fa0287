/**
 * The attack shapes of issue 13, built at test time and deterministic: small files that ask a
 * profile reader for far more than they weigh. Each is written byte by byte (a protobufjs message
 * of 16 M samples would itself take gigabytes), then gzip'd as a client would send it.
 */
import { gzipSync } from 'node:zlib';
import { concat, tar } from '../support/tar.js';

const enc = new TextEncoder();

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** A length-delimited field: tag, length, bytes. */
function bytesField(field: number, body: Uint8Array | number[]): Uint8Array {
  const b = body instanceof Uint8Array ? body : Uint8Array.from(body);
  return Uint8Array.from([...varint((field << 3) | 2), ...varint(b.length), ...b]);
}

/**
 * The head of a valid profile: string table ['', 'samples', 'count', ...names], one sample type,
 * functions 1..n named by the names (file `fileOf(i)`), location i calling function i.
 */
function head(names: string[], fileOf: (i: number) => string | undefined = () => undefined): Uint8Array {
  const strings = ['', 'samples', 'count', ...names];
  const files: string[] = [];
  const fileIndex = (f: string) => {
    let i = strings.indexOf(f);
    if (i < 0) {
      strings.push(f);
      files.push(f);
      i = strings.length - 1;
    }
    return i;
  };
  const parts: Uint8Array[] = [bytesField(1, [0x08, 1, 0x10, 2])]; // sample_type {type: 1, unit: 2}
  names.forEach((_, k) => {
    const id = k + 1;
    const file = fileOf(k);
    const fn = [0x08, ...varint(id), 0x10, ...varint(3 + k), ...(file !== undefined ? [0x20, ...varint(fileIndex(file))] : [])];
    parts.push(bytesField(5, fn)); // function {id, name, filename}
    parts.push(bytesField(4, [0x08, ...varint(id), ...bytesField(4, [0x08, ...varint(id), 0x10, ...varint(10 + k)])])); // location {id, line {function_id, line}}
  });
  for (const s of strings) parts.push(bytesField(6, enc.encode(s)));
  return concat(parts);
}

/** `count` samples of value 1, each with one frame: the 16 M-sample shape (186 KB gzip'd, 134 MB inflated in the issue). */
export function manySamples(count: number): Uint8Array {
  const top = head(['main.main']);
  const sample = bytesField(2, [0x08, 1, 0x10, 1]); // {location_id: 1, value: 1}
  const out = new Uint8Array(top.length + count * sample.length);
  out.set(top, 0);
  out.set(sample, top.length);
  // Doubling copies: 16 M samples are 96 MB, filled in a few dozen memcpys.
  let filled = sample.length;
  const total = count * sample.length;
  while (filled < total) {
    const n = Math.min(filled, total - filled);
    out.copyWithin(top.length + filled, top.length, top.length + n);
    filled += n;
  }
  return gzipSync(out, { level: 9 });
}

/** One sample whose stack is `depth` frames of location 1: the 35 M-frame shape (34 KB gzip'd). */
export function deepStack(depth: number): Uint8Array {
  const ids = new Uint8Array(depth).fill(1);
  const sample = concat([Uint8Array.from([0x12, ...varint(depth + varint(depth).length + 1 + 2)]), Uint8Array.from([0x0a, ...varint(depth)]), ids, Uint8Array.from([0x10, 1])]);
  return gzipSync(concat([head(['main.main']), sample]), { level: 9 });
}

/** One sample whose `depth` frames all call a function named `name` (the 1,000,000-character name in 600 frames). */
export function longNameStack(name: string, depth: number): Uint8Array {
  const ids = new Array<number>(depth).fill(1);
  const sample = bytesField(2, [...bytesField(1, ids), 0x10, 1]);
  return gzipSync(concat([head([name]), sample]), { level: 9 });
}

/** A small profile whose functions have the given names, one sample per function. */
export function namedProfile(names: string[], fileOf?: (i: number) => string | undefined): Uint8Array {
  const samples = names.map((_, k) => bytesField(2, [0x08, ...varint(k + 1), 0x10, ...varint(100 * (k + 1))]));
  return gzipSync(concat([head(names, fileOf), ...samples]));
}

/**
 * A sources archive of one file of `bytes` newlines (the 64 KB archive holding 63 MiB), and a
 * profile whose two functions name that file by two paths that resolve to it.
 */
export function newlineArchive(bytes: number): { archive: Uint8Array; profile: Uint8Array } {
  const archive = gzipSync(tar([{ name: 'src/big.go', data: new Uint8Array(bytes).fill(0x0a) }]), { level: 9 });
  // The archive's one top directory is searched like -source_path=src: both names find src/big.go.
  const profile = namedProfile(['main.a', 'main.b'], (i) => (i === 0 ? 'big.go' : 'src/big.go'));
  return { archive, profile };
}
