/**
 * Structurally generated profile.proto messages, encoded by protobufjs from an inline copy of the
 * schema, with an oracle: from the generated message alone, what the decoder must answer (a
 * Profile with exactly these contents, a ProfileError, or TooLargeError past maxEntries).
 *
 * Generation leans towards messages that are valid (references mostly pick an existing id or
 * string) so that the success path is exercised too, and mixes in what breaks profiles: ids 0,
 * duplicate ids, dangling references, string indices out of range or negative, values at and
 * beyond ±2^53 and at int64's limits, uint64 addresses at 2^64−1, wrong value counts.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import type { Profile } from '../../src/profile/model.js';

function schema(packed: boolean): string {
  const opt = packed ? '' : ' [packed = false]';
  return `
    syntax = "proto3";
    message ValueType { int64 type = 1; int64 unit = 2; }
    message Label { int64 key = 1; int64 str = 2; int64 num = 3; int64 num_unit = 4; }
    message Sample { repeated uint64 location_id = 1${opt}; repeated int64 value = 2${opt}; repeated Label label = 3; }
    message Mapping {
      uint64 id = 1; uint64 memory_start = 2; uint64 memory_limit = 3; uint64 file_offset = 4;
      int64 filename = 5; int64 build_id = 6; bool has_functions = 7; bool has_filenames = 8;
      bool has_line_numbers = 9; bool has_inline_frames = 10;
    }
    message Line { uint64 function_id = 1; int64 line = 2; int64 column = 3; }
    message Location { uint64 id = 1; uint64 mapping_id = 2; uint64 address = 3; repeated Line line = 4; bool is_folded = 5; }
    message Function { uint64 id = 1; int64 name = 2; int64 system_name = 3; int64 filename = 4; int64 start_line = 5; }
    message Profile {
      repeated ValueType sample_type = 1; repeated Sample sample = 2; repeated Mapping mapping = 3;
      repeated Location location = 4; repeated Function function = 5; repeated string string_table = 6;
      int64 drop_frames = 7; int64 keep_frames = 8; int64 time_nanos = 9; int64 duration_nanos = 10;
      ValueType period_type = 11; int64 period = 12; repeated int64 comment = 13${opt};
      int64 default_sample_type = 14; int64 doc_url = 15; string unknown_field = 99;
    }`;
}

const TYPES = {
  packed: protobuf.parse(schema(true), { keepCase: true }).root.lookupType('Profile'),
  unpacked: protobuf.parse(schema(false), { keepCase: true }).root.lookupType('Profile'),
};

// ---------------------------------------------------------------------------------------------
// The generated message, every 64-bit number a bigint as it is on the wire (two's complement).

export interface GenValueType { type: bigint; unit: bigint }
export interface GenLabel { key: bigint; str: bigint; num: bigint; unit: bigint }
export interface GenSample { locationIds: bigint[]; values: bigint[]; labels: GenLabel[] }
export interface GenMapping { id: bigint; start: bigint; limit: bigint; offset: bigint; filename: bigint; buildId: bigint; flags: boolean[] }
export interface GenFunction { id: bigint; name: bigint; systemName: bigint; filename: bigint; startLine: bigint }
export interface GenLine { functionId: bigint; line: bigint }
export interface GenLocation { id: bigint; mappingId: bigint; address: bigint; lines: GenLine[]; isFolded: boolean }

export interface GenProfile {
  strings: string[];
  sampleTypes: GenValueType[];
  samples: GenSample[];
  mappings: GenMapping[];
  functions: GenFunction[];
  locations: GenLocation[];
  dropFrames: bigint;
  keepFrames: bigint;
  timeNanos: bigint;
  durationNanos: bigint;
  periodType: GenValueType | undefined;
  period: bigint;
  comments: bigint[];
  defaultSampleType: bigint;
  unknownField: string;
  packed: boolean;
}

const TWO53 = 1n << 53n;
const SAFE = TWO53 - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

// A clean message is generated first: every reference picks something that exists (an index,
// resolved once the message is built), values are moderate. Then 0–3 faults make it hostile, each
// one targeted (the n-th string index, id, reference or value), so that fast-check shrinks a
// failure to the one fault that matters and about half the messages stay valid.

/** a reference: resolved modulo the number of strings or ids there are */
type Pick = number;

