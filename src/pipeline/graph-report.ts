import type { BuildOptions } from '../graph/build.js';
import { FrameTable } from '../graph/build.js';
import { buildPrunedGraph, type PrunedGraph } from '../graph/prune.js';
import type { Profile } from '../profile/model.js';
import { BASE_LABEL } from '../profile/base.js';
import { scaledLabel } from '../format/units.js';
import type { ReportOptions } from '../options.js';
import { reportLabels, resolveReportUnit } from './context.js';
import { selectSamples, type ReportEnv, type SelectedProfile } from './select.js';

/** Selected samples → the pruned graph every graph report prints, with pprof's header lines. */

export type GraphFormat = 'top' | 'dot';
export type ReportFormat = GraphFormat | 'traces';

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
