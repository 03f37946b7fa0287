import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  goFixed,
  goGeneral,
  padLeft,
  goFixedWidth,
  goGeneralWidth,
  formatGoTime,
} from '../../src/format/goformat.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

/** Vectors printed by Go 1.19.8's fmt (see the file's `source`). */
const fmtVectors = JSON.parse(readFileSync(FIXTURES + 'gofmt-vectors.json', 'utf8')) as {
  f: [number, string, string][];
  g: [number, string, string][];
  '5.2f': [string, string][];
  '5.2g': [string, string][];
};
const timeVectors = JSON.parse(readFileSync(FIXTURES + 'gotime-vectors.json', 'utf8')) as {
  named: [string, string, string][];
  files: [string, string, string][];
};

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
function fromHex(hex: string): number {
  u64[0] = BigInt('0x' + hex);
  return f64[0];
}

test('goFixed breaks exact ties to even on the exact binary value (spec §2.6)', () => {
  const cases: [number, string][] = [
    [0.125, '0.12'],
    [1.125, '1.12'],
    [-0.125, '-0.12'],
    [0.375, '0.38'],
    [2.675, '2.67'], // really 2.67499999…
    [0.015, '0.01'], // really 0.01499999…
    [0.625, '0.62'],
    [0.875, '0.88'],
    [6.23, '6.23'],
    [0.7, '0.70'],
    [4, '4.00'],
    [0, '0.00'],
    [-0, '-0.00'],
    [-0.001, '-0.00'],
    [1e21, '1000000000000000000000.00'],
    [1e22, '10000000000000000000000.00'],
    [123456789012345680000, '123456789012345683968.00'],
    [2 ** 60 + 2 ** 8, '1152921504606847232.00'],
  ];
  for (const [x, want] of cases) assert.equal(goFixed(x, 2), want, `goFixed(${x}, 2)`);
  // toFixed rounds these ties away from zero; Go does not.
  assert.equal((0.125).toFixed(2), '0.13');
  assert.equal(goFixed(0.25, 1), '0.2');
  assert.equal(goFixed(0.75, 1), '0.8');
  assert.equal(goFixed(0.5, 0), '0');
  assert.equal(goFixed(1.5, 0), '2');
  assert.equal(goFixed(2.5, 0), '2');
  assert.equal(goFixed(-2.5, 0), '-2');
});

test('goFixed prints every digit of the exact value, beyond what toFixed allows', () => {
  const exact01 = '0.1000000000000000055511151231257827021181583404541015625';
  assert.equal(goFixed(0.1, 55), exact01);
  assert.equal(goFixed(0.1, 60), exact01 + '00000');
  assert.equal(goFixed(0.1, 120), exact01 + '0'.repeat(65));
  assert.equal(goFixed(0.1, 54), '0.100000000000000005551115123125782702118158340454101562'); // tie → even
  assert.equal(goFixed(Number.MIN_VALUE, 2), '0.00');
  assert.equal(
    goFixed(Number.MAX_VALUE, 0),
    '179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368',
  );
});

test('goFixed and goGeneral print non-finite values as Go does', () => {
  assert.equal(goFixed(NaN, 2), 'NaN');
  assert.equal(goFixed(Infinity, 2), '+Inf');
  assert.equal(goFixed(-Infinity, 2), '-Inf');
  assert.equal(goGeneral(Infinity, 2), '+Inf');
  assert.equal(goGeneral(NaN, 2), 'NaN');
  assert.throws(() => goFixed(1, -1), RangeError);
  assert.throws(() => goGeneral(1, 1.5), RangeError);
});

