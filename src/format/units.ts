/**
 * pprof's units: recognising unit strings, scaling values, and printing values and
 * percentages exactly as `go tool pprof` does (spec §2.2–§2.7; pprof's internal/measurement
 * and report.selectOutputUnit).
 *
 * Values are int64 in pprof. Here they are numbers holding exact integers (the decoder keeps
 * them within ±2^53) or bigints; bigints are wrapped to int64 first, as Go would hold them.
 * Every float64 operation happens in the order pprof performs it, so results are bit-identical.
 */
import { goFixed, goGeneral, padLeft } from './goformat.js';
import { goFloatToInt64 } from './golog2.js';

export type Int64Like = number | bigint;

export type UnitFamilyName = 'memory' | 'time' | 'gcu';

export interface UnitDefinition {
  /** the name pprof prints */
  canonical: string;
  /** lower-case spellings recognised after dropping one trailing 's' */
  aliases: readonly string[];
  /** size in the family's base unit (bytes, nanoseconds, GCU) */
  factor: number;
}

export interface UnitFamily {
  name: UnitFamilyName;
  units: readonly UnitDefinition[];
  defaultUnit: UnitDefinition;
}

const BYTE: UnitDefinition = { canonical: 'B', aliases: ['b', 'byte'], factor: 1 };
const SECOND_DEFAULT: UnitDefinition = { canonical: 's', aliases: [], factor: 1e9 };
const GCU_DEFAULT: UnitDefinition = { canonical: 'GCU', aliases: [], factor: 1 };

/** Searched in this order: the first family that recognises a unit wins. */
export const UNIT_FAMILIES: readonly UnitFamily[] = [
  {
    name: 'memory',
    units: [
      BYTE,
      { canonical: 'kB', aliases: ['kb', 'kbyte', 'kilobyte'], factor: 2 ** 10 },
      { canonical: 'MB', aliases: ['mb', 'mbyte', 'megabyte'], factor: 2 ** 20 },
      { canonical: 'GB', aliases: ['gb', 'gbyte', 'gigabyte'], factor: 2 ** 30 },
      { canonical: 'TB', aliases: ['tb', 'tbyte', 'terabyte'], factor: 2 ** 40 },
      { canonical: 'PB', aliases: ['pb', 'pbyte', 'petabyte'], factor: 2 ** 50 },
    ],
    defaultUnit: BYTE,
  },
  {
    name: 'time',
    units: [
      { canonical: 'ns', aliases: ['ns', 'nanosecond'], factor: 1 },
      // 'μs' can never match: it is 3 bytes long, so its 's' is dropped before the lookup.
      { canonical: 'us', aliases: ['μs', 'us', 'microsecond'], factor: 1e3 },
      { canonical: 'ms', aliases: ['ms', 'millisecond'], factor: 1e6 },
      { canonical: 's', aliases: ['s', 'sec', 'second'], factor: 1e9 },
      { canonical: 'hrs', aliases: ['hour', 'hr'], factor: 3.6e12 },
    ],
    defaultUnit: SECOND_DEFAULT,
  },
  {
    name: 'gcu',
    units: [
      { canonical: 'n*GCU', aliases: ['nanogcu'], factor: 1e-9 },
      { canonical: 'u*GCU', aliases: ['microgcu'], factor: 1e-6 },
      { canonical: 'm*GCU', aliases: ['milligcu'], factor: 1e-3 },
      { canonical: 'GCU', aliases: ['gcu'], factor: 1 },
      { canonical: 'k*GCU', aliases: ['kilogcu'], factor: 1e3 },
      { canonical: 'M*GCU', aliases: ['megagcu'], factor: 1e6 },
      { canonical: 'G*GCU', aliases: ['gigagcu'], factor: 1e9 },
      { canonical: 'T*GCU', aliases: ['teragcu'], factor: 1e12 },
      { canonical: 'P*GCU', aliases: ['petagcu'], factor: 1e15 },
    ],
    defaultUnit: GCU_DEFAULT,
  },
];

const MIN_INT64 = -(2n ** 63n);

/** float64(v) for an int64 held as number or bigint (Number() of a bigint rounds like Go). */
function toFloat(v: Int64Like): number {
  return typeof v === 'bigint' ? Number(BigInt.asIntN(64, v)) : v;
}

function toInt64Big(v: Int64Like): bigint {
  return typeof v === 'bigint' ? BigInt.asIntN(64, v) : BigInt(Math.trunc(v));
}

/** Go's strings.ToLower: per-rune simple case mapping (JS maps İ to two code points). */
function goToLower(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s.toLowerCase();
  let out = '';
  for (const ch of s) out += ch === '\u0130' ? 'i' : ch.toLowerCase();
  return out;
}

