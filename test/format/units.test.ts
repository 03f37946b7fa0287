import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  scale,
  scaledLabel,
  label,
  percentage,
  trimmedPercentage,
  isTimeUnit,
  unitFamily,
  recognizeUnit,
  selectOutputUnit,
  resolveOutputUnit,
  smallestNodeValue,
  makeValueFormatter,
} from '../../src/format/units.js';
import { padLeft } from '../../src/format/goformat.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
const GOLDEN = FIXTURES + 'corpus/golden/';

/** Computed by Go 1.19.8 running pprof's own measurement code (see the file's `source`). */
const vectors = JSON.parse(readFileSync(FIXTURES + 'units-vectors.json', 'utf8')) as {
  scaledLabel: [string, string, string, string][];
  scale: [string, string, string, string, string][];
  percentage: [string, string, string][];
  selectOutputUnit: [string, string, string, string, string][];
  formatValue: [string, string, string, string, string][];
};

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
function toHex(x: number): string {
  f64[0] = x;
  return u64[0].toString(16).padStart(16, '0');
}

test('unit strings are recognised as pprof sniffs them (spec §2.2)', () => {
  assert.equal(recognizeUnit('nanoseconds')?.unit.canonical, 'ns');
  assert.equal(recognizeUnit('bytes')?.unit.canonical, 'B');
  assert.equal(recognizeUnit('ms')?.unit.canonical, 'ms'); // 2 characters: the 's' stays
  assert.equal(recognizeUnit('hrs')?.unit.canonical, 'hrs');
  assert.equal(recognizeUnit('Kilobytes')?.unit.canonical, 'kB');
  assert.equal(recognizeUnit('μs'), undefined); // 3 bytes in UTF-8, so 's' is dropped first
  assert.equal(recognizeUnit('μss')?.unit.canonical, 'us');
  assert.equal(recognizeUnit('mİllisecond')?.unit.canonical, 'ms'); // Go lower-cases İ to a plain i
  assert.equal(recognizeUnit('İNS'), undefined); // 'ins' → 'in'
  assert.equal(recognizeUnit('nanogcu')?.unit.canonical, 'n*GCU');
  assert.equal(unitFamily('count'), undefined);
  assert.equal(unitFamily('MiB'), undefined);
  assert.equal(unitFamily('minutes'), undefined);
  assert.equal(unitFamily('seconds'), 'time');
  assert.equal(unitFamily('GCU'), 'gcu');
  assert.equal(unitFamily('b'), 'memory');
  assert.ok(isTimeUnit('nanoseconds'));
  assert.ok(isTimeUnit('hours'));
  assert.ok(!isTimeUnit('bytes'));
  assert.ok(!isTimeUnit('count'));
});

test('scale follows spec §2.3', () => {
  assert.deepEqual(scale(6230000000, 'nanoseconds', 'minimum'), [6.23, 's']);
  assert.deepEqual(scale(999, 'nanoseconds', 'auto'), [999, 'ns']);
  assert.deepEqual(scale(0, 'nanoseconds', 'auto'), [0, 's']); // nothing ≥ 1: the family default
  assert.deepEqual(scale(0, 'bytes', 'auto'), [0, 'B']);
  assert.deepEqual(scale(-1536, 'bytes', 'auto'), [-1.5, 'kB']);
  assert.deepEqual(scale(1, 'seconds', 'ms'), [1000, 'ms']);
  assert.deepEqual(scale(3, 'ms', 'bogus'), [0.003, 's']); // unknown target in a known family
  assert.deepEqual(scale(3, 'ms', 'bytes'), [0.003, 's']); // another family's unit counts as unknown
  assert.deepEqual(scale(7, 'count', 'minimum'), [7, '']);
  assert.deepEqual(scale(7, 'count', 'sample'), [7, '']);
  assert.deepEqual(scale(7, 'widgets', 'widgets'), [7, 'widgets']);
  assert.deepEqual(scale(7, 'widgets', 'ms'), [7, 'ms']);
  assert.deepEqual(scale(7200000000000, 'nanoseconds', 'minimum'), [2, 'hrs']);
  // -2^63 has no positive twin: pprof converts it without negating, so auto-scale finds nothing.
  assert.deepEqual(scale(-(2n ** 63n), 'nanoseconds', 'minimum'), [-9223372036.854776, 's']);
  assert.deepEqual(scale(-(2n ** 63n) + 1n, 'nanoseconds', 'minimum'), [-2562047.7880152157, 'hrs']);
});