export const int64 = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: -1000, max: 100_000 }).map(BigInt) },
  { weight: 2, arbitrary: fc.bigInt({ min: -SAFE, max: SAFE }) },
  { weight: 2, arbitrary: fc.constantFrom(SAFE, -SAFE, TWO53, -TWO53, TWO53 + 1n, INT64_MAX, INT64_MIN, INT64_MIN + 1n, 1n << 32n, -(1n << 32n)) },
  { weight: 1, arbitrary: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }) },
);
/** sample values and numeric labels before faults: within ±2^40, so column sums stay exact */
const moderate = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: -1000, max: 1_000_000 }).map(BigInt) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }) },
);
const uint64 = fc.oneof(
  fc.integer({ min: 0, max: 0xffffff }).map(BigInt),
  fc.bigInt({ min: 0n, max: UINT64_MAX }),
  fc.constantFrom(0n, UINT64_MAX, TWO53, 1n << 63n),
);

/** Names that break printers: markup, quotes, escapes, DOT syntax, control characters, bidi. */
export const HOSTILE_NAMES = [
  '<script>alert(1)</script>', '"><svg onload=alert(1)>', "it's", 'a"b', 'back\\slash', 'x\\"];\n}', 'label=<<b>x</b>>',
  '{a|b}', '&amp;', '&lt;', '\u0000nul', 'line\nbreak', 'cr\rret', 'tab\there', '\u202eevil', '\u2028', '\ufeffbom',
  'main.(*T).Method', 'pkg.func1.2', 'type:.eq.struct { a int }', 'runtime.gopark', 'σ∂ƒ', '😀', '%s%n', 'a;b', 'x 12',
  '__proto__', 'constructor', 'toString',
  '-->', '<!--', ']]>', '<![CDATA[x]]>', 'javascript:alert(1)', ' ', '', '_Z3foov', 'std::vector<int>::push_back(int)',
  // Labels Graphviz WASM crashed on (they start with an empty line once split at `.` and `::`) and
  // characters XML forbids, which Graphviz copied into its SVG (issue 13).
  '.', '.x', '::x', '::', '..', '.\u0001', '\u0001ctl', 'x\u0008y', '\uFFFF', '\uFFFE', '\n', '.\n', 'a'.repeat(300),
];

const name = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_NAMES) },
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  // any UTF-16 unit, lone surrogates included (unit: 'binary' would cost ~130 MB of tables)
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 8 }) },
);

const pick = fc.nat();
const valueType = fc.record({ type: pick, unit: pick });
const mapping = fc.record({
  start: uint64, limit: uint64, offset: uint64, filename: pick, buildId: pick,
  flags: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
});
const fn = fc.record({ name: pick, systemName: pick, filename: pick, startLine: int64 });
const location = fc.record({
  // undefined: no mapping (0)
  mapping: fc.option(pick, { nil: undefined }),
  address: uint64,
  lines: fc.array(fc.record({ fn: pick, line: int64 }), { maxLength: 3 }),
  isFolded: fc.boolean(),
});
const label = fc.record({
  key: pick,
  kind: fc.constantFrom('str' as const, 'num' as const, 'numUnit' as const),
  str: pick, num: moderate, unit: pick,
});

function sample(nTypes: number) {
  return fc.record({
    locations: fc.array(pick, { maxLength: 6 }),
    values: fc.array(moderate, { minLength: nTypes, maxLength: nTypes }),
    labels: fc.array(label, { maxLength: 3 }),
  });
}

/** One way to make a message hostile; `at` picks the target among those of its kind. */
export type Fault =
  | { kind: 'stringIndex'; at: number; value: bigint }
  | { kind: 'ownId'; at: number; value: bigint }
  | { kind: 'reference'; at: number; value: bigint }
  | { kind: 'value'; at: number; value: bigint }
  | { kind: 'valueCount'; at: number; delta: -1 | 1 }
  | { kind: 'stringTable'; first: string | undefined }
  | { kind: 'noSampleTypes' };

