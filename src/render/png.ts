/**
 * SVG → PNG, for places that show images inline but not SVG (chat unfurls, ticket trackers).
 *
 * The rasteriser is resvg compiled to WebAssembly (@resvg/resvg-wasm): writing one is not worth it,
 * and WASM needs no native binary per platform (the native @resvg/resvg-js was also slower here).
 * resvg-wasm cannot read system fonts and silently draws no text without fonts, so the Liberation
 * fonts in fonts/ (see its README) are always passed in; no system font is ever used, so a PNG
 * looks the same on every machine.
 *
 * Which SVG to pass: one with an intrinsic size. That is Graphviz's raw output (width/height in pt,
 * which resvg turns into px at 96 dpi: 1 pt = 4/3 px) and the flame graph SVG (1200 px wide), not
 * the interactive call graph finishSvg makes (width="100%", no viewBox, a pan/zoom transform): that
 * one is refused. `dotToPng` lays out DOT and rasterises Graphviz's own SVG.
 *
 * Rasterising blocks the calling thread (~0.25–0.3 s for an 80-node graph at 1×): servers should go
 * through the job workers (src/jobs/), which run this in their threads.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initWasm, Resvg, type ResvgRenderOptions } from '@resvg/resvg-wasm';
import { OptionsError, RenderError } from '../errors.js';
import { renderDot } from './graphviz.js';
import { encodePng } from './png-encode.js';

export interface PngOptions {
  /** Multiplies the SVG's own size in CSS px; (0, 4], default 1. */
  scale?: number;
  /**
   * Cap on width × height in pixels, default 40 MP (160 MB of RGBA while encoding). A bigger image is
   * not refused but scaled down to fit, keeping its aspect ratio; read the result's size from its IHDR
   * (pngSize). Only a shape so thin that no scale fits (a side would be under one pixel) is refused.
   */
  maxPixels?: number;
  /** CSS colour painted under the image, default "white"; "transparent" keeps an alpha channel. */
  background?: string;
  /**
   * The font for every family the PNG fonts do not have by name. resvg-wasm 2.6 maps all generic
   * families (serif, sans-serif, …) to one default font, ignoring its serifFamily/sansSerifFamily
   * options, so "Times,serif" and "Verdana, sans-serif" cannot both resolve to the right face.
   * Default: guessed from the SVG's first font-family — 'sans-serif' if it names sans-serif
   * or a sans face (flame graphs: Verdana), else 'serif' (Graphviz: Times).
   */
  defaultFont?: 'serif' | 'sans-serif';
}

export const MAX_SCALE = 4;
export const DEFAULT_MAX_PIXELS = 40_000_000;
/** Upper bound for maxPixels itself: the pixmap lives in a 32-bit WASM heap (4 GiB at most). */
export const HARD_MAX_PIXELS = 200_000_000;
const DEFAULT_BACKGROUND = 'white';

/** The fonts, relative to build/src/render/ (compiled) — same layout as templates/ in server/page.ts. */
const FONT_DIR = new URL('../../../fonts/', import.meta.url);
const SERIF = 'Liberation Serif';
const SANS = 'Liberation Sans';
/** Sans faces an SVG may name first (lower case); with no such name or sans-serif the default is serif. */
const SANS_NAMES = new Set(['sans-serif', 'verdana', 'arial', 'helvetica', 'dejavu sans', 'liberation sans']);
/** Sans Bold: the unfurl card's title and figures (resvg does not embolden a regular face). */
const FONT_FILES = ['LiberationSerif-Regular.ttf', 'LiberationSans-Regular.ttf', 'LiberationSans-Bold.ttf'];

export interface Rasteriser {
  /** The font files' bytes. resvg takes them with every render (it keeps no font state between
   * renders); handing them over costs well under a millisecond, measured on a 1×1 SVG. */
  fonts: Uint8Array[];
}

let loading: Promise<Rasteriser> | undefined;

/**
 * Compiles resvg's WASM (~45 ms) and reads the fonts, once per thread. A failure is not memoised,
 * so a later call retries (resvg marks itself initialised only on success).
 */
export function loadRasteriser(): Promise<Rasteriser> {
  if (!loading) {
    loading = (async () => {
      const wasm = readFileSync(createRequire(import.meta.url).resolve('@resvg/resvg-wasm/index_bg.wasm'));
      const fonts = FONT_FILES.map((name) => new Uint8Array(readFileSync(new URL(name, FONT_DIR))));
      await initWasm(wasm);
      return { fonts };
    })().catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
  }
  return loading;
}