function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/** pprof's sniffUnit: lower-case, drop one trailing 's' if longer than 2 bytes, match an alias. */
function sniffUnit(family: UnitFamily, unit: string): UnitDefinition | undefined {
  // Every value a report prints asks this of the same one or two unit strings, and the answer was
  // a tenth of a small profile's `top`: remembered, for as many strings as a profile could bring.
  let known = sniffed.get(family);
  if (known === undefined) sniffed.set(family, (known = new Map()));
  const hit = known.get(unit);
  if (hit !== undefined) return hit ?? undefined;
  let u = goToLower(unit);
  if (utf8Length(u) > 2 && u.endsWith('s')) u = u.slice(0, -1);
  const d = family.units.find((def) => def.aliases.includes(u));
  if (unit.length > 64) return d;
  if (known.size >= MAX_SNIFFED) known.clear();
  known.set(unit, d ?? null);
  return d;
}

/** sniffUnit's answers by family and unit string (null: none); a few units in practice. */
const sniffed = new Map<UnitFamily, Map<string, UnitDefinition | null>>();
const MAX_SNIFFED = 256;

/** The family and unit that recognise `unit` (spec §2.2), or undefined for e.g. 'count', 'MiB'. */
export function recognizeUnit(unit: string): { family: UnitFamily; unit: UnitDefinition } | undefined {
  for (const family of UNIT_FAMILIES) {
    const d = sniffUnit(family, unit);
    if (d) return { family, unit: d };
  }
  return undefined;
}

/**
 * What scale() needs to print values of `unit` somewhere else (the viewer page formats values in
 * the browser): the unit's size, and its family's units as [size, name] in scale()'s order, with
 * the family's default; undefined for a plain count.
 */
export function unitScale(unit: string): { factor: number; units: [number, string][]; fallback: [number, string] } | undefined {
  const r = recognizeUnit(unit);
  if (r === undefined) return undefined;
  return {
    factor: r.unit.factor,
    units: r.family.units.map((u): [number, string] => [u.factor, u.canonical]),
    fallback: [r.family.defaultUnit.factor, r.family.defaultUnit.canonical],
  };
}

/** 'memory' | 'time' | 'gcu', or undefined when pprof treats the unit as a plain count/label. */
export function unitFamily(unit: string): UnitFamilyName | undefined {
  return recognizeUnit(unit)?.family.name;
}

/** True when pprof would scale `unit` to nanoseconds (the `Total samples` ratio is shown). */
export function isTimeUnit(unit: string): boolean {
  return unitFamily(unit) === 'time';
}

function convertUnit(family: UnitFamily, value: Int64Like, fromUnit: string, toUnit: string): [number, string] | undefined {
  const from = sniffUnit(family, fromUnit);
  if (!from) return undefined;
  const base = toFloat(value) * from.factor;
  if (toUnit === 'minimum' || toUnit === 'auto') {
    let factor = 0;
    let name = '';
    for (const u of family.units) {
      if (u.factor >= factor && base / u.factor >= 1) {
        factor = u.factor;
        name = u.canonical;
      }
    }
    if (factor !== 0) return [base / factor, name];
    return [base / family.defaultUnit.factor, family.defaultUnit.canonical];
  }
  const to = sniffUnit(family, toUnit) ?? family.defaultUnit;
  return [base / to.factor, to.canonical];
}

function isNegativeInt64(v: Int64Like): boolean {
  return typeof v === 'bigint' ? BigInt.asIntN(64, v) < 0n : v < 0;
}

function isMinInt64(v: Int64Like): boolean {
  return typeof v === 'bigint' ? BigInt.asIntN(64, v) === MIN_INT64 : v === -(2 ** 63);
}

/**
 * pprof's measurement.Scale (spec §2.3): the value expressed in `toUnit` ('minimum'/'auto' pick
 * the largest unit that keeps it ≥ 1) and the unit's printed name ('' for plain counts).
 */
export function scale(value: Int64Like, fromUnit: string, toUnit: string): [number, string] {
  // Negatives are scaled as positives; -2^63 has no positive twin and is converted as it is.
  if (isNegativeInt64(value) && !isMinInt64(value)) {
    const positive = typeof value === 'bigint' ? -BigInt.asIntN(64, value) : -value;
    const [v, u] = scale(positive, fromUnit, toUnit);
    return [-v, u];
  }
  for (const family of UNIT_FAMILIES) {
    const r = convertUnit(family, value, fromUnit, toUnit);
    if (r) return r;
  }
  switch (toUnit) {
    case 'count':
    case 'sample':
    case 'unit':
    case 'minimum':
    case 'auto':
      return [toFloat(value), ''];
    default:
      return [toFloat(value), toUnit];
  }
}

/** pprof's ScaledLabel (spec §2.4): `%.2f` of the scaled value, '.00' dropped, unit appended. */
export function scaledLabel(value: Int64Like, fromUnit: string, toUnit: string): string {
  const [v, u] = scale(value, fromUnit, toUnit);
  let s = goFixed(v, 2);
  if (s.endsWith('.00')) s = s.slice(0, -3);
  if (s === '0' || s === '-0') return '0';
  return s + u;
}

/** pprof's Label: ScaledLabel auto-scaled. */
export function label(value: Int64Like, unit: string): string {
  return scaledLabel(value, unit, 'auto');
}

