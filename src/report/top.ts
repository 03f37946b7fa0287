import type { Graph, GraphNode } from '../graph/graph.js';
import { cumValue, flatValue } from '../graph/graph.js';
import { formatValue, type ReportContext } from '../pipeline/context.js';
import { percentage } from '../format/units.js';
import { padLeft } from '../format/goformat.js';
import type { Profile } from '../profile/model.js';
import type { ReportOptions } from '../options.js';
import { graphReport, type GraphReport } from '../pipeline/graph-report.js';
import type { ReportEnv } from '../pipeline/select.js';

export interface TopRow {
  name: string;
  /** "", "(inline)" or "(partial-inline)": how the node is reached in the final graph */
  inline: string;
  flat: number;
  flatPercent: number;
  sumPercent: number;
  cum: number;
  cumPercent: number;
  flatText: string;
  cumText: string;
}

export function topRows(ctx: ReportContext, g: Graph): TopRow[] {
  let sum = 0;
  const pct = (v: number) => (ctx.total === 0 ? 0 : Math.abs(v / ctx.total) * 100);
  return g.nodes.map((n) => {
    const flat = flatValue(n);
    const cum = cumValue(n);
    sum += flat;
    return {
      name: n.name, inline: inlineLabel(n), flat, flatPercent: pct(flat), sumPercent: pct(sum),
      cum, cumPercent: pct(cum), flatText: formatValue(ctx, flat), cumText: formatValue(ctx, cum),
    };
  });
}

function inlineLabel(n: GraphNode): string {
  let inline = false;
  let notInline = false;
  for (const e of n.in.values()) {
    if (e.inline) inline = true;
    else notInline = true;
  }
  if (!inline) return '';
  return notInline ? '(partial-inline)' : '(inline)';
}

/** pprof's -top text (spec §8.1), byte for byte. */
export function formatTop(ctx: ReportContext, labels: string[], rows: TopRow[]): string {
  const out = [...labels, '      flat  flat%   sum%        cum   cum%'];
  let sum = 0;
  for (const r of rows) {
    sum += r.flat;
    out.push(`${padLeft(r.flatText, 10)} ${percentage(r.flat, ctx.total)} ${percentage(sum, ctx.total)} ${padLeft(r.cumText, 10)} ${percentage(r.cum, ctx.total)}  ${r.name}${r.inline ? ' ' + r.inline : ''}`);
  }
  return out.join('\n') + '\n';
}

export function topReport(profile: Profile, o: ReportOptions, env?: ReportEnv): { text: string; rows: TopRow[]; report: GraphReport } {
  const report = graphReport(profile, 'top', o, env);
  const rows = topRows(report.selected.ctx, report.pruned.graph);
  return { text: formatTop(report.selected.ctx, report.labels, rows), rows, report };
}
