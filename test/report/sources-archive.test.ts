/**
 * Uploaded sources archives: the list text from a .tar.gz or .zip of the corpus sources equals pprof's
 * (-source_path=src) goldens, and hostile or oversized archives are refused with a typed error. The
 * archives are built here byte by byte (tar headers, zip records), so each test says exactly what it feeds.
 */
import { concat, tar, type TarEntry } from '../support/tar.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { SourceArchiveError, type SourceArchiveErrorCode } from '../../src/errors.js';
import { parseOptions } from '../../src/options.js';
import { loadProfile } from '../../src/profile/load.js';
import { listReport } from '../../src/report/list.js';
import { readSourcesArchive, unpackSourcesArchive, type SourceArchiveLimits } from '../../src/report/sources-archive.js';
import { CORPUS, goldenCases, inputPath, readGolden } from '../support/goldens.js';
import { splitReportFlags } from './report-flags.js';
import { namedProfile } from '../attacks/shapes.js';

// ---- builders ----

const enc = new TextEncoder();
const bytesOf = (d: string | Uint8Array) => (typeof d === 'string' ? enc.encode(d) : d);


/** A pax record `<len> key=value\n`, whose length counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return len + body;
}

interface ZipEntry {
  name: string;
  data?: string | Uint8Array;
  deflate?: boolean;
  /** Unix st_mode: written with "made by Unix" so readers look at it */
  mode?: number;
  /** a size to declare instead of the real one */
  declaredSize?: number;
  crc?: number;
}

function crc32(b: Uint8Array): number {
  let c = ~0;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function zip(entries: ZipEntry[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = bytesOf(e.data ?? '');
    const stored = e.deflate ? new Uint8Array(deflateRawSync(data)) : data;
    const name = enc.encode(e.name);
    const crc = e.crc ?? crc32(data);
    const size = e.declaredSize ?? data.length;
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(6, 0x800, true);
    local.setUint16(8, e.deflate ? 8 : 0, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, stored.length, true);
    local.setUint32(22, size, true);
    local.setUint16(26, name.length, true);
    const central = new DataView(new ArrayBuffer(46));
    central.setUint32(0, 0x02014b50, true);
    central.setUint16(4, e.mode !== undefined ? (3 << 8) | 20 : 20, true);
    central.setUint16(6, 20, true);
    central.setUint16(8, 0x800, true);
    central.setUint16(10, e.deflate ? 8 : 0, true);
    central.setUint32(16, crc, true);
    central.setUint32(20, stored.length, true);
    central.setUint32(24, size, true);
    central.setUint16(28, name.length, true);
    central.setUint32(38, ((e.mode ?? 0) << 16) >>> 0, true);
    central.setUint32(42, offset, true);
    locals.push(new Uint8Array(local.buffer), name, stored);
    centrals.push(new Uint8Array(central.buffer), name);
    offset += 30 + name.length + stored.length;
  }
  const cd = concat(centrals);
  const eocd = new DataView(new ArrayBuffer(22));
  eocd.setUint32(0, 0x06054b50, true);
  eocd.setUint16(8, entries.length, true);
  eocd.setUint16(10, entries.length, true);
  eocd.setUint32(12, cd.length, true);
  eocd.setUint32(16, offset, true);
  return concat([...locals, cd, new Uint8Array(eocd.buffer)]);
}

// ---- the corpus sources, archived ----

const SRC = path.join(CORPUS, 'src');
const sourceFiles = (readdirSync(SRC, { recursive: true }) as string[])
  .filter((f) => /\.(go|mod)$/.test(f))
  .sort()
  .map((f) => ({ name: f.split(path.sep).join('/'), data: readFileSync(path.join(SRC, f)) }));
const dirsOf = (names: string[]) => [...new Set(names.flatMap((n) => n.split('/').slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join('/') + '/')))];

const listCases = goldenCases().filter((c) => c.flags.some((f) => f.startsWith('-list=')));

function assertListGoldens(archive: Uint8Array): void {
  const sources = readSourcesArchive(archive, { maxTotalBytes: 1 << 20, maxFiles: 100 });
  for (const c of listCases) {
    const { regex, options } = splitReportFlags(c.flags, '-list');
    const { profile } = loadProfile(readFileSync(inputPath(c.inputs[0]!)));
    assert.equal(listReport(profile, regex, parseOptions(options), { sources, env: { timeZone: 'UTC' } }).text, readGolden(c.golden), c.golden);
  }
}

