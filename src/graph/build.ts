import type { Location, Profile, Sample } from '../profile/model.js';
import type { Edge, Graph, GraphNode, Tag } from './graph.js';
import { frameInfo, nodeKey, printableName, type Granularity, type NodeInfo } from './node-info.js';

export interface BuildOptions {
  valueIndex: number;
  /** -mean: the column whose sums divide every value (pprof uses column 0) */
  meanDivisorIndex?: number;
  granularity: Granularity;
  /** -noinlines: charge inlined frames to the function they were inlined into */
  noInlines: boolean;
  /** graph reports trim /proc/self/cwd/ from file names; -traces does not */
  trimPaths: boolean;
  dropNegative: boolean;
  /** collect tags for DOT nodelets; `format` names a `bytes` value as pprof's FormatTag does */
  tags?: { format: (value: number, unit: string) => string; bytesUnit: string };
}

/**
 * Every distinct frame of a profile under one granularity, numbered. Computed once and shared by the
 * (up to three) graph builds of a report, and by -traces.
 */
export class FrameTable {
  readonly infos: NodeInfo[] = [];
  readonly names: string[] = [];
  /** per location: the frame ids of its lines, innermost first (pprof's locationMap) */
  readonly byLocation = new Map<Location, Int32Array>();
  /** per location: how many of its lines are frames (1 with -noinlines) */
  private readonly ids = new Map<string, number>();

  constructor(profile: Profile, granularity: Granularity, noInlines: boolean, trimPaths: boolean) {
    for (const sample of profile.samples) {
      for (const loc of sample.locations) {
        if (this.byLocation.has(loc)) continue;
        const lines = noInlines && loc.lines.length > 1 ? loc.lines.slice(-1) : loc.lines;
        const frames = new Int32Array(Math.max(lines.length, 1));
        if (lines.length === 0) frames[0] = this.intern(frameInfo(loc, undefined, granularity, trimPaths));
        else for (let i = 0; i < lines.length; i++) frames[i] = this.intern(frameInfo(loc, lines[i], granularity, trimPaths));
        this.byLocation.set(loc, frames);
      }
    }
  }

  private intern(info: NodeInfo): number {
    const key = nodeKey(info);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.infos.length;
      this.ids.set(key, id);
      this.infos.push(info);
      this.names.push(printableName(info));
    }
    return id;
  }
}

/** pprof's joinLabels: all `key:value` pairs of a sample's string labels, sorted, joined by a literal `\n`. */
export function joinLabels(s: Sample): string {
  if (s.labels === undefined) return '';
  const parts: string[] = [];
  for (const key in s.labels) for (const v of s.labels[key]!) parts.push(`${key}:${v}`);
  parts.sort();
  return parts.join('\\n');
}

/**
 * One pass over the samples (spec §5.3): cum once per node per sample, edges caller→callee once per
 * sample, flat to the leaf only when the leaf frame itself is kept. `kept` (frame ids) restricts the nodes;
 * frames outside it make the edges around them residual.
 */
export function buildGraph(profile: Profile, table: FrameTable, opts: BuildOptions, kept?: Set<number>): Graph {
  const nodes: (GraphNode | undefined)[] = new Array(table.infos.length);
  const created: GraphNode[] = [];
  const keptMask = kept ? new Uint8Array(table.infos.length) : undefined;
  if (keptMask) for (const id of kept!) keptMask[id] = 1;
  const { valueIndex, meanDivisorIndex, tags } = opts;

  const nodeFor = (id: number): GraphNode | undefined => {
    if (keptMask && keptMask[id] === 0) return undefined;
    let n = nodes[id];
    if (n === undefined) {
      n = {
        id, info: table.infos[id]!, name: table.names[id]!, flat: 0, flatDiv: 0, cum: 0, cumDiv: 0,
        in: new Map(), out: new Map(), labelTags: new Map(), numericTags: new Map(), stamp: -1,
      };
      nodes[id] = n;
      created.push(n);
    }
    return n;
  };

  const samples = profile.samples;
  for (let si = 0; si < samples.length; si++) {
    const sample = samples[si]!;
    const w = sample.values[valueIndex]!;
    const dw = meanDivisorIndex === undefined ? 0 : sample.values[meanDivisorIndex]!;
    if (w === 0 && dw === 0) continue;
    const labels = tags ? joinLabels(sample) : '';
    let parent: GraphNode | undefined;
    let residual = false;
    const locs = sample.locations;
    for (let li = locs.length - 1; li >= 0; li--) {
      const frames = table.byLocation.get(locs[li]!)!;
      const outermost = frames.length - 1;
      for (let fi = outermost; fi >= 0; fi--) {
        const n = nodeFor(frames[fi]!);
        if (n === undefined) {
          residual = true;
          continue;
        }
        if (n.stamp !== si) {
          n.stamp = si;
          n.cum += w;
          n.cumDiv += dw;
          if (tags) addTags(n, sample, labels, w, dw, false, tags);
        }
        if (parent !== undefined && n !== parent) {
          let e = parent.out.get(n);
          if (e === undefined) {
            e = { src: parent, dest: n, weight: 0, weightDiv: 0, residual, inline: fi !== outermost, stamp: -1 };
            parent.out.set(n, e);
            n.in.set(parent, e);
          }
          if (e.stamp !== si) {
            if (e.stamp !== -1) {
              if (residual) e.residual = true;
              if (fi === outermost) e.inline = false;
            }
            e.stamp = si;
            e.weight += w;
            e.weightDiv += dw;
          }
        }
        parent = n;
        residual = false;
      }
    }
    if (parent !== undefined && !residual) {
      parent.flat += w;
      parent.flatDiv += dw;
      if (tags) addTags(parent, sample, labels, w, dw, true, tags);
    }
  }

  // Nodes that gathered nothing go; their edges stay on their neighbours, as in pprof (spec §9.6).
  const result: GraphNode[] = [];
  for (const n of created) {
    if (n.flat === 0 && n.cum === 0) continue;
    if (opts.dropNegative && (n.flat < 0 || (n.flat === 0 && n.cum < 0))) continue;
    result.push(n);
  }
  return { nodes: result };
}

function addTags(
  n: GraphNode, s: Sample, labels: string, w: number, dw: number, flat: boolean,
  tags: NonNullable<BuildOptions['tags']>,
): void {
  if (labels !== '') add(findOrAdd(n.labelTags, labels, '', 0), w, dw, flat);
  let numeric = n.numericTags.get(labels);
  if (numeric === undefined) {
    numeric = new Map();
    n.numericTags.set(labels, numeric);
  }
  // Graph reports keep only the `bytes` numeric label (pprof's report.newGraph), in the key's resolved unit.
  const values = s.numLabels?.['bytes'];
  if (values === undefined) return;
  for (const v of values) add(findOrAdd(numeric, tags.format(v, tags.bytesUnit), tags.bytesUnit, v), w, dw, flat);
}

function findOrAdd(m: Map<string, Tag>, name: string, unit: string, value: number): Tag {
  let t = m.get(name);
  if (t === undefined) {
    t = { name, unit, value, flat: 0, flatDiv: 0, cum: 0, cumDiv: 0 };
    m.set(name, t);
  }
  return t;
}

function add(t: Tag, w: number, dw: number, flat: boolean): void {
  if (flat) {
    t.flat += w;
    t.flatDiv += dw;
  } else {
    t.cum += w;
    t.cumDiv += dw;
  }
}

export type { Edge };
