/**
 * Mutations of real inputs, as fast-check arbitraries: a mutation is a short list of edits whose
 * positions are plain numbers (taken modulo the input's length when applied), so fast-check can
 * shrink a failing mutation to the fewest, smallest edits.
 */
import fc from 'fast-check';

export type ByteEdit =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'duplicate'; from: number; length: number; to: number }
  /** a slice of another input (index into the donor list) pasted in */
  | { kind: 'splice'; donor: number; from: number; length: number; to: number }
  /** a varint made over-long, unterminated, or replaced by an extreme value */
  | { kind: 'varint'; at: number; value: 'long' | 'unterminated' | 'max64' | 'min64' | 'two53' | 'zero' };

const position = fc.nat({ max: 1 << 20 });

export const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), at: position, byte: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x22, 0x32) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: position }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), from: position, length: fc.integer({ min: 1, max: 256 }), to: position }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('splice' as const), donor: fc.nat(), from: position, length: fc.integer({ min: 1, max: 512 }), to: position }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('varint' as const),
      at: position,
      value: fc.constantFrom('long' as const, 'unterminated' as const, 'max64' as const, 'min64' as const, 'two53' as const, 'zero' as const),
    }),
  },
);

export const byteEdits = fc.array(byteEdit, { minLength: 1, maxLength: 6 });

const VARINTS: Record<Exclude<Extract<ByteEdit, { kind: 'varint' }>['value'], 'long' | 'unterminated'>, number[]> = {
  max64: [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // 2^63 − 2… as int64: near int64 max
  min64: [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // −2^63
  two53: [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10], // 2^53
  zero: [0x00],
};

/** The end of the varint that starts at `at` (or `at` + 1 when none is there). */
function varintEnd(b: Uint8Array, at: number): number {
  let p = at;
  while (p < b.length && p - at < 10 && b[p]! >= 0x80) p++;
  return Math.min(p + 1, b.length);
}

export function applyByteEdits(input: Uint8Array, edits: readonly ByteEdit[], donors: readonly Uint8Array[]): Uint8Array {
  let b = Uint8Array.from(input);
  const concat = (...parts: ArrayLike<number>[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  for (const e of edits) {
    const n = b.length;
    switch (e.kind) {
      case 'flip':
        if (n > 0) b[e.at % n] ^= 1 << e.bit;
        break;
      case 'set':
        if (n > 0) b[e.at % n] = e.byte;
        break;
      case 'truncate':
        b = b.slice(0, n === 0 ? 0 : e.at % n);
        break;
      case 'delete': {
        const at = n === 0 ? 0 : e.at % n;
        b = concat(b.subarray(0, at), b.subarray(at + e.length));
        break;
      }
      case 'insert': {
        const at = e.at % (n + 1);
        b = concat(b.subarray(0, at), e.bytes, b.subarray(at));
        break;
      }
      case 'duplicate': {
        if (n === 0) break;
        const from = e.from % n;
        const to = e.to % (n + 1);
        b = concat(b.subarray(0, to), b.subarray(from, from + e.length), b.subarray(to));
        break;
      }
      case 'splice': {
        const donor = donors[e.donor % donors.length]!;
        if (donor.length === 0) break;
        const from = e.from % donor.length;
        const to = e.to % (n + 1);
        b = concat(b.subarray(0, to), donor.subarray(from, from + e.length), b.subarray(to));
        break;
      }
      case 'varint': {
        if (n === 0) break;
        const at = e.at % n;
        const end = varintEnd(b, at);
        let replacement: number[];
        if (e.value === 'long') replacement = new Array<number>(11).fill(0x80).concat([0]); // 12 bytes: over-long
        else if (e.value === 'unterminated') replacement = [0xff, 0xff, 0xff];
        else replacement = VARINTS[e.value];
        b = concat(b.subarray(0, at), replacement, b.subarray(end));
        break;
      }
    }
  }
  return b;
}

/** Edits of a text input, line-aware: what a cut, garbled or hand-edited dump looks like. */
export type TextEdit =
  | { kind: 'deleteLine'; line: number }
  | { kind: 'duplicateLine'; line: number; to: number }
  | { kind: 'swapLines'; a: number; b: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'deleteChars'; at: number; length: number }
  /** a run of digits replaced by another number: huge, negative, zero, fractional, exponent */
  | { kind: 'number'; nth: number; value: string }
  | { kind: 'replaceChar'; at: number; char: string };

const HOSTILE_TEXT = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom(
    '\n', '\r\n', '\t', ' ', ';', ':', '(', ')', '[', ']', '{', '}', '"', '\\', '@', '#', '+0x', '0x', '...',
    '\u0000', '\ufeff', '\u2028', '<script>', '&amp;', 'goroutine 1 [running]:\n', 'created by main.main\n',
    '\tmain.go:1 +0x1\n', '# labels: {"a":"b"}\n', '1 @ 0x1\n', ' '.repeat(300), ';'.repeat(50),
  ),
);

const NUMBERS = fc.oneof(
  fc.constantFrom('0', '-1', '00', '99999999999999999999', '9007199254740993', '9007199254740991', '1e9', '1.5', '-0', '0x10', ''),
  fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).map(String),
  fc.constant('9'.repeat(400)),
);

export const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  fc.record({ kind: fc.constant('deleteLine' as const), line: position }),
  fc.record({ kind: fc.constant('duplicateLine' as const), line: position, to: position }),
  fc.record({ kind: fc.constant('swapLines' as const), a: position, b: position }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('insert' as const), at: position, text: HOSTILE_TEXT }),
  fc.record({ kind: fc.constant('deleteChars' as const), at: position, length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('number' as const), nth: position, value: NUMBERS }),
  fc.record({ kind: fc.constant('replaceChar' as const), at: position, char: HOSTILE_TEXT }),
);

export const textEdits = fc.array(textEdit, { minLength: 1, maxLength: 5 });

export function applyTextEdits(input: string, edits: readonly TextEdit[]): string {
  let t = input;
  for (const e of edits) {
    const lines = t.split('\n');
    const n = t.length;
    switch (e.kind) {
      case 'deleteLine':
        lines.splice(e.line % lines.length, 1);
        t = lines.join('\n');
        break;
      case 'duplicateLine': {
        const line = lines[e.line % lines.length]!;
        lines.splice(e.to % (lines.length + 1), 0, line);
        t = lines.join('\n');
        break;
      }
      case 'swapLines': {
        const a = e.a % lines.length;
        const b = e.b % lines.length;
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        t = lines.join('\n');
        break;
      }
      case 'truncate':
        t = t.slice(0, n === 0 ? 0 : e.at % n);
        break;
      case 'insert': {
        const at = e.at % (n + 1);
        t = t.slice(0, at) + e.text + t.slice(at);
        break;
      }
      case 'deleteChars': {
        const at = n === 0 ? 0 : e.at % n;
        t = t.slice(0, at) + t.slice(at + e.length);
        break;
      }
      case 'number': {
        const runs = [...t.matchAll(/\d+/g)];
        if (runs.length === 0) break;
        const run = runs[e.nth % runs.length]!;
        t = t.slice(0, run.index) + e.value + t.slice(run.index! + run[0].length);
        break;
      }
      case 'replaceChar': {
        if (n === 0) break;
        const at = e.at % n;
        t = t.slice(0, at) + e.char + t.slice(at + 1);
        break;
      }
    }
  }
  return t;
}
