import { OptionsError } from '../errors.js';
import { cumValue, flatValue, type Edge } from '../graph/graph.js';
import { sortedEdges } from '../graph/sort.js';
import type { ReportOptions } from '../options.js';
import { graphReport } from '../pipeline/graph-report.js';
import { type ReportEnv } from '../pipeline/select.js';
import type { Profile } from '../profile/model.js';
import { compileRegex } from '../regex.js';
import { padLeft } from '../format/goformat.js';
import { formatValue, type ReportContext } from '../pipeline/context.js';
import { percentage } from '../format/units.js';

const SEPARATOR = '----------------------------------------------------------+-------------';
/** pprof's legend really ends in space, tab, space, tab, space. */
const LEGEND = '      flat  flat%   sum%        cum   cum%   calls calls% + context \t \t ';

/**
 * pprof's -peek (internal/report/report.go printTree with a symbol): the text-report graph with
 * trimming off; for every node whose printable name matches, its callers above it and its callees
 * below, each edge with its weight and that weight's share of the node's cum.
 */
export function peekReport(profile: Profile, regex: string, options: ReportOptions, env?: ReportEnv): { text: string; warnings: string[] } {
  const symbol = compileRegex(regex, 'peek');
  const report = graphReport(profile, 'top', { ...options, trim: false }, env);
  const ctx = report.selected.ctx;
  const nodes = report.pruned.graph.nodes;

  const out = [...report.labels, SEPARATOR, LEGEND];
  let flatSum = 0;
  let matched = 0;
  for (const n of nodes) {
    if (!symbol.test(n.name)) continue;
    matched++;
    const flat = flatValue(n);
    const cum = cumValue(n);
    out.push(SEPARATOR);
    for (const e of sortedEdges(n.in.values())) out.push(edgeLine(ctx, e, e.src.name, cum));
    flatSum += flat;
    out.push(
      `${padLeft(formatValue(ctx, flat), 10)} ${percentage(flat, ctx.total)} ${percentage(flatSum, ctx.total)} ` +
      `${padLeft(formatValue(ctx, cum), 10)} ${percentage(cum, ctx.total)}                | ${n.name}`,
    );
    for (const e of sortedEdges(n.out.values())) out.push(edgeLine(ctx, e, e.dest.name, cum));
  }
  if (nodes.length > 0) out.push(SEPARATOR);
  if (matched === 0) throw new OptionsError(`no matches found for regexp: ${regex}`, 'peek');
  return { text: out.join('\n') + '\n', warnings: report.selected.warnings };
}

/** pprof prints the edge's summed weight as it is (not a -mean average) and its share of the node's cum. */
function edgeLine(ctx: ReportContext, e: Edge, other: string, cum: number): string {
  return `${padLeft(formatValue(ctx, e.weight), 50)} ${percentage(e.weight, cum)} |   ${other}${e.inline ? ' (inline)' : ''}`;
}
