import { inflateRawSync } from 'node:zlib';
import { ProfileError, SourceArchiveError, TooLargeError } from '../errors.js';
import { gunzipCapped, isGzip } from '../profile/gunzip.js';
import { memorySources, type SourceReader } from './sources.js';
import { LIMITS, SERVER_LIMITS, type Limits } from '../limits.js';

/**
 * Sources uploaded with a profile (a .tar.gz, .tar or .zip of the module), unpacked in memory only: no
 * entry ever reaches the disk, so hostile names can do no harm there, but they are refused all the same
 * (`../`, absolute paths, links, devices), as are archives over the size or entry-count caps.
 */

export interface SourceArchiveLimits {
  /** the sum of the unpacked contents (file data and tar metadata records), in bytes */
  maxTotalBytes: number;
  /** entries of any kind: files, directories, tar metadata records */
  maxFiles: number;
  /** one file's contents, in bytes; default maxTotalBytes */
  maxFileBytes?: number;
}

/** The archive's caps from the budgets (src/limits.ts). */
export function sourceArchiveLimits(limits: Pick<Limits, 'maxSourcesBytes' | 'maxSourceFiles' | 'maxSourceFileBytes'>): SourceArchiveLimits {
  return { maxTotalBytes: limits.maxSourcesBytes, maxFiles: limits.maxSourceFiles, maxFileBytes: limits.maxSourceFileBytes };
}

export const DEFAULT_SOURCE_ARCHIVE_LIMITS: SourceArchiveLimits = sourceArchiveLimits(SERVER_LIMITS);

/**
 * A SourceReader over an archive. When every file sits under one top-level directory (`tar czf src.tgz
 * src`), that directory acts as the -source_path entry, so the list text equals the CLI's with
 * `-source_path=src`; otherwise the archive's root is searched.
 */
export function readSourcesArchive(bytes: Uint8Array, limits: SourceArchiveLimits = DEFAULT_SOURCE_ARCHIVE_LIMITS): SourceReader {
  const files = unpackSourcesArchive(bytes, limits);
  const tops = new Set<string>();
  let rootFile = false;
  for (const name of files.keys()) {
    const slash = name.indexOf('/');
    if (slash < 0) rootFile = true;
    else tops.add(name.slice(0, slash));
  }
  const searchPath = !rootFile && tops.size === 1 ? [...tops] : [];
  return memorySources(files, { searchPath });
}

/** The regular files of an archive, by their cleaned '/'-separated path. */
export function unpackSourcesArchive(bytes: Uint8Array, limits: SourceArchiveLimits = DEFAULT_SOURCE_ARCHIVE_LIMITS): Map<string, Uint8Array> {
  if (isGzip(bytes)) return readTar(gunzipTar(bytes, limits), limits);
  if (isZip(bytes)) return readZip(bytes, limits);
  if (isTar(bytes)) return readTar(bytes, limits);
  throw new SourceArchiveError('unsupported', 'sources must be a .tar.gz, .tar or .zip archive');
}

/** The inflated tar may hold, beyond the contents, a header and padding per entry and the end blocks. */
function gunzipTar(bytes: Uint8Array, limits: SourceArchiveLimits): Uint8Array {
  const cap = limits.maxTotalBytes + (limits.maxFiles + 1) * 2 * BLOCK + 20 * BLOCK;
  try {
    return gunzipCapped(bytes, cap);
  } catch (e) {
    if (e instanceof TooLargeError) throw tooLarge(limits);
    if (e instanceof ProfileError) throw new SourceArchiveError('malformed', `sources archive: ${e.message}`);
    throw e;
  }
}

function tooLarge(limits: SourceArchiveLimits): SourceArchiveError {
  return new SourceArchiveError('too_large', `sources archive unpacks to more than ${limits.maxTotalBytes} bytes (${LIMITS.maxSourcesBytes.flag})`);
}

function tooMany(limits: SourceArchiveLimits): SourceArchiveError {
  return new SourceArchiveError('too_many_files', `sources archive has more than ${limits.maxFiles} entries (${LIMITS.maxSourceFiles.flag})`);
}

/** One file over its cap: checked on the size its header declares, before any of it is unpacked. */
function checkFileSize(size: number, limits: SourceArchiveLimits, name: string): void {
  const max = limits.maxFileBytes ?? limits.maxTotalBytes;
  if (size > max) {
    throw new SourceArchiveError('too_large', `sources archive file ${name} is ${size} bytes, over ${max} (${LIMITS.maxSourceFileBytes.flag})`, name);
  }
}

/**
 * An entry's path, checked and cleaned: '' for the root. Backslashes count as separators (zips made on
 * Windows use them), so `..\x` is caught too.
 */
function entryPath(raw: string): string {
  const name = raw.replace(/\\/g, '/');
  if (name.includes('\0')) throw new SourceArchiveError('unsafe_path', 'sources archive entry with a NUL in its name', raw);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    throw new SourceArchiveError('unsafe_path', `sources archive entry with an absolute path: ${raw}`, raw);
  }
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new SourceArchiveError('unsafe_path', `sources archive entry outside the archive: ${raw}`, raw);
  return parts.join('/');
}

