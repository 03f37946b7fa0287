import type { Profile, Sample } from '../profile/model.js';
import type { Edge, Graph, GraphNode, Tag } from './graph.js';
import { IdMap } from '../profile/id-map.js';
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
 * Every distinct frame of a profile under one granularity, numbered, and every sample's stack as frame
 * ids. Computed once per report and shared by its (up to three) graph builds, which then walk flat
 * typed arrays instead of objects.
 */
export class FrameTable {
  readonly infos: NodeInfo[] = [];
  readonly names: string[] = [];
  /** per location: the frame ids of its lines, innermost first (pprof's locationMap) */
  readonly byLocation = new IdMap<number[]>();
  /**
   * Sample i's frames, root first, are `stacks[stackStart[i] .. stackStart[i+1])`, each `id << 1 | inlined`,
   * where inlined means the frame is not the outermost line of its location (a call into inlined code).
   */
  readonly stackStart: Int32Array;
  readonly stacks: Int32Array;
  private readonly ids = new Map<string, number>();

  constructor(profile: Profile, granularity: Granularity, noInlines: boolean, trimPaths: boolean) {
    const samples = profile.samples;
    this.stackStart = new Int32Array(samples.length + 1);
    let stacks = new Int32Array(1024);
    let size = 0;
    for (let si = 0; si < samples.length; si++) {
      const locs = samples[si]!.locations;
      for (let li = locs.length - 1; li >= 0; li--) {
        const loc = locs[li]!;
        let frames = this.byLocation.get(loc.id);
        if (frames === undefined) {
          const lines = noInlines && loc.lines.length > 1 ? loc.lines.slice(-1) : loc.lines;
          // Plain arrays: tens of thousands of tiny typed arrays cost more to allocate than they save.
          frames = lines.length === 0
            ? [this.intern(frameInfo(loc, undefined, granularity, trimPaths))]
            : lines.map((line) => this.intern(frameInfo(loc, line, granularity, trimPaths)));
          this.byLocation.set(loc.id, frames);
        }
        if (size + frames.length > stacks.length) {
          const grown = new Int32Array(Math.max(stacks.length * 2, size + frames.length));
          grown.set(stacks);
          stacks = grown;
        }
        const outermost = frames.length - 1;
        for (let fi = outermost; fi >= 0; fi--) stacks[size++] = (frames[fi]! << 1) | (fi !== outermost ? 1 : 0);
      }
      this.stackStart[si + 1] = size;
    }
    this.stacks = stacks.subarray(0, size);
  }

  get size(): number {
    return this.infos.length;
  }

  private intern(info: NodeInfo): number {
    // A node that is just a function name (the usual case) is keyed and printed by its name alone; the
    // general key starts with a NUL, which no function name does, so the two kinds never collide.
    const plain = info.address === 0n && info.file === '' && info.lineno === 0 && info.objfile === '' && info.startLine === 0 && info.name !== '' && info.name.charCodeAt(0) !== 0;
    const key = plain ? info.name : '\u0000' + nodeKey(info);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.infos.length;
      this.ids.set(key, id);
      this.infos.push(info);
      this.names.push(plain ? info.name : printableName(info));
    }
    return id;
  }
}

/** Flat and cum of every frame of the full graph: all that the nodefraction cut needs to know. */
export interface NodeTotals {
  flat: Float64Array;
  cum: Float64Array;
}

/** The cheap first pass of pprof's trimming: node values of the unpruned graph, without edges or tags. */
export function nodeTotals(profile: Profile, table: FrameTable, valueIndex: number): NodeTotals {
  const flat = new Float64Array(table.size);
  const cum = new Float64Array(table.size);
  const stamp = new Int32Array(table.size).fill(-1);
  const { stackStart, stacks } = table;
  const samples = profile.samples;
  for (let si = 0; si < samples.length; si++) {
    const w = samples[si]!.values[valueIndex]!;
    if (w === 0) continue;
    const end = stackStart[si + 1]!;
    let leaf = -1;
    for (let k = stackStart[si]!; k < end; k++) {
      const id = stacks[k]! >> 1;
      if (stamp[id] !== si) {
        stamp[id] = si;
        cum[id] += w;
      }
      leaf = id;
    }
    if (leaf >= 0) flat[leaf] += w;
  }
  return { flat, cum };
}

/** pprof's joinLabels: all `key:value` pairs of a sample's string labels, sorted, joined by a literal `\n`. */
export function joinLabels(s: Sample): string {
  if (s.labels === undefined) return '';
  // Samples with equal labels share one label set (the decoder's doing): join each set once.
  const cached = joinedLabels.get(s.labels);
  if (cached !== undefined) return cached;
  const parts: string[] = [];
  for (const key in s.labels) for (const v of s.labels[key]!) parts.push(`${key}:${v}`);
  parts.sort();
  const joined = parts.join('\\n');
  if (Object.isFrozen(s.labels)) joinedLabels.set(s.labels, joined);
  return joined;
}

const joinedLabels = new WeakMap<object, string>();

/**
 * One pass over the samples (spec §5.3): cum once per node per sample, edges caller→callee once per
 * sample, flat to the leaf only when the leaf frame itself is kept. `kept` (frame ids) restricts the nodes;
 * frames outside it make the edges around them residual.
 */
export function buildGraph(profile: Profile, table: FrameTable, opts: BuildOptions, kept?: Set<number>): Graph {
  const nodes: (GraphNode | undefined)[] = new Array(table.size);
  const created: GraphNode[] = [];
  const keptMask = kept ? new Uint8Array(table.size) : undefined;
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
  const { stackStart, stacks } = table;
  for (let si = 0; si < samples.length; si++) {
    const sample = samples[si]!;
    const w = sample.values[valueIndex]!;
    const dw = meanDivisorIndex === undefined ? 0 : sample.values[meanDivisorIndex]!;
    if (w === 0 && dw === 0) continue;
    const labels = tags ? joinLabels(sample) : '';
    let parent: GraphNode | undefined;
    let residual = false;
    const end = stackStart[si + 1]!;
    for (let k = stackStart[si]!; k < end; k++) {
      const frame = stacks[k]!;
      const n = nodeFor(frame >> 1);
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
        const inline = (frame & 1) === 1;
        let e = parent.out.get(n);
        if (e === undefined) {
          e = { src: parent, dest: n, weight: 0, weightDiv: 0, residual, inline, stamp: -1 };
          parent.out.set(n, e);
          n.in.set(parent, e);
        }
        if (e.stamp !== si) {
          if (e.stamp !== -1) {
            if (residual) e.residual = true;
            if (!inline) e.inline = false;
          }
          e.stamp = si;
          e.weight += w;
          e.weightDiv += dw;
        }
      }
      parent = n;
      residual = false;
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