const fault: fc.Arbitrary<Fault> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('stringIndex' as const), at: fc.nat(),
      value: fc.oneof(fc.integer({ min: 0, max: 20 }).map(BigInt), fc.constantFrom(-1n, 1n << 32n, TWO53, INT64_MAX, INT64_MIN)),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('ownId' as const), at: fc.nat(), value: fc.oneof(fc.integer({ min: 0, max: 4 }).map(BigInt), fc.constantFrom(SAFE, TWO53, UINT64_MAX)) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('reference' as const), at: fc.nat(), value: fc.oneof(fc.integer({ min: 0, max: 12 }).map(BigInt), fc.constantFrom(SAFE, TWO53, UINT64_MAX)) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('value' as const), at: fc.nat(), value: int64 }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('valueCount' as const), at: fc.nat(), delta: fc.constantFrom(-1 as const, 1 as const) }) },
  {
    weight: 1,
    // undefined: no string table at all
    arbitrary: fc.record({ kind: fc.constant('stringTable' as const), first: fc.option(fc.string({ minLength: 1, maxLength: 4 }), { nil: undefined }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('noSampleTypes' as const) }) },
);

/** A generated profile.proto message, as bigints (see GenProfile). */
export const genProfile: fc.Arbitrary<GenProfile> = fc
  .record({
    strings: fc.array(name, { minLength: 1, maxLength: 16 }).map((rest) => ['', ...rest]),
    sampleTypes: fc.array(valueType, { minLength: 1, maxLength: 3 }),
    mappings: fc.array(mapping, { maxLength: 3 }),
    functions: fc.array(fn, { maxLength: 8 }),
    locations: fc.array(location, { maxLength: 10 }),
    dropFrames: pick, keepFrames: pick, defaultSampleType: pick,
    timeNanos: int64, durationNanos: int64, period: int64,
    periodType: fc.option(valueType, { nil: undefined }),
    comments: fc.array(pick, { maxLength: 3 }),
    unknownField: fc.oneof({ weight: 10, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.string({ maxLength: 4 }) }),
    packed: fc.boolean(),
    faults: fc.oneof({ weight: 1, arbitrary: fc.constant<Fault[]>([]) }, { weight: 1, arbitrary: fc.array(fault, { minLength: 1, maxLength: 3 }) }),
  })
  .chain((base) => fc.array(sample(base.sampleTypes.length), { maxLength: 12 }).map((samples) => build({ ...base, samples })));

type Spec = {
  strings: string[];
  sampleTypes: { type: Pick; unit: Pick }[];
  mappings: { start: bigint; limit: bigint; offset: bigint; filename: Pick; buildId: Pick; flags: boolean[] }[];
  functions: { name: Pick; systemName: Pick; filename: Pick; startLine: bigint }[];
  locations: { mapping: Pick | undefined; address: bigint; lines: { fn: Pick; line: bigint }[]; isFolded: boolean }[];
  samples: { locations: Pick[]; values: bigint[]; labels: { key: Pick; kind: 'str' | 'num' | 'numUnit'; str: Pick; num: bigint; unit: Pick }[] }[];
  dropFrames: Pick; keepFrames: Pick; defaultSampleType: Pick;
  timeNanos: bigint; durationNanos: bigint; period: bigint;
  periodType: { type: Pick; unit: Pick } | undefined;
  comments: Pick[];
  unknownField: string;
  packed: boolean;
  faults: Fault[];
};

