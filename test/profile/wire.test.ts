import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WireError, WireReader } from '../../src/profile/wire.js';

/** Encodes an unsigned 64-bit value (or a signed one, as two's complement) as a varint. */
function varint(value: bigint): number[] {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v === 0n ? low : low | 0x80);
  } while (v !== 0n);
  return out;
}

function reader(bytes: number[]): WireReader {
  return new WireReader(Uint8Array.from(bytes));
}

test('readVarint is exact below 2^53 and at least 2^53 above it', () => {
  for (const v of [0n, 1n, 127n, 128n, 300n, 16383n, 16384n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n]) {
    const r = reader(varint(v));
    assert.equal(r.readVarint(), Number(v));
    assert.equal(r.pos, varint(v).length);
  }
  assert.ok(reader(varint(2n ** 53n)).readVarint() >= 2 ** 53);
  assert.ok(reader(varint(2n ** 53n + 1n)).readVarint() > Number.MAX_SAFE_INTEGER);
  assert.ok(reader(varint(2n ** 64n - 1n)).readVarint() >= 2 ** 63);
});

test('readInt64 returns exact values within ±(2^53−1) and NaN beyond', () => {
  const exact = [0n, 1n, -1n, 150n, -150n, 2n ** 31n, -(2n ** 31n), 2n ** 53n - 1n, -(2n ** 53n - 1n), -(2n ** 32n)];
  for (const v of exact) assert.equal(reader(varint(v)).readInt64(), Number(v), `value ${v}`);
  for (const v of [2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)]) {
    const r = reader(varint(v));
    assert.ok(Number.isNaN(r.readInt64()), `value ${v}`);
    assert.equal(r.lastInt64AsBigInt(), v, 'the exact value is available for the error message');
  }
});

test('readInt64Loose maps two’s complement to negative numbers', () => {
  assert.equal(reader(varint(-5n)).readInt64Loose(), -5);
  assert.equal(reader(varint(1666107597086748038n)).readInt64Loose(), 1666107597086748038);
});

test('readUint64Big keeps 64-bit addresses whole', () => {
  for (const v of [0n, 0x400000n, 2n ** 53n + 1n, 0xffffffffff600000n, 2n ** 64n - 1n]) {
    assert.equal(reader(varint(v)).readUint64Big(), v);
  }
});

test('reading past the end reports pastEnd; bad encodings do not', () => {
  const cut = reader([0x80, 0x80]);
  assert.throws(() => cut.readVarint(), (e: unknown) => e instanceof WireError && e.pastEnd);
  const longLength = reader([...varint(10n), 1, 2]);
  assert.throws(() => longLength.readLengthEnd(), (e: unknown) => e instanceof WireError && e.pastEnd);
  const elevenBytes = reader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.throws(() => elevenBytes.readVarint(), (e: unknown) => e instanceof WireError && !e.pastEnd);
  assert.throws(() => reader([1]).skip(3), (e: unknown) => e instanceof WireError && !e.pastEnd);
  assert.throws(() => reader([1, 2, 3]).skip(5), (e: unknown) => e instanceof WireError && e.pastEnd);
});

test('a sub-region end bounds varints even when the buffer goes on', () => {
  const r = new WireReader(Uint8Array.from([0x96, 0x01]), 0, 1);
  assert.throws(() => r.readVarint(), (e: unknown) => e instanceof WireError && e.pastEnd);
});

test('skip moves over each wire type', () => {
  const bytes = [...varint(300n), 1, 2, 3, 4, 5, 6, 7, 8, ...varint(3n), 9, 9, 9, 1, 2, 3, 4, 0x2a];
  const r = reader(bytes);
  r.skip(0);
  r.skip(1);
  r.skip(2);
  r.skip(5);
  assert.equal(r.readVarint(), 42);
});
