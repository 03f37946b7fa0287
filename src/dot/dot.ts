import type { Edge, Graph, GraphNode, Tag } from '../graph/graph.js';
import { cumValue, edgeWeight, flatValue } from '../graph/graph.js';
import { sortedEdges } from '../graph/sort.js';
import { formatValue, type ReportContext } from '../pipeline/context.js';
import { label, percentage, scale } from '../format/units.js';
import { dotColor } from './color.js';
import { escapeForDot, multilineName } from './names.js';

export interface DotOptions {
  /** graph name and legend tooltip: the binary's base name ("" → `unnamed`) */
  title: string;
  /** header lines for the legend (reportLabels with fullHeaders) */
  labels: string[];
  /** nodes and edges of the hot path, drawn bold (hotpath's addition; absent = pprof's exact DOT) */
  hotPath?: { nodes: Set<GraphNode>; edges: Set<Edge> };
  /**
   * The DOT goes to Graphviz (SVG, PNG), not to a user who compares it with pprof's: function names in
   * labels are cut at MAX_LABEL_NAME characters (tooltips keep them whole; a 10,000-character name makes
   * a box wider than Graphviz can place, and pprof's -svg fails on it). layout.ts makes the rest of
   * every label safe.
   */
  forLayout?: boolean;
}

/** Longest function name a laid-out label shows. */
export const MAX_LABEL_NAME = 120;

/** At most this many tag boxes hang off a node. */
const MAX_NODELETS = 4;

/**
 * pprof's DOT (spec §9): same nodes, labels, numbers, colours, sizes and edge order, so that `-dot` equals
 * `go tool pprof -dot`. One deliberate difference: the graph title is escaped (pprof writes it raw, which
 * makes invalid DOT for a binary name with a quote).
 */
export function composeDot(ctx: ReportContext, g: Graph, o: DotOptions): string {
  const out: string[] = [];
  const title = escapeForDot(o.title);
  out.push(`digraph "${o.title === '' ? 'unnamed' : title}" {`);
  out.push('node [style=filled fillcolor="#f8f8f8"]');
  const labels = o.labels;
  if (labels.length > 0) {
    const tooltip = o.title !== '' ? ` tooltip="${title}"` : '';
    out.push(`subgraph cluster_L { "${escapeForDot(labels[0]!)}" [shape=box fontsize=16 label="${labels.map(escapeForDot).join('\\l')}\\l"${tooltip}] }`);
  }
  if (g.nodes.length > 0) {
    const ids = new Map<GraphNode, number>();
    let maxFlat = Math.abs(flatValue(g.nodes[0]!));
    g.nodes.forEach((n, i) => {
      ids.set(n, i + 1);
      maxFlat = Math.max(maxFlat, Math.abs(flatValue(n)));
    });
    const hasNodelets = new Set<GraphNode>();
    const edges: Edge[] = [];
    for (const n of g.nodes) {
      out.push(nodeLine(ctx, n, ids.get(n)!, maxFlat, o.hotPath?.nodes.has(n) ?? false, o.forLayout ? MAX_LABEL_NAME : undefined));
      const nodelets = nodeletLines(ctx, n, ids.get(n)!);
      if (nodelets.length > 0) {
        hasNodelets.add(n);
        out.push(...nodelets);
      }
      edges.push(...n.out.values());
    }
    for (const e of sortedEdges(edges)) {
      // An edge into a node that was dropped for being all zero keeps pointing at "N0", as in pprof.
      out.push(edgeLine(ctx, e, ids.get(e.src) ?? 0, ids.get(e.dest) ?? 0, hasNodelets.has(e.src), o.hotPath?.edges.has(e) ?? false));
    }
  }
  out.push('}');
  return out.join('\n') + '\n';
}

/**
 * The nodes of DOT written by composeDot: one `N<id> [` line each (labels escape newlines, so none
 * is split; tag boxes are `N<id>_<i> [`, edges `N<id> -> `). What the service checks against its
 * SVG node cap before laying a graph out.
 */
