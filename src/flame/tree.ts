/**
 * Profile → frame tree, the data behind a flame graph.
 *
 * The root stands for the whole profile. Below it, stacks are merged the way flamegraph.pl merges
 * collapsed stacks: two frames are one node when they have the same name AND the same path from the
 * root, so a recursive function appears once per depth it reaches rather than folding onto itself
 * (as it does in the call graph).
 */

import type { Location, Profile, ValueType } from '../profile/model.js';
import { OptionsError } from '../errors.js';
import { checkValueIndex, locationFrames } from './stacks.js';

export interface FlameNode {
  /** Frame name (pprof's printable name); the root is named "all" as in flamegraph.pl. */
  name: string;
  /** Sum of the values of the samples whose stacks pass through this frame at this depth. */
  value: number;
  /**
   * What the frame's width stands for: the sum of |value| over the same samples. Equal to `value`
   * unless the profile has negative values (e.g. after -diff_base), where signed sums would let
   * children outgrow their parent.
   */
  weight: number;
  /** Sum of the values of the samples whose leaf is this frame. */
  self: number;
  /** Diff trees only: the same sum over the base profile (after normalisation, if asked). */
  base?: number;
  /** Callees, sorted by name (JS code-unit order), left to right as flamegraph.pl lays them out. */
  children: FlameNode[];
}

export interface FlameTree {
  root: FlameNode;
  /** The sample type the values are in. */
  valueType: ValueType;
  /** Number of nodes kept, root included. */
  frames: number;
  /** Nodes dropped by minWidthFraction or maxFrames (their values stay in their parents). */
  prunedFrames: number;
  /** Deepest kept frame; the root is depth 0. */
  maxDepth: number;
  /** True for a tree built from a base and a target profile. */
  diff: boolean;
}

export interface FlameTreeOptions {
  /** Index into profile.sampleTypes. */
  valueIndex: number;
  /**
   * Drop frames whose weight is below this fraction of the root's (0 keeps everything).
   * flamegraph.pl's default of 0.1 px on a 1180 px wide drawing is 0.1 / 1180.
   */
  minWidthFraction?: number;
  /**
   * Keep at most this many frames (root included), dropping the narrowest first. Bounds the
   * output (about 270 bytes of SVG a frame) for huge or hostile profiles; default 30,000.
   */
  maxFrames?: number;
}

export interface DiffFlameTreeOptions extends FlameTreeOptions {
  /**
   * Scale the base so its total equals the target's before subtracting (difffolded.pl -n), to
   * compare shapes of profiles taken over different durations or rates.
   */
  normalize?: boolean;
}

export const DEFAULT_MAX_FRAMES = 30_000;

/**
 * The tree while stacks are merged, as parallel arrays indexed by node (0 is the root): a profile
 * like pprof's large.cpu has ~425,000 distinct stack prefixes, and per-node Maps (or one Map with
 * numeric keys) cost more than everything else together. Most nodes have a handful of children,
 * found by scanning a sibling list; nodes with many get a Map.
 */
class Growing {
  readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  private readonly byLocation = new Map<Location, number[]>();
  readonly parent: number[] = [-1];
  readonly nameOf: number[] = [-1];
  readonly value: number[] = [0];
  readonly weight: number[] = [0];
  readonly self: number[] = [0];
  readonly base: number[] = [0];
  private readonly firstChild: number[] = [-1];
  private readonly nextSibling: number[] = [-1];
  private readonly childCount: number[] = [0];
  private readonly wide = new Map<number, Map<number, number>>();

  get size(): number {
    return this.parent.length;
  }

  private frameIds(loc: Location): number[] {
    let ids = this.byLocation.get(loc);
    if (ids === undefined) {
      ids = locationFrames(loc).map((name) => {
        let id = this.nameIds.get(name);
        if (id === undefined) {
          id = this.names.length;
          this.names.push(name);
          this.nameIds.set(name, id);
        }
        return id;
      });
      this.byLocation.set(loc, ids);
    }
    return ids;
  }