test('scaledLabel and label follow spec §2.4', () => {
  assert.equal(scaledLabel(6230000000, 'nanoseconds', 's'), '6.23s');
  assert.equal(scaledLabel(4000000000, 'nanoseconds', 's'), '4s');
  assert.equal(scaledLabel(700000000, 'nanoseconds', 's'), '0.70s');
  assert.equal(scaledLabel(1500000000, 'nanoseconds', 's'), '1.50s');
  assert.equal(scaledLabel(0, 'nanoseconds', 's'), '0');
  assert.equal(scaledLabel(1, 'nanoseconds', 's'), '0'); // 1e-09 prints 0.00 → '0'
  assert.equal(scaledLabel(-1, 'nanoseconds', 's'), '0'); // '-0.00' → '-0' → '0'
  assert.equal(label(131072, 'bytes'), '128kB');
  assert.equal(label(3470000000, 'nanoseconds'), '3.47s');
  assert.equal(scaledLabel(1234567, 'widgets', 'widgets'), '1234567widgets');
  assert.equal(scaledLabel(35, 'count', 'count'), '35');
  assert.equal(scaledLabel(2125, 'nanoseconds', 'us'), '2.12us'); // exact tie 2.125 → even
  assert.equal(scaledLabel(2135, 'nanoseconds', 'us'), '2.13us'); // 2.135 is really 2.13499…
  assert.equal(scaledLabel(-30000000, 'nanoseconds', 'ms'), '-30ms');
  assert.equal(scaledLabel(9223372036854775807n, 'nanoseconds', 'hrs'), '2562047.79hrs');
  assert.equal(scaledLabel(2n ** 64n - 1n, 'count', 'count'), '-1'); // bigints wrap to int64
});

test('percentage follows spec §2.7', () => {
  const cases: [number, number, string][] = [
    [1, 1, '  100%'],
    [9995, 10000, '  100%'],
    [10005, 10000, '  100%'],
    [-1, 1, '  100%'],
    [4029, 10000, '40.29%'],
    [995, 10000, ' 9.95%'],
    [17955, 10000, '179.55%'],
    [500, 1, '50000.00%'],
    [8, 1000, '  0.8%'],
    [17, 100000, '0.017%'],
    [0, 5, '    0%'],
    [5, 0, '    0%'],
    [12, 100000000, '1.2e-05%'],
    [-3, 4, '75.00%'],
    [1, 800, ' 0.12%'], // 0.125 → 0.12, %5.2g below 1%
    [4000000, 6230000000, '0.064%'],
  ];
  for (const [v, t, want] of cases) assert.equal(percentage(v, t), want, `percentage(${v}, ${t})`);
  assert.equal(trimmedPercentage(8, 1000), '0.8%');
  assert.equal(percentage(9223372036854775807n, 9223372036854775807n), '  100%');
});

test('matches Go 1.19 pprof measurement code on the fixture vectors', () => {
  for (const [v, from, to, want] of vectors.scaledLabel) {
    assert.equal(scaledLabel(BigInt(v), from, to), want, `ScaledLabel(${v}, ${from}, ${to})`);
    if (Math.abs(Number(v)) <= 2 ** 53) assert.equal(scaledLabel(Number(v), from, to), want);
  }
  for (const [v, from, to, hex, unit] of vectors.scale) {
    const [got, gotUnit] = scale(BigInt(v), from, to);
    assert.equal(toHex(got), hex, `Scale(${v}, ${from}, ${to})`);
    assert.equal(gotUnit, unit);
  }
  for (const [v, t, want] of vectors.percentage) {
    assert.equal(percentage(BigInt(v), BigInt(t)), want, `Percentage(${v}, ${t})`);
    if (Math.abs(Number(v)) <= 2 ** 53 && Math.abs(Number(t)) <= 2 ** 53) {
      assert.equal(percentage(Number(v), Number(t)), want);
    }
  }
  assert.ok(vectors.scaledLabel.length + vectors.percentage.length > 400);
});

test('selectOutputUnit and the value formatter match Go 1.19 pprof (spec §2.5), -divide_by included', () => {
  for (const [min, max, unit, divideBy, want] of vectors.selectOutputUnit) {
    const inputs = { minValue: Number(min), maxValue: Number(max), sampleUnit: unit, divideBy: Number(divideBy) };
    assert.equal(selectOutputUnit(inputs), want, JSON.stringify(inputs));
    assert.equal(selectOutputUnit({ ...inputs, minValue: BigInt(min), maxValue: BigInt(max) }), want);
  }
  for (const [v, sampleUnit, outputUnit, divideBy, want] of vectors.formatValue) {
    assert.equal(makeValueFormatter(sampleUnit, outputUnit, Number(divideBy))(Number(v)), want, `${v} ${sampleUnit}→${outputUnit} /${divideBy}`);
  }
});

