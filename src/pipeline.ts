import { OptionsError } from './errors.js';
import { FrameTable, type BuildOptions } from './graph/build.js';
import type { Graph } from './graph/graph.js';
import { findHotPath } from './graph/hot-path.js';
import { buildPrunedGraph, type PrunedGraph } from './graph/prune.js';
import { composeDot } from './dot/dot.js';
import { applyFilters, LISTED_FILTERS } from './profile/filter.js';
import type { Profile, Sample } from './profile/model.js';
import { BASE_LABEL } from './profile/base.js';
import { addLabelFrames, labelKeys } from './profile/tag-frames.js';
import { formatValue, reportLabels, resolveReportUnit, type ReportContext } from './report/context.js';
import { formatTop, topRows, type TopRow } from './report/top.js';
import { formatTraces } from './report/traces.js';
import { scaledLabel } from './report/units.js';
import type { ReportOptions } from './options.js';
import { goBase } from './graph/node-info.js';

/**
 * The stages between a normalized Profile and a report, in pprof's order (spec §3.1): command defaults,
 * value column and total, filters, then the graph, its pruning and the printer. Pure: no I/O.
 */

export type GraphFormat = 'top' | 'dot';
export type ReportFormat = GraphFormat | 'traces';

export interface ReportEnv {
  /** IANA zone for the `Time:` header; pprof uses the process's local zone */
  timeZone?: string;
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

export interface GraphReport {
  selected: SelectedProfile;
  pruned: PrunedGraph;
  labels: string[];
}

/** Builds and prunes the graph for `top` (text mode) or `dot`/`svg` (visual mode), and its header lines. */
export function graphReport(profile: Profile, format: GraphFormat, o: ReportOptions, env: ReportEnv = {}): GraphReport {
  const selected = selectSamples(profile, o, env);
  const { ctx, profile: p } = selected;
  const visual = format === 'dot';
  let nodeCount = o.nodecount ?? (visual ? 80 : 0);
  let { nodefraction, edgefraction } = o;
  if (!o.trim) nodeCount = nodefraction = edgefraction = 0;
  const build: BuildOptions = {
    valueIndex: selected.valueIndex,
    meanDivisorIndex: selected.meanIndex,
    granularity: o.granularity,
    noInlines: o.noinlines,
    trimPaths: true,
    dropNegative: o.drop_negative,
    tags: visual ? { format: (v, unit) => scaledLabel(v, unit, o.unit), bytesUnit: selected.numLabelUnits['bytes'] ?? 'bytes' } : undefined,
  };
  const table = new FrameTable(withoutBaseLabel(p), o.granularity, o.noinlines, true);
  const pruned = buildPrunedGraph(withoutBaseLabel(p), table, build, {
    nodeCount, nodeFraction: nodefraction, edgeFraction: edgefraction, visual, cumSort: o.cum,
  });
  resolveReportUnit(ctx, pruned.graph);
  // Text reports never say how many edges they dropped (pprof passes 0 there).
  const stats = { ...pruned, droppedEdges: visual ? pruned.droppedEdges : 0, nodeFraction: nodefraction, edgeFraction: edgefraction };
  const labels = reportLabels(ctx, pruned.graph, stats, visual);
  return { selected, pruned, labels };
}

export function topReport(profile: Profile, o: ReportOptions, env?: ReportEnv): { text: string; rows: TopRow[]; report: GraphReport } {
  const report = graphReport(profile, 'top', o, env);
  const rows = topRows(report.selected.ctx, report.pruned.graph);
  return { text: formatTop(report.selected.ctx, report.labels, rows), rows, report };
}

/** DOT text; with `hot_path` the heaviest path is drawn bold (off by default so DOT equals pprof's). */
/**
 * `forLayout`: the DOT goes to Graphviz for SVG/PNG, so the hot path is drawn unless turned off and
 * very long names are cut in labels; otherwise it is pprof's DOT, unless hot_path is asked for.
 */
export function dotReport(profile: Profile, o: ReportOptions, env?: ReportEnv, forLayout = false): { text: string; report: GraphReport } {
  const hotPathDefault = forLayout;
  const report = graphReport(profile, 'dot', o, env);
  const g: Graph = report.pruned.graph;
  const main = report.selected.profile.mappings[0];
  const text = composeDot(report.selected.ctx, g, {
    title: main && main.file !== '' ? goBase(main.file) : '',
    labels: (o.hot_path ?? hotPathDefault) ? withHotPathLegend(report.labels) : report.labels,
    hotPath: (o.hot_path ?? hotPathDefault) ? findHotPath(g) : undefined,
    forLayout,
  });
  return { text, report };
}

function withHotPathLegend(labels: string[]): string[] {
  const out = labels.slice();
  const see = out.findIndex((l) => l.startsWith('\nSee '));
  out.splice(see < 0 ? out.length : see, 0, 'Bold path: the hot path (heaviest calls from the busiest entry point)');
  return out;
}

export function tracesReport(profile: Profile, o: ReportOptions, env?: ReportEnv): string {
  const s = selectSamples(profile, o, env);
  return formatTraces(s.ctx, s.profile, s.valueIndex, s.meanIndex, o.granularity, o.noinlines, s.numLabelUnits);
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

/** Graphs must not show the -diff_base marker as a tag. */
function withoutBaseLabel(p: Profile): Profile {
  if (!p.samples.some((s) => s.labels?.[BASE_LABEL] !== undefined)) return p;
  return {
    ...p,
    samples: p.samples.map((s) => {
      if (s.labels?.[BASE_LABEL] === undefined) return s;
      const { [BASE_LABEL]: _, ...rest } = s.labels;
      return { ...s, labels: Object.keys(rest).length > 0 ? rest : undefined };
    }),
  };
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

export { formatValue };
