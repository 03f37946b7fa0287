/**
 * Frame tree → standalone interactive SVG, after flamegraph.pl: hover for details, click to zoom,
 * a search box, colours by package (or "hot", or red/blue for a diff), flame or icicle.
 *
 * DOM contract (for the viewer and browser tests): the root <svg> carries data-total (the share
 * denominator); every frame is `<g class="frame" data-name=… data-value=…>` (plus data-delta in a
 * diff) holding <title>, <rect> and, if its label is not empty, <text>, in pre-order with the root ("all") first, inside
 * `<g id="frames">`; controls are #search-input, #search-regex (checkbox), #matched (its
 * data-value is the matched sum), #reset-zoom and #details.
 */

import { OutputBudget } from '../pipeline/output.js';
import type { Profile } from '../profile/model.js';
import { OptionsError } from '../errors.js';
import { label, trimmedPercentage } from '../format/units.js';
import { escapeXmlAttr, escapeXmlText } from '../format/xml.js';
import { buildDiffFlameTree, buildFlameTree, walkFlameTree, type FlameNode, type FlameTree } from './tree.js';
import { ROOT_COLOR, diffColor, hotColor, packageColor } from './colors.js';
import { FLAME_SCRIPT } from './script.js';

export type FlamePalette = 'package' | 'hot';

export interface FlameSvgOptions {
  /** Default "Flame Graph", "Icicle Graph" or "Differential Flame Graph". */
  title?: string;
  /** Icicle: root at the top, callees below. */
  inverted?: boolean;
  /** Ignored for diffs, which are always red/blue. Default 'package'. */
  palette?: FlamePalette;
  /** Image width in px, default 1200 as flamegraph.pl. */
  width?: number;
  /**
   * Frames narrower than this are left out: px (a number, default 0.1 as flamegraph.pl) or a
   * percentage of the total as a string such as "0.5%".
   */
  minWidth?: number | string;
  /** Cap on frames drawn (see FlameTreeOptions.maxFrames). */
  maxFrames?: number;
  /** Past this many characters of SVG the graph is refused (TooLargeError), not built. */
  maxOutputChars?: number;
}

export interface RenderFlameGraphOptions extends FlameSvgOptions {
  /** Index into profile.sampleTypes (the sample_index). */
  valueIndex: number;
  /** A base profile makes a differential flame graph of `profile` against it. */
  base?: Profile;
  /** Diffs only: scale the base to the profile's total first (difffolded.pl -n). */
  normalize?: boolean;
}

const DEFAULT_WIDTH = 1200;
const DEFAULT_MIN_WIDTH_PX = 0.1;
const XPAD = 10;
const ROW = 16;
const FONT_SIZE = 12;
/** flamegraph.pl's estimate of a Verdana character's width relative to the font size. */
const FONT_WIDTH = 0.59;
const CHAR_WIDTH = FONT_SIZE * FONT_WIDTH;
const TOP = 80;
const BOTTOM = 34;
const FONT = 'Verdana, sans-serif';
/** Baseline of a frame's label below the top of its rect. */
const TEXT_DY = 11.5;
/**
 * Names longer than this are cut (with "…") in the SVG: no label shows more than ~170 characters,
 * and a hostile 10,000-character name repeated in thousands of frames would bloat the file.
 */
const MAX_NAME = 1000;

function displayName(name: string): string {
  if (name.length <= MAX_NAME) return name;
  let cut = MAX_NAME;
  const c = name.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return name.slice(0, cut) + '…';
}

/** Profile → SVG; with `base`, the differential flame graph of `profile` against it. */
export function renderFlameGraph(profile: Profile, options: RenderFlameGraphOptions): string {
  return renderFlameTree(flameTreeOf(profile, options), profileKind(profile), options);
}

/**
 * The tree the SVG draws (and flame.json carries): pruned to the frames at least `minWidth` wide at
 * the drawing's width; with `base`, each frame also carries its value there.
 */
export function flameTreeOf(profile: Profile, options: RenderFlameGraphOptions): FlameTree {
  const fraction = minWidthFraction(options.minWidth, checkWidth(options.width));
  const treeOptions = { valueIndex: options.valueIndex, minWidthFraction: fraction, maxFrames: options.maxFrames };
  return options.base
    ? buildDiffFlameTree(options.base, profile, { ...treeOptions, normalize: options.normalize })
    : buildFlameTree(profile, treeOptions);
}

/** The kind of profile in a title: its period type (cpu, space, contentions…), else its first sample type. */
function profileKind(profile: Profile): string {
  return profile.periodType.type || profile.sampleTypes[0]?.type || 'unknown';
}