test('output unit examples of spec §2.5', () => {
  // -top cpu.pb.gz: min 10ms, total 6.23s: 100 × 10ms = 1s < 6.23s → 's'.
  assert.equal(selectOutputUnit({ sampleUnit: 'nanoseconds', minValue: 10000000, maxValue: 6230000000 }), 's');
  // -nodecount=3: min 620ms, 62s ≥ 6.23s → 'ms'.
  assert.equal(selectOutputUnit({ sampleUnit: 'nanoseconds', minValue: 620000000, maxValue: 6230000000 }), 'ms');
  assert.equal(selectOutputUnit({ sampleUnit: 'count', minValue: 1, maxValue: 7 }), 'count');
  assert.equal(selectOutputUnit({ sampleUnit: 'widgets', minValue: 0, maxValue: 1234575 }), 'widgets');
  assert.equal(selectOutputUnit({ sampleUnit: 'nanoseconds', minValue: 10000000, maxValue: 6230000000, callgrind: true }), 'ms');
  const s3 = makeValueFormatter('widgets', 'widgets', 3);
  assert.equal(s3(1234567), '411522widgets');
  assert.equal(s3(1234575), '411525widgets');
  assert.equal(makeValueFormatter('widgets', 'widgets', -2)(10), '10widgets'); // negative ratio: ignored
  assert.equal(makeValueFormatter('nanoseconds', 'minimum')(2510000000), '2.51s');
  assert.equal(resolveOutputUnit('minimum', 0, { sampleUnit: 'nanoseconds', minValue: 1, maxValue: 2 }), 'minimum');
  assert.equal(resolveOutputUnit('ms', 5, { sampleUnit: 'nanoseconds', minValue: 1, maxValue: 2 }), 'ms');
  assert.equal(resolveOutputUnit('minimum', 5, { sampleUnit: 'nanoseconds', minValue: 10000000, maxValue: 6230000000 }), 's');
  assert.equal(
    smallestNodeValue([
      { flat: 0, cum: 5 },
      { flat: -3, cum: 10 },
      { flat: 0, cum: 0 },
      { flat: 7, cum: 7 },
    ]),
    3n,
  );
  assert.equal(smallestNodeValue([]), 0n);
});

// ---------------------------------------------------------------------------------------------
// go tool pprof -top goldens: every value, percentage and unit choice must come out the same.

const SAMPLE_UNIT: Record<string, string> = {
  cpu: 'nanoseconds',
  delay: 'nanoseconds',
  inuse_space: 'bytes',
  alloc_space: 'bytes',
  goroutine: 'count',
  alloc_objects: 'count',
  inuse_objects: 'count',
};
const COUNT_TYPES = new Set(['goroutine', 'alloc_objects', 'inuse_objects']);
const UNIT_FACTOR: Record<string, number> = { '': 1, ns: 1, us: 1e3, ms: 1e6, s: 1e9, hrs: 3.6e12, B: 1, kB: 1024, MB: 2 ** 20, GB: 2 ** 30 };

function splitValue(s: string): [number, string] {
  const m = /^(-?[0-9.]+)(.*)$/.exec(s);
  assert.ok(m, `not a value: ${s}`);
  return [Number(m[1]), m[2]];
}

/** The integer a printed value stands for (exact only when the printed precision allows). */
function recover(s: string): number {
  if (s === '0') return 0;
  const [n, unit] = splitValue(s);
  assert.ok(unit in UNIT_FACTOR, `unit ${unit}`);
  return Math.round(n * UNIT_FACTOR[unit]);
}

/**
 * Whether the printed values recover the exact ones: counts always; CPU values printed as
 * whole milliseconds; and shopd/billing CPU profiles, which Go samples at 100 Hz, so every
 * value is a multiple of 10ms and two decimals of seconds lose nothing.
 */
function exactValues(golden: string, type: string, values: string[]): boolean {
  if (COUNT_TYPES.has(type)) return true;
  if (type !== 'cpu') return false;
  if (values.every((v) => v === '0' || /^-?[0-9]+ms$/.test(v))) return true;
  return /^(shopd|billing)\./.test(golden);
}

interface Row {
  line: string;
  flat: string;
  flatPct: string;
  sumPct: string;
  cum: string;
  cumPct: string;
  name: string;
}