test('the corpus has sources and -list goldens to check archives against', () => {
  assert.ok(sourceFiles.length >= 5 && listCases.length >= 5);
});

test('a .tar.gz of src/ gives every -list golden, as -source_path=src does', () => {
  const names = sourceFiles.map((f) => `src/${f.name}`);
  assertListGoldens(gzipSync(tar([
    ...dirsOf(names).map((d) => ({ name: d, type: '5' })),
    ...sourceFiles.map((f) => ({ name: `./src/${f.name}`, data: f.data })),
  ])));
});

test('a .zip of the folder\'s contents (stored and deflated entries) gives every -list golden', () => {
  assertListGoldens(zip([
    ...dirsOf(sourceFiles.map((f) => f.name)).map((d) => ({ name: d, mode: 0o040755 })),
    ...sourceFiles.map((f, i) => ({ name: f.name, data: f.data, deflate: i % 2 === 0, mode: 0o100644 })),
  ]));
});

test('a plain .tar is read too', () => {
  assertListGoldens(tar(sourceFiles.map((f) => ({ name: `src/${f.name}`, data: f.data }))));
});

test('long names: ustar prefix, pax path and GNU long name', () => {
  const deep = 'd/'.repeat(60) + 'x.go';
  const files = unpackSourcesArchive(tar([
    { name: 'x.go', prefix: 'a/b', data: 'prefix' },
    { name: 'PaxHeader', type: 'x', data: paxRecord('path', `pax/${deep}`) },
    { name: 'truncated-name', data: 'pax' },
    { name: '././@LongLink', type: 'L', data: `gnu/${deep}\0` },
    { name: 'truncated-too', data: 'gnu' },
    { name: 'plain.go', data: 'plain' },
  ]));
  const text = (p: string) => new TextDecoder().decode(files.get(p));
  assert.deepEqual([...files.keys()], ['a/b/x.go', `pax/${deep}`, `gnu/${deep}`, 'plain.go']);
  assert.deepEqual(['a/b/x.go', `pax/${deep}`, `gnu/${deep}`, 'plain.go'].map(text), ['prefix', 'pax', 'gnu', 'plain']);
});

// ---- refusals ----

function refused(archive: Uint8Array, code: SourceArchiveErrorCode, limits?: SourceArchiveLimits): SourceArchiveError {
  let caught: unknown;
  assert.throws(() => readSourcesArchive(archive, limits), (e: unknown) => {
    caught = e;
    return e instanceof SourceArchiveError && e.code === code;
  });
  return caught as SourceArchiveError;
}

test('entries that climb out with ../ are refused, in tar, pax, GNU and zip names', () => {
  assert.equal(refused(gzipSync(tar([{ name: 'src/../../evil.go', data: 'x' }])), 'unsafe_path').entry, 'src/../../evil.go');
  refused(tar([{ name: '..', type: '5' }]), 'unsafe_path');
  refused(tar([{ name: 'evil.go', prefix: '../..', data: 'x' }]), 'unsafe_path');
  refused(tar([{ name: 'p', type: 'x', data: paxRecord('path', '../evil.go') }, { name: 'ok.go', data: 'x' }]), 'unsafe_path');
  refused(tar([{ name: 'L', type: 'L', data: '../evil.go\0' }, { name: 'ok.go', data: 'x' }]), 'unsafe_path');
  refused(zip([{ name: '../evil.go', data: 'x' }]), 'unsafe_path');
  refused(zip([{ name: 'a\\..\\..\\evil.go', data: 'x' }]), 'unsafe_path');
});

test('absolute paths are refused', () => {
  refused(gzipSync(tar([{ name: '/etc/cron.d/evil', data: 'x' }])), 'unsafe_path');
  refused(zip([{ name: '/etc/evil', data: 'x' }]), 'unsafe_path');
  refused(zip([{ name: 'C:/evil', data: 'x' }]), 'unsafe_path');
});

test('symlinks and hardlinks are refused', () => {
  refused(gzipSync(tar([{ name: 'src/x.go', type: '2', linkname: '/etc/passwd' }])), 'link');
  refused(gzipSync(tar([{ name: 'a.go', data: 'x' }, { name: 'b.go', type: '1', linkname: 'a.go' }])), 'link');
  refused(zip([{ name: 'x.go', data: '/etc/passwd', mode: 0o120777 }]), 'link');
  refused(tar([{ name: 'dev', type: '3' }]), 'special_file');
});

