/**
 * bytes → Profile: sniff (empty, gzip), inflate with a cap, decode
 * profile.proto (schema: proto/profile.proto, perftools.profiles from google/pprof), resolve ids
 * and string indices into src/profile/model.ts, and reject what pprof's CheckValid rejects
 * (spec §1.1–§1.5) plus values a double cannot hold exactly.
 *
 * Speed: one scan over the top-level fields records where each repeated message lives; strings
 * are decoded once; then mappings, functions, locations and samples are decoded from their byte
 * ranges, in that order, so every reference can be resolved as it is read, whatever the order of
 * the fields in the file. No object is made per protobuf field, only the model's own objects.
 */
import { Buffer } from 'node:buffer';
import { ProfileError, TooLargeError } from '../errors.js';
import { gunzipCapped, isGzip } from './gunzip.js';
import type {
  Line,
  Location,
  Mapping,
  Profile,
  ProfileFunction,
  Sample,
  ValueType,
} from './model.js';
import { looksLikeGoroutineDump } from './sniff.js';
import { MAX_SAFE, WireError, WireReader, WireType } from './wire.js';
import { BigIds, type IdKind } from './big-ids.js';
import { CLI_LIMITS, LIMITS, type LimitName, type Limits } from '../limits.js';

/**
 * The budgets decoding runs under (src/limits.ts): each is counted while reading, before what it
 * bounds is allocated. Unset ones take the CLI's defaults (generous); the service passes its own.
 */
export type DecodeLimits = Partial<Pick<Limits,
  'maxInflatedBytes' | 'maxEntries' | 'maxSamples' | 'maxFrames' | 'maxStackDepth' | 'maxStrings' | 'maxStringBytes' | 'maxNameBytes' | 'maxLabelsPerSample'>>;

export const DEFAULT_MAX_INFLATED_BYTES = CLI_LIMITS.maxInflatedBytes;
export const DEFAULT_MAX_ENTRIES = CLI_LIMITS.maxEntries;

const NOT_A_PROFILE = 'not a profile (unrecognized format)';
const GZIP_NOT_A_PROFILE = 'decompressed data is not profile.proto';

/**
 * Decodes a profile.proto message, gzip'd (one layer) or not; bytes that are not one go to
 * `readLegacy` (pprof's legacy parsers) when given.
 *
 * Throws ProfileError with code 'empty' | 'unrecognized' | 'truncated' | 'malformed' |
 * 'overflow' (field and index name the culprit where there is one), or TooLargeError past a limit.
 *
 * The result is in file order. Samples with identical labels share one label set whose objects
 * and arrays are frozen: copy them to change them (they are read-only data in the pipeline anyway).
 */