test('goGeneral follows %.2g: two significant digits, exponent below 1e-4 (spec §2.6)', () => {
  const cases: [number, string][] = [
    [1.2e-5, '1.2e-05'],
    [0.0001, '0.0001'],
    [0.00012345, '0.00012'],
    [0.000099999, '0.0001'],
    [0.8, '0.8'],
    [0.017, '0.017'],
    [0.99, '0.99'],
    [0.9996, '1'],
    [0.125, '0.12'],
    [0.0625, '0.062'],
    [0.375, '0.38'],
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [12.5, '12'],
    [13.5, '14'],
    [100, '1e+02'],
    [123456, '1.2e+05'],
    [1e-100, '1e-100'],
    [-0.017, '-0.017'],
  ];
  for (const [x, want] of cases) assert.equal(goGeneral(x, 2), want, `goGeneral(${x}, 2)`);
  assert.equal(goGeneral(0.5, 0), '0.5'); // precision 0 means 1
  assert.equal(goGeneral(123456, 6), '123456');
  assert.equal(goGeneral(1234567, 6), '1.23457e+06');
  assert.equal(goGeneral(0.1, 20), '0.10000000000000000555');
});

test('padLeft pads by rune count, like %Ns', () => {
  assert.equal(padLeft('0.8', 5), '  0.8');
  assert.equal(padLeft('179.55', 5), '179.55');
  assert.equal(padLeft('μs', 4), '  μs');
  assert.equal(padLeft('😀', 3), '  😀'); // one rune, two UTF-16 units
  assert.equal(padLeft('', 2), '  ');
  assert.equal(goFixedWidth(9.95, 5, 2), ' 9.95');
  assert.equal(goGeneralWidth(0.8, 5, 2), '  0.8');
  assert.equal(goGeneralWidth(0, 5, 2), '    0');
});

test('goFixed matches Go 1.19 %.Nf on the fixture vectors (ties, specials, random doubles)', () => {
  assert.ok(fmtVectors.f.length > 300);
  let toFixedWouldDiffer = 0;
  for (const [digits, hex, want] of fmtVectors.f) {
    const x = fromHex(hex);
    assert.equal(goFixed(x, digits), want, `%.${digits}f of ${hex} (${x})`);
    if (Number.isFinite(x) && Math.abs(x) < 1e21 && x.toFixed(digits) !== want) toFixedWouldDiffer++;
  }
  assert.ok(toFixedWouldDiffer > 50, 'the vectors include cases toFixed gets wrong');
});

test('goGeneral matches Go 1.19 %.Ng on the fixture vectors', () => {
  assert.ok(fmtVectors.g.length > 300);
  for (const [precision, hex, want] of fmtVectors.g) {
    assert.equal(goGeneral(fromHex(hex), precision), want, `%.${precision}g of ${hex} (${fromHex(hex)})`);
  }
});

test('%5.2f and %5.2g match Go 1.19 on the fixture vectors', () => {
  for (const [hex, want] of fmtVectors['5.2f']) assert.equal(goFixedWidth(fromHex(hex), 5, 2), want, hex);
  for (const [hex, want] of fmtVectors['5.2g']) assert.equal(goGeneralWidth(fromHex(hex), 5, 2), want, hex);
});

test('the exact path agrees with the toFixed fast path on random doubles', () => {
  // Digits beyond 100 force the BigInt path; compare its prefix with the fast path's rounding.
  let seed = 7;
  const next = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let i = 0; i < 2000; i++) {
    const x = (next() - 0.5) * 10 ** Math.floor(next() * 30 - 10);
    const long = goFixed(x, 101);
    const short = goFixed(x, 2);
    // Truncating the long form and rounding by hand must give the short one unless a tie or carry.
    const [intPart, frac] = long.replace('-', '').split('.');
    const rest = frac.slice(2);
    if (/^5?0*$/.test(rest) || /^49*$/.test(rest)) continue; // ambiguous at 101 digits: skip this draw
    const upward = rest[0] >= '5';
    const scaled = BigInt(intPart + frac.slice(0, 2)) + (upward ? 1n : 0n);
    const s = scaled.toString().padStart(3, '0');
    const expected = (long.startsWith('-') ? '-' : '') + s.slice(0, -2) + '.' + s.slice(-2);
    assert.equal(short, expected, `x=${x}`);
  }
});

