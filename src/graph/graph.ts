import type { NodeInfo } from './node-info.js';

/**
 * The weighted call graph, as pprof's internal/graph models it. Values are exact integers (see model.ts).
 * `*Div` fields carry the divisor sums of -mean reports; they stay 0 otherwise.
 */
export interface GraphNode {
  /** the node's identity across rebuilds of one profile (an index into its FrameTable) */
  id: number;
  info: NodeInfo;
  /** printable name (spec §5.2), computed once: sorting compares it a lot */
  name: string;
  flat: number;
  flatDiv: number;
  cum: number;
  cumDiv: number;
  in: Map<GraphNode, Edge>;
  out: Map<GraphNode, Edge>;
  /** string-label tags: key is all `key:value` pairs of a sample, sorted, joined by a literal `\n` */
  labelTags: Map<string, Tag>;
  /** numeric (`bytes`) tags grouped by the label string of their samples ("" for unlabelled) */
  numericTags: Map<string, Map<string, Tag>>;
  /** which sample last touched this node: counts cum once per sample without a per-sample set */
  stamp: number;
}

export interface Edge {
  src: GraphNode;
  dest: GraphNode;
  weight: number;
  weightDiv: number;
  /** the edge skips over frames that are not in the graph (drawn dotted) */
  residual: boolean;
  /** every contribution was a call into an inlined frame */
  inline: boolean;
  stamp: number;
}

export interface Tag {
  name: string;
  unit: string;
  value: number;
  flat: number;
  flatDiv: number;
  cum: number;
  cumDiv: number;
}

export interface Graph {
  nodes: GraphNode[];
}

/** pprof's FlatValue/CumValue/WeightValue: the mean when a divisor was collected. */
export const flatValue = (n: GraphNode | Tag): number => (n.flatDiv === 0 ? n.flat : Math.trunc(n.flat / n.flatDiv));
export const cumValue = (n: GraphNode | Tag): number => (n.cumDiv === 0 ? n.cum : Math.trunc(n.cum / n.cumDiv));
export const edgeWeight = (e: Edge): number => (e.weightDiv === 0 ? e.weight : Math.trunc(e.weight / e.weightDiv));