export function decodeProfile(
  bytes: Uint8Array,
  limits: DecodeLimits = {},
  readLegacy?: (data: Uint8Array) => Profile | undefined,
): Profile {
  if (bytes.length === 0) throw new ProfileError('empty', 'empty input');
  const budget: Required<DecodeLimits> = { ...CLI_LIMITS, ...definedOnly(limits) };
  const maxInflated = budget.maxInflatedBytes;

  let data = bytes;
  const gzipped = isGzip(bytes);
  if (gzipped) {
    data = gunzipCapped(bytes, maxInflated);
    if (data.length === 0) throw new ProfileError('empty', 'empty input (the gzip stream inflates to nothing)');
    // One layer only, as pprof: gzip inside gzip is not a profile.
    if (isGzip(data)) throw new ProfileError('unrecognized', GZIP_NOT_A_PROFILE);
  }
  if (looksLikeGoroutineDump(data)) {
    throw new ProfileError(
      'unrecognized',
      `${gzipped ? GZIP_NOT_A_PROFILE : NOT_A_PROFILE}: it looks like a goroutine stack dump (debug=2)`,
    );
  }
  try {
    return new ProfileDecoder(data, gzipped, budget).decode();
  } catch (err) {
    // As pprof: whatever does not decode as profile.proto may be one of the legacy formats. Their
    // headers cannot start a valid message, and each parser gives up at its first line, so this
    // costs nothing when the bytes are neither; then the protobuf error is the one that tells.
    if (readLegacy !== undefined && err instanceof ProfileError && err.code !== 'overflow') {
      const legacy = readLegacy(data);
      if (legacy !== undefined) return legacy;
    }
    throw err;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** More than `max` of a profile's entries (`what`: "samples", "strings", …). */
export function tooMany(what: string, max: number, name: LimitName): TooLargeError {
  return overBudget(name, max, `profile has more than ${max} ${what}`);
}

/** More than `max` frames in all the samples' stacks. */
export function tooManyFrames(max: number): TooLargeError {
  return overBudget('maxFrames', max, `the samples' stacks have more than ${max} frames in all`);
}

/**
 * Past a budget: the message says what and how many, `limitName` which budget (its flag name; the
 * CLI and the service each say how to raise it).
 */
export function overBudget(name: LimitName, limit: number, message: string): TooLargeError {
  return new TooLargeError(message, limit, LIMITS[name].flag);
}

/** Byte ranges of the occurrences of one repeated top-level message field. */
class Ranges {
  starts: Uint32Array;
  ends: Uint32Array;
  count = 0;

  constructor(readonly what: string, private readonly max: number, private readonly limitName: LimitName = 'maxEntries') {
    // Never more room than the cap, since the cap is checked when the arrays are full: with 16
    // slots from the start, a cap below 16 let up to 16 entries through (found by fuzzing).
    const initial = Math.min(16, max);
    this.starts = new Uint32Array(initial);
    this.ends = new Uint32Array(initial);
  }

  push(start: number, end: number): void {
    if (this.count === this.starts.length) {
      if (this.count >= this.max) throw tooMany(this.what, this.max, this.limitName);
      const grown = Math.min(this.count * 2, this.max);
      const starts = new Uint32Array(grown);
      const ends = new Uint32Array(grown);
      starts.set(this.starts);
      ends.set(this.ends);
      this.starts = starts;
      this.ends = ends;
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.count++;
  }
}

/** Looks objects up by id: a dense array when ids are small (the usual 1..N), else a Map. */
class IdIndex<T extends { id: number }> {
  private readonly dense: (T | undefined)[] | undefined;
  private readonly sparse: Map<number, T> | undefined;

  constructor(items: readonly T[], what: IdKind, ids: BigIds) {
    let maxId = 0;
    let standIns = false;
    for (const item of items) {
      if (item.id === 0) throw malformed(`${what} has id 0 (ids must be non-zero)`, `${what}.id`, 0);
      if (item.id > maxId) maxId = item.id;
      if (item.id < 0) standIns = true;
    }
    if (!standIns && maxId <= items.length * 4 + 1024) {
      const dense: (T | undefined)[] = new Array<T | undefined>(maxId + 1).fill(undefined);
      for (const item of items) {
        if (dense[item.id] !== undefined) throw duplicate(what, item.id, ids);
        dense[item.id] = item;
      }
      this.dense = dense;
    } else {
      const sparse = new Map<number, T>();
      for (const item of items) {
        if (sparse.has(item.id)) throw duplicate(what, item.id, ids);
        sparse.set(item.id, item);
      }
      this.sparse = sparse;
    }
  }

  get(id: number): T | undefined {
    return this.dense !== undefined ? this.dense[id] : this.sparse!.get(id);
  }
}

class ProfileDecoder {
  private readonly r: WireReader;
  /** stand-ins for ids above 2^53−1 */
  private readonly bigIds = new BigIds();
  /** the same bytes as a Buffer, for its fast UTF-8 decoding */
  private readonly bytes: Buffer;
  private strings: string[] = [];

  // top-level scalar fields (string indices until resolved)
  private dropFramesX = 0;
  private keepFramesX = 0;
  private timeNanos = 0n;
  private sawTimeNanos = false;
  private durationNanos = 0;
  private period = 0;
  private defaultSampleTypeX = 0;
  private commentXs: number[] = [];
  private periodType: [number, number] | undefined;

  private readonly sampleTypeRanges: Ranges;
  private readonly sampleRanges: Ranges;
  private readonly mappingRanges: Ranges;
  private readonly locationRanges: Ranges;
  private readonly functionRanges: Ranges;
  /** the message kind being decoded, to name it when its bytes do not parse */
  private decoding = '';
  /** a top-level field this schema does not know was seen (hint that the bytes are not a profile) */
  private sawUnknownField = false;

  /** string-table entries allowed: the lower of maxEntries and maxStrings, and which one it is */
  private readonly maxStrings: number;
  private readonly maxStringsName: LimitName;
  private stringBytes = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly gzipped: boolean,
    private readonly budget: Required<DecodeLimits>,
  ) {
    this.r = new WireReader(data);
    this.bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const { maxEntries } = budget;
    this.sampleTypeRanges = new Ranges('sample types', maxEntries);
    this.sampleRanges = budget.maxSamples < maxEntries ? new Ranges('samples', budget.maxSamples, 'maxSamples') : new Ranges('samples', maxEntries);
    this.mappingRanges = new Ranges('mappings', maxEntries);
    this.locationRanges = new Ranges('locations', maxEntries);
    this.functionRanges = new Ranges('functions', maxEntries);
    [this.maxStrings, this.maxStringsName] = budget.maxStrings < maxEntries ? [budget.maxStrings, 'maxStrings'] : [maxEntries, 'maxEntries'];
  }

  decode(): Profile {
    this.scanTopLevel();
    this.checkLooksLikeProfile();
    try {
      return this.build();
    } catch (err) {
      if (err instanceof WireError) {
        // A sub-message that does not parse: the top level was intact, so this is corruption or
        // not a profile at all, not truncation.
        throw new ProfileError('unrecognized', this.gzipped ? GZIP_NOT_A_PROFILE : NOT_A_PROFILE, this.decoding, err.offset);
      }
      throw err;
    }
  }

  /** Pass 1: record where every top-level field is; decode strings and scalars. */
  private scanTopLevel(): void {
    const r = this.r;
    const end = r.end;
    let fields = 0;
    try {
      while (r.pos < end) {
        const tag = r.readVarint();
        switch (tag) {
          case (1 << 3) | WireType.Bytes:
            this.pushRange(this.sampleTypeRanges);
            break;
          case (2 << 3) | WireType.Bytes:
            this.pushRange(this.sampleRanges);
            break;
          case (3 << 3) | WireType.Bytes:
            this.pushRange(this.mappingRanges);
            break;
          case (4 << 3) | WireType.Bytes:
            this.pushRange(this.locationRanges);
            break;
          case (5 << 3) | WireType.Bytes:
            this.pushRange(this.functionRanges);
            break;
          case (6 << 3) | WireType.Bytes: {
            const stringEnd = r.readLengthEnd();
            this.countString(stringEnd - r.pos);
            this.strings.push(decodeString(this.bytes, r.pos, stringEnd));
            r.pos = stringEnd;
            break;
          }
          case (7 << 3) | WireType.Varint:
            this.dropFramesX = r.readVarint();
            break;
          case (8 << 3) | WireType.Varint:
            this.keepFramesX = r.readVarint();
            break;
          case (9 << 3) | WireType.Varint:
            // Go's encoder writes time_nanos once; a second one means two profiles were
            // concatenated (their fields would silently mix), as pprof also rejects.
            if (this.sawTimeNanos) {
              throw malformed(
                'two profiles concatenated in one message (a second time_nanos field)',
                'time_nanos',
              );
            }
            this.sawTimeNanos = true;
            this.timeNanos = BigInt.asIntN(64, r.readUint64Big());
            break;
          case (10 << 3) | WireType.Varint:
            this.durationNanos = r.readInt64Loose();
            break;
          case (11 << 3) | WireType.Bytes: {
            const typeEnd = r.readLengthEnd();
            this.periodType = this.readValueTypeIndices(typeEnd);
            break;
          }
          case (12 << 3) | WireType.Varint:
            this.period = r.readInt64Loose();
            break;
          case (13 << 3) | WireType.Varint:
            this.pushComment(r.readVarint());
            break;
          case (13 << 3) | WireType.Bytes: {
            const packedEnd = r.readLengthEnd();
            const outer = r.end;
            r.end = packedEnd;
            while (r.pos < packedEnd) this.pushComment(r.readVarint());
            r.end = outer;
            break;
          }
          case (14 << 3) | WireType.Varint:
            this.defaultSampleTypeX = r.readVarint();
            break;
          default: {
            const field = Math.floor(tag / 8);
            // Fields 1–14 with a wire type other than the schema's: not a profile.
            if (field === 0 || field <= 14) throw this.notAProfile(r.pos);
            // 15 is doc_url (newer pprof, unused); anything else is unknown to every pprof.
            if (field !== 15) this.sawUnknownField = true;
            r.skip(tag & 7);
          }
        }
        fields++;
      }
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      // Cut-off data fails here, on the last top-level field, after fields that all made sense.
      if (err.pastEnd && fields > 0 && !this.sawUnknownField) {
        throw new ProfileError(
          'truncated',
          `truncated protobuf: ${err.message} (the data is ${this.data.length} bytes)`,
          undefined,
          err.offset,
        );
      }
      throw this.notAProfile(err.offset);
    }
  }

  /** Budgets of the string table, checked before the string is made. */
  private countString(bytes: number): void {
    const { maxNameBytes, maxStringBytes } = this.budget;
    if (this.strings.length >= this.maxStrings) throw tooMany('strings', this.maxStrings, this.maxStringsName);
    if (bytes > maxNameBytes) {
      throw overBudget('maxNameBytes', maxNameBytes, `string ${this.strings.length} is ${bytes} bytes long, over ${maxNameBytes}`);
    }
    this.stringBytes += bytes;
    if (this.stringBytes > maxStringBytes) {
      throw overBudget('maxStringBytes', maxStringBytes, `the profile's strings are more than ${maxStringBytes} bytes`);
    }
  }

  /** A comment's string index. Every comment is a header line of every report: a repeated field like the others. */
  private pushComment(index: number): void {
    const { maxEntries } = this.budget;
    if (this.commentXs.length >= maxEntries) throw tooMany('comments', maxEntries, 'maxEntries');
    this.commentXs.push(index);
  }

  private pushRange(ranges: Ranges): void {
    const end = this.r.readLengthEnd();
    ranges.push(this.r.pos, end);
    this.r.pos = end;
  }

  /** Random bytes sometimes parse as a protobuf; a profile always has its string table. */
  private checkLooksLikeProfile(): void {
    const strings = this.strings;
    if (strings.length === 0) throw this.notAProfile();
    if (strings[0] !== '') {
      if (this.sawUnknownField || this.sampleTypeRanges.count === 0) throw this.notAProfile();
      throw malformed("string_table[0] must be ''", 'string_table', 0);
    }
  }

  private notAProfile(offset?: number): ProfileError {
    return new ProfileError('unrecognized', this.gzipped ? GZIP_NOT_A_PROFILE : NOT_A_PROFILE, undefined, offset);
  }

  private build(): Profile {
    const sampleTypes = this.decodeSampleTypes();
    const mappings = this.decodeMappings();
    const mappingIndex = new IdIndex(mappings, 'mapping', this.bigIds);
    const functions = this.decodeFunctions();
    const functionIndex = new IdIndex(functions, 'function', this.bigIds);
    const locations = this.decodeLocations(mappingIndex, functionIndex);
    const locationIndex = new IdIndex(locations, 'location', this.bigIds);
    const samples = this.decodeSamples(sampleTypes, locationIndex);
    const periodType: ValueType = this.periodType
      ? {
          type: this.str(this.periodType[0], 'period_type.type'),
          unit: this.str(this.periodType[1], 'period_type.unit'),
        }
      : { type: '', unit: '' };
    return {
      sampleTypes,
      samples,
      mappings,
      locations,
      functions,
      dropFrames: this.str(this.dropFramesX, 'drop_frames'),
      keepFrames: this.str(this.keepFramesX, 'keep_frames'),
      timeNanos: this.timeNanos,
      durationNanos: this.durationNanos,
      periodType,
      period: this.period,
      comments: this.commentXs.map((x) => this.str(x, 'comment')),
      defaultSampleType: this.str(this.defaultSampleTypeX, 'default_sample_type'),
    };
  }

  /** Resolves a string index; names the field when the index is outside the table. */
  private str(index: number, field: string): string {
    const s = this.strings[index];
    if (s !== undefined) return s;
    throw malformed(
      `string index ${index} out of range (table has ${this.strings.length} strings)`,
      field,
      index,
    );
  }

  /** ValueType { type = 1; unit = 2 } as string indices; the reader is at the message start. */
  private readValueTypeIndices(end: number): [number, number] {
    const r = this.r;
    const outer = r.end;
    r.end = end;
    let type = 0;
    let unit = 0;
    while (r.pos < end) {
      const tag = r.readVarint();
      if (tag === ((1 << 3) | WireType.Varint)) type = r.readVarint();
      else if (tag === ((2 << 3) | WireType.Varint)) unit = r.readVarint();
      else this.skipUnknown(tag, 2);
    }
    r.end = outer;
    return [type, unit];
  }

  /** Skips a field the decoder does not use; a known field number with a wrong type is an error. */
  private skipUnknown(tag: number, lastKnownField: number): void {
    const field = Math.floor(tag / 8);
    if (field === 0 || field <= lastKnownField) {
      throw new WireError(`field ${field} has wire type ${tag & 7}, not the schema's`, false, this.r.pos);
    }
    this.r.skip(tag & 7);
  }

  private decodeSampleTypes(): ValueType[] {
    this.decoding = 'sample_type';
    const { starts, ends, count } = this.sampleTypeRanges;
    const out: ValueType[] = new Array<ValueType>(count);
    for (let i = 0; i < count; i++) {
      this.r.pos = starts[i]!;
      const [type, unit] = this.readValueTypeIndices(ends[i]!);
      out[i] = { type: this.str(type, 'sample_type.type'), unit: this.str(unit, 'sample_type.unit') };
    }
    return out;
  }

  /** Mapping: id 1, memory_start 2, memory_limit 3, file_offset 4, filename 5, build_id 6, has_* 7–10. */
  private decodeMappings(): Mapping[] {
    this.decoding = 'mapping';
    const r = this.r;
    const { starts, ends, count } = this.mappingRanges;
    const out: Mapping[] = new Array<Mapping>(count);
    for (let i = 0; i < count; i++) {
      r.pos = starts[i]!;
      const end = (r.end = ends[i]!);
      let id = 0;
      let start = 0n;
      let limit = 0n;
      let offset = 0n;
      let fileX = 0;
      let buildIdX = 0;
      let hasFunctions = false;
      let hasFilenames = false;
      let hasLineNumbers = false;
      let hasInlineFrames = false;
      while (r.pos < end) {
        const tag = r.readVarint();
        switch (tag) {
          case (1 << 3) | WireType.Varint:
            id = this.readId('mapping');
            break;
          case (2 << 3) | WireType.Varint:
            start = r.readUint64Big();
            break;
          case (3 << 3) | WireType.Varint:
            limit = r.readUint64Big();
            break;
          case (4 << 3) | WireType.Varint:
            offset = r.readUint64Big();
            break;
          case (5 << 3) | WireType.Varint:
            fileX = r.readVarint();
            break;
          case (6 << 3) | WireType.Varint:
            buildIdX = r.readVarint();
            break;
          case (7 << 3) | WireType.Varint:
            hasFunctions = r.readVarint() !== 0;
            break;
          case (8 << 3) | WireType.Varint:
            hasFilenames = r.readVarint() !== 0;
            break;
          case (9 << 3) | WireType.Varint:
            hasLineNumbers = r.readVarint() !== 0;
            break;
          case (10 << 3) | WireType.Varint:
            hasInlineFrames = r.readVarint() !== 0;
            break;
          default:
            this.skipUnknown(tag, 10);
        }
      }
      out[i] = {
        id,
        start,
        limit,
        offset,
        file: this.str(fileX, 'mapping.filename'),
        buildId: this.str(buildIdX, 'mapping.build_id'),
        hasFunctions,
        hasFilenames,
        hasLineNumbers,
        hasInlineFrames,
      };
    }
    r.end = this.data.length;
    return out;
  }

  /** Function: id 1, name 2, system_name 3, filename 4, start_line 5. */
  private decodeFunctions(): ProfileFunction[] {
    this.decoding = 'function';
    const r = this.r;
    const { starts, ends, count } = this.functionRanges;
    const out: ProfileFunction[] = new Array<ProfileFunction>(count);
    for (let i = 0; i < count; i++) {
      r.pos = starts[i]!;
      const end = (r.end = ends[i]!);
      let id = 0;
      let nameX = 0;
      let systemNameX = 0;
      let filenameX = 0;
      let startLine = 0;
      while (r.pos < end) {
        const tag = r.readVarint();
        switch (tag) {
          case (1 << 3) | WireType.Varint:
            id = this.readId('function');
            break;
          case (2 << 3) | WireType.Varint:
            nameX = r.readVarint();
            break;
          case (3 << 3) | WireType.Varint:
            systemNameX = r.readVarint();
            break;
          case (4 << 3) | WireType.Varint:
            filenameX = r.readVarint();
            break;
          case (5 << 3) | WireType.Varint:
            startLine = r.readInt64Loose();
            break;
          default:
            this.skipUnknown(tag, 5);
        }
      }
      out[i] = {
        id,
        name: this.str(nameX, 'function.name'),
        systemName: this.str(systemNameX, 'function.system_name'),
        filename: this.str(filenameX, 'function.filename'),
        startLine,
      };
    }
    r.end = this.data.length;
    return out;
  }

  /** Location: id 1, mapping_id 2, address 3, line 4 (Line: function_id 1, line 2), is_folded 5. */
  private decodeLocations(mappings: IdIndex<Mapping>, functions: IdIndex<ProfileFunction>): Location[] {
    this.decoding = 'location';
    const r = this.r;
    const { starts, ends, count } = this.locationRanges;
    const out: Location[] = new Array<Location>(count);
    // Lines are read before the location's id may be known (fields can come in any order), so
    // an unresolved function id waits here until the location is complete.
    let missingFunctionId: number | undefined;
    const lineScratch: Line[] = [];
    const maxLines = this.budget.maxStackDepth;
    for (let i = 0; i < count; i++) {
      r.pos = starts[i]!;
      const end = (r.end = ends[i]!);
      let id = 0;
      let mappingId = 0;
      let address = 0n;
      let nLines = 0;
      let isFolded = false;
      while (r.pos < end) {
        const tag = r.readVarint();
        switch (tag) {
          case (1 << 3) | WireType.Varint:
            id = this.readId('location');
            break;
          case (2 << 3) | WireType.Varint:
            mappingId = this.readRef('mapping');
            break;
          case (3 << 3) | WireType.Varint:
            address = r.readUint64Big();
            break;
          case (4 << 3) | WireType.Bytes: {
            const lineEnd = r.readLengthEnd();
            r.end = lineEnd;
            let functionId = 0;
            let line = 0;
            while (r.pos < lineEnd) {
              const lineTag = r.readVarint();
              if (lineTag === ((1 << 3) | WireType.Varint)) functionId = this.readRef('function');
              else if (lineTag === ((2 << 3) | WireType.Varint)) line = r.readInt64Loose();
              else this.skipUnknown(lineTag, 2); // 3 is column (newer pprof): unused
            }
            r.end = end;
            const fn = functions.get(functionId);
            if (fn === undefined) missingFunctionId = functionId;
            else if (nLines >= maxLines) throw overBudget('maxStackDepth', maxLines, `a location has more than ${maxLines} lines (inlined frames)`);
            else lineScratch[nLines++] = { function: fn, line };
            break;
          }
          case (5 << 3) | WireType.Varint:
            isFolded = r.readVarint() !== 0;
            break;
          default:
            this.skipUnknown(tag, 5);
        }
      }
      if (missingFunctionId !== undefined) {
        throw malformed(
          `location id ${this.bigIds.text(id)} has a line with function id ${this.bigIds.text(missingFunctionId)}, which does not exist`,
          'location.line.function_id',
          missingFunctionId >= 0 ? missingFunctionId : undefined,
        );
      }
      // Copies sized exactly: a pushed-to [] reserves 16+ slots, for what is usually one line.
      const lines = nLines === 1 ? [lineScratch[0]!] : lineScratch.slice(0, nLines);
      let mapping: Mapping | undefined;
      if (mappingId !== 0) {
        mapping = mappings.get(mappingId);
        if (mapping === undefined) {
          throw malformed(
            `location id ${this.bigIds.text(id)} references mapping id ${this.bigIds.text(mappingId)}, which does not exist`,
            'location.mapping_id',
            mappingId > 0 ? mappingId : undefined,
          );
        }
      }
      out[i] = { id, mapping, address, lines, isFolded };
    }
    r.end = this.data.length;
    return out;
  }

  /** Sample: location_id 1, value 2 (both packed or not), label 3. */
  private decodeSamples(sampleTypes: ValueType[], locations: IdIndex<Location>): Sample[] {
    this.decoding = 'sample';
    const r = this.r;
    const { starts, ends, count } = this.sampleRanges;
    const nTypes = sampleTypes.length;
    if (count > 0 && nTypes === 0) {
      throw malformed(`profile has ${count} samples but no sample types`, 'sample_type');
    }
    const absSums = new Float64Array(nTypes);
    const out: Sample[] = new Array<Sample>(count);
    const locScratch: Location[] = [];
    const valueScratch: number[] = [];
    /** (key, str, num, num_unit) of the current sample's labels, four numbers per label */
    const labelScratch: number[] = [];
    const labelSets = new Map<number, CachedLabelSet>();
    const { maxStackDepth, maxFrames, maxLabelsPerSample } = this.budget;
    let frames = 0;
    const tooDeep = () => overBudget('maxStackDepth', maxStackDepth, `a sample's stack has more than ${maxStackDepth} frames`);
    for (let i = 0; i < count; i++) {
      r.pos = starts[i]!;
      const end = (r.end = ends[i]!);
      let nLocs = 0;
      let nValues = 0;
      let nLabels = 0;
      let labelsStart = 0;
      let labelsEnd = 0;
      while (r.pos < end) {
        const fieldStart = r.pos;
        const tag = r.readVarint();
        switch (tag) {
          case (1 << 3) | WireType.Varint: {
            if (nLocs >= maxStackDepth) throw tooDeep();
            const loc = (locScratch[nLocs++] = this.sampleLocation(locations, this.readRef('location')));
            frames += framesOf(loc);
            break;
          }
          case (1 << 3) | WireType.Bytes: {
            const packedEnd = r.readLengthEnd();
            r.end = packedEnd;
            while (r.pos < packedEnd) {
              if (nLocs >= maxStackDepth) throw tooDeep();
              const loc = (locScratch[nLocs++] = this.sampleLocation(locations, this.readRef('location')));
              frames += framesOf(loc);
            }
            r.end = end;
            break;
          }
          case (2 << 3) | WireType.Varint:
            this.readSampleValue(i, nValues++, valueScratch, sampleTypes, absSums);
            break;
          case (2 << 3) | WireType.Bytes: {
            const packedEnd = r.readLengthEnd();
            r.end = packedEnd;
            while (r.pos < packedEnd) this.readSampleValue(i, nValues++, valueScratch, sampleTypes, absSums);
            r.end = end;
            break;
          }
          case (3 << 3) | WireType.Bytes: {
            // Label: key 1, str 2, num 3, num_unit 4, kept as indices until the sample is read
            const labelEnd = r.readLengthEnd();
            r.end = labelEnd;
            let keyX = 0;
            let strX = 0;
            let num = 0;
            let unitX = 0;
            while (r.pos < labelEnd) {
              const labelTag = r.readVarint();
              if (labelTag === ((1 << 3) | WireType.Varint)) keyX = r.readVarint();
              else if (labelTag === ((2 << 3) | WireType.Varint)) strX = r.readVarint();
              else if (labelTag === ((3 << 3) | WireType.Varint)) num = r.readInt64();
              else if (labelTag === ((4 << 3) | WireType.Varint)) unitX = r.readVarint();
              else this.skipUnknown(labelTag, 4);
            }
            r.end = end;
            if (strX === 0 && Number.isNaN(num)) {
              const key = this.str(keyX, 'sample.label.key');
              throw new ProfileError(
                'overflow',
                `value overflow: sample ${i} numeric label "${key}" has value ${r.lastInt64AsBigInt()}, outside ±(2^53−1)`,
                'sample.label.num',
                i,
              );
            }
            if (nLabels >= maxLabelsPerSample) {
              throw overBudget('maxLabelsPerSample', maxLabelsPerSample, `sample ${i} has more than ${maxLabelsPerSample} labels`);
            }
            if (nLabels === 0) labelsStart = fieldStart;
            labelsEnd = labelEnd;
            const at = nLabels * 4;
            labelScratch[at] = keyX;
            labelScratch[at + 1] = strX;
            labelScratch[at + 2] = num;
            labelScratch[at + 3] = unitX;
            nLabels++;
            break;
          }
          default:
            this.skipUnknown(tag, 3);
        }
      }
      if (nValues !== nTypes) {
        throw malformed(`sample has ${nValues} values vs. ${nTypes} types`, 'sample.value', i);
      }
      if (frames > maxFrames) throw tooManyFrames(maxFrames);
      // Exact-size copies of the scratch arrays: no spare capacity kept per sample.
      const locs = locScratch.slice(0, nLocs);
      const values = valueScratch.slice(0, nValues);
      const labels = nLabels === 0 ? NO_LABELS : this.labelSet(labelScratch, nLabels, labelSets, labelsStart, labelsEnd);
      out[i] = {
        locations: locs,
        values,
        labels: labels.labels,
        numLabels: labels.numLabels,
        numUnits: labels.numUnits,
      };
    }
    r.end = this.data.length;
    return out;
  }

  /**
   * Resolves a sample's labels (spec §1.3). Samples with the same label list share one frozen
   * LabelSet: most profiles have few distinct label sets, and a labels object per sample was
   * over half the memory of a 1M-sample profile. Keys live in null-prototype objects so that a
   * label named `__proto__` or `constructor` is just a key.
   */
  private labelSet(scratch: number[], n: number, cache: Map<number, CachedLabelSet>, start: number, end: number): LabelSet {
    // The cache key is the encoded bytes from the first label to the end of the last one: equal
    // bytes mean equal labels (other fields in between only make the key more specific). They
    // are hashed (FNV-1a) and compared in place, rather than copied into a string per sample.
    const data = this.data;
    let hash = 0x811c9dc5;
    for (let p = start; p < end; p++) hash = Math.imul(hash ^ data[p]!, 0x01000193);
    hash >>>= 0;
    for (let c = cache.get(hash); c !== undefined; c = c.next) {
      if (sameBytes(data, c.start, c.end, start, end)) return c.set;
    }

    let labels: Record<string, string[]> | undefined;
    let numLabels: Record<string, number[]> | undefined;
    let numUnits: Record<string, string[]> | undefined;
    for (let k = 0; k < n * 4; k += 4) {
      const key = this.str(scratch[k]!, 'sample.label.key');
      const strX = scratch[k + 1]!;
      const num = scratch[k + 2]!;
      const unitX = scratch[k + 3]!;
      if (strX !== 0) {
        labels ??= Object.create(null) as Record<string, string[]>;
        (labels[key] ??= []).push(this.str(strX, 'sample.label.str'));
      } else if (num !== 0 || unitX !== 0) {
        numLabels ??= Object.create(null) as Record<string, number[]>;
        const nums = (numLabels[key] ??= []);
        if (unitX !== 0) {
          numUnits ??= Object.create(null) as Record<string, string[]>;
          const units = (numUnits[key] ??= []);
          while (units.length < nums.length) units.push('');
          units.push(this.str(unitX, 'sample.label.num_unit'));
        }
        nums.push(num);
      }
      // str = num = num_unit = 0: carries nothing, dropped (as pprof)
    }
    if (numUnits !== undefined) {
      // As pprof: a key's unit list, once it has one unit, is as long as its value list.
      for (const key in numUnits) {
        const units = numUnits[key]!;
        const count = numLabels![key]!.length;
        while (units.length < count) units.push('');
      }
    }
    const set: LabelSet = { labels: deepFreeze(labels), numLabels: deepFreeze(numLabels), numUnits: deepFreeze(numUnits) };
    // Bounded, so that a profile whose every sample has distinct labels costs no more than before.
    if (cache.size >= MAX_CACHED_LABEL_SETS) cache.clear();
    cache.set(hash, { start, end, set, next: cache.get(hash) });
    return set;
  }

  private sampleLocation(locations: IdIndex<Location>, id: number): Location {
    const loc = locations.get(id);
    if (loc !== undefined) return loc;
    throw malformed(
      `sample references location id ${this.bigIds.text(id)}, which does not exist`,
      'sample.location_id',
      id > 0 ? id : undefined,
    );
  }

  /**
   * One value of sample `sampleIndex`, kept when it has a column; values past the last column are
   * only counted (the sample is refused for them once read), so a hostile sample of millions of
   * values holds no memory.
   */
  private readSampleValue(sampleIndex: number, column: number, scratch: number[], types: ValueType[], absSums: Float64Array): void {
    if (column < types.length) scratch[column] = this.readValue(sampleIndex, column, types, absSums);
    else this.r.readVarint();
  }

  /**
   * Reads one sample value, exact or an overflow error: each value within ±(2^53−1) and each
   * column's Σ|value| within 2^53−1, so every total and difference computed later is exact.
   */
  private readValue(sampleIndex: number, column: number, types: ValueType[], absSums: Float64Array): number {
    const r = this.r;
    const v = r.readInt64();
    if (Number.isNaN(v)) {
      throw new ProfileError(
        'overflow',
        `value overflow: sample ${sampleIndex} column ${column}${columnName(types, column)} has value ${r.lastInt64AsBigInt()}, outside ±(2^53−1)`,
        'sample.value',
        sampleIndex,
      );
    }
    if (column < absSums.length) {
      // Partial sums are exact while ≤ 2^53−1; the first one beyond rounds to ≥ 2^53: caught.
      const sum = (absSums[column] = absSums[column]! + Math.abs(v));
      if (sum > MAX_SAFE) {
        throw new ProfileError(
          'overflow',
          `value overflow: sample ${sampleIndex} column ${column}${columnName(types, column)}: the sum of |values| over the samples exceeds 2^53−1`,
          'sample.value',
          sampleIndex,
        );
      }
    }
    return v;
  }

  /** An object's own id (non-zero is checked by IdIndex): exact, or a stand-in for one above 2^53−1. */
  private readId(what: IdKind): number {
    const r = this.r;
    const start = r.pos;
    const id = r.readVarint();
    if (id <= MAX_SAFE) return id;
    r.pos = start;
    const exact = r.readUint64Big();
    if (this.bigIds.has(what, exact)) throw malformed(`duplicate ${what} id ${exact}`, `${what}.id`);
    return this.bigIds.standIn(what, exact);
  }

  /**
   * A reference to an id. Every table it can point into is decoded before it is read, so an id above
   * 2^53−1 that has no stand-in yet names nothing: its new stand-in finds no object, and the caller's
   * "does not exist" message prints it exactly.
   */
  private readRef(what: IdKind): number {
    const r = this.r;
    const start = r.pos;
    const id = r.readVarint();
    if (id <= MAX_SAFE) return id;
    r.pos = start;
    return this.bigIds.standIn(what, r.readUint64Big());
  }
}

interface LabelSet {
  labels: Record<string, string[]> | undefined;
  numLabels: Record<string, number[]> | undefined;
  numUnits: Record<string, string[]> | undefined;
}

/** A label set and where its encoding was first seen; `next` chains hash collisions. */
interface CachedLabelSet {
  start: number;
  end: number;
  set: LabelSet;
  next: CachedLabelSet | undefined;
}

function sameBytes(data: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) if (data[aStart + i] !== data[bStart + i]) return false;
  return true;
}

const NO_LABELS: LabelSet = { labels: undefined, numLabels: undefined, numUnits: undefined };
const MAX_CACHED_LABEL_SETS = 1 << 16;

function deepFreeze<T>(record: Record<string, T[]> | undefined): Record<string, T[]> | undefined {
  if (record === undefined) return undefined;
  for (const key in record) Object.freeze(record[key]);
  return Object.freeze(record);
}

/**
 * The frames a location adds to a stack: one per line (its inlined calls are frames of every report,
 * so a location of 8,192 lines repeated 8,192 times is 67 M frames, not 8,192), one when it has none.
 */
export function framesOf(loc: Location): number {
  return loc.lines.length > 1 ? loc.lines.length : 1;
}

function columnName(types: ValueType[], column: number): string {
  const t = types[column];
  return t === undefined ? '' : ` (${t.type}/${t.unit})`;
}

function malformed(message: string, field?: string, index?: number): ProfileError {
  return new ProfileError('malformed', message, field, index);
}

function duplicate(what: string, id: number, ids: BigIds): ProfileError {
  return malformed(`duplicate ${what} id ${ids.text(id)}`, `${what}.id`, id > 0 ? id : undefined);
}

/**
 * UTF-8 bytes → string, once per string-table entry. Buffer#toString measured fastest on
 * large.cpu's 23k strings (1.5 ms; TextDecoder 2.8 ms; building short ASCII strings char by char
 * 25 ms); invalid sequences become U+FFFD either way.
 */
function decodeString(buf: Buffer, start: number, end: number): string {
  return end === start ? '' : buf.toString('utf8', start, end);
}
