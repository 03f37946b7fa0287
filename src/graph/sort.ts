import type { Edge, GraphNode } from './graph.js';
import { compareBytes } from '../format/go-strings.js';
import { infoString } from './node-info.js';
import { goFloatToInt64, goLog2 } from '../format/golog2.js';

/** pprof's node orders (spec §7.1): text reports by flat or cum, DOT by entropy. */
export type NodeOrder = 'flat' | 'cum' | 'entropy';

const abs = Math.abs;

function byName(a: GraphNode, b: GraphNode): number {
  const c = compareBytes(a.name, b.name);
  return c !== 0 ? c : compareBytes(infoString(a.info), infoString(b.info));
}

export function sortNodes(nodes: GraphNode[], order: NodeOrder): void {
  if (order === 'flat') {
    nodes.sort((a, b) =>
      abs(b.flat) - abs(a.flat) || compareBytes(a.name, b.name) ||
      abs(b.cum) - abs(a.cum) || compareBytes(infoString(a.info), infoString(b.info)));
  } else if (order === 'cum') {
    nodes.sort((a, b) =>
      abs(b.cum) - abs(a.cum) || compareBytes(a.name, b.name) ||
      abs(b.flat) - abs(a.flat) || compareBytes(infoString(a.info), infoString(b.info)));
  } else {
    const score = new Map<GraphNode, number>();
    for (const n of nodes) score.set(n, entropyScore(n));
    nodes.sort((a, b) => {
      const d = absScore(score.get(b)!) - absScore(score.get(a)!);
      if (d !== 0) return d;
      const c = compareBytes(a.name, b.name);
      if (c !== 0) return c;
      return abs(b.flat) - abs(a.flat) || byName(a, b);
    });
  }
}

const MIN_INT64 = -(2 ** 63);

/** Go's abs64 leaves -2^63 negative (it has no positive twin). */
function absScore(s: number): number {
  return s === MIN_INT64 ? s : abs(s);
}

/**
 * pprof's entropyScore (spec §7.2): nodes that fan in or out a lot, or sit at an entry or a leaf, rank
 * higher in the DOT graph. Arithmetic follows Go on amd64, including NaN → -2^63 in diff profiles.
 */
export function entropyScore(n: GraphNode): number {
  let score = 0;
  score += n.in.size === 0 ? 1 : edgeEntropy(n.in, 0);
  score += n.out.size === 0 ? 1 : edgeEntropy(n.out, n.flat);
  const t = goFloatToInt64(score * n.cum);
  const sum = t + n.flat;
  // int64 wrap-around of `T + flat`, reachable only when T is -2^63 and flat is negative.
  if (t === MIN_INT64 && n.flat < 0) return Number(BigInt.asIntN(64, BigInt(t) + BigInt(n.flat)));
  return sum;
}

function edgeEntropy(edges: Map<GraphNode, Edge>, self: number): number {
  let total = self;
  for (const e of edges.values()) if (e.weight > 0) total += abs(e.weight);
  if (total === 0) return 0;
  let score = 0;
  for (const e of edges.values()) {
    const frac = abs(e.weight) / total;
    score += -frac * goLog2(frac);
  }
  if (self > 0) {
    const frac = abs(self) / total;
    score += -frac * goLog2(frac);
  }
  return score;
}

/**
 * pprof's edge order (spec §7.4): heavier first, then source and destination names. Weights equal up to
 * sign are treated as equal, where pprof's order is random run to run.
 */
export function compareEdges(a: Edge, b: Edge): number {
  const wa = abs(a.weight);
  const wb = abs(b.weight);
  if (wa !== wb) return wb - wa;
  return compareBytes(a.src.name, b.src.name) || compareBytes(a.dest.name, b.dest.name);
}

export function sortedEdges(edges: Iterable<Edge>): Edge[] {
  return [...edges].sort(compareEdges);
}
