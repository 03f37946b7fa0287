import type { Edge, Graph, GraphNode } from './graph.js';
import { compareBytes } from '../format/go-strings.js';

export interface HotPath {
  nodes: Set<GraphNode>;
  edges: Set<Edge>;
}

/**
 * The hot path (hotpath's addition to pprof's graph): start at the entry node (no callers) with the largest
 * |cum|, then keep following the heaviest outgoing edge by |weight| while that edge carries at least as much
 * as the current node spends itself (|flat|). It ends where the cost is: a frame that is hotter than any
 * of its callees, or a leaf. Using absolute values makes the same walk follow the largest change in a
 * diff profile, growth or shrinkage alike.
 */
export function findHotPath(g: Graph): HotPath {
  const nodes = new Set<GraphNode>();
  const edges = new Set<Edge>();
  const inGraph = new Set(g.nodes);
  const byCum = (a: GraphNode, b: GraphNode) => Math.abs(b.cum) - Math.abs(a.cum) || compareBytes(a.name, b.name);
  const entries = g.nodes.filter((n) => n.in.size === 0).sort(byCum);
  let current = entries[0] ?? [...g.nodes].sort(byCum)[0];
  while (current !== undefined) {
    nodes.add(current);
    let best: Edge | undefined;
    for (const e of current.out.values()) {
      if (!inGraph.has(e.dest) || nodes.has(e.dest)) continue;
      if (best === undefined || Math.abs(e.weight) > Math.abs(best.weight) ||
          (Math.abs(e.weight) === Math.abs(best.weight) && compareBytes(e.dest.name, best.dest.name) < 0)) best = e;
    }
    if (best === undefined || best.weight === 0 || Math.abs(best.weight) < Math.abs(current.flat)) break;
    edges.add(best);
    current = best.dest;
  }
  return { nodes, edges };
}
