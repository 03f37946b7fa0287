import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { decodeProfile, DEFAULT_MAX_INFLATED_BYTES } from '../../src/profile/decode.js';
import { checkProfileBudgets } from '../../src/profile/budgets.js';
import { ProfileError, TooLargeError } from '../../src/errors.js';
import type { Profile } from '../../src/profile/model.js';

// Compiled to build/test/profile/: the fixtures stay in the source tree.
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
const CORPUS = join(FIXTURES, 'corpus');

function fixture(path: string): Uint8Array {
  return readFileSync(join(FIXTURES, path));
}

function decodeFixture(path: string): Profile {
  return decodeProfile(fixture(path));
}

/** Asserts a ProfileError with this code (and message, when given). */
function throwsProfileError(fn: () => unknown, code: string, message?: string | RegExp): ProfileError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ProfileError, `expected a ProfileError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (typeof message === 'string') assert.equal(caught.message, message);
  else if (message) assert.match(caught.message, message);
  return caught;
}

// ---------------------------------------------------------------------------------------------
// Hand-built profiles, encoded by protobufjs from an inline copy of the schema. `PACKED` picks
// packed or one-field-per-value encoding of Sample's repeated ints; the Extra* messages add
// fields the decoder does not know, of every wire type.

function schema(packed: boolean): string {
  const opt = packed ? '' : ' [packed = false]';
  return `
    syntax = "proto3";
    message ValueType { int64 type = 1; int64 unit = 2; }
    message Label { int64 key = 1; int64 str = 2; int64 num = 3; int64 num_unit = 4; }
    message Sample {
      repeated uint64 location_id = 1${opt};
      repeated int64 value = 2${opt};
      repeated Label label = 3;
      string extra_string = 20; fixed64 extra_fixed64 = 21; fixed32 extra_fixed32 = 22; uint64 extra_varint = 23;
    }
    message Mapping {
      uint64 id = 1; uint64 memory_start = 2; uint64 memory_limit = 3; uint64 file_offset = 4;
      int64 filename = 5; int64 build_id = 6; bool has_functions = 7; bool has_filenames = 8;
      bool has_line_numbers = 9; bool has_inline_frames = 10; string extra_string = 30;
    }
    message Line { uint64 function_id = 1; int64 line = 2; int64 column = 3; fixed32 extra_fixed32 = 9; }
    message Location {
      uint64 id = 1; uint64 mapping_id = 2; uint64 address = 3; repeated Line line = 4; bool is_folded = 5;
      fixed64 extra_fixed64 = 40;
    }
    message Function {
      uint64 id = 1; int64 name = 2; int64 system_name = 3; int64 filename = 4; int64 start_line = 5;
      ValueType extra_message = 50;
    }
    message Profile {
      repeated ValueType sample_type = 1; repeated Sample sample = 2; repeated Mapping mapping = 3;
      repeated Location location = 4; repeated Function function = 5; repeated string string_table = 6;
      int64 drop_frames = 7; int64 keep_frames = 8; int64 time_nanos = 9; int64 duration_nanos = 10;
      ValueType period_type = 11; int64 period = 12; repeated int64 comment = 13${opt};
      int64 default_sample_type = 14; int64 doc_url = 15; string extra_top = 99;
    }`;
}

const PACKED = protobuf.parse(schema(true), { keepCase: true }).root.lookupType('Profile');
const UNPACKED = protobuf.parse(schema(false), { keepCase: true }).root.lookupType('Profile');

function encode(profile: Record<string, unknown>, packed = true): Uint8Array {
  const type = packed ? PACKED : UNPACKED;
  checkFieldNames(type, profile);
  // fromObject turns decimal strings into exact 64-bit Longs (verify() would reject them).
  return type.encode(type.fromObject(profile)).finish();
}

/** fromObject ignores unknown keys: catch a misspelt field in a test profile instead. */
function checkFieldNames(type: protobuf.Type, value: Record<string, unknown>): void {
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields[key];
    if (!field) throw new Error(`test profile: ${type.name} has no field ${key}`);
    field.resolve();
    if (field.resolvedType instanceof protobuf.Type) {
      for (const item of Array.isArray(v) ? v : [v]) checkFieldNames(field.resolvedType, item as Record<string, unknown>);
    }
  }
}

/**
 * A small valid profile: strings are indexed by position in `strings`. Two functions, three
 * locations (one with an inlined frame), two samples.
 */
const strings = ['', 'samples', 'count', 'cpu', 'nanoseconds', 'main.main', 'main.f', 'main.g', 'main.go', '/bin/app', 'tenant', 'acme', 'bytes', 'hello', 'runtime\\..*', 'ms'];
const S = Object.fromEntries(strings.map((s, i) => [s, i])) as Record<string, number>;

function baseProfile(): Record<string, unknown> {
  return {
    sample_type: [{ type: S['samples'], unit: S['count'] }, { type: S['cpu'], unit: S['nanoseconds'] }],
    sample: [
      { location_id: [3, 1], value: [1, 10] },
      { location_id: [2, 1], value: [2, 20] },
    ],
    mapping: [{ id: 1, memory_start: 0x400000, memory_limit: 0x500000, file_offset: 0, filename: S['/bin/app'], has_functions: true }],
    location: [
      { id: 1, mapping_id: 1, address: 0x401000, line: [{ function_id: 1, line: 10 }] },
      { id: 2, mapping_id: 1, address: 0x402000, line: [{ function_id: 2, line: 20 }] },
      { id: 3, mapping_id: 1, address: 0x403000, line: [{ function_id: 3, line: 30 }, { function_id: 2, line: 21 }] },
    ],
    function: [
      { id: 1, name: S['main.main'], system_name: S['main.main'], filename: S['main.go'], start_line: 5 },
      { id: 2, name: S['main.f'], system_name: S['main.f'], filename: S['main.go'], start_line: 15 },
      { id: 3, name: S['main.g'], system_name: S['main.g'], filename: S['main.go'], start_line: 25 },
    ],
    string_table: strings,
    time_nanos: '1666107597086748038',
    duration_nanos: 240000000000,
    period_type: { type: S['cpu'], unit: S['nanoseconds'] },
    period: 10000000,
    comment: [S['hello']],
    default_sample_type: S['cpu'],
    drop_frames: S['runtime\\..*'],
  };
}

/** Applies `edit` to a fresh base profile and encodes it. */
function edited(edit: (p: Record<string, any>) => void, packed = true): Uint8Array {
  const p = baseProfile() as Record<string, any>;
  edit(p);
  return encode(p, packed);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

test('decodes a hand-built profile into the model, in file order', () => {
  for (const packed of [true, false]) {
    const p = decodeProfile(encode(baseProfile(), packed));
    assert.deepEqual(p.sampleTypes, [{ type: 'samples', unit: 'count' }, { type: 'cpu', unit: 'nanoseconds' }]);
    assert.equal(p.samples.length, 2);
    assert.deepEqual(p.samples.map((s) => s.values), [[1, 10], [2, 20]]);
    assert.deepEqual(p.samples.map((s) => s.locations.map((l) => l.id)), [[3, 1], [2, 1]]);
    assert.equal(p.samples[0]!.locations[1], p.locations[0], 'references resolve to the same objects');
    assert.equal(p.samples[0]!.labels, undefined);
    assert.equal(p.samples[0]!.numLabels, undefined);
    assert.deepEqual(p.locations.map((l) => l.id), [1, 2, 3]);
    const inlined = p.locations[2]!;
    assert.deepEqual(inlined.lines.map((l) => [l.function.name, l.line]), [['main.g', 30], ['main.f', 21]]);
    assert.equal(inlined.lines[1]!.function, p.functions[1]);
    assert.equal(inlined.address, 0x403000n);
    assert.equal(inlined.mapping, p.mappings[0]);
    assert.equal(inlined.isFolded, false);
    assert.deepEqual(p.functions[1], { id: 2, name: 'main.f', systemName: 'main.f', filename: 'main.go', startLine: 15 });
    assert.deepEqual(p.mappings[0], {
      id: 1, start: 0x400000n, limit: 0x500000n, offset: 0n, file: '/bin/app', buildId: '',
      hasFunctions: true, hasFilenames: false, hasLineNumbers: false, hasInlineFrames: false,
    });
    assert.equal(p.timeNanos, 1666107597086748038n);
    assert.equal(p.durationNanos, 240000000000);
    assert.deepEqual(p.periodType, { type: 'cpu', unit: 'nanoseconds' });
    assert.equal(p.period, 10000000);
    assert.deepEqual(p.comments, ['hello']);
    assert.equal(p.defaultSampleType, 'cpu');
    assert.equal(p.dropFrames, 'runtime\\..*');
    assert.equal(p.keepFrames, '');
  }
});

test('absent optional fields decode to their defaults', () => {
  const p = decodeProfile(encode({ string_table: [''] }));
  assert.deepEqual(p.sampleTypes, []);
  assert.deepEqual(p.samples, []);
  assert.deepEqual(p.periodType, { type: '', unit: '' });
  assert.equal(p.timeNanos, 0n);
  assert.equal(p.period, 0);
  assert.deepEqual(p.comments, []);
  assert.equal(p.defaultSampleType, '');
  const noMapping = decodeProfile(edited((q) => { for (const l of q.location) delete l.mapping_id; }));
  assert.equal(noMapping.locations[0]!.mapping, undefined);
});

test('fields may come in any order: references resolve whatever precedes what', () => {
  // Concatenated protobuf messages merge; putting strings and samples first reverses the usual order.
  const p = baseProfile() as Record<string, any>;
  const head = encode({ string_table: p.string_table, sample: p.sample });
  const tail = encode({ ...p, string_table: [], sample: [] });
  const decoded = decodeProfile(concat(head, tail));
  assert.deepEqual(decoded.samples.map((s) => s.values), [[1, 10], [2, 20]]);
  assert.equal(decoded.samples[1]!.locations[0]!.lines[0]!.function.name, 'main.f');
});

test('unknown fields of every wire type are skipped, at every level', () => {
  const bytes = edited((p) => {
    p.extra_top = 'ignored';
    p.doc_url = S['hello'];
    Object.assign(p.sample[0], { extra_string: 'x', extra_fixed64: '12345678901234', extra_fixed32: 7, extra_varint: 300 });
    p.mapping[0].extra_string = 'y';
    p.location[0].extra_fixed64 = 5;
    p.location[0].line[0].column = 7;
    p.location[0].line[0].extra_fixed32 = 9;
    p.function[0].extra_message = { type: 1, unit: 2 };
  });
  const p = decodeProfile(bytes);
  assert.deepEqual(p.samples.map((s) => s.values), [[1, 10], [2, 20]]);
  assert.equal(p.locations[0]!.lines[0]!.line, 10);
  assert.equal(p.functions[0]!.name, 'main.main');
});

test('packed and unpacked repeated ints may be mixed within one sample', () => {
  const packed = encode({ sample: [{ location_id: [1], value: [1] }] }, true);
  const unpacked = encode({ sample: [{ location_id: [2], value: [2] }] }, false);
  // Protobuf merge of two messages with one sample each would make two samples; to mix within
  // one sample, splice the second sample's body into the first one's.
  const sampleBody = concat(packed.subarray(2), unpacked.subarray(2));
  const sampleField = concat(Uint8Array.from([0x12, sampleBody.length]), sampleBody);
  const rest = edited((p) => { p.sample = []; p.sample_type = [{ type: S['samples'], unit: S['count'] }, { type: S['cpu'], unit: S['nanoseconds'] }]; });
  const p = decodeProfile(concat(sampleField, rest));
  assert.deepEqual(p.samples[0]!.values, [1, 2]);
  assert.deepEqual(p.samples[0]!.locations.map((l) => l.id), [1, 2]);
});

test('labels follow pprof: str label, numeric label with units padded, all-zero label dropped', () => {
  for (const packed of [true, false]) {
    const p = decodeProfile(edited((q) => {
      q.sample[0].label = [
        { key: S['tenant'], str: S['acme'] },
        { key: S['tenant'], str: S['hello'] },
        { key: S['bytes'], num: 64 },                       // no unit
        { key: S['bytes'], num: 128, num_unit: S['bytes'] }, // unit: earlier value padded with ''
        { key: S['cpu'], num: 5, num_unit: S['ms'] },        // unit then no unit: padded at the end
        { key: S['cpu'], num: -7 },
        { key: S['count'] },                                // str = num = num_unit = 0: dropped
        { key: S['samples'], num_unit: S['ms'] },           // num 0 with a unit: kept
        { key: S['main.f'], num: 3 },                       // a key with no unit at all
      ];
    }, packed));
    const s = p.samples[0]!;
    assert.deepEqual({ ...s.labels }, { tenant: ['acme', 'hello'] });
    assert.deepEqual({ ...s.numLabels }, { bytes: [64, 128], cpu: [5, -7], samples: [0], 'main.f': [3] });
    assert.deepEqual({ ...s.numUnits }, { bytes: ['', 'bytes'], cpu: ['ms', ''], samples: ['ms'] });
    assert.equal(p.samples[1]!.labels, undefined);
  }
});

test('samples with equal labels share one frozen label set', () => {
  const p = decodeProfile(edited((q) => {
    const labels = [{ key: S['tenant'], str: S['acme'] }, { key: S['bytes'], num: 64, num_unit: S['bytes'] }];
    q.sample[0].label = labels;
    q.sample[1].label = labels;
    q.sample.push({ location_id: [1], value: [1, 1], label: [{ key: S['tenant'], str: S['hello'] }] });
  }));
  const [a, b, c] = p.samples as [any, any, any];
  assert.equal(a.labels, b.labels);
  assert.equal(a.numLabels, b.numLabels);
  assert.equal(a.numUnits, b.numUnits);
  assert.notEqual(a.labels, c.labels);
  assert.deepEqual(c.labels.tenant, ['hello']);
  assert.ok(Object.isFrozen(a.labels) && Object.isFrozen(a.labels.tenant) && Object.isFrozen(a.numLabels.bytes));
  assert.throws(() => { a.labels.tenant.push('x'); }, TypeError);
});

test('label keys like __proto__ and constructor are plain keys', () => {
  const p = decodeProfile(edited((q) => {
    q.string_table = [...strings, '__proto__', 'constructor'];
    q.sample[0].label = [{ key: strings.length, str: S['acme'] }, { key: strings.length + 1, num: 1 }];
  }));
  const s = p.samples[0]!;
  assert.deepEqual(Object.keys(s.labels!), ['__proto__']);
  assert.deepEqual(s.labels!['__proto__'], ['acme']);
  assert.deepEqual(s.numLabels!['constructor'], [1]);
  assert.equal(s.labels!['constructor'], undefined, 'no inherited properties');
});

test('sample values: exact within ±(2^53−1), overflow errors beyond, per value and per column sum', () => {
  const max = Number.MAX_SAFE_INTEGER;
  const ok = decodeProfile(edited((p) => { p.sample[0].value = [String(max), String(-max)]; p.sample[1].value = [0, 0]; }));
  assert.deepEqual(ok.samples[0]!.values, [max, -max]);
  const negatives = decodeProfile(edited((p) => { p.sample[0].value = [-1, '-4294967296']; }));
  assert.deepEqual(negatives.samples[0]!.values, [-1, -4294967296]);

  const big = throwsProfileError(
    () => decodeProfile(edited((p) => { p.sample[1].value = [1, '9007199254740992']; })),
    'overflow',
    'value overflow: sample 1 column 1 (cpu/nanoseconds) has value 9007199254740992, outside ±(2^53−1)',
  );
  assert.equal(big.field, 'sample.value');
  assert.equal(big.index, 1);
  throwsProfileError(
    () => decodeProfile(edited((p) => { p.sample[0].value = ['-9223372036854775808', 1]; })),
    'overflow',
    /^value overflow: sample 0 column 0 \(samples\/count\) has value -9223372036854775808/,
  );
  // Each value fits, but |a| + |b| does not: totals would no longer be exact.
  throwsProfileError(
    () => decodeProfile(edited((p) => { p.sample[0].value = [String(max), 1]; p.sample[1].value = ['-1', 1]; })),
    'overflow',
    'value overflow: sample 1 column 0 (samples/count): the sum of |values| over the samples exceeds 2^53−1',
  );
  throwsProfileError(
    () => decodeProfile(edited((p) => { p.sample[0].label = [{ key: S['bytes'], num: '9223372036854775807' }]; })),
    'overflow',
    'value overflow: sample 0 numeric label "bytes" has value 9223372036854775807, outside ±(2^53−1)',
  );
});

test('addresses and mapping bounds are exact uint64 bigints', () => {
  const p = decodeProfile(edited((q) => {
    q.mapping[0].memory_start = '18446744071562067968';
    q.mapping[0].memory_limit = '18446744073709551615';
    q.mapping[0].file_offset = '9007199254740993';
    q.location[0].address = '18446744071562067969';
  }));
  assert.equal(p.mappings[0]!.start, 0xffffffff80000000n);
  assert.equal(p.mappings[0]!.limit, 2n ** 64n - 1n);
  assert.equal(p.mappings[0]!.offset, 9007199254740993n);
  assert.equal(p.locations[0]!.address, 0xffffffff80000001n);
});

test('sparse ids resolve too (a Map instead of a dense table)', () => {
  const p = decodeProfile(edited((q) => {
    q.function[0].id = 4000000000;
    q.location[0].line[0].function_id = 4000000000;
    q.location[1].id = 2 ** 40;
    q.sample[1].location_id = [2 ** 40, 1];
  }));
  assert.equal(p.samples[1]!.locations[0]!.address, 0x402000n);
  assert.equal(p.locations[0]!.lines[0]!.function.id, 4000000000);
});

/**
 * Ids are uint64 labels (pprof accepts them all): ids that a double cannot tell apart (2^64−1 and 2^64−2,
 * 2^53 and 2^53+1) stay distinct objects, references resolve exactly, and pprof's Merge numbering 1…n is
 * what the reports see. The expected -raw is `go tool pprof -raw` of this same profile.
 */
function bigIdProfile(): Record<string, unknown> {
  const top = '18446744073709551615';
  const next = '18446744073709551614';
  return {
    ...baseProfile(),
    sample: [
      { location_id: [top, '9007199254740993'], value: [1, 10] },
      { location_id: [next, '9007199254740993'], value: [2, 20] },
    ],
    mapping: [
      { id: next, memory_start: 0x400000, memory_limit: 0x500000, filename: S['/bin/app'], has_functions: true },
      { id: top, memory_start: 0x500000, memory_limit: 0x600000, filename: S['hello'] },
    ],
    location: [
      { id: top, mapping_id: next, address: 0x401000, line: [{ function_id: '9007199254740993', line: 10 }] },
      { id: next, mapping_id: top, address: 0x502000, line: [{ function_id: '9007199254740992', line: 20 }] },
      { id: '9007199254740993', mapping_id: next, address: 0x403000, line: [{ function_id: top, line: 30 }] },
    ],
    function: [
      { id: '9007199254740992', name: S['main.f'], system_name: S['main.f'], filename: S['main.go'] },
      { id: '9007199254740993', name: S['main.g'], system_name: S['main.g'], filename: S['main.go'] },
      { id: top, name: S['main.main'], system_name: S['main.main'], filename: S['main.go'] },
    ],
  };
}

test('ids up to 2^64−1 are exact labels: distinct, resolved, never rounded', () => {
  const p = decodeProfile(encode(bigIdProfile()));
  const names = p.samples.map((s) => s.locations.map((l) => l.lines[0]!.function.name).join(' < '));
  assert.deepEqual(names, ['main.g < main.main', 'main.f < main.main']);
  assert.deepEqual(p.samples.map((s) => s.locations[0]!.mapping!.file), ['/bin/app', 'hello']);
  assert.equal(new Set(p.locations.map((l) => l.id)).size, 3);
  assert.equal(new Set(p.functions.map((f) => f.id)).size, 3);
});

test('validity checks name the field and the id (spec §1.5)', () => {
  const cases: [string, (p: Record<string, any>) => void, string, string | undefined, number | undefined][] = [
    ['string_table[0]', (p) => { p.string_table = ['x', ...strings.slice(1)]; }, "string_table[0] must be ''", 'string_table', 0],
    ['string index', (p) => { p.function[1].name = 5000; }, `string index 5000 out of range (table has ${strings.length} strings)`, 'function.name', 5000],
    ['label key index', (p) => { p.sample[0].label = [{ key: 99, str: 1 }]; }, `string index 99 out of range (table has ${strings.length} strings)`, 'sample.label.key', 99],
    ['no sample types', (p) => { p.sample_type = []; }, 'profile has 2 samples but no sample types', 'sample_type', undefined],
    ['value count', (p) => { p.sample[1].value = [1, 2, 3]; }, 'sample has 3 values vs. 2 types', 'sample.value', 1],
    ['missing location', (p) => { p.sample[0].location_id = [999]; }, 'sample references location id 999, which does not exist', 'sample.location_id', 999],
    ['missing function', (p) => { p.location[1].line[0].function_id = 777; }, 'location id 2 has a line with function id 777, which does not exist', 'location.line.function_id', 777],
    ['function id 0 in a line', (p) => { p.location[1].line[0].function_id = 0; }, 'location id 2 has a line with function id 0, which does not exist', 'location.line.function_id', 0],
    ['missing mapping', (p) => { p.location[2].mapping_id = 5; }, 'location id 3 references mapping id 5, which does not exist', 'location.mapping_id', 5],
    ['function id 0', (p) => { p.function[2].id = 0; }, 'function has id 0 (ids must be non-zero)', 'function.id', 0],
    ['location id 0', (p) => { p.location[0].id = 0; }, 'location has id 0 (ids must be non-zero)', 'location.id', 0],
    ['mapping id 0', (p) => { p.mapping[0].id = 0; p.location.forEach((l: any) => { l.mapping_id = 0; }); }, 'mapping has id 0 (ids must be non-zero)', 'mapping.id', 0],
    ['duplicate function', (p) => { p.function[2].id = 1; }, 'duplicate function id 1', 'function.id', 1],
    ['duplicate location', (p) => { p.location[2].id = 2; }, 'duplicate location id 2', 'location.id', 2],
    ['duplicate mapping', (p) => { p.mapping.push({ ...p.mapping[0] }); }, 'duplicate mapping id 1', 'mapping.id', 1],
    ['missing location beyond 2^53', (p) => { p.sample[0].location_id = ['18446744073709551613']; }, 'sample references location id 18446744073709551613, which does not exist', 'sample.location_id', undefined],
    ['missing function beyond 2^53', (p) => { p.location[1].line[0].function_id = '9007199254740993'; }, 'location id 2 has a line with function id 9007199254740993, which does not exist', 'location.line.function_id', undefined],
    ['missing mapping beyond 2^53', (p) => { p.location[2].id = '18446744073709551615'; p.sample[0].location_id = ['18446744073709551615', 1]; p.location[2].mapping_id = '18446744073709551614'; }, 'location id 18446744073709551615 references mapping id 18446744073709551614, which does not exist', 'location.mapping_id', undefined],
    ['duplicate location beyond 2^53', (p) => { p.location[1].id = p.location[2].id = '18446744073709551615'; }, 'duplicate location id 18446744073709551615', 'location.id', undefined],
  ];
  for (const [name, edit, message, field, index] of cases) {
    const err = throwsProfileError(() => decodeProfile(edited(edit)), 'malformed', message);
    assert.equal(err.field, field, name);
    assert.equal(err.index, index, name);
  }
});

test('a second time_nanos means concatenated profiles: rejected', () => {
  const one = encode(baseProfile());
  throwsProfileError(() => decodeProfile(concat(one, one)), 'malformed', 'two profiles concatenated in one message (a second time_nanos field)');
});

test('truncated and non-profile protobufs', () => {
  // The string table is the last field here, and its last string is long: every cut below lands
  // inside it. (A cut that falls exactly between two fields leaves a shorter, valid message.)
  const stringsLast = encode({ sample_type: [{ type: 1, unit: 2 }], string_table: [...strings, 'x'.repeat(100)] });
  for (const cut of [1, 5, 20, 99, 100, 101]) {
    throwsProfileError(() => decodeProfile(stringsLast.subarray(0, stringsLast.length - cut)), 'truncated', /^truncated protobuf: /);
  }
  throwsProfileError(() => decodeProfile(gzipSync(stringsLast.subarray(0, stringsLast.length - 3))), 'truncated', /^truncated protobuf/);
  // sample_type (field 1) written as a varint: a known field with the wrong wire type
  throwsProfileError(() => decodeProfile(Uint8Array.from([0x08, 0x01, ...stringsLast])), 'unrecognized', 'not a profile (unrecognized format)');
  // A corrupt sub-message: Location { id: 1, line: <127 bytes announced, 2 present> }. The
  // top level is intact, so this is corruption, not truncation.
  const badLocation = Uint8Array.from([0x22, 0x06, 0x08, 0x01, 0x22, 0x7f, 0x08, 0x01]);
  const rest = edited((p) => { p.location = []; p.sample = []; });
  const corrupt = throwsProfileError(() => decodeProfile(concat(badLocation, rest)), 'unrecognized', 'not a profile (unrecognized format)');
  assert.equal(corrupt.field, 'location');
  assert.equal(corrupt.index, 6, 'the byte offset of the bad length');
  // parses as protobuf, but holds nothing of a profile
  throwsProfileError(() => decodeProfile(Uint8Array.from([0xa0, 0x06, 0x01])), 'unrecognized', 'not a profile (unrecognized format)');
  throwsProfileError(() => decodeProfile(Buffer.from('hello, world: this is text', 'utf8')), 'unrecognized');
  throwsProfileError(() => decodeProfile(gzipSync(Buffer.from('plain text'))), 'unrecognized', 'decompressed data is not profile.proto');
});

test('empty input and empty gzip', () => {
  throwsProfileError(() => decodeProfile(new Uint8Array(0)), 'empty', 'empty input');
  throwsProfileError(() => decodeProfile(gzipSync(new Uint8Array(0))), 'empty');
});

test('gzip: one layer only, capped, truncation and corruption named', () => {
  const raw = encode(baseProfile());
  assert.equal(decodeProfile(gzipSync(raw)).samples.length, 2);
  // exactly at the cap is fine, one byte over is not
  assert.equal(decodeProfile(gzipSync(raw), { maxInflatedBytes: raw.length }).samples.length, 2);
  assert.throws(
    () => decodeProfile(gzipSync(raw), { maxInflatedBytes: raw.length - 1 }),
    (e: unknown) => e instanceof TooLargeError && e.limit === raw.length - 1 && e.message === `decompressed size over limit (${raw.length - 1} bytes)`,
  );
  throwsProfileError(() => decodeProfile(gzipSync(gzipSync(raw))), 'unrecognized', 'decompressed data is not profile.proto');
  const gz = gzipSync(raw);
  throwsProfileError(() => decodeProfile(gz.subarray(0, gz.length - 12)), 'truncated', 'truncated gzip stream');
  throwsProfileError(() => decodeProfile(gz.subarray(0, 12)), 'truncated', 'truncated gzip stream');
  // A lying trailer (ISIZE) is a corrupt stream, not an oversized one.
  for (const isize of [5, 0x7fffffff]) {
    const lying = Uint8Array.from(gz);
    new DataView(lying.buffer).setUint32(lying.length - 4, isize, true);
    throwsProfileError(() => decodeProfile(lying), 'unrecognized', /^corrupt gzip stream/);
  }
  const badCrc = Uint8Array.from(gz);
  badCrc[badCrc.length - 8]! ^= 0xff;
  throwsProfileError(() => decodeProfile(badCrc), 'unrecognized', /^corrupt gzip stream/);
});

test('gzip: multi-member streams inflate whole (the trailer only covers the last member)', () => {
  const raw = encode(baseProfile());
  const p = decodeProfile(concat(gzipSync(raw.subarray(0, 40)), gzipSync(raw.subarray(40))));
  assert.equal(p.samples.length, 2);
});

test('gzip: a bomb stops at the cap with bounded memory', () => {
  const bomb = gzipSync(new Uint8Array(64 * 1024 * 1024), { level: 9 }); // ~64 KiB
  for (const cap of [1024 * 1024, 32 * 1024 * 1024]) {
    assert.throws(() => decodeProfile(bomb, { maxInflatedBytes: cap }), (e: unknown) => e instanceof TooLargeError && e.limit === cap);
  }
});

test('too many entries is TooLargeError, not a crash', () => {
  assert.throws(
    () => decodeProfile(encode(baseProfile()), { maxEntries: 10 }),
    (e: unknown) => e instanceof TooLargeError && e.message === 'profile has more than 10 strings',
  );
  assert.throws(
    () => decodeProfile(edited((p) => { p.sample = Array.from({ length: 40 }, () => ({ location_id: [1], value: [1, 1] })); }), { maxEntries: 32 }),
    (e: unknown) => e instanceof TooLargeError && e.message === 'profile has more than 32 samples',
  );
});

/** Asserts TooLargeError past the named budget (its flag name) with this limit. */
function overBudget(fn: () => unknown, limitName: string, limit: number, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TooLargeError, String(e));
    assert.deepEqual([e.limitName, e.limit], [limitName, limit]);
    assert.match(e.message, message);
    return true;
  });
}

test('each budget stops decoding past it, naming itself; at the limit the profile decodes', () => {
  const profile = encode(baseProfile());
  // Two samples, stacks of 2 locations, 5 frames in all (location 3 has an inlined one), 16 strings,
  // the longest 11 bytes, 1 label at most.
  const fits = { maxSamples: 2, maxFrames: 5, maxStackDepth: 2, maxStrings: 16, maxNameBytes: 11, maxLabelsPerSample: 1 };
  assert.equal(decodeProfile(profile, fits).samples.length, 2);
  overBudget(() => decodeProfile(profile, { maxSamples: 1 }), 'max_samples', 1, /more than 1 samples/);
  overBudget(() => decodeProfile(profile, { maxFrames: 4 }), 'max_frames', 4, /more than 4 frames in all/);
  for (const packed of [true, false]) {
    const deeper = edited((p) => {
      p.sample[0].location_id = [3, 1, 2];
    }, packed);
    overBudget(() => decodeProfile(deeper, { maxStackDepth: 2 }), 'max_stack_depth', 2, /a sample's stack has more than 2 frames/);
  }
  overBudget(() => decodeProfile(profile, { maxStrings: 15 }), 'max_strings', 15, /more than 15 strings/);
  overBudget(() => decodeProfile(profile, { maxNameBytes: 10 }), 'max_name_bytes', 10, /string \d+ is 11 bytes long, over 10/);
  const total = strings.reduce((n, x) => n + Buffer.byteLength(x), 0);
  assert.equal(decodeProfile(profile, { maxStringBytes: total }).samples.length, 2);
  overBudget(() => decodeProfile(profile, { maxStringBytes: total - 1 }), 'max_string_bytes', total - 1, /strings are more than/);
  const labelled = edited((p) => {
    p.sample[0].label = [{ key: S['tenant'], str: S['acme'] }, { key: S['bytes'], num: 5 }];
  });
  overBudget(() => decodeProfile(labelled, { maxLabelsPerSample: 1 }), 'max_labels_per_sample', 1, /sample 0 has more than 1 labels/);
  // A location's lines are frames too (inlined ones): location 3 has two.
  overBudget(() => decodeProfile(profile, { maxStackDepth: 1 }), 'max_stack_depth', 1, /a location has more than 1 lines/);
});

test('max_frames counts a location\'s inlined lines: deep inlining repeated in a small file is refused at once', () => {
  // One location of 64 lines, a stack of it 64 times: 4,096 frames per sample from a few hundred bytes.
  const deep = edited((p) => {
    p.location[2].line = Array.from({ length: 64 }, (_, i) => ({ function_id: 1 + (i % 3), line: i + 1 }));
    p.sample = Array.from({ length: 3 }, () => ({ location_id: Array.from({ length: 64 }, () => 3), value: [1, 1] }));
  });
  assert.equal(decodeProfile(deep, { maxFrames: 3 * 4096 }).samples.length, 3);
  overBudget(() => decodeProfile(deep, { maxFrames: 3 * 4096 - 1 }), 'max_frames', 3 * 4096 - 1, /more than 12287 frames in all/);
  // The same count for the inputs read as text, after their parse.
  const profile = decodeProfile(deep);
  checkProfileBudgets(profile, { maxFrames: 3 * 4096 });
  overBudget(() => checkProfileBudgets(profile, { maxFrames: 3 * 4096 - 1 }), 'max_frames', 3 * 4096 - 1, /frames in all/);
});

test('comments count against max_entries, packed or not', () => {
  for (const packed of [true, false]) {
    const many = edited((p) => {
      p.comment = Array.from({ length: 40 }, () => S['hello']);
    }, packed);
    assert.equal(decodeProfile(many, { maxEntries: 40 }).comments.length, 40);
    overBudget(() => decodeProfile(many, { maxEntries: 39 }), 'max_entries', 39, /more than 39 comments/);
  }
});

test('values past a sample\'s columns are counted, not kept: the same error as before, whatever their number', () => {
  for (const n of [3, 100_000]) {
    const bytes = edited((p) => {
      p.sample[1].value = Array.from({ length: n }, () => 1);
    });
    throwsProfileError(() => decodeProfile(bytes), 'malformed', `sample has ${n} values vs. 2 types`);
  }
});

test('legacy formats are not profile.proto: decodeProfile alone refuses them; given the legacy reader, reads them', () => {
  for (const name of ['java.cpu.pb', 'go.crc32.cpu.pb', 'gobench.cpu.pb', 'cppbench.cpu.pb']) {
    throwsProfileError(() => decodeFixture(`corpus/profiles/pprof-testdata/${name}`), 'unrecognized', /^not a profile/);
  }
  const text = 'heap profile: 1: 2 [3: 4] @ heap/1048576\n';
  throwsProfileError(() => decodeProfile(gzipSync(Buffer.from(text))), 'unrecognized', /^decompressed data is not profile\.proto/);
  let seen: Uint8Array | undefined;
  const legacy = decodeProfile(gzipSync(Buffer.from(text)), {}, (data) => {
    seen = data;
    return decodeProfile(encode(baseProfile()));
  });
  assert.equal(Buffer.from(seen!).toString(), text, 'the legacy reader gets the gunzipped bytes');
  assert.ok(legacy.samples.length > 0);
  throwsProfileError(() => decodeFixture('corpus/profiles/shopd/goroutine.b.debug2.txt'), 'unrecognized', /goroutine stack dump \(debug=2\)/);
});

// ---------------------------------------------------------------------------------------------
// The shared corpus

test('bad inputs: the right error, quickly', () => {
  const expected: Record<string, [string, string | RegExp]> = {
    'empty.pb.gz': ['empty', 'empty input'],
    'random.bin': ['unrecognized', 'not a profile (unrecognized format)'],
    'truncated.pb.gz': ['truncated', 'truncated gzip stream'],
    'gzip-of-garbage.pb.gz': ['unrecognized', 'decompressed data is not profile.proto'],
    'truncated-proto.pb': ['truncated', /^truncated protobuf/],
    'missing-location.pb.gz': ['malformed', 'sample references location id 999, which does not exist'],
    'missing-function.pb.gz': ['malformed', 'location id 2 has a line with function id 777, which does not exist'],
    'string-index-out-of-range.pb.gz': ['malformed', /^string index 5000 out of range \(table has \d+ strings\)$/],
    'extra-sample-values.pb.gz': ['malformed', 'sample has 3 values vs. 2 types'],
    'int64-max-values.pb.gz': ['overflow', /^value overflow: sample 0 column 0 .*9223372036854775807/],
    'gzip-in-gzip.pb.gz': ['unrecognized', 'decompressed data is not profile.proto'],
    'goroutine-debug2-truncated.txt': ['unrecognized', /^not a profile \(unrecognized format\)/],
  };
  for (const [name, [code, message]] of Object.entries(expected)) {
    const err = throwsProfileError(() => decodeFixture(`corpus/bad/${name}`), code, message);
    if (name === 'string-index-out-of-range.pb.gz') {
      assert.equal(err.field, 'function.name');
      assert.equal(err.index, 5000);
    }
  }
});

// Stopping at the cap is what keeps it fast (inflating all 1 GiB is what would be slow); the time
// itself is npm run bench's to measure, not a test's on a loaded machine.
test('gzip-bomb-1GiB: TooLargeError at the default cap, in bounded memory', () => {
  const bytes = fixture('corpus/bad/gzip-bomb-1GiB.pb.gz');
  const rssBefore = process.memoryUsage().rss;
  assert.throws(
    () => decodeProfile(bytes),
    (e: unknown) => e instanceof TooLargeError && e.limit === DEFAULT_MAX_INFLATED_BYTES && e.message === 'decompressed size over limit (536870912 bytes)',
  );
  const grownMB = (process.memoryUsage().rss - rssBefore) / 1e6;
  assert.ok(grownMB < 150, `RSS grew by ${grownMB} MB`);
});

test('valid-but-hostile inputs decode', () => {
  const negative = decodeFixture('corpus/bad/negative-values.pb.gz');
  assert.ok(negative.samples.some((s) => s.values.some((v) => v < 0)));

  const zero = decodeFixture('corpus/bad/zero-samples.pb.gz');
  assert.equal(zero.samples.length, 0);
  assert.ok(zero.sampleTypes.length > 0);

  const hostile = decodeFixture('corpus/bad/hostile-names.pb.gz');
  const names = hostile.functions.map((f) => f.name);
  assert.ok(names.includes('<script>alert(1)</script>'));
  assert.ok(names.some((n) => n.includes('\n')));
  assert.ok(names.some((n) => n.length >= 1000));
  assert.ok(names.some((n) => n.includes('\u202e')));
  assert.equal(hostile.mappings[0]!.file.includes('hostile&<names>'), true);
  assert.ok(hostile.functions.some((f) => f.filename === 'src/<x>&"y".go'));

  const breakers = decodeFixture('corpus/bad/hostile-graphviz-breakers.pb.gz');
  assert.ok(breakers.functions.some((f) => f.name.includes('\u0000')));
  assert.ok(breakers.functions.some((f) => f.name.length >= 10000));
  assert.ok(breakers.mappings[0]!.file.includes('"bin\\"; rankdir=LR'));

  const recursion = decodeFixture('corpus/bad/recursion-1000.pb.gz');
  assert.ok(recursion.samples.every((s) => s.locations.length >= 1000));
});

test('every corpus and spec profile decodes', () => {
  const dirs = ['corpus/profiles/shopd', 'corpus/profiles/billing', 'corpus/profiles/large', 'spec/goprof', 'spec/synthetic'];
  const files = dirs.flatMap((d) => readdirSync(join(FIXTURES, d)).filter((f) => f.endsWith('.pb.gz')).map((f) => `${d}/${f}`));
  files.push('corpus/profiles/pprof-testdata/large.cpu');
  assert.ok(files.length >= 28, `only ${files.length} files`);
  for (const path of files) {
    const p = decodeFixture(path);
    assert.ok(p.sampleTypes.length > 0, path);
    for (const s of p.samples) assert.equal(s.values.length, p.sampleTypes.length, path);
  }
});

// Numbers below were checked by hand against `go tool pprof -raw` / `-top` (Go 1.19.8, TZ=UTC).

test('large.cpu matches pprof', () => {
  const p = decodeFixture('corpus/profiles/pprof-testdata/large.cpu');
  assert.equal(p.samples.length, 20430);
  assert.equal(p.locations.length, 23355);
  assert.equal(p.functions.length, 23038);
  assert.equal(p.mappings.length, 4);
  // -top: "Duration: 240.36s, Total samples = 240.29s"
  const totals = [0, 0];
  for (const s of p.samples) {
    totals[0] += s.values[0]!;
    totals[1] += s.values[1]!;
  }
  assert.deepEqual(totals, [24029, 240290000000]);
  assert.equal(Math.round(p.durationNanos / 1e7), 24036);
  // -raw: "Time: 2022-10-18 15:39:57.086748038 +0000 UTC"
  assert.equal(p.timeNanos, 1666107597086748038n);
  // -raw: first sample "1 10000000: 1 2 3 4 5 4 6 4 7 8", location 1 is 0x47db37 time.Now
  const first = p.samples[0]!;
  assert.deepEqual(first.values, [1, 10000000]);
  assert.deepEqual(first.locations.map((l) => l.id), [1, 2, 3, 4, 5, 4, 6, 4, 7, 8]);
  assert.equal(first.locations[0]!.address, 0x47db37n);
  assert.deepEqual(first.locations[0]!.lines.map((l) => `${l.function.name}:${l.line}`), ['time.Now:1091']);
  assert.deepEqual(p.samples[1]!.values, [169, 1690000000]);
  // -raw Mappings: "1: 0x400000/0x6c4000/0x0 /tmp/go-build2236913095/b001/exe/large  [FN]"
  const m = p.mappings[0]!;
  assert.deepEqual([m.start, m.limit, m.offset, m.file, m.hasFunctions], [0x400000n, 0x6c4000n, 0n, '/tmp/go-build2236913095/b001/exe/large', true]);
});

test('shopd mutex and cpu match pprof -raw', () => {
  const mutex = decodeFixture('corpus/profiles/shopd/mutex.pb.gz');
  assert.deepEqual(mutex.periodType, { type: 'contentions', unit: 'count' });
  assert.equal(mutex.period, 1);
  assert.deepEqual(mutex.samples.map((s) => s.values), [[3068, 332844134], [14, 911276]]);
  const loc1 = mutex.samples[0]!.locations[0]!;
  assert.equal(loc1.address, 0x4c8256n);
  assert.deepEqual(loc1.lines.map((l) => `${l.function.name} ${l.function.filename}:${l.line}`), [
    'sync.(*Mutex).Unlock sync/mutex.go:223',
    'shopd/internal/sessions.(*Store).Touch shopd/internal/sessions/sessions.go:56',
  ]);
  assert.equal(loc1.mapping!.file, '/opt/hotpath-corpus/bin/shopd');

  const cpu = decodeFixture('corpus/profiles/shopd/cpu.pb.gz');
  assert.deepEqual([cpu.samples.length, cpu.locations.length, cpu.functions.length], [273, 381, 159]);
  assert.deepEqual(cpu.sampleTypes, [{ type: 'samples', unit: 'count' }, { type: 'cpu', unit: 'nanoseconds' }]);
  assert.deepEqual(cpu.samples[2]!.values, [7, 70000000]);
  assert.equal(cpu.samples[2]!.locations.length, 5);
});

test('labels of real profiles match pprof -raw', () => {
  const goroutine = decodeFixture('corpus/profiles/billing/goroutine.pb.gz');
  // -raw: "30: 1 2 3 4 / tenant:[acme] worker:[payment]", ..., "1: 9 10 ... 16" without labels
  assert.deepEqual(goroutine.samples.map((s) => s.values[0]), [30, 30, 30, 30, 30, 30, 1]);
  assert.deepEqual({ ...goroutine.samples[0]!.labels }, { tenant: ['acme'], worker: ['payment'] });
  assert.deepEqual({ ...goroutine.samples[5]!.labels }, { tenant: ['umbrella'], worker: ['settle'] });
  assert.equal(goroutine.samples[6]!.labels, undefined);

  const heap = decodeFixture('corpus/profiles/shopd/heap.b.pb.gz');
  // -raw: "43 4144 43 4144: 1 2 3 / bytes:[96]" (pprof drops the all-zero sample 0 first)
  assert.equal(heap.samples.length, 244);
  assert.deepEqual(heap.samples[1]!.values, [43, 4144, 43, 4144]);
  assert.deepEqual({ ...heap.samples[1]!.numLabels }, { bytes: [96] });
  assert.equal(heap.samples[1]!.numUnits, undefined);
});

test('large.cpu decodes in well under a second', () => {
  const bytes = fixture('corpus/profiles/pprof-testdata/large.cpu');
  decodeProfile(bytes); // warm up
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    decodeProfile(bytes);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  // ~15–40 ms on an idle core; a generous bound that still catches an accidental quadratic.
  assert.ok(times[2]! < 400, `median ${times[2]} ms`);
});