  private child(parent: number, name: number): number {
    const count = this.childCount[parent]!;
    if (count > SCAN_LIMIT) {
      const found = this.wide.get(parent)!.get(name);
      if (found !== undefined) return found;
    } else {
      for (let c = this.firstChild[parent]!; c >= 0; c = this.nextSibling[c]!) if (this.nameOf[c] === name) return c;
    }
    const node = this.parent.length;
    this.parent.push(parent);
    this.nameOf.push(name);
    this.value.push(0);
    this.weight.push(0);
    this.self.push(0);
    this.base.push(0);
    this.firstChild.push(-1);
    this.childCount.push(0);
    this.nextSibling.push(this.firstChild[parent]!);
    this.firstChild[parent] = node;
    this.childCount[parent] = count + 1;
    if (count + 1 > SCAN_LIMIT) {
      let map = this.wide.get(parent);
      if (map === undefined) {
        map = new Map();
        for (let c = this.firstChild[parent]!; c >= 0; c = this.nextSibling[c]!) map.set(this.nameOf[c]!, c);
        this.wide.set(parent, map);
      } else {
        map.set(name, node);
      }
    }
    return node;
  }

  /** Adds every sample of `profile` into `value` (and weight, self) or into `base`. */
  add(profile: Profile, valueIndex: number, into: 'value' | 'base', scale: number): void {
    const { value, weight, self, base } = this;
    for (const sample of profile.samples) {
      const v = sample.values[valueIndex]! * scale;
      // As in pprof's graph, a sample of 0 adds nothing; a stack without frames adds to the root only.
      if (v === 0) continue;
      const a = Math.abs(v);
      let node = 0;
      if (into === 'value') {
        value[0]! += v;
        weight[0]! += a;
      } else {
        base[0]! += v;
      }
      const locs = sample.locations;
      for (let i = locs.length - 1; i >= 0; i--) {
        for (const name of this.frameIds(locs[i]!)) {
          node = this.child(node, name);
          if (into === 'value') {
            value[node]! += v;
            weight[node]! += a;
          } else {
            base[node]! += v;
          }
        }
      }
      if (into === 'value') self[node]! += v;
    }
  }
}

/** Children a node may have before lookups go through a Map rather than a scan. */
const SCAN_LIMIT = 12;

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Turns the growing tree into FlameNodes, keeping only nodes with weight ≥ `minWeight` and, when
 * that still leaves more than maxFrames, the heaviest ones. A child never weighs more than its
 * parent, so cutting by weight leaves a connected tree; nodes tied at the cut weight are admitted
 * breadth first (shallow frames before deep ones) while the budget lasts, each only after its parent.
 * Iterative: recursion-heavy profiles are thousands of frames deep.
 */
function finish(g: Growing, diff: boolean, valueType: ValueType, minWeight: number, maxFrames: number): FlameTree {
  const n = g.size;
  const { weight } = g;
  const passes = (i: number): boolean => weight[i]! > 0 && weight[i]! >= minWeight;

  // Children lists in one flat array (counting sort by parent).
  const start = new Int32Array(n + 1);
  for (let i = 1; i < n; i++) start[g.parent[i]! + 1]!++;
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, n);
  const kids = new Int32Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) kids[fill[g.parent[i]!]!++] = i;

  const candidates: number[] = [];
  for (let i = 1; i < n; i++) if (passes(i)) candidates.push(weight[i]!);
  let cut = -Infinity; // nodes heavier than this are kept
  let tieBudget = 0; // how many nodes weighing exactly `cut` still fit
  const budget = maxFrames - 1; // the root always stays
  if (candidates.length > budget) {
    candidates.sort((a, b) => b - a);
    cut = candidates[budget]!;
    let heavier = 0;
    while (heavier < candidates.length && candidates[heavier]! > cut) heavier++;
    tieBudget = budget - heavier;
  }

  const toNode = (i: number): FlameNode => {
    const node: FlameNode = { name: i === 0 ? 'all' : g.names[g.nameOf[i]!]!, value: g.value[i]!, weight: weight[i]!, self: g.self[i]!, children: [] };
    if (diff) node.base = g.base[i]!;
    return node;
  };
  const root = toNode(0);
  let frames = 1;
  let maxDepth = 0;
  // Breadth first, so ties at the cut go to the shallowest frames.
  let level: Array<[number, FlameNode]> = [[0, root]];
  for (let depth = 0; level.length > 0; depth++) {
    maxDepth = depth;
    const next: Array<[number, FlameNode]> = [];
    for (const [i, node] of level) {
      for (let k = start[i]!; k < start[i + 1]!; k++) {
        const c = kids[k]!;
        if (!passes(c) || weight[c]! < cut) continue;
        if (weight[c] === cut) {
          if (tieBudget <= 0) continue;
          tieBudget--;
        }
        const child = toNode(c);
        node.children.push(child);
        next.push([c, child]);
        frames++;
      }
      node.children.sort(byName);
    }
    level = next;
  }
  return { root, valueType, frames, prunedFrames: n - frames, maxDepth, diff };
}