function checkWidth(w: number | undefined): number {
  const width = w ?? DEFAULT_WIDTH;
  if (!Number.isFinite(width) || width < 100 || width > 100_000) {
    throw new OptionsError(`flame graph width ${w} must be between 100 and 100000 px`, 'width');
  }
  return width;
}

/** minWidth (px or "N%") → fraction of the total width. */
export function minWidthFraction(minWidth: number | string | undefined, width = DEFAULT_WIDTH): number {
  const inner = width - 2 * XPAD;
  if (minWidth === undefined) return DEFAULT_MIN_WIDTH_PX / inner;
  if (typeof minWidth === 'number') {
    if (!(minWidth >= 0 && minWidth <= inner)) throw new OptionsError(`minwidth ${minWidth} must be between 0 and ${inner} px`, 'minwidth');
    return minWidth / inner;
  }
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*$/.exec(minWidth);
  if (!m) throw new OptionsError(`minwidth ${JSON.stringify(minWidth)} must be pixels or a percentage such as 0.5%`, 'minwidth');
  const n = Number(m[1]);
  return minWidthFraction(m[2] === '%' ? (n / 100) * inner : n, width);
}

// ── Layout and drawing ──────────────────────────────────────────────────────────────────────────

/** The label that fits `width` px: as many characters as fit, the last two replaced by "..". */
export function fitText(name: string, width: number): string {
  const chars = Math.floor(width / CHAR_WIDTH);
  if (chars < 3) return '';
  if (name.length <= chars) return name;
  let cut = chars - 2;
  const c = name.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--; // do not split a surrogate pair
  return name.slice(0, cut) + '..';
}

/** A coordinate with at most 2 decimals, no trailing zeros. */
function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** A share as pprof prints it ("40.29%", "0.8%"); `sign` adds + or − for deltas. */
function percent(part: number, total: number, sign = false): string {
  const p = trimmedPercentage(part, total);
  return sign && part !== 0 ? (part > 0 ? '+' : '-') + p : p;
}

function signed(text: string, v: number): string {
  return v > 0 ? `+${text}` : text;
}

