/**
 * A minimal protobuf wire-format reader over a Uint8Array, shaped for decoding profile.proto
 * (see proto/profile.proto) without allocating an object per field.
 *
 * Why not protobufjs: it allocates a message object per Sample/Location/Line and a `Long` per
 * int64, which made pprof's large.cpu take ~300 ms; this reader returns plain numbers and lets the
 * decoder build only the objects the model needs.
 *
 * Numbers: a varint is read as a double, which is exact below 2^53 (every partial sum of
 * 7-bit groups is an integer below 2^53, so no rounding happens on that range, and any larger
 * value rounds to at least 2^53 and is therefore detectable). Signed int64 values that need to be
 * exact (sample values, numeric labels) and uint64 values that must be kept whole (addresses)
 * are re-read as two 32-bit halves on the slow path only.
 */

export const MAX_SAFE = Number.MAX_SAFE_INTEGER; // 2^53 − 1
const TWO_32 = 2 ** 32;

/** Wire types used by profile.proto; 3 and 4 (groups) and 6, 7 are rejected. */
export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  Bytes = 2,
  Fixed32 = 5,
}

/**
 * A failure to read the wire format. `pastEnd` means a varint, a length or a fixed-size value ran
 * past the end of the region being read (the whole buffer at the top level: a sign of truncation);
 * otherwise the bytes are simply not a valid encoding (bad wire type, over-long varint, …).
 */
export class WireError extends Error {
  override name = 'WireError';
  constructor(message: string, readonly pastEnd: boolean, readonly offset: number) {
    super(message);
  }
}

export class WireReader {
  /** read position */
  pos: number;
  /** end of the region being read (a sub-message's end while inside one) */
  end: number;
  /** 32-bit halves of the last varint decoded by the slow paths (as unsigned numbers) */
  lo = 0;
  hi = 0;

  constructor(readonly buf: Uint8Array, pos = 0, end = buf.length) {
    this.pos = pos;
    this.end = end;
  }

  /** Unsigned varint as a double: exact below 2^53, ≥ 2^53 when the true value is. */
  readVarint(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    if (pos >= end) throw this.pastEnd('varint', pos);
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let result = b & 0x7f;
    let scale = 128;
    for (let i = 1; i < 10; i++) {
      if (pos >= end) throw this.pastEnd('varint', pos);
      b = buf[pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        return result;
      }
      scale *= 128;
    }
    throw new WireError(`varint longer than 10 bytes at byte ${this.pos}`, false, this.pos);
  }

  /**
   * A signed int64 that must be exact: returns it when it lies within ±(2^53−1), NaN otherwise
   * (then `lo`/`hi` hold its bits, for `lastInt64AsBigInt`).
   */
  readInt64(): number {
    const start = this.pos;
    const v = this.readVarint();
    if (v <= MAX_SAFE) return v;
    // Slow path: negative numbers are 10-byte two's complement, too wide for a double.
    this.readHalves(start);
    const hi = this.hi;
    const lo = this.lo;
    if (hi >= 0x80000000) {
      // magnitude = 2^64 − (hi:lo), computed on the halves
      const mlo = (~lo + 1) >>> 0;
      const mhi = (~hi + (mlo === 0 ? 1 : 0)) >>> 0;
      if (mhi <= 0x1fffff) return -(mhi * TWO_32 + mlo);
    }
    return NaN;
  }

  /** A signed int64 where precision beyond 2^53 does not matter (timestamps, line numbers). */
  readInt64Loose(): number {
    const start = this.pos;
    const v = this.readVarint();
    if (v <= MAX_SAFE) return v;
    // v itself would round the low bits of a negative number away (2^64 − 5 → 2^64).
    this.readHalves(start);
    return (this.hi | 0) * TWO_32 + this.lo;
  }

  /** A uint64 kept exact (addresses, mapping bounds). */
  readUint64Big(): bigint {
    const start = this.pos;
    const v = this.readVarint();
    if (v <= MAX_SAFE) return BigInt(v);
    this.readHalves(start);
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** The bits of the last value that went through the slow path, as a signed int64. */
  lastInt64AsBigInt(): bigint {
    return BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo));
  }

  /**
   * Reads a length prefix and returns the end offset of the bytes it announces, checked against
   * the current region's end.
   */
  readLengthEnd(): number {
    const len = this.readVarint();
    const end = this.pos + len;
    if (end > this.end) {
      throw this.pastEnd(`length-delimited field of ${len} bytes`, this.pos);
    }
    return end;
  }

  /** Skips one field's payload given its wire type (the tag has been read). */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.Varint:
        this.readVarint();
        return;
      case WireType.Fixed64:
        this.advance(8);
        return;
      case WireType.Bytes:
        this.pos = this.readLengthEnd();
        return;
      case WireType.Fixed32:
        this.advance(4);
        return;
      default:
        throw new WireError(`invalid wire type ${wireType} at byte ${this.pos}`, false, this.pos);
    }
  }

  /** The bytes [start, end) were declared to be a varint already validated by readVarint. */
  private readHalves(start: number): void {
    const buf = this.buf;
    let pos = start;
    let lo = 0;
    let hi = 0;
    let b = 0;
    done: {
      for (let shift = 0; shift < 28; shift += 7) {
        b = buf[pos++]!;
        lo |= (b & 0x7f) << shift;
        if (b < 0x80) break done;
      }
      b = buf[pos++]!;
      lo |= (b & 0x0f) << 28;
      hi = (b & 0x7f) >> 4;
      if (b < 0x80) break done;
      for (let shift = 3; shift < 32; shift += 7) {
        b = buf[pos++]!;
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break done;
      }
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw this.pastEnd(`${n}-byte fixed field`, this.pos);
    this.pos += n;
  }

  private pastEnd(what: string, at: number): WireError {
    return new WireError(`${what} at byte ${at} runs past the end (byte ${this.end})`, true, at);
  }
}
