import { OptionsError } from '../errors.js';
import { recognizeUnit, scale } from '../format/units.js';
import { mergeProfiles } from './merge.js';
import type { Profile, ValueType } from './model.js';
import { finishNormalizing, withMapping } from './normalize.js';
import { DEFAULT_SYMBOLIZE, type SymbolizeMode } from '../options.js';

/** The label pprof puts on every base sample with -diff_base; the report total then counts only those. */
export const BASE_LABEL = 'pprof::base';

/**
 * -base and -diff_base (spec §11): the base's values are negated and merged into the profile, so equal
 * stacks cancel. With `diff` the base samples are labelled and kept apart, and percentages become
 * relative to the base. Both inputs are raw (not yet normalized); the result is normalized.
 */
export function subtractBase(source: Profile, base: Profile, diff: boolean, symbolize: SymbolizeMode = DEFAULT_SYMBOLIZE): Profile {
  const p = mergeProfiles([withMapping(source)]);
  const b = mergeProfiles([withMapping(base)]);
  if (diff) for (const s of b.samples) s.labels = { ...s.labels, [BASE_LABEL]: ['true'] };
  scaleToCommonUnits([p, b]);
  for (const s of b.samples) s.values = s.values.map((v) => -v);
  checkCompatible(p, b);
  return finishNormalizing(mergeProfiles([p, b]), symbolize);
}

/** pprof's measurement.ScaleProfiles: every column (and the period) in the finer of the two units. */
function scaleToCommonUnits(ps: Profile[]): void {
  const periodUnit = commonUnit(ps.map((p) => p.periodType), 'period type');
  const n = ps[0]!.sampleTypes.length;
  for (const p of ps.slice(1)) {
    if (p.sampleTypes.length !== n) throw new OptionsError(`base and profile have different sample types: inconsistent samples type count: ${n} != ${p.sampleTypes.length}`, 'base');
  }
  const units: (string | undefined)[] = [];
  for (let i = 0; i < n; i++) units.push(commonUnit(ps.map((p) => p.sampleTypes[i]!), 'sample types'));
  for (const p of ps) {
    if (periodUnit !== undefined) {
      p.period = Math.trunc(scale(p.period, p.periodType.unit, periodUnit)[0]);
      p.periodType = { ...p.periodType, unit: periodUnit };
    }
    const ratios = p.sampleTypes.map((t, i) => (units[i] === undefined ? 1 : scale(1, t.unit, units[i]!)[0]));
    p.sampleTypes = p.sampleTypes.map((t, i) => (units[i] === undefined ? t : { ...t, unit: units[i]! }));
    if (ratios.every((r) => r === 1)) continue;
    p.samples = p.samples.filter((s) => {
      let keep = false;
      s.values = s.values.map((v, i) => {
        if (ratios[i] === 1) return v;
        const scaled = roundHalfAway(v * ratios[i]!);
        keep ||= scaled !== 0;
        return scaled;
      });
      return keep;
    });
  }
}

/** Go's math.Round: halves away from zero. */
function roundHalfAway(x: number): number {
  const r = Math.sign(x) * Math.round(Math.abs(x));
  return r === 0 ? 0 : r;
}

/** pprof's CommonValueType: compatible types (equal up to a trailing "s", units of one family), finer unit wins. */
function commonUnit(ts: ValueType[], what: string): string | undefined {
  if (ts.length <= 1) return undefined;
  let min = ts[0]!;
  for (const t of ts.slice(1)) {
    if (!compatible(min, t)) throw new OptionsError(`base and profile cannot be compared: ${what}: incompatible types: ${show(min)} ${show(t)}`, 'base');
    if (scale(1, t.unit, min.unit)[0] < 1) min = t;
  }
  return min.unit;
}

function compatible(a: ValueType, b: ValueType): boolean {
  const trim = (s: string) => (s.endsWith('s') ? s.slice(0, -1) : s);
  if (trim(a.type) !== trim(b.type)) return false;
  if (a.unit === b.unit) return true;
  return recognizeUnit(a.unit) !== undefined && recognizeUnit(b.unit) !== undefined &&
    recognizeUnit(a.unit)!.family === recognizeUnit(b.unit)!.family;
}

/** pprof's Merge requires identical period and sample types once units are aligned. */
function checkCompatible(p: Profile, b: Profile): void {
  const eq = (x: ValueType, y: ValueType) => x.type === y.type && x.unit === y.unit;
  if (!eq(p.periodType, b.periodType)) throw new OptionsError(`base and profile cannot be compared: incompatible period types ${show(p.periodType)} and ${show(b.periodType)}`, 'base');
  if (p.sampleTypes.length !== b.sampleTypes.length || p.sampleTypes.some((t, i) => !eq(t, b.sampleTypes[i]!))) {
    throw new OptionsError(`base and profile cannot be compared: incompatible sample types [${p.sampleTypes.map(show).join(' ')}] and [${b.sampleTypes.map(show).join(' ')}]`, 'base');
  }
}

const show = (t: ValueType) => `${t.type}/${t.unit}`;
