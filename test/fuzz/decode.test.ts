/**
 * decodeProfile under hostile bytes. Whatever it is given, it returns a Profile that keeps the
 * model's invariants or throws ProfileError / TooLargeError: never another exception, never a
 * slow run, and memory stays bounded. For generated messages, an oracle says which of the three
 * it must be and, for a Profile, what it must contain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { decodeProfile, type DecodeLimits } from '../../src/profile/decode.js';
import { ProfileError, TooLargeError, type ProfileErrorCode } from '../../src/errors.js';
import type { Profile } from '../../src/profile/model.js';
import { applyByteEdits, byteEdits } from './mutate.js';
import { assertDecodedAsGenerated, encodeGen, expectedOutcome, genProfile } from './profile-gen.js';
import { FUZZ_FIXTURES, LONG_RUN, SHOPD, Tally, assertProfileInvariants, breather, fuzzParams, listFiles, outcomeOf, timed } from './support.js';

const CODES = new Set<ProfileErrorCode>(['empty', 'unrecognized', 'truncated', 'malformed', 'overflow']);
/** Inputs here are at most a few hundred KB; the real profiles decode in ~1 ms. */
const RUN_LIMIT_MS = 1000;
const TEST_TIMEOUT = LONG_RUN ? Infinity : 60_000;

const GZIPPED = listFiles(SHOPD, '.pb.gz').map((f) => readFileSync(f));
const RAW = GZIPPED.map((b) => new Uint8Array(gunzipSync(b)));
const DONORS = [...RAW, ...GZIPPED];

/** Decodes under the property: a Profile that keeps the invariants, or one of the two errors. */
function decodeChecked(bytes: Uint8Array, tally: Tally, limits?: DecodeLimits): Profile | undefined {
  const r = outcomeOf(() => timed(RUN_LIMIT_MS, `decoding ${bytes.length} bytes`, () => decodeProfile(bytes, limits)), [ProfileError, TooLargeError]);
  if (r.error instanceof ProfileError) {
    assert.ok(CODES.has(r.error.code), `known code: ${r.error.code}`);
    assert.ok(r.error.message.length > 0);
    tally.add(r.error.code);
    return undefined;
  }
  if (r.error) {
    tally.add('too large');
    return undefined;
  }
  assertProfileInvariants(r.value!);
  tally.add('profile');
  return r.value;
}

test('fuzz decodeProfile: arbitrary bytes', { timeout: TEST_TIMEOUT }, async () => {
  const tally = new Tally();
  const breathe = breather();
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 4096 }),
    // gzip magic first, so that the gunzip path sees garbage too
    fc.uint8Array({ maxLength: 512 }).map((b) => Uint8Array.from([0x1f, 0x8b, 8, 0, ...b])),
    // a gzip stream of garbage: inflates fine, then is not a profile
    fc.uint8Array({ maxLength: 2048 }).map((b) => new Uint8Array(gzipSync(b))),
  );
  await fc.assert(fc.asyncProperty(bytes, async (b) => {
    decodeChecked(b, tally);
    await breathe();
  }), fuzzParams(5000));
  console.log(tally.summary('decodeProfile, arbitrary bytes'));
});

test('fuzz decodeProfile: mutated real profiles (raw protobuf)', { timeout: TEST_TIMEOUT }, async () => {
  const tally = new Tally();
  const breathe = breather();
  await fc.assert(
    fc.asyncProperty(fc.nat(), byteEdits, async (file, edits) => {
      decodeChecked(applyByteEdits(RAW[file % RAW.length]!, edits, DONORS), tally);
      await breathe();
    }),
    fuzzParams(4000),
  );
  console.log(tally.summary('decodeProfile, mutated raw profiles'));
  // the mutations are mild enough that some still decode: the success path is fuzzed too
  assert.ok(tally.get('profile') > 0, 'some mutated profiles still decode');
});

test('fuzz decodeProfile: mutated real profiles (gzip stream, and mutations under a fresh gzip)', { timeout: TEST_TIMEOUT }, async () => {
  const tally = new Tally();
  const breathe = breather();
  await fc.assert(
    fc.asyncProperty(fc.nat(), byteEdits, fc.boolean(), async (file, edits, regzip) => {
      const input = regzip
        ? new Uint8Array(gzipSync(applyByteEdits(RAW[file % RAW.length]!, edits, DONORS), { level: 1 }))
        : applyByteEdits(GZIPPED[file % GZIPPED.length]!, edits, DONORS);
      decodeChecked(input, tally);
      await breathe();
    }),
    fuzzParams(3000),
  );
  console.log(tally.summary('decodeProfile, mutated gzip profiles'));
});

test('fuzz decodeProfile: generated profile.proto messages match the oracle', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  // mostly the default caps; sometimes a tiny maxEntries, to reach TooLargeError
  const maxEntries = fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 20 }) });
  fc.assert(
    fc.property(genProfile, maxEntries, (g, max) => {
      const bytes = encodeGen(g);
      const expected = expectedOutcome(g, max ?? Infinity);
      const limits = max === undefined ? undefined : { maxEntries: max };
      const got = decodeChecked(bytes, tally, limits);
      if (expected.outcome === 'profile') {
        assert.ok(got !== undefined, 'a valid message decodes');
        assertDecodedAsGenerated(got, g);
      } else {
        assert.equal(got, undefined, `must be refused: ${expected.why}`);
        const r = outcomeOf(() => decodeProfile(bytes, limits), [ProfileError, TooLargeError]);
        assert.equal(r.error?.name, expected.outcome, `${expected.why}: ${r.error?.message}`);
      }
    }),
    fuzzParams(3000),
  );
  console.log(tally.summary('decodeProfile, generated messages'));
  assert.ok(tally.get('profile') > tally.runs / 5, 'a fair share of generated messages are valid');
});

test('fuzz decodeProfile: memory stays bounded', () => {
  // After every property above ran in this process, however many runs: the peak resident size.
  // Inputs are ≤ ~100 KB and a lying gzip trailer can make one inflate allocate ≤ 1032× that.
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  console.log(`decodeProfile fuzz: peak RSS ${peakMiB.toFixed(0)} MiB`);
  assert.ok(peakMiB < 512, `peak RSS ${peakMiB.toFixed(0)} MiB`);
});

// Inputs the fuzzer found, kept as fixtures, and the answer each must now get.
const FOUND = join(FUZZ_FIXTURES, 'decode');
const REGRESSIONS: Record<string, { limits?: DecodeLimits; expect: ProfileErrorCode | 'TooLargeError' | 'profile' }> = {
  // Ranges started with 16 slots and checked the cap only when full: a cap below 16 let up to 16 through.
  'max-entries-5.six-samples.pb': { limits: { maxEntries: 5 }, expect: 'TooLargeError' },
};

test('fuzz regressions: every fixture in test/fixtures/fuzz/decode has an expectation', () => {
  assert.deepEqual(readdirSync(FOUND).sort(), Object.keys(REGRESSIONS).sort());
});

for (const [file, { limits, expect }] of Object.entries(REGRESSIONS)) {
  test(`fuzz regression: decodeProfile ${file} → ${expect}`, () => {
    const r = outcomeOf(() => decodeProfile(readFileSync(join(FOUND, file)), limits), [ProfileError, TooLargeError]);
    if (expect === 'profile') assertProfileInvariants(r.value!);
    else if (expect === 'TooLargeError') assert.ok(r.error instanceof TooLargeError, String(r.error ?? 'a profile'));
    else assert.equal(r.error instanceof ProfileError ? r.error.code : String(r.error ?? 'a profile'), expect);
  });
}