/** Resolves the picks into a valid message, then applies the faults. */
function build(s: Spec): GenProfile {
  const nStrings = s.strings.length;
  const str = (p: Pick) => BigInt(p % nStrings);
  const among = (p: Pick, n: number) => (n === 0 ? 0n : BigInt((p % n) + 1));
  const vt = (v: { type: Pick; unit: Pick }) => ({ type: str(v.type), unit: str(v.unit) });
  const g: GenProfile = {
    strings: s.strings,
    sampleTypes: s.sampleTypes.map(vt),
    mappings: s.mappings.map((m, i) => ({
      id: BigInt(i + 1), start: m.start, limit: m.limit, offset: m.offset, filename: str(m.filename), buildId: str(m.buildId), flags: m.flags,
    })),
    functions: s.functions.map((f, i) => ({
      id: BigInt(i + 1), name: str(f.name), systemName: str(f.systemName), filename: str(f.filename), startLine: f.startLine,
    })),
    locations: s.locations.map((l, i) => ({
      id: BigInt(i + 1),
      mappingId: l.mapping === undefined ? 0n : among(l.mapping, s.mappings.length),
      address: l.address,
      // a line needs a function: without any, the location has no lines
      lines: s.functions.length === 0 ? [] : l.lines.map((line) => ({ functionId: among(line.fn, s.functions.length), line: line.line })),
      isFolded: l.isFolded,
    })),
    samples: s.samples.map((smp) => ({
      locationIds: s.locations.length === 0 ? [] : smp.locations.map((p) => among(p, s.locations.length)),
      values: smp.values,
      labels: smp.labels.map((l) => ({
        key: str(l.key),
        str: l.kind === 'str' ? str(l.str) : 0n,
        num: l.kind === 'str' ? 0n : l.num,
        unit: l.kind === 'numUnit' ? str(l.unit) : 0n,
      })),
    })),
    dropFrames: str(s.dropFrames), keepFrames: str(s.keepFrames), defaultSampleType: str(s.defaultSampleType),
    timeNanos: s.timeNanos, durationNanos: s.durationNanos, period: s.period,
    periodType: s.periodType === undefined ? undefined : vt(s.periodType),
    comments: s.comments.map(str),
    unknownField: s.unknownField,
    packed: s.packed,
  };
  for (const f of s.faults) applyFault(g, f);
  return g;
}

type Slot = { obj: Record<string, unknown>; key: string };