/**
 * pprof's Percentage (spec §2.7), untrimmed: '  100%', '40.29%', ' 9.95%', '  0.8%', '1.2e-05%'.
 * The sign is dropped; a zero total gives '    0%'.
 */
export function percentage(value: Int64Like, total: Int64Like): string {
  const t = toFloat(total);
  const ratio = t !== 0 ? Math.abs(toFloat(value) / t) * 100 : 0;
  if (ratio >= 99.95 && ratio <= 100.05) return '  100%';
  if (ratio >= 1) return padLeft(goFixed(ratio, 2), 5) + '%';
  return padLeft(goGeneral(ratio, 2), 5) + '%';
}

/** percentage() without the padding, as DOT labels and the "Showing…" line print it. */
export function trimmedPercentage(value: Int64Like, total: Int64Like): string {
  return percentage(value, total).trim();
}

/** The -divide_by multiplier pprof applies: 1/divideBy, used only when > 0 and ≠ 1. */
function divideRatio(divideBy: number): number | undefined {
  const r = 1 / divideBy;
  return r > 0 && r !== 1 ? r : undefined;
}

/** int64(float64(v) × ratio) as pprof computes it for -divide_by. */
function applyRatio(v: Int64Like, ratio: number | undefined): Int64Like {
  return ratio === undefined ? v : goFloatToInt64(toFloat(v) * ratio);
}

/**
 * The report's formatValue (spec §2.5): -divide_by first (float64 multiply by 1/divideBy,
 * truncated; a negative or infinite divisor is ignored, as in pprof), then ScaledLabel to the
 * output unit. pprof rejects divide_by = 0 before getting here.
 */
export function makeValueFormatter(sampleUnit: string, outputUnit: string, divideBy = 1): (v: Int64Like) => string {
  const ratio = divideRatio(divideBy);
  return (v) => scaledLabel(applyRatio(v, ratio), sampleUnit, outputUnit);
}

export interface OutputUnitInputs {
  /** the sample type's unit string, e.g. 'nanoseconds', 'bytes', 'count' */
  sampleUnit: string;
  /** smallest non-zero |flat| over the graph's nodes (|cum| for nodes whose flat is 0); 0 if none */
  minValue: Int64Like;
  /** the report total */
  maxValue: Int64Like;
  /** -divide_by (default 1) */
  divideBy?: number;
  /** callgrind keeps the smallest value's unit (it prints integers) */
  callgrind?: boolean;
}

/**
 * pprof's selectOutputUnit for `-unit=minimum` (spec §2.5): the unit of the smallest value,
 * unless the largest is more than 100× bigger and scales differently, in which case the unit
 * that shows the smallest value as ≥ 0.01. Falls back to the sample unit itself for unknown
 * units, so 'count' prints bare numbers and 'widgets' stays appended.
 */
export function selectOutputUnit(inputs: OutputUnitInputs): string {
  const { sampleUnit } = inputs;
  let minValue = toInt64Big(inputs.minValue);
  let maxValue = toInt64Big(inputs.maxValue);
  if (minValue === 0n) minValue = maxValue;
  const ratio = divideRatio(inputs.divideBy ?? 1);
  if (ratio !== undefined) {
    minValue = BigInt(goFloatToInt64(Number(minValue) * ratio));
    maxValue = BigInt(goFloatToInt64(Number(maxValue) * ratio));
  }
  const [, minUnit] = scale(minValue, sampleUnit, 'minimum');
  const [, maxUnit] = scale(maxValue, sampleUnit, 'minimum');
  let unit = minUnit;
  const hundredMin = BigInt.asIntN(64, minValue * 100n); // int64 arithmetic, wrapping like Go
  if (minUnit !== maxUnit && hundredMin < maxValue && !inputs.callgrind) {
    [, unit] = scale(hundredMin, sampleUnit, 'minimum');
  }
  return unit !== '' ? unit : sampleUnit;
}

/**
 * The output unit a graph report uses: the requested `-unit` unless it is 'minimum' and the
 * graph has nodes, in which case selectOutputUnit decides. (A report left at 'minimum' keeps
 * auto-scaling each value on its own.)
 */
export function resolveOutputUnit(requestedUnit: string, nodeCount: number, inputs: OutputUnitInputs): string {
  if (requestedUnit !== 'minimum' || nodeCount === 0) return requestedUnit;
  return selectOutputUnit(inputs);
}

/** The minValue selectOutputUnit wants: smallest non-zero |flat|, or |cum| where flat is 0. */
export function smallestNodeValue(nodes: Iterable<{ flat: Int64Like; cum: Int64Like }>): bigint {
  let min = 0n;
  const abs = (v: bigint): bigint => BigInt.asIntN(64, v < 0n ? -v : v);
  for (const n of nodes) {
    let v = abs(toInt64Big(n.flat));
    if (v === 0n) v = abs(toInt64Big(n.cum));
    if (v > 0n && (min === 0n || v < min)) min = v;
  }
  return min;
}