test('archives over the size cap are refused before or while unpacking', () => {
  const limits = { maxTotalBytes: 10_000, maxFiles: 100 };
  const big = new Uint8Array(10_001);
  // gzip of a tar whose one file is over the cap: zeros inflate ~1000:1, like a small bomb.
  refused(gzipSync(tar([{ name: 'big.go', data: big }])), 'too_large', limits);
  refused(gzipSync(tar([{ name: 'huge.go', data: new Uint8Array(5_000_000) }])), 'too_large', limits);
  // Many files that are each small.
  refused(tar(Array.from({ length: 3 }, (_, i) => ({ name: `f${i}.go`, data: new Uint8Array(4000) }))), 'too_large', limits);
  refused(zip([{ name: 'big.go', data: big, deflate: true }]), 'too_large', limits);
  // A zip that declares a small size but inflates to more is malformed, and never inflated past the declaration.
  refused(zip([{ name: 'liar.go', data: big, deflate: true, declaredSize: 100 }]), 'malformed', limits);
  // Exactly at the cap is fine.
  assert.equal(unpackSourcesArchive(tar([{ name: 'ok.go', data: new Uint8Array(10_000) }]), limits).get('ok.go')!.length, 10_000);
});

test('one file over the per-file cap is refused by its declared size, before it is unpacked', () => {
  const limits = { maxTotalBytes: 1 << 20, maxFiles: 100, maxFileBytes: 1000 };
  const err = refused(gzipSync(tar([{ name: 'src/ok.go', data: 'x' }, { name: 'src/big.go', data: new Uint8Array(1001) }])), 'too_large', limits);
  assert.equal(err.entry, 'src/big.go');
  assert.match(err.message, /src\/big\.go is 1001 bytes, over 1000 \(max_source_file_bytes\)/);
  refused(zip([{ name: 'big.go', data: new Uint8Array(1001), deflate: true }]), 'too_large', limits);
  assert.equal(unpackSourcesArchive(tar([{ name: 'ok.go', data: new Uint8Array(1000) }]), limits).get('ok.go')!.length, 1000);
});

test('a file that many frame paths resolve to is read (and split into lines) once per report', () => {
  // Three names of one file: as the profile names it, relative to the searched top directory, and
  // through a parent of it.
  const names = ['big.go', 'src/big.go', 'x/../big.go'];
  const { profile } = loadProfile(namedProfile(['main.alias0', 'main.alias1', 'main.alias2'], (i) => names[i]));
  const sources = readSourcesArchive(tar([{ name: 'src/big.go', data: 'package main\n'.repeat(10) + 'func f() {}\n'.repeat(10) }]));
  let reads = 0;
  const counting = { ...sources, read: (file: string) => (reads++, sources.read(file)) };
  const text = listReport(profile, 'alias', parseOptions({}), { sources: counting }).text;
  assert.equal(reads, 1, text);
  assert.equal((text.match(/^ROUTINE.*big\.go$/gm) ?? []).length, 3, text);
  assert.ok(text.includes('func f() {}'), 'with its text');
});

test('archives over the entry-count cap are refused', () => {
  const limits = { maxTotalBytes: 1 << 20, maxFiles: 3 };
  const four = Array.from({ length: 4 }, (_, i) => ({ name: `f${i}.go`, data: 'x' }));
  refused(gzipSync(tar(four)), 'too_many_files', limits);
  refused(zip(four), 'too_many_files', limits);
  assert.equal(unpackSourcesArchive(zip(four.slice(1)), limits).size, 3);
});

test('broken or foreign bytes are refused as such', () => {
  refused(enc.encode('just some text, not an archive at all'), 'unsupported');
  const good = tar([{ name: 'a.go', data: 'package a\n' }]);
  const badSum = good.slice();
  badSum[0] = 'b'.charCodeAt(0);
  refused(badSum, 'malformed');
  refused(gzipSync(good).subarray(0, 40), 'malformed');
  refused(tar([{ name: 'a.go', data: new Uint8Array(2000) }]).subarray(0, 1000), 'malformed'); // data cut short
});

test('zip integrity: a bad CRC, a cut archive', () => {
  refused(zip([{ name: 'a.go', data: 'package a\n', crc: 1234 }]), 'malformed');
  const z = zip([{ name: 'a.go', data: 'package a\n' }]);
  refused(z.subarray(0, z.length - 30), 'malformed');
});