function applyFault(g: GenProfile, f: Fault): void {
  const set = (slots: Slot[], at: number, value: bigint) => {
    if (slots.length === 0) return;
    const { obj, key } = slots[at % slots.length]!;
    obj[key] = value;
  };
  const slots = (items: object[], ...keys: string[]): Slot[] =>
    items.flatMap((obj) => keys.map((key) => ({ obj: obj as Record<string, unknown>, key })));
  const labels = g.samples.flatMap((s) => s.labels);
  switch (f.kind) {
    case 'stringIndex':
      return set([
        ...slots(g.sampleTypes, 'type', 'unit'), ...slots(g.mappings, 'filename', 'buildId'),
        ...slots(g.functions, 'name', 'systemName', 'filename'), ...slots(labels, 'key'),
        ...slots(labels.filter((l) => l.str !== 0n), 'str'), ...slots(labels.filter((l) => l.unit !== 0n), 'unit'),
        ...slots([g], 'dropFrames', 'keepFrames', 'defaultSampleType'),
      ], f.at, f.value);
    case 'ownId':
      return set(slots([...g.mappings, ...g.functions, ...g.locations], 'id'), f.at, f.value);
    case 'reference':
      return set([
        ...slots(g.locations, 'mappingId'), ...slots(g.locations.flatMap((l) => l.lines), 'functionId'),
        ...g.samples.flatMap((s) => s.locationIds.map((_, i) => ({ obj: s.locationIds as unknown as Record<string, unknown>, key: String(i) }))),
      ], f.at, f.value);
    case 'value':
      return set([
        ...g.samples.flatMap((s) => s.values.map((_, i) => ({ obj: s.values as unknown as Record<string, unknown>, key: String(i) }))),
        ...slots(labels.filter((l) => l.str === 0n), 'num'),
      ], f.at, f.value);
    case 'valueCount': {
      const s = g.samples[f.at % Math.max(1, g.samples.length)];
      if (s === undefined) return;
      if (f.delta < 0) s.values.pop();
      else s.values.push(1n);
      return;
    }
    case 'stringTable':
      g.strings = f.first === undefined ? [] : [f.first, ...g.strings.slice(1)];
      return;
    case 'noSampleTypes':
      g.sampleTypes = [];
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** protobufjs takes 64-bit numbers as decimal strings; uint64 fields as their signed twin. */
const w = (v: bigint) => BigInt.asIntN(64, v).toString();

export function encodeGen(g: GenProfile): Uint8Array {
  const type = g.packed ? TYPES.packed : TYPES.unpacked;
  const vt = (v: GenValueType) => ({ type: w(v.type), unit: w(v.unit) });
  const message = {
    sample_type: g.sampleTypes.map(vt),
    sample: g.samples.map((s) => ({
      location_id: s.locationIds.map(w),
      value: s.values.map(w),
      label: s.labels.map((l) => ({ key: w(l.key), str: w(l.str), num: w(l.num), num_unit: w(l.unit) })),
    })),
    mapping: g.mappings.map((m) => ({
      id: w(m.id), memory_start: w(m.start), memory_limit: w(m.limit), file_offset: w(m.offset),
      filename: w(m.filename), build_id: w(m.buildId),
      has_functions: m.flags[0], has_filenames: m.flags[1], has_line_numbers: m.flags[2], has_inline_frames: m.flags[3],
    })),
    location: g.locations.map((l) => ({
      id: w(l.id), mapping_id: w(l.mappingId), address: w(l.address), is_folded: l.isFolded,
      line: l.lines.map((line) => ({ function_id: w(line.functionId), line: w(line.line) })),
    })),
    function: g.functions.map((f) => ({
      id: w(f.id), name: w(f.name), system_name: w(f.systemName), filename: w(f.filename), start_line: w(f.startLine),
    })),
    string_table: g.strings,
    drop_frames: w(g.dropFrames), keep_frames: w(g.keepFrames), time_nanos: w(g.timeNanos), duration_nanos: w(g.durationNanos),
    period_type: g.periodType === undefined ? undefined : vt(g.periodType),
    period: w(g.period), comment: g.comments.map(w), default_sample_type: w(g.defaultSampleType),
    unknown_field: g.unknownField,
  };
  return type.encode(type.fromObject(message)).finish();
}

// ---------------------------------------------------------------------------------------------
// The oracle

export type Expected = { outcome: 'profile' } | { outcome: 'ProfileError'; why: string } | { outcome: 'TooLargeError'; why: string };

/**
 * What decodeProfile must do with encodeGen(g) under `maxEntries`, following the model's rules
 * (src/profile/model.ts, spec §1.1–§1.5), not the decoder's code.
 */
export function expectedOutcome(g: GenProfile, maxEntries: number): Expected {
  const counts: [string, number][] = [
    ['sample types', g.sampleTypes.length], ['samples', g.samples.length], ['mappings', g.mappings.length],
    ['locations', g.locations.length], ['functions', g.functions.length], ['strings', g.strings.length],
  ];
  for (const [what, n] of counts) if (n > maxEntries) return { outcome: 'TooLargeError', why: `${n} ${what} > ${maxEntries}` };
  const bad = (why: string): Expected => ({ outcome: 'ProfileError', why });
  if (g.strings.length === 0) return bad('no string table');
  if (g.strings[0] !== '') return bad("string_table[0] is not ''");
  // string indices and ids are read unsigned
  const u = (v: bigint) => BigInt.asUintN(64, v);
  const s = (v: bigint) => BigInt.asIntN(64, v);
  const strOk = (x: bigint) => u(x) < BigInt(g.strings.length);
  const idsOk = (items: { id: bigint }[], what: string): string | undefined => {
    const seen = new Set<bigint>();
    for (const it of items) {
      const id = u(it.id);
      // Any other uint64 is a valid id (pprof's rule); above 2^53−1 the decoder uses stand-ins.
      if (id === 0n) return `${what} id ${id}`;
      if (seen.has(id)) return `duplicate ${what} id ${id}`;
      seen.add(id);
    }
    return undefined;
  };
  for (const t of [...g.sampleTypes, ...(g.periodType ? [g.periodType] : [])]) {
    if (!strOk(t.type) || !strOk(t.unit)) return bad('value type string index');
  }
  for (const x of [g.dropFrames, g.keepFrames, g.defaultSampleType, ...g.comments]) if (!strOk(x)) return bad('scalar string index');
  const why = idsOk(g.mappings, 'mapping') ?? idsOk(g.functions, 'function') ?? idsOk(g.locations, 'location');
  if (why) return bad(why);
  for (const m of g.mappings) if (!strOk(m.filename) || !strOk(m.buildId)) return bad('mapping string index');
  for (const f of g.functions) if (!strOk(f.name) || !strOk(f.systemName) || !strOk(f.filename)) return bad('function string index');
  const mappingIds = new Set(g.mappings.map((m) => u(m.id)));
  const functionIds = new Set(g.functions.map((f) => u(f.id)));
  const locationIds = new Set(g.locations.map((l) => u(l.id)));
  for (const l of g.locations) {
    if (u(l.mappingId) !== 0n && !mappingIds.has(u(l.mappingId))) return bad(`dangling mapping id ${u(l.mappingId)}`);
    for (const line of l.lines) if (!functionIds.has(u(line.functionId))) return bad(`dangling function id ${u(line.functionId)}`);
  }
  const nTypes = g.sampleTypes.length;
  if (g.samples.length > 0 && nTypes === 0) return bad('samples without sample types');
  const sums = new Array<bigint>(nTypes).fill(0n);
  for (const smp of g.samples) {
    for (const id of smp.locationIds) if (!locationIds.has(u(id))) return bad(`dangling location id ${u(id)}`);
    if (smp.values.length !== nTypes) return bad('value count');
    for (const [c, v] of smp.values.entries()) {
      const x = s(v);
      if (x > SAFE || x < -SAFE) return bad(`value ${x} beyond ±(2^53−1)`);
      sums[c] = sums[c]! + (x < 0n ? -x : x);
      if (sums[c]! > SAFE) return bad('column sum beyond 2^53−1');
    }
    for (const l of smp.labels) {
      if (!strOk(l.key)) return bad('label key index');
      if (u(l.str) !== 0n) {
        if (!strOk(l.str)) return bad('label str index');
        continue;
      }
      if (s(l.num) > SAFE || s(l.num) < -SAFE) return bad('numeric label beyond ±(2^53−1)');
      if (u(l.unit) !== 0n && !strOk(l.unit)) return bad('label unit index');
    }
  }
  return { outcome: 'profile' };
}

/**
 * A string as it comes back from the wire: protobufjs writes a lone surrogate as the 3 bytes of
 * its code point (not valid UTF-8), which the decoder reads as U+FFFD per byte.
 */
function asDecoded(s: string): string {
  const bytes = new Uint8Array(protobuf.util.utf8.length(s));
  protobuf.util.utf8.write(s, bytes, 0);
  return Buffer.from(bytes).toString('utf8');
}

/** The decoded profile holds exactly what was generated (for messages the oracle calls valid). */
export function assertDecodedAsGenerated(p: Profile, g: GenProfile): void {
  const S = (x: bigint) => asDecoded(g.strings[Number(x)]!);
  const n = (v: bigint) => Number(BigInt.asIntN(64, v));
  assert.deepEqual(p.sampleTypes, g.sampleTypes.map((t) => ({ type: S(t.type), unit: S(t.unit) })));
  // Ids as decoded: exact up to 2^53−1, beyond that the decoder's negative stand-ins (one per id).
  const u = (v: bigint) => BigInt.asUintN(64, v);
  const idsOf = (gen: { id: bigint }[], got: { id: number }[]) => {
    const m = new Map<bigint, number>();
    gen.forEach((x, i) => {
      const want = u(x.id);
      if (want <= SAFE) assert.equal(got[i]!.id, Number(want), 'id');
      else assert.ok(got[i]!.id < 0, `stand-in for id ${want}`);
      m.set(want, got[i]!.id);
    });
    return (x: bigint) => (u(x) === 0n ? 0 : m.get(u(x)));
  };
  const mappingId = idsOf(g.mappings, p.mappings);
  const functionId = idsOf(g.functions, p.functions);
  const locationId = idsOf(g.locations, p.locations);
  assert.deepEqual(p.mappings.map((m) => [m.start, m.limit, m.offset, m.file, m.buildId]),
    g.mappings.map((m) => [m.start, m.limit, m.offset, S(m.filename), S(m.buildId)]));
  assert.deepEqual(p.functions.map((f) => [f.name, f.systemName, f.filename]),
    g.functions.map((f) => [S(f.name), S(f.systemName), S(f.filename)]));
  assert.deepEqual(p.locations.map((l) => [l.mapping?.id ?? 0, l.address, l.isFolded, l.lines.map((x) => x.function.id)]),
    g.locations.map((l) => [mappingId(l.mappingId), l.address, l.isFolded, l.lines.map((x) => functionId(x.functionId))]));
  for (const [i, l] of g.locations.entries()) {
    for (const [j, line] of l.lines.entries()) {
      const v = BigInt.asIntN(64, line.line);
      if (v <= SAFE && v >= -SAFE) assert.equal(p.locations[i]!.lines[j]!.line, Number(v), 'line number');
    }
  }
  assert.equal(p.samples.length, g.samples.length);
  for (const [i, smp] of g.samples.entries()) {
    const got = p.samples[i]!;
    assert.deepEqual(got.locations.map((l) => l.id), smp.locationIds.map(locationId), `sample ${i} locations`);
    assert.deepEqual(got.values, smp.values.map(n), `sample ${i} values`);
    // Labels as the model defines them: str labels by key in order, numeric ones with units
    // padded to the value count once a key has any unit; labels carrying nothing dropped.
    // null prototypes: a label key may well be `__proto__`
    const labels = Object.create(null) as Record<string, string[]>;
    const nums = Object.create(null) as Record<string, number[]>;
    const units = Object.create(null) as Record<string, string[]>;
    for (const l of smp.labels) {
      const key = S(l.key);
      if (l.str !== 0n) (labels[key] ??= []).push(S(l.str));
      else if (l.num !== 0n || l.unit !== 0n) {
        const values = (nums[key] ??= []);
        if (l.unit !== 0n) {
          const us = (units[key] ??= []);
          while (us.length < values.length) us.push('');
          us.push(S(l.unit));
        }
        values.push(n(l.num));
      }
    }
    for (const key of Object.keys(units)) while (units[key]!.length < nums[key]!.length) units[key]!.push('');
    const orUndefined = <T>(r: Record<string, T>) => (Object.keys(r).length === 0 ? undefined : { ...r });
    const plain = <T>(r: Record<string, T> | undefined) => (r === undefined ? undefined : { ...r });
    assert.deepEqual(plain(got.labels), orUndefined(labels), `sample ${i} labels`);
    assert.deepEqual(plain(got.numLabels), orUndefined(nums), `sample ${i} numeric labels`);
    assert.deepEqual(plain(got.numUnits), orUndefined(units), `sample ${i} numeric label units`);
  }
  assert.equal(p.dropFrames, S(g.dropFrames));
  assert.equal(p.keepFrames, S(g.keepFrames));
  assert.equal(p.defaultSampleType, S(g.defaultSampleType));
  assert.deepEqual(p.comments, g.comments.map(S));
  assert.deepEqual(p.periodType, g.periodType ? { type: S(g.periodType.type), unit: S(g.periodType.unit) } : { type: '', unit: '' });
  assert.equal(p.timeNanos, BigInt.asIntN(64, g.timeNanos));
  for (const [got, want] of [[p.durationNanos, g.durationNanos], [p.period, g.period]] as const) {
    const v = BigInt.asIntN(64, want);
    if (v <= SAFE && v >= -SAFE) assert.equal(got, Number(v));
  }
}