/** Which Liberation face stands in for families we do not have: see PngOptions.defaultFont. */
function defaultFamily(svg: string, choice: PngOptions['defaultFont']): string {
  if (choice === 'serif') return SERIF;
  if (choice === 'sans-serif') return SANS;
  if (choice !== undefined) throw new OptionsError(`defaultFont must be serif or sans-serif, got ${String(choice)}`, 'defaultFont');
  // The first declaration, as an attribute (font-family="…") or CSS (font-family: …).
  const first = /font-family\s*(?:=\s*["']|:)([^"';}<>]*)/i.exec(svg);
  const families = (first?.[1] ?? '').split(',').map((f) => f.trim().replace(/^["']|["']$/g, '').toLowerCase());
  return families.some((f) => SANS_NAMES.has(f)) ? SANS : SERIF;
}

function checkOptions(opts: PngOptions): { scale: number; maxPixels: number; background: string } {
  const scale = opts.scale ?? 1;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0 || scale > MAX_SCALE) {
    throw new OptionsError(`scale must be a number above 0 and at most ${MAX_SCALE}, got ${String(scale)}`, 'scale');
  }
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isInteger(maxPixels) || maxPixels < 1 || maxPixels > HARD_MAX_PIXELS) {
    throw new OptionsError(`maxPixels must be an integer from 1 to ${HARD_MAX_PIXELS}, got ${maxPixels}`, 'maxPixels');
  }
  const background = opts.background ?? DEFAULT_BACKGROUND;
  // resvg parses the colour itself; check it here so a bad one is the caller's error, not the SVG's.
  if (background.length > 64) throw new OptionsError('background is not a CSS colour (too long)', 'background');
  // (It is read at render time, not parse time, hence a 1×1 render.)
  const probe = new Resvg('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>', { background });
  try {
    probe.render().free();
  } catch {
    throw new OptionsError(`background is not a CSS colour: ${JSON.stringify(background)}`, 'background');
  } finally {
    probe.free();
  }
  return { scale, maxPixels, background };
}

/** The root element's start tag, past any prolog; '' if there is none. */
function rootTag(svg: string): string {
  const match = /<svg[\s>][^>]*>/.exec(svg);
  return match ? match[0] : '';
}

/**
 * The zoom that keeps the rendered image within maxPixels. resvg rounds the SVG's size to whole px
 * before reporting it and the output size up, so one extra pixel per side is allowed for.
 */
function fitZoom(width: number, height: number, scale: number, maxPixels: number): number {
  const pixels = (z: number) => Math.ceil((width + 1) * z) * Math.ceil((height + 1) * z);
  if (pixels(scale) <= maxPixels) return scale;
  // Shrink toward the area limit, then step down a little if rounding up still overshoots.
  let zoom = Math.sqrt(maxPixels / ((width + 1) * (height + 1)));
  for (let i = 0; i < 8 && pixels(zoom) > maxPixels; i++) zoom *= 0.999;
  if (pixels(zoom) > maxPixels || Math.min(width, height) * zoom < 1) {
    throw new RenderError(
      `the image is ${width}×${height} px: no scale fits it into ${maxPixels} pixels without a side under 1 px`,
    );
  }
  return zoom;
}

/** resvg's pixels are premultiplied by alpha; PNG stores straight colour. Opaque pixels are left as they are. */
function unpremultiply(rgba: Uint8Array): void {
  for (let i = 3; i < rgba.length; i += 4) {
    const a = rgba[i]!;
    if (a === 255 || a === 0) continue;
    for (let c = i - 3; c < i; c++) rgba[c] = Math.min(255, Math.round((rgba[c]! * 255) / a));
  }
}

/**
 * Rasterises a standalone SVG (see the module comment for which) to PNG bytes. Throws OptionsError
 * for a bad scale or background, RenderError for SVG resvg cannot read, an SVG without an intrinsic
 * size (finishSvg's output) or a shape no allowed size fits.
 */
export async function svgToPng(svg: string, opts: PngOptions = {}): Promise<Uint8Array> {
  const { fonts } = await loadRasteriser();
  const { scale, maxPixels, background } = checkOptions(opts);

  const root = rootTag(svg);
  if (/\s(width|height)\s*=\s*["'][^"']*%/.test(root) && !/\sviewBox\s*=/.test(root)) {
    throw new RenderError(
      'the SVG has no intrinsic size (width/height in %, no viewBox), e.g. the interactive graph from finishSvg: rasterise Graphviz\'s raw SVG instead',
    );
  }

  const family = defaultFamily(svg, opts.defaultFont);
  const options = (zoom: number): ResvgRenderOptions => ({
    font: { fontBuffers: fonts, defaultFontFamily: family },
    fitTo: { mode: 'zoom', value: zoom },
    background,
  });

  let resvg: InstanceType<typeof Resvg> | undefined;
  let image: ReturnType<InstanceType<typeof Resvg>['render']> | undefined;
  try {
    try {
      resvg = new Resvg(svg, options(scale));
    } catch (err) {
      throw new RenderError(`cannot read the SVG: ${err instanceof Error ? err.message : String(err)}`);
    }
    // The zoom is fixed at parse time; parse again only in the rare oversized case.
    const zoom = fitZoom(resvg.width, resvg.height, scale, maxPixels);
    if (zoom !== scale) {
      resvg.free();
      resvg = new Resvg(svg, options(zoom));
    }
    image = resvg.render();
    const { width, height } = image;
    const pixels = image.pixels; // a copy out of the WASM heap, ours to change
    unpremultiply(pixels);
    return encodePng(pixels, width, height);
  } finally {
    image?.free();
    resvg?.free();
  }
}

/**
 * Lays out DOT with Graphviz and rasterises Graphviz's raw SVG (its own size in pt, white page,
 * no pan/zoom script). Errors as renderDot and svgToPng.
 */
export async function dotToPng(dot: string, opts: PngOptions = {}): Promise<Uint8Array> {
  const svg = await renderDot(dot, 'svg');
  // The same fix-up finishSvg applies: some Graphviz versions emit "&;", which is not XML.
  return svgToPng(svg.replaceAll('&;', '&amp;;'), opts);
}
