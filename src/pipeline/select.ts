import { OptionsError } from '../errors.js';
import { applyFilters, LISTED_FILTERS } from '../profile/filter.js';
import type { Profile, Sample } from '../profile/model.js';
import { BASE_LABEL } from '../profile/base.js';
import { addLabelFrames, labelKeys } from '../profile/tag-frames.js';
import type { ReportOptions } from '../options.js';
import type { ReportContext } from './context.js';

/**
 * The first stages between a normalized Profile and a report, in pprof's order (spec §3.1): command
 * defaults, the value column and the total, then the filters. graph-report.ts goes on from here to the
 * graph and its pruning; the views (report/, dot/, flame/) print the result. Pure: no I/O.
 */

export interface ReportEnv {
  /** IANA zone for the `Time:` header; pprof uses the process's local zone */
  timeZone?: string;
  /** the output budget (limits.ts maxOutputChars): a report that would pass it is refused, not built */
  maxOutputChars?: number;
}

/** A profile with options applied, up to (not including) the graph. */
export interface SelectedProfile {
  ctx: ReportContext;
  /** after filters */
  profile: Profile;
  valueIndex: number;
  meanIndex: number | undefined;
  numLabelUnits: Record<string, string>;
  warnings: string[];
}

export function selectSamples(profile: Profile, o: ReportOptions, env: ReportEnv = {}): SelectedProfile {
  const numLabelUnits = identifyNumLabelUnits(profile);
  const warnings: string[] = [];
  let p = profile;
  if (o.tagroot || o.tagleaf) {
    // Before the filters, so that they can match the new frames (as in pprof).
    const r = addLabelFrames(p, labelKeys(o.tagroot), labelKeys(o.tagleaf), o.unit);
    p = r.profile;
    warnings.push(...r.warnings);
  }
  const filter = () => {
    const r = applyFilters(p, o, numLabelUnits);
    warnings.push(...r.warnings);
    p = r.profile;
  };
  if (o.relative_percentages) filter();
  if (profile.sampleTypes.length === 0) throw new OptionsError('profile has no samples', 'sample_index');
  const valueIndex = sampleIndexByName(profile, o.sample_index);
  const meanIndex = o.mean ? 0 : undefined;
  const total = computeTotal(p, valueIndex, meanIndex);
  if (!o.relative_percentages) filter();
  const type = profile.sampleTypes[valueIndex]!;
  const ctx: ReportContext = {
    profile: p,
    sampleType: (o.mean ? 'mean_' : '') + type.type,
    sampleUnit: type.unit,
    total,
    outputUnit: o.unit,
    divideBy: o.divide_by,
    activeFilters: LISTED_FILTERS.filter((k) => o[k]).map((k) => `${k}=${o[k]}`),
    compactLabels: o.compact_labels,
    timeZone: env.timeZone,
  };
  return { ctx, profile: p, valueIndex, meanIndex, numLabelUnits, warnings };
}

/** pprof's SampleIndexByName (spec §2.1). */
export function sampleIndexByName(p: Profile, index: string | number | undefined): number {
  const types = p.sampleTypes.map((t) => t.type);
  if (index === undefined || index === '') {
    if (p.defaultSampleType !== '') {
      const i = types.indexOf(p.defaultSampleType);
      if (i >= 0) return i;
    }
    return types.length - 1;
  }
  const s = String(index);
  if (/^[+-]?\d+$/.test(s)) {
    const i = Number(s);
    if (i < 0 || i >= types.length) throw new OptionsError(`sample_index ${s} is outside the range [0..${types.length - 1}]`, 'sample_index');
    return i;
  }
  const noInuse = s.startsWith('inuse_') ? s.slice('inuse_'.length) : s;
  const i = types.findIndex((t) => t === s || t === noInuse);
  if (i < 0) throw new OptionsError(`sample_index "${s}" must be one of: [${types.join(' ')}]`, 'sample_index');
  return i;
}

/** The report total (spec §2.8): Σ|v|, or over the base samples only for -diff_base. */
export function computeTotal(p: Profile, valueIndex: number, meanIndex: number | undefined): number {
  let total = 0, div = 0, diffTotal = 0, diffDiv = 0;
  for (const s of p.samples) {
    const v = Math.abs(s.values[valueIndex]!);
    const d = meanIndex === undefined ? 0 : s.values[meanIndex]!;
    total += v;
    div += d;
    if (isDiffBase(s)) {
      diffTotal += v;
      diffDiv += d;
    }
  }
  if (diffTotal > 0) {
    total = diffTotal;
    div = diffDiv;
  }
  return div !== 0 ? Math.trunc(total / div) : total;
}

function isDiffBase(s: Sample): boolean {
  return s.labels?.[BASE_LABEL]?.includes('true') ?? false;
}

/** The unit of every numeric label key (spec §1.3). */
export function identifyNumLabelUnits(p: Profile): Record<string, string> {
  // No prototype: label keys are profile data, and `__proto__` or `constructor` are keys like any other.
  const units = Object.create(null) as Record<string, string>;
  const keys = new Set<string>();
  for (const s of p.samples) {
    if (!s.numLabels) continue;
    for (const k in s.numLabels) {
      keys.add(k);
      for (const u of s.numUnits?.[k] ?? []) if (u !== '' && units[k] === undefined) units[k] = u;
    }
  }
  for (const k of keys) if (!units[k]) units[k] = k === 'alignment' || k === 'request' ? 'bytes' : k;
  return units;
}