/** Tree → SVG. `kind` is the profile kind shown in the subtitle (e.g. "cpu"). */
export function renderFlameTree(tree: FlameTree, kind: string, options: FlameSvgOptions = {}): string {
  const width = checkWidth(options.width);
  const inner = width - 2 * XPAD;
  const inverted = options.inverted === true;
  const unit = tree.valueType.unit;
  const root = tree.root;
  // Shares are of the total as pprof defines it (Σ|value|), which is the root's weight.
  const total = root.weight;
  const scale = total > 0 ? inner / total : 0;
  const height = TOP + (tree.maxDepth + 1) * ROW + BOTTOM;
  const rowY = (depth: number): number => (inverted ? TOP + depth * ROW : TOP + (tree.maxDepth - depth) * ROW);

  let maxDelta = 0;
  if (tree.diff) {
    walkFlameTree(tree, (n, depth) => {
      if (depth > 0) maxDelta = Math.max(maxDelta, Math.abs(n.value - (n.base ?? 0)));
    });
  }
  const palette = options.palette ?? 'package';
  if (palette !== 'package' && palette !== 'hot') throw new OptionsError(`palette ${JSON.stringify(palette)} must be package or hot`, 'palette');
  const colorCache = new Map<string, string>();
  const colorOf = (n: FlameNode, depth: number): string => {
    if (depth === 0) return ROOT_COLOR;
    if (tree.diff) return diffColor(n.value - (n.base ?? 0), maxDelta);
    let c = colorCache.get(n.name);
    if (c === undefined) {
      c = palette === 'hot' ? hotColor(n.name) : packageColor(n.name);
      colorCache.set(n.name, c);
    }
    return c;
  };
  // Names repeat across frames (recursion, common callees): escape each once.
  const attrCache = new Map<string, string>();
  const attr = (s: string): string => {
    let e = attrCache.get(s);
    if (e === undefined) {
      e = escapeXmlAttr(s);
      attrCache.set(s, e);
    }
    return e;
  };

  const title = options.title ?? (tree.diff ? 'Differential Flame Graph' : inverted ? 'Icicle Graph' : 'Flame Graph');
  let subtitle = `${kind} profile · ${tree.valueType.type} (${unit}) · total ${label(root.value, unit)}`;
  if (tree.diff) subtitle += ` · base ${label(root.base ?? 0, unit)} · red grew, blue shrank`;
  if (tree.prunedFrames > 0) subtitle += ` · ${tree.prunedFrames} narrow frames not drawn`;

  const budget = new OutputBudget(options.maxOutputChars);
  const out: string[] = [];
  out.push(
    '<?xml version="1.0" standalone="no"?>\n',
    `<svg version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg"`,
    ` data-total="${total}" data-inverted="${inverted}" data-diff="${tree.diff}" data-xpad="${XPAD}"`,
    ` data-inner-width="${inner}" data-row-height="${ROW}" data-char-width="${CHAR_WIDTH}" data-text-dy="${TEXT_DY}">\n`,
    '<style>\n',
    `text{font-family:${FONT};font-size:${FONT_SIZE}px;fill:#000}\n`,
    '#title{font-size:17px;text-anchor:middle}\n',
    '#subtitle{fill:#555;text-anchor:middle}\n',
    '#matched{text-anchor:end}\n',
    '#reset-zoom{cursor:pointer}\n',
    '.frame{cursor:pointer}\n',
    '.frame rect{rx:2px;ry:2px}\n',
    '.frame text{pointer-events:none}\n',
    '.frame:hover rect{stroke:#000;stroke-width:0.5}\n',
    '.parent rect{opacity:0.5}\n',
    '.hide{display:none}\n',
    '#search,#search input{font:12px ' + FONT + '}\n',
    '</style>\n',
    '<defs><linearGradient id="background" y1="0" y2="1" x1="0" x2="0">',
    '<stop stop-color="#eeeeee" offset="5%"/><stop stop-color="#eeeeb0" offset="95%"/></linearGradient></defs>\n',
    `<rect x="0" y="0" width="${width}" height="${height}" fill="url(#background)"/>\n`,
    `<text id="title" x="${width / 2}" y="24">${escapeXmlText(title)}</text>\n`,
    `<text id="subtitle" x="${width / 2}" y="44">${escapeXmlText(subtitle)}</text>\n`,
    `<text id="reset-zoom" class="hide" x="${XPAD}" y="68">Reset Zoom</text>\n`,
    `<foreignObject x="${width - XPAD - 330}" y="52" width="330" height="24">`,
    '<div xmlns="http://www.w3.org/1999/xhtml" id="search" style="text-align:right">',
    '<input id="search-input" type="search" placeholder="Search (substring)" size="24"/> ',
    '<label><input id="search-regex" type="checkbox"/>regex</label></div></foreignObject>\n',
    `<text id="details" x="${XPAD}" y="${height - 12}"> </text>\n`,
    `<text id="matched" x="${width - XPAD}" y="${height - 12}"></text>\n`,
    '<g id="frames">\n',
  );

  // Pre-order walk with each frame's left edge in value units; positions are rounded edge by edge
  // so a callee never sticks out of its caller (the script reads them back for zooming).
  const stack: Array<{ node: FlameNode; depth: number; left: number }> = [{ node: root, depth: 0, left: 0 }];
  while (stack.length > 0) {
    const { node, depth, left } = stack.pop()!;
    const x0 = Math.round((XPAD + left * scale) * 100) / 100;
    const x1 = depth === 0 || total === 0 ? XPAD + inner : Math.round((XPAD + (left + node.weight) * scale) * 100) / 100;
    const w = x1 - x0;
    const y = rowY(depth);
    const shown = displayName(node.name);
    let tip = `${shown} (${label(node.value, unit)}, ${percent(node.value, total)}`;
    let extra = '';
    if (tree.diff) {
      const delta = node.value - (node.base ?? 0);
      tip += `; ${signed(label(delta, unit), delta)}, ${percent(delta, total, true)}`;
      extra = ` data-delta="${delta}"`;
    }
    tip += ')';
    const text = fitText(shown, w);
    // Each frame holds its name twice (data-name and title): deep stacks of long names add up.
    budget.take(2 * shown.length + 160);
    out.push(
      `<g class="frame" data-name="${attr(shown)}" data-value="${node.value}"${extra}>`,
      `<title>${escapeXmlText(tip)}</title>`,
      `<rect x="${px(x0)}" y="${y}" width="${px(w)}" height="${ROW - 1}" fill="${colorOf(node, depth)}"/>`,
      text === '' ? '</g>\n' : `<text x="${px(x0 + 3)}" y="${y + TEXT_DY}">${escapeXmlText(text)}</text></g>\n`,
    );
    // Children are laid out left-aligned (frames dropped as too narrow leave a gap on the right).
    // Push right to left so the leftmost child is drawn next.
    let childLeft = left;
    for (const c of node.children) childLeft += c.weight;
    for (let i = node.children.length - 1; i >= 0; i--) {
      const c = node.children[i]!;
      childLeft -= c.weight;
      stack.push({ node: c, depth: depth + 1, left: childLeft });
    }
  }
  out.push('</g>\n', '<script type="text/ecmascript"><![CDATA[', FLAME_SCRIPT, ']]></script>\n', '</svg>\n');
  return out.join('');
}