// ---- tar (POSIX ustar, pax and GNU long names) ----

const BLOCK = 512;
const utf8 = new TextDecoder('utf-8');

function isTar(b: Uint8Array): boolean {
  return b.length >= BLOCK && ascii(b, 257, 5) === 'ustar';
}

function ascii(b: Uint8Array, at: number, n: number): string {
  return String.fromCharCode(...b.subarray(at, at + n));
}

/** A NUL-terminated field. */
function cString(b: Uint8Array, at: number, n: number): string {
  const field = b.subarray(at, at + n);
  const end = field.indexOf(0);
  return utf8.decode(end < 0 ? field : field.subarray(0, end));
}

/** A numeric field: octal text, or GNU's base-256 when the high bit of the first byte is set. */
function tarNumber(b: Uint8Array, at: number, n: number, entry: string): number {
  if (b[at]! & 0x80) {
    let v = b[at]! & 0x7f;
    for (let i = 1; i < n; i++) v = v * 256 + b[at + i]!;
    if (!Number.isSafeInteger(v)) throw malformedTar(`a size beyond reason`, entry);
    return v;
  }
  const text = ascii(b, at, n).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw malformedTar(`a bad number field "${text}"`, entry);
  return parseInt(text, 8);
}

function malformedTar(what: string, entry?: string): SourceArchiveError {
  return new SourceArchiveError('malformed', `sources archive: tar entry with ${what}${entry ? ` (${entry})` : ''}`, entry);
}

/** The header checksum: the sum of its bytes with the checksum field read as spaces (signed or unsigned). */
function checksumOk(h: Uint8Array): boolean {
  const want = tarNumber(h, 148, 8, '');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return want === unsigned || want === signed;
}

/** pax extended header records: `<length> <key>=<value>\n`. */
function paxRecords(body: Uint8Array, entry: string): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < body.length) {
    let sp = at;
    while (sp < body.length && body[sp] !== 0x20) sp++;
    const len = Number(ascii(body, at, sp - at));
    if (!Number.isInteger(len) || len <= sp - at || at + len > body.length || body[at + len - 1] !== 0x0a) {
      if (body.subarray(at).every((c) => c === 0)) break; // padding
      throw malformedTar('a bad pax record', entry);
    }
    const record = utf8.decode(body.subarray(sp + 1, at + len - 1));
    const eq = record.indexOf('=');
    if (eq < 0) throw malformedTar('a bad pax record', entry);
    out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

function readTar(data: Uint8Array, limits: SourceArchiveLimits): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  let total = 0;
  let entries = 0;
  // Metadata that applies to the next entry only.
  let pax: Map<string, string> | undefined;
  let longName: string | undefined;
  let off = 0;
  while (off + BLOCK <= data.length) {
    const h = data.subarray(off, off + BLOCK);
    if (h.every((c) => c === 0)) break; // end of archive
    const rawName = cString(h, 0, 100);
    if (!checksumOk(h)) throw malformedTar('a bad header checksum', rawName);
    if (++entries > limits.maxFiles) throw tooMany(limits);
    const type = h[156] === 0 ? '0' : String.fromCharCode(h[156]!);
    const prefix = ascii(h, 257, 6) === 'ustar\0' ? cString(h, 345, 155) : '';
    const name = pax?.get('path') ?? longName ?? (prefix !== '' ? `${prefix}/${rawName}` : rawName);
    const paxSize = pax?.get('size');
    const size = paxSize !== undefined && /^\d+$/.test(paxSize) ? Number(paxSize) : tarNumber(h, 124, 12, name);
    off += BLOCK;
    if (off + size > data.length) throw malformedTar('data past the end of the archive (truncated?)', name);
    const body = data.subarray(off, off + size);
    off += Math.ceil(size / BLOCK) * BLOCK;
    if (type !== '5') {
      total += size;
      if (total > limits.maxTotalBytes) throw tooLarge(limits);
      if (type === '0' || type === '7') checkFileSize(size, limits, name);
    }
    const isMeta = type === 'x' || type === 'g' || type === 'L' || type === 'K';
    if (!isMeta) {
      pax = undefined;
      longName = undefined;
    }
    switch (type) {
      case 'x':
        pax = paxRecords(body, name);
        break;
      case 'g': // global pax defaults (mtime, charset…): nothing we use
        break;
      case 'L':
        longName = cString(body, 0, body.length);
        break;
      case 'K': // the long target of a link, which is refused when it comes
        break;
      case '1':
      case '2':
        throw new SourceArchiveError('link', `sources archive entry is a ${type === '1' ? 'hard' : 'symbolic '}link: ${name}`, name);
      case '3':
      case '4':
      case '6':
        throw new SourceArchiveError('special_file', `sources archive entry is a device or fifo: ${name}`, name);
      case '5':
        entryPath(name);
        break;
      case '0':
      case '7': {
        const path = entryPath(name);
        if (path === '') throw new SourceArchiveError('unsafe_path', `sources archive file entry without a name`, name);
        files.set(path, body);
        break;
      }
      default:
        throw new SourceArchiveError('unsupported', `sources archive entry of tar type '${type}': ${name}`, name);
    }
  }
  return files;
}

