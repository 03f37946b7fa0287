/**
 * The flame tree as data, for the viewer page's interactive flame graph (flame.json): the same tree
 * flame.svg draws (same pruning, same colours), in columns rather than markup, names interned.
 *
 * Frames are listed in pre-order, root ("all") first, each by its depth: a frame's callees are the
 * frames after it one level deeper, up to the next frame at its own depth or above. Values are
 * numbers in the sample type's unit; the page formats them with `unit` as pprof would (scale()).
 */
import { unitScale } from '../format/units.js';
import type { Location, Profile } from '../profile/model.js';
import { ROOT_COLOR, diffColor, hotColor, packageColor } from './colors.js';
import { locationFrames } from './stacks.js';
import type { FlamePalette } from './svg.js';
import { walkFlameTree, type FlameTree } from './tree.js';

export interface FlameData {
  version: 1;
  /** the sample type the values are in */
  type: string;
  unit: string;
  /** to print values as pprof does; null for a plain count */
  scale: { factor: number; units: [number, string][]; fallback: [number, string] } | null;
  /** Σ|value|: what widths and shares are of (the root's weight) */
  total: number;
  /** a base is compared: `base` holds each frame's value there, colours are red (grew) and blue (shrank) */
  diff: boolean;
  /** frames left out as too narrow; their values stay in their callers' */
  pruned: number;
  /** every distinct frame name once, and its colour in the flame graph's palette (#rrggbb) */
  names: string[];
  colors: string[];
  /** per frame, in pre-order: */
  depth: number[];
  /** index into names */
  name: number[];
  /** the samples through this frame at this place (its width, unless values are negative) */
  value: number[];
  /** the samples whose leaf is this frame (its flat value) */
  self: number[];
  /** Σ|value|, only when some frame's differs from its value (negative samples) */
  weight?: number[];
  /** diff only: the same sum over the base */
  base?: number[];
  /**
   * Per name, over the whole profile (frames too narrow to draw included): the samples whose leaf
   * it is (flat) and those whose stack it is on (cum, once per sample however often it recurs).
   * The root's entry is 0.
   */
  flat: number[];
  cum: number[];
  /** diff only: cum over the base */
  baseCum?: number[];
}

/** The profiles the tree was built from, for the per-function totals. */
export interface FlameSources {
  profile: Profile;
  base?: Profile;
  valueIndex: number;
}

/** "rgb(12,34,56)" → "#0c2238": a third of the bytes, for thousands of names. */
function hex(rgb: string): string {
  const m = /^rgb\((\d+),(\d+),(\d+)\)$/.exec(rgb);
  if (!m) return rgb;
  return '#' + m.slice(1, 4).map((c) => Number(c).toString(16).padStart(2, '0')).join('');
}

/**
 * flat and cum of every name in `ids` (others are skipped) over the samples of `p`, named as the tree
 * names frames (stacks.ts), so the numbers are the flame graph's own. Names are looked up once per
 * location, not per sample: profiles share locations across thousands of samples.
 */
function functionTotals(p: Profile, valueIndex: number, ids: Map<string, number>, size: number): { flat: number[]; cum: number[] } {
  const flat = new Array<number>(size).fill(0);
  const cum = new Array<number>(size).fill(0);
  const stamp = new Int32Array(size).fill(-1);
  const byLocation = new Map<Location, Int32Array>();
  const idsOf = (loc: Location): Int32Array => {
    let found = byLocation.get(loc);
    if (found === undefined) {
      found = Int32Array.from(locationFrames(loc), (name) => ids.get(name) ?? -1);
      byLocation.set(loc, found);
    }
    return found;
  };
  p.samples.forEach((sample, s) => {
    const v = sample.values[valueIndex] ?? 0;
    if (v === 0 || sample.locations.length === 0) return;
    for (const loc of sample.locations) {
      for (const id of idsOf(loc)) {
        if (id < 0 || stamp[id] === s) continue;
        stamp[id] = s;
        cum[id]! += v;
      }
    }
    // The leaf is the innermost frame of the first location (its lines list inlined callees first).
    const leaf = idsOf(sample.locations[0]!);
    const id = leaf[leaf.length - 1]!;
    if (id >= 0) flat[id]! += v;
  });
  return { flat, cum };
}

export function flameData(tree: FlameTree, sources: FlameSources, palette: FlamePalette = 'package'): FlameData {
  const names: string[] = [];
  const colors: string[] = [];
  const ids = new Map<string, number>();
  const depth: number[] = [];
  const name: number[] = [];
  const value: number[] = [];
  const self: number[] = [];
  const weight: number[] = [];
  const base: number[] = [];
  let signed = false;
  walkFlameTree(tree, (node, d) => {
    // The root is "all" in every tree; a frame named "all" is another function: key them apart.
    const key = d === 0 ? '\u0000root' : node.name;
    let id = ids.get(key);
    if (id === undefined) {
      id = names.length;
      ids.set(key, id);
      names.push(node.name);
      // Diff colours depend on each frame's change, not its name: the page computes them.
      colors.push(hex(d === 0 ? ROOT_COLOR : tree.diff ? diffColor(0, 0) : palette === 'hot' ? hotColor(node.name) : packageColor(node.name)));
    }
    depth.push(d);
    name.push(id);
    value.push(node.value);
    self.push(node.self);
    weight.push(node.weight);
    if (node.weight !== node.value) signed = true;
    if (tree.diff) base.push(node.base ?? 0);
  });
  const totals = functionTotals(sources.profile, sources.valueIndex, ids, names.length);
  const baseTotals = sources.base && functionTotals(sources.base, sources.valueIndex, ids, names.length);
  return {
    version: 1,
    type: tree.valueType.type,
    unit: tree.valueType.unit,
    scale: unitScale(tree.valueType.unit) ?? null,
    total: tree.root.weight,
    diff: tree.diff,
    pruned: tree.prunedFrames,
    names,
    colors,
    depth,
    name,
    value,
    self,
    ...(signed ? { weight } : {}),
    ...(tree.diff ? { base } : {}),
    flat: totals.flat,
    cum: totals.cum,
    ...(baseTotals ? { baseCum: baseTotals.cum } : {}),
  };
}
