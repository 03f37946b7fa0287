/**
 * A minimal PNG writer (RFC 2083 / ISO 15948) for 8-bit RGBA pixels, and an IHDR reader.
 *
 * Why our own instead of resvg's `asPng()`: on the 80-node shopd call graph (2707×3268 px) resvg's
 * encoder took ~200 ms and wrote 779 KB; node:zlib's native deflate over unfiltered rows takes
 * ~100 ms including the copy out of WASM and writes ~540 KB. Call graphs are large flat areas
 * plus thin lines and text, where deflate alone compresses well and PNG's per-row prediction
 * filters buy nothing (measured: "Sub" and "Up" filters gave bigger files here), so every row
 * uses filter type 0 (None).
 */
import { deflateSync } from 'node:zlib';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const COLOR_TYPE_RGBA = 6;
const FILTER_NONE = 0;

/** CRC-32 (ISO 3309, as PNG uses it); a table because node:zlib.crc32 is missing before Node 20.15. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const bytes of parts) {
    for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** length, type, data, CRC of type+data. */
function chunk(type: string, data: Uint8Array): Uint8Array[] {
  const head = new Uint8Array(8);
  const view = new DataView(head.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) head[4 + i] = type.charCodeAt(i);
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, crc32([head.subarray(4), data]));
  return [head, data, tail];
}

/**
 * Encodes straight (not premultiplied) 8-bit RGBA pixels, row-major from the top-left, as a PNG.
 * `level` is the zlib level (default 6: level 9 was barely smaller and much slower here).
 */
export function encodePng(rgba: Uint8Array, width: number, height: number, level = 6): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new RangeError(`PNG size must be positive integers, got ${width}×${height}`);
  }
  const stride = width * 4;
  if (rgba.length !== stride * height) {
    throw new RangeError(`expected ${stride * height} bytes of RGBA for ${width}×${height}, got ${rgba.length}`);
  }

  // Each row is preceded by its filter-type byte.
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const at = y * (stride + 1);
    raw[at] = FILTER_NONE;
    raw.set(rgba.subarray(y * stride, (y + 1) * stride), at + 1);
  }
  const idat = deflateSync(raw, { level });

  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = COLOR_TYPE_RGBA;
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method: adaptive (per-row type byte)
  ihdr[12] = 0; // no interlace

  const parts = [SIGNATURE, ...chunk('IHDR', ihdr), ...chunk('IDAT', idat), ...chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Width and height from a PNG's IHDR; throws if `png` does not start with a PNG signature and IHDR. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const isPng = png.length >= 24 && SIGNATURE.every((b, i) => png[i] === b) &&
    String.fromCharCode(png[12]!, png[13]!, png[14]!, png[15]!) === 'IHDR';
  if (!isPng) throw new RangeError('not a PNG: no signature and IHDR chunk');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