// ---- zip (the central directory is authoritative; stored and deflated entries) ----

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

function isZip(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && ((b[2] === 3 && b[3] === 4) || (b[2] === 5 && b[3] === 6));
}

function malformedZip(what: string, entry?: string): SourceArchiveError {
  return new SourceArchiveError('malformed', `sources archive: zip ${what}${entry ? ` (${entry})` : ''}`, entry);
}

function readZip(data: Uint8Array, limits: SourceArchiveLimits): Map<string, Uint8Array> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);

  // The end-of-central-directory record is last, followed by a comment of up to 65535 bytes.
  let eocd = -1;
  for (let at = data.length - 22; at >= 0 && at >= data.length - 22 - 0xffff; at--) {
    if (u32(at) === EOCD_SIGNATURE) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw malformedZip('without an end of central directory (truncated?)');
  const count = u16(eocd + 10);
  const cdSize = u32(eocd + 12);
  const cdOffset = u32(eocd + 16);
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0) throw new SourceArchiveError('unsupported', 'sources archive: multi-part zip');
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw new SourceArchiveError('unsupported', 'sources archive: zip64 is not supported');
  }
  if (count > limits.maxFiles) throw tooMany(limits);
  if (cdOffset + cdSize > eocd) throw malformedZip('central directory out of bounds');

  // Check every entry and the declared total before inflating anything.
  interface Entry { name: string; path: string; method: number; crc: number; compSize: number; size: number; local: number }
  const entries: Entry[] = [];
  let total = 0;
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > eocd || u32(at) !== CENTRAL_SIGNATURE) throw malformedZip('central directory entry out of place');
    const madeBy = u16(at + 4) >> 8;
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const crc = u32(at + 16);
    const compSize = u32(at + 20);
    const size = u32(at + 24);
    const nameLen = u16(at + 28);
    const next = at + 46 + nameLen + u16(at + 30) + u16(at + 32);
    if (next > eocd) throw malformedZip('central directory entry out of bounds');
    const name = utf8.decode(data.subarray(at + 46, at + 46 + nameLen));
    const mode = madeBy === 3 ? u32(at + 38) >>> 16 : 0; // Unix hosts keep st_mode in the high half
    const local = u32(at + 42);
    at = next;

    const path = entryPath(name);
    const kind = mode & 0o170000;
    if (kind === 0o120000) throw new SourceArchiveError('link', `sources archive entry is a symbolic link: ${name}`, name);
    if (kind !== 0 && kind !== 0o100000 && kind !== 0o040000) {
      throw new SourceArchiveError('special_file', `sources archive entry is a device, fifo or socket: ${name}`, name);
    }
    if (name.endsWith('/') || name.endsWith('\\') || kind === 0o040000) continue; // a directory
    if (path === '') throw new SourceArchiveError('unsafe_path', 'sources archive file entry without a name', name);
    if (flags & 1) throw new SourceArchiveError('unsupported', `sources archive entry is encrypted: ${name}`, name);
    if (method !== 0 && method !== 8) throw new SourceArchiveError('unsupported', `sources archive entry compressed with method ${method}: ${name}`, name);
    total += size;
    if (total > limits.maxTotalBytes) throw tooLarge(limits);
    checkFileSize(size, limits, name);
    entries.push({ name, path, method, crc, compSize, size, local });
  }

  const files = new Map<string, Uint8Array>();
  for (const e of entries) {
    if (e.local + 30 > data.length || u32(e.local) !== LOCAL_SIGNATURE) throw malformedZip('local header out of place', e.name);
    const start = e.local + 30 + u16(e.local + 26) + u16(e.local + 28);
    if (start + e.compSize > data.length) throw malformedZip('entry data past the end of the archive', e.name);
    const raw = data.subarray(start, start + e.compSize);
    const content = e.method === 0 ? raw : inflateEntry(raw, e.size, e.name);
    if (content.length !== e.size) throw malformedZip('entry whose size differs from its header', e.name);
    if (crc32(content) !== e.crc) throw malformedZip('entry with a bad CRC-32', e.name);
    files.set(e.path, content);
  }
  return files;
}

/** Inflates at most the declared size: a header that lies cannot make us allocate more. */
function inflateEntry(raw: Uint8Array, size: number, name: string): Uint8Array {
  try {
    const out = inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw malformedZip('entry that inflates past its declared size', name);
    throw malformedZip('entry with corrupt deflate data', name);
  }
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE), as zip records it; node:zlib's crc32 arrived only in Node 20.15. */
function crc32(b: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
