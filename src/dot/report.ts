import type { Graph } from '../graph/graph.js';
import { findHotPath } from '../graph/hot-path.js';
import { goBase } from '../format/go-strings.js';
import type { Profile } from '../profile/model.js';
import type { ReportOptions } from '../options.js';
import { graphReport, type GraphReport } from '../pipeline/graph-report.js';
import type { ReportEnv } from '../pipeline/select.js';
import { composeDot } from './dot.js';
import { dotForLayout } from './layout.js';

/**
 * pprof's -dot report: the pruned graph as DOT. With `hot_path` the heaviest path is drawn bold (off by
 * default so DOT equals pprof's). `forLayout`: the DOT goes to Graphviz for SVG/PNG, so the hot path is drawn unless turned off and
 * very long names are cut in labels and every label made safe for Graphviz (layout.ts); otherwise it
 * is pprof's DOT, unless hot_path is asked for.
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
  return { text: forLayout ? dotForLayout(text) : text, report };
}

function withHotPathLegend(labels: string[]): string[] {
  const out = labels.slice();
  const see = out.findIndex((l) => l.startsWith('\nSee '));
  out.splice(see < 0 ? out.length : see, 0, 'Bold path: the hot path (heaviest calls from the busiest entry point)');
  return out;
}
