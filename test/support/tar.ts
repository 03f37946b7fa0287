/**
 * A minimal ustar writer for tests that need archives no tool writes (`../` names, links), and for
 * archiving a fixture folder without depending on the machine's tar.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const enc = new TextEncoder();
const bytesOf = (d: string | Uint8Array) => (typeof d === 'string' ? enc.encode(d) : d);

export interface TarEntry {
  name: string;
  data?: string | Uint8Array;
  /** tar typeflag: '0' file, '1' hardlink, '2' symlink, '5' directory, 'x' pax, 'L' GNU long name */
  type?: string;
  linkname?: string;
  prefix?: string;
}

function field(h: Uint8Array, at: number, text: string): void {
  h.set(enc.encode(text), at);
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader(e: TarEntry, size: number): Uint8Array {
  const h = new Uint8Array(512);
  field(h, 0, e.name);
  field(h, 100, octal(e.type === '5' ? 0o755 : 0o644, 8));
  field(h, 108, octal(0, 8));
  field(h, 116, octal(0, 8));
  field(h, 124, octal(size, 12));
  field(h, 136, octal(0, 12));
  field(h, 148, '        ');
  field(h, 156, e.type ?? '0');
  if (e.linkname) field(h, 157, e.linkname);
  field(h, 257, 'ustar\0');
  field(h, 263, '00');
  if (e.prefix) field(h, 345, e.prefix);
  const sum = h.reduce((s, c) => s + c, 0);
  field(h, 148, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

export function tar(entries: TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const data = bytesOf(e.data ?? '');
    parts.push(tarHeader(e, data.length), data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  return concat(parts);
}


export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * `tar czf - -C parent name` for a folder of small files (names under 100 bytes), in a fixed order:
 * the same folder always gives the same bytes.
 */
export function tarGzOfFolder(parent: string, name: string): Buffer {
  const files: string[] = [];
  // By hand rather than readdirSync's `recursive` (its entries' parentPath needs Node 20.12).
  const walk = (rel: string): void => {
    for (const d of readdirSync(path.join(parent, rel), { withFileTypes: true })) {
      if (d.isDirectory()) walk(`${rel}/${d.name}`);
      else if (d.isFile()) files.push(`${rel}/${d.name}`);
    }
  };
  walk(name);
  files.sort();
  return gzipSync(tar(files.map((file) => ({ name: file, data: readFileSync(path.join(parent, file)) }))));
}