function checkMaxFrames(m: number | undefined): number {
  const v = m ?? DEFAULT_MAX_FRAMES;
  if (!Number.isInteger(v) || v < 1) throw new OptionsError(`maximum frame count ${m} must be a whole number ≥ 1`, 'maxframes');
  return v;
}

function checkFraction(f: number | undefined): number {
  const v = f ?? 0;
  if (!(v >= 0 && v <= 1)) throw new OptionsError(`minimum width fraction ${f} must be between 0 and 1`, 'minwidth');
  return v;
}

/** The frame tree of one profile for one sample type. */
export function buildFlameTree(profile: Profile, options: FlameTreeOptions): FlameTree {
  checkValueIndex(profile, options.valueIndex);
  const fraction = checkFraction(options.minWidthFraction);
  const maxFrames = checkMaxFrames(options.maxFrames);
  const g = new Growing();
  g.add(profile, options.valueIndex, 'value', 1);
  return finish(g, false, profile.sampleTypes[options.valueIndex]!, g.weight[0]! * fraction, maxFrames);
}

function sumOf(profile: Profile, valueIndex: number): number {
  let s = 0;
  for (const sample of profile.samples) s += sample.values[valueIndex]!;
  return s;
}

/**
 * The frame tree of `target` with each frame's `base` value from `base`, for a differential flame
 * graph: widths follow the target, colour follows value − base (as difffolded.pl + flamegraph.pl).
 * Frames that exist only in the base have no width in the target and are not kept, exactly as in
 * flamegraph.pl; their loss still shows in their ancestors' deltas. Both profiles must have the
 * same sample type at `valueIndex`.
 */
export function buildDiffFlameTree(base: Profile, target: Profile, options: DiffFlameTreeOptions): FlameTree {
  checkValueIndex(base, options.valueIndex);
  checkValueIndex(target, options.valueIndex);
  const bt = base.sampleTypes[options.valueIndex]!;
  const tt = target.sampleTypes[options.valueIndex]!;
  if (bt.type !== tt.type || bt.unit !== tt.unit) {
    throw new OptionsError(`base sample type ${bt.type}/${bt.unit} differs from ${tt.type}/${tt.unit}`, 'sample_index');
  }
  const fraction = checkFraction(options.minWidthFraction);
  const maxFrames = checkMaxFrames(options.maxFrames);
  let scale = 1;
  if (options.normalize) {
    const b = sumOf(base, options.valueIndex);
    if (b !== 0) scale = sumOf(target, options.valueIndex) / b;
  }
  const g = new Growing();
  g.add(target, options.valueIndex, 'value', 1);
  g.add(base, options.valueIndex, 'base', scale);
  // Normalised base values are fractional; keep whole units like difffolded.pl's %.0f.
  if (scale !== 1) for (let i = 0; i < g.size; i++) g.base[i] = Math.round(g.base[i]!);
  return finish(g, true, tt, g.weight[0]! * fraction, maxFrames);
}

/** Calls `visit` on every node with its depth, parents before children (pre-order, iterative). */
export function walkFlameTree(tree: FlameTree, visit: (node: FlameNode, depth: number, path: readonly FlameNode[]) => void): void {
  const path: FlameNode[] = [];
  const stack: Array<[FlameNode, number]> = [[tree.root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    path.length = depth;
    path.push(node);
    visit(node, depth, path);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push([node.children[i]!, depth + 1]);
  }
}
