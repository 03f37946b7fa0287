/**
 * Deterministic pseudo-random payloads: the crash test's child process writes blob(i) and the
 * parent, after killing it, knows what every row must contain without being told.
 */

/** xorshift32 stream seeded by `seed`; incompressible enough to look like gzip'd profiles. */
export function blob(seed: number, size: number): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = (seed * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    words[i] = x;
  }
  return Buffer.from(words.buffer, 0, size);
}

/** The i-th crash-test payload: 64 KiB to 1 MiB, varying so writes overlap unevenly. */
export function crashBlob(i: number): Buffer {
  return blob(1_000_000 + i, 64 * 1024 * (1 + (i * 7) % 16));
}
