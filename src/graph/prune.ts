import type { Profile } from '../profile/model.js';
import { buildGraph, nodeTotals, type BuildOptions, type FrameTable } from './build.js';
import { type Edge, type Graph, type GraphNode, type Tag } from './graph.js';
import { sortedEdges, sortNodes } from './sort.js';

export interface PruneOptions {
  nodeCount: number;        // 0 = no limit
  nodeFraction: number;
  edgeFraction: number;
  /** DOT and SVG: entropy order, tags count toward nodecount, redundant residual edges removed */
  visual: boolean;
  cumSort: boolean;
}

export interface PrunedGraph {
  graph: Graph;
  /** nodes after the nodefraction cut, before nodecount: M in "Showing top N nodes out of M" */
  origCount: number;
  droppedNodes: number;
  droppedEdges: number;
}

/**
 * pprof's newTrimmedGraph (spec §6). Each refinement rebuilds the graph from the samples with a kept set of
 * nodes, because a graph alone cannot say how weight flows around a removed node (the edges over it become
 * residual). Trimming therefore never changes a surviving node's flat or cum.
 */
export function buildPrunedGraph(profile: Profile, table: FrameTable, build: BuildOptions, o: PruneOptions): PrunedGraph {
  // The full graph matters only through its node values, unless nothing is cut: get those cheaply first.
  const { flat, cum } = nodeTotals(profile, table, build.valueIndex);
  const present: number[] = [];
  let total = 0;
  for (let id = 0; id < table.size; id++) {
    if (flat[id] === 0 && cum[id] === 0) continue;
    if (build.dropNegative && (flat[id]! < 0 || (flat[id] === 0 && cum[id]! < 0))) continue;
    present.push(id);
    total += flat[id]!;
  }
  const nodeCutoff = Math.abs(Math.trunc(total * o.nodeFraction));
  const edgeCutoff = Math.abs(Math.trunc(total * o.edgeFraction));
  let droppedNodes = 0;
  let kept: Set<number> | undefined;
  if (nodeCutoff > 0) {
    const k = present.filter((id) => Math.abs(cum[id]!) >= nodeCutoff);
    if (k.length !== present.length) {
      droppedNodes = present.length - k.length;
      kept = new Set(k);
    }
  }
  let g = buildGraph(profile, table, build, kept);
  const origCount = g.nodes.length;

  const order = o.visual ? 'entropy' : o.cumSort ? 'cum' : 'flat';
  sortNodes(g.nodes, order);
  if (o.nodeCount > 0) {
    trimTags(g, nodeCutoff);
    trimEdges(g, edgeCutoff);
    const top = selectTopNodes(g.nodes, o.nodeCount, o.visual);
    if (top.length !== g.nodes.length) {
      g = buildGraph(profile, table, build, new Set(top.map((n) => n.id)));
      sortNodes(g.nodes, order);
    }
  }
  trimTags(g, nodeCutoff);
  const droppedEdges = trimEdges(g, edgeCutoff);
  if (o.visual) removeRedundantEdges(g);
  return { graph: g, origCount, droppedNodes, droppedEdges };
}

/** At most this many tag nodelets per node count toward nodecount in a DOT graph. */
const MAX_NODELETS = 4;

function selectTopNodes(nodes: GraphNode[], maxNodes: number, visual: boolean): GraphNode[] {
  let limit = maxNodes;
  if (visual) {
    let count = 0;
    for (let i = 0; i < nodes.length; i++) {
      count += Math.min(countTags(nodes[i]!), MAX_NODELETS) + 1;
      if (count >= maxNodes) {
        limit = i + 1;
        break;
      }
    }
  }
  return nodes.slice(0, Math.min(limit, nodes.length));
}

function countTags(n: GraphNode): number {
  let count = 0;
  for (const t of n.labelTags.values()) if (t.flat !== 0) count++;
  for (const group of n.numericTags.values()) for (const t of group.values()) if (t.flat !== 0) count++;
  return count;
}

function trimTags(g: Graph, min: number): void {
  const keep = (tags: Map<string, Tag>) => {
    for (const [k, t] of tags) if (Math.abs(t.flat) < min && Math.abs(t.cum) < min) tags.delete(k);
  };
  for (const n of g.nodes) {
    keep(n.labelTags);
    for (const group of n.numericTags.values()) keep(group);
  }
}

/** Drops light edges, looking only at incoming edges of nodes still in the graph (as pprof does). */
function trimEdges(g: Graph, cutoff: number): number {
  let dropped = 0;
  for (const n of g.nodes) {
    for (const [src, e] of n.in) {
      if (Math.abs(e.weight) < cutoff) {
        n.in.delete(src);
        src.out.delete(n);
        dropped++;
      }
    }
  }
  return dropped;
}

/**
 * Residual (dotted) edges that only restate a path the graph already shows are clutter: walk each node's
 * incoming edges from the lightest up, stopping at the first real call edge.
 */
function removeRedundantEdges(g: Graph): void {
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const incoming = sortedEdges(g.nodes[i]!.in.values());
    for (let j = incoming.length - 1; j >= 0; j--) {
      const e = incoming[j]!;
      if (!e.residual) break;
      if (isRedundant(e)) {
        e.src.out.delete(e.dest);
        e.dest.in.delete(e.src);
      }
    }
  }
}

/** Can e.dest still be reached from e.src without e? Breadth-first, backwards over incoming edges. */
function isRedundant(e: Edge): boolean {
  const seen = new Set<GraphNode>([e.dest]);
  const queue: GraphNode[] = [e.dest];
  for (let q = 0; q < queue.length; q++) {
    for (const ie of queue[q]!.in.values()) {
      if (ie === e || seen.has(ie.src)) continue;
      if (ie.src === e.src) return true;
      seen.add(ie.src);
      queue.push(ie.src);
    }
  }
  return false;
}