export function countDotNodes(dot: string): number {
  const m = dot.match(/^N\d+ \[/gm);
  return m ? m.length : 0;
}

function nodeLine(ctx: ReportContext, n: GraphNode, id: number, maxFlat: number, hot: boolean, maxName?: number): string {
  const flat = flatValue(n);
  const cum = cumValue(n);
  // Values end in the sample unit, which is profile data ("widgets", or anything with a quote in it).
  const flatText = escapeForDot(formatValue(ctx, flat));
  let text = multilineName(n.info, maxName);
  text += flat !== 0 ? `${flatText} (${percentage(flat, ctx.total).trim()})` : '0';
  let cumText = flatText;
  if (cum !== flat) {
    cumText = escapeForDot(formatValue(ctx, cum));
    text += `${flat !== 0 ? '\\n' : ' '}of ${cumText} (${percentage(cum, ctx.total).trim()})`;
  }
  let fontSize = 8;
  if (maxFlat !== 0 && flat !== 0 && Math.abs(flat) <= maxFlat) fontSize += Math.ceil(16 * Math.sqrt(Math.abs(flat) / maxFlat));
  const share = cum / Math.abs(ctx.total);
  let attrs = `label="${text}" id="node${id}" fontsize=${fontSize} shape=box tooltip="${escapeForDot(n.name)} (${cumText})" color="${dotColor(share, false)}" fillcolor="${dotColor(share, true)}"`;
  if (hot) attrs += ' style="bold,filled" penwidth=3';
  return `N${id} [${attrs}]`;
}

function nodeletLines(ctx: ReportContext, n: GraphNode, id: number): string[] {
  const out: string[] = [];
  const flatTags = n.out.size > 0;
  const labelTags = sortTags([...n.labelTags.values()], flatTags).slice(0, MAX_NODELETS);
  labelTags.forEach((t, i) => {
    const w = flatTags ? flatValue(t) : cumValue(t);
    if (w === 0) return;
    const weight = escapeForDot(formatValue(ctx, w));
    // pprof writes label tag names unescaped; we escape them so a quote cannot break the DOT.
    out.push(`N${id}_${i} [label = "${escapeForDot(t.name).replaceAll('\\\\n', '\\n')}" id="N${id}_${i}" fontsize=8 shape=box3d tooltip="${weight}"]`);
    out.push(`N${id} -> N${id}_${i} [label=" ${weight}" weight=100 tooltip="${weight}" labeltooltip="${weight}"]`);
    const numeric = n.numericTags.get(t.name);
    if (numeric && numeric.size > 0) out.push(...numericNodelets(ctx, [...numeric.values()], flatTags, `N${id}_${i}`));
  });
  const unlabelled = n.numericTags.get('');
  if (unlabelled && unlabelled.size > 0) out.push(...numericNodelets(ctx, [...unlabelled.values()], flatTags, `N${id}`));
  return out;
}

function numericNodelets(ctx: ReportContext, tags: Tag[], flatTags: boolean, source: string): string[] {
  const out: string[] = [];
  collapsedTags(tags, MAX_NODELETS, flatTags).forEach((t, j) => {
    let w = cumValue(t);
    let style = ' style="dotted"';
    if (flatTags || flatValue(t) === cumValue(t)) {
      w = flatValue(t);
      style = '';
    }
    if (w === 0) return;
    const weight = escapeForDot(formatValue(ctx, w));
    out.push(`N${source}_${j} [label = "${escapeForDot(t.name)}" id="N${source}_${j}" fontsize=8 shape=box3d tooltip="${weight}"]`);
    out.push(`${source} -> N${source}_${j} [label=" ${weight}" weight=100 tooltip="${weight}" labeltooltip="${weight}"${style}]`);
  });
  return out;
}

/** pprof's tag order (spec §7.5). */
function sortTags(tags: Tag[], flat: boolean): Tag[] {
  return tags.sort((a, b) => {
    if (!flat && a.cum !== b.cum) return Math.abs(b.cum) - Math.abs(a.cum);
    if (a.flat !== b.flat) return Math.abs(b.flat) - Math.abs(a.flat);
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

/** More than `count` numeric tags are grouped around the first `count` (spec §9.7). */
function collapsedTags(tags: Tag[], count: number, flat: boolean): Tag[] {
  tags = sortTags(tags, flat);
  if (tags.length <= count) return tags;
  const groups: Tag[][] = tags.slice(0, count).map((t) => [t]);
  for (const t of tags.slice(count)) {
    let g = 0;
    let d = tagDistance(t, groups[0]![0]!);
    for (let i = 1; i < count; i++) {
      const nd = tagDistance(t, groups[i]![0]!);
      if (nd < d) {
        g = i;
        d = nd;
      }
    }
    groups[g]!.push(t);
  }
  return sortTags(groups.map(groupTag), flat);
}

function tagDistance(t: Tag, u: Tag): number {
  const v = scale(u.value, u.unit, t.unit)[0];
  return Math.abs(t.value - v);
}

function groupTag(g: Tag[]): Tag {
  const first = g[0]!;
  if (g.length === 1) return { ...first, name: label(first.value, first.unit), flatDiv: 0, cumDiv: 0, flat: flatValue(first), cum: cumValue(first) };
  let min = first;
  let max = first;
  let f = first.flat, df = first.flatDiv, c = first.cum, dc = first.cumDiv;
  for (const t of g.slice(1)) {
    if (Math.trunc(scale(t.value, t.unit, min.unit)[0]) < min.value) min = t;
    if (Math.trunc(scale(t.value, t.unit, max.unit)[0]) > max.value) max = t;
    f += t.flat; df += t.flatDiv; c += t.cum; dc += t.cumDiv;
  }
  if (df !== 0) f = Math.trunc(f / df);
  if (dc !== 0) c = Math.trunc(c / dc);
  return { name: `${label(min.value, min.unit)}..${label(max.value, max.unit)}`, unit: '', value: 0, flat: f, flatDiv: 0, cum: c, cumDiv: 0 };
}

function edgeLine(ctx: ReportContext, e: Edge, from: number, to: number, srcHasNodelets: boolean, hot: boolean): string {
  const weight = edgeWeight(e);
  const w = escapeForDot(formatValue(ctx, weight));
  let attrs = `label=" ${w}${e.inline ? '\\n (inline)' : ''}"`;
  const total = ctx.total;
  if (total !== 0) {
    const k = 1 + Math.min(Math.abs(ratioTrunc(weight, 100, total)), 100);
    if (k > 1) attrs += ` weight=${k}`;
    const p = 1 + Math.min(Math.abs(ratioTrunc(weight, 5, total)), 5);
    if (p > 1) attrs += ` penwidth=${hot ? Math.max(p, 4) : p}`;
    else if (hot) attrs += ' penwidth=4';
    attrs += ` color="${dotColor(weight / Math.abs(total), false)}"`;
  } else if (hot) {
    attrs += ' penwidth=4';
  }
  const arrow = e.residual ? '...' : '->';
  const tooltip = `"${escapeForDot(e.src.name)} ${arrow} ${escapeForDot(e.dest.name)} (${w})"`;
  attrs += ` tooltip=${tooltip} labeltooltip=${tooltip}`;
  if (hot) attrs += e.residual ? ' style="bold,dotted"' : ' style="bold"';
  else if (e.residual) attrs += ' style="dotted"';
  if (srcHasNodelets) attrs += ' minlen=2';
  return `N${from} -> N${to} [${attrs}]`;
}

/** int64 `w * m / total`, truncated: exact even where w * m passes 2^53. */
function ratioTrunc(w: number, m: number, total: number): number {
  const x = w * m;
  if (Number.isSafeInteger(x)) return Math.trunc(x / total);
  return Number((BigInt(w) * BigInt(m)) / BigInt(total));
}