test('reproduces the values, percentages and unit choice of every -top golden', () => {
  const goldens = readdirSync(GOLDEN).filter(
    // int64-max-values records pprof's int64 wrap-around, not something to reproduce (spec §13.1).
    (f) => /\.top(\..*)?\.txt$/.test(f) && f !== 'bad.int64-max-values.top.txt',
  );
  assert.ok(goldens.length >= 90);
  let rowsChecked = 0;
  let exactRowsChecked = 0;
  for (const golden of goldens) {
    const lines = readFileSync(GOLDEN + golden, 'latin1').split('\n');
    const type = lines.find((l) => l.startsWith('Type: '))!.slice(6);
    const sampleUnit = SAMPLE_UNIT[type];
    assert.ok(sampleUnit, `${golden}: type ${type}`);
    const showing = /^Showing nodes accounting for (\S+), (\S+) of (\S+) total$/.exec(
      lines.find((l) => l.startsWith('Showing nodes'))!,
    )!;
    const header = lines.findIndex((l) => l === '      flat  flat%   sum%        cum   cum%');
    assert.ok(header > 0, golden);
    const rows: Row[] = [];
    const body = lines.slice(header + 1);
    if (body[body.length - 1] === '') body.pop();
    for (const line of body) {
      const m = /^ *(\S+) +(\S+%) +(\S+%) +(\S+) +(\S+%)  (.*)$/.exec(line);
      if (m) {
        rows.push({ line, flat: m[1], flatPct: m[2], sumPct: m[3], cum: m[4], cumPct: m[5], name: m[6] });
      } else {
        // A hostile function name with a newline in it continues the previous row.
        const last = rows[rows.length - 1];
        assert.ok(last, `${golden}: row ${line}`);
        last.line += '\n' + line;
        last.name += '\n' + line;
      }
    }
    const total = recover(showing[3]);
    const printed = rows.flatMap((r) => [r.flat, r.cum]).concat(showing[1], showing[3]);
    const exact = exactValues(golden, type, printed);

    // The output unit pprof chose, and whether selectOutputUnit picks the same.
    const units = new Set(printed.filter((v) => v !== '0').map((v) => splitValue(v)[1]));
    let outputUnit = 'minimum'; // an empty graph leaves values auto-scaled
    if (rows.length > 0) {
      assert.ok(units.size <= 1, `${golden}: one unit for all values (${[...units]})`);
      const minValue = smallestNodeValue(rows.map((r) => ({ flat: recover(r.flat), cum: recover(r.cum) })));
      outputUnit = selectOutputUnit({ sampleUnit, minValue, maxValue: total });
      const shown = units.size === 0 ? '' : [...units][0];
      assert.equal(outputUnit === sampleUnit ? '' : outputUnit, shown, `${golden}: output unit`);
    }
    const format = makeValueFormatter(sampleUnit, outputUnit);

    let flatSum = 0;
    for (const r of rows) {
      const flat = recover(r.flat);
      const cum = recover(r.cum);
      flatSum += flat;
      if (exact) {
        const line =
          `${padLeft(format(flat), 10)} ${percentage(flat, total)} ${percentage(flatSum, total)} ` +
          `${padLeft(format(cum), 10)} ${percentage(cum, total)}  ${r.name}`;
        assert.equal(line, r.line, golden);
        exactRowsChecked++;
      } else {
        // Recovered values are within half a unit of the truth: formatting must still agree.
        assert.equal(padLeft(format(flat), 10), r.line.slice(0, Math.max(10, r.flat.length)), `${golden}: ${r.line}`);
        assert.equal(format(cum), r.cum, `${golden}: ${r.line}`);
      }
      rowsChecked++;
    }
    assert.equal(format(total), showing[3], `${golden}: total`);
    if (exact) {
      assert.equal(format(flatSum), showing[1], `${golden}: shown sum`);
      assert.equal(trimmedPercentage(flatSum, total), showing[2], `${golden}: shown percentage`);
      const dropped = lines.find((l) => l.startsWith('Dropped '));
      if (dropped) {
        // The printed threshold is |int64(total × nodefraction)| with the default 0.005.
        const threshold = Math.abs(Math.trunc(total * 0.005));
        assert.match(dropped, new RegExp(`^Dropped \\d+ nodes? \\(cum <= ${format(threshold).replace(/\./g, '\\.')}\\)$`), golden);
      }
    }
  }
  assert.ok(rowsChecked > 4000, `rows checked: ${rowsChecked}`);
  assert.ok(exactRowsChecked > 1500, `exact rows checked: ${exactRowsChecked}`);
});

test('units are recognised the same however many distinct unit strings came before (sniffUnit remembers a few)', () => {
  const first = [scaledLabel(1536, 'bytes', 'minimum'), scaledLabel(2_500_000, 'Nanoseconds', 'minimum'), scaledLabel(7, 'widgets', 'minimum')];
  for (let i = 0; i < 1000; i++) scaledLabel(i, `unit${i}`, 'minimum');
  scaledLabel(1, 'x'.repeat(100), 'minimum');
  assert.deepEqual([scaledLabel(1536, 'bytes', 'minimum'), scaledLabel(2_500_000, 'Nanoseconds', 'minimum'), scaledLabel(7, 'widgets', 'minimum')], first);
  assert.deepEqual(first, ['1.50kB', '2.50ms', '7']);
});