test('formatGoTime prints pprof\'s Time: line (spec §8.2 item 5)', () => {
  const nanos = 1795675209_000_000_000; // the spec fixtures' time
  assert.equal(formatGoTime(nanos, 'UTC'), 'Nov 26, 2026 at 6:40am (UTC)');
  assert.equal(formatGoTime(BigInt(nanos) + 999_999_999n, 'UTC'), 'Nov 26, 2026 at 6:40am (UTC)');
  assert.equal(formatGoTime(nanos, ''), 'Nov 26, 2026 at 6:40am (UTC)'); // TZ="" is UTC in Go
  assert.equal(formatGoTime(nanos, ':UTC'), 'Nov 26, 2026 at 6:40am (UTC)');
  assert.equal(formatGoTime(nanos, 'No/Such_Zone'), 'Nov 26, 2026 at 6:40am (UTC)'); // Go falls back to UTC
  assert.equal(formatGoTime(nanos, '../../etc/passwd'), 'Nov 26, 2026 at 6:40am (UTC)');
  assert.equal(formatGoTime(0, 'UTC'), 'Jan 1, 1970 at 12:00am (UTC)');
  assert.equal(formatGoTime(-1, 'UTC'), 'Dec 31, 1969 at 11:59pm (UTC)');
  assert.equal(formatGoTime(43_200n * 1_000_000_000n, 'UTC'), 'Jan 1, 1970 at 12:00pm (UTC)');
});

test('formatGoTime reads TZif files like Go: footer rules, southern zones, numeric and missing abbreviations', () => {
  // test/fixtures/tz/* were compiled by zic -b slim from test.zi: no stored transitions, so
  // every instant goes through the POSIX TZ footer. Expected strings come from Go 1.19.8.
  assert.ok(timeVectors.files.length >= 100);
  for (const [file, nanos, want] of timeVectors.files) {
    const setting = FIXTURES + file; // an absolute path, as in TZ=/path/to/file
    assert.equal(formatGoTime(BigInt(nanos), setting), want, `${file} ${nanos}`);
  }
  assert.equal(formatGoTime(1795675209_000_000_000, FIXTURES + 'tz/Unnamed'), 'Nov 26, 2026 at 11:10am (+0430)');
  assert.equal(formatGoTime(1795675209_000_000_000, FIXTURES + 'tz/Eastern'), 'Nov 26, 2026 at 1:40am (EST)');
});

test('formatGoTime defaults to the process TZ', () => {
  const saved = process.env.TZ;
  try {
    process.env.TZ = FIXTURES + 'tz/Southern';
    assert.equal(formatGoTime(1795675209_000_000_000), 'Nov 26, 2026 at 5:40pm (AEDT)');
    process.env.TZ = 'UTC';
    assert.equal(formatGoTime(1795675209_000_000_000), 'Nov 26, 2026 at 6:40am (UTC)');
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});

test('formatGoTime matches Go 1.19 for named zones (system tzdata; ICU fallback without it)', () => {
  assert.ok(timeVectors.named.length > 300);
  const hasTzdata = existsSync('/usr/share/zoneinfo/America/New_York');
  if (hasTzdata) {
    for (const [zone, nanos, want] of timeVectors.named) {
      assert.equal(formatGoTime(BigInt(nanos), zone), want, `${zone} ${nanos}`);
    }
  } else {
    // Without tzdata the answer comes from ICU; it knows these abbreviations.
    assert.equal(formatGoTime(1795675209_000_000_000, 'America/New_York'), 'Nov 26, 2026 at 1:40am (EST)');
    assert.equal(formatGoTime(1795675209_000_000_000, 'Asia/Dubai'), 'Nov 26, 2026 at 10:40am (+04)');
  }
  assert.equal(formatGoTime(1795675209_000_000_000, 'Asia/Dubai'), 'Nov 26, 2026 at 10:40am (+04)');
});
