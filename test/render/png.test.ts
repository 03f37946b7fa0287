/**
 * SVG → PNG: a valid PNG of the right size, text really drawn with the bundled fonts (Liberation
 * Serif with Times' metrics, so call-graph labels fill their boxes as Graphviz sized them), big
 * images scaled down to the pixel budget, bad input refused with typed errors, and PNG jobs in the
 * render pool. PNGs are read back with an independent decoder (png-decode.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OptionsError, RenderError, RenderTimeoutError } from '../../src/errors.js';
import { parseOptions } from '../../src/options.js';
import { loadProfile } from '../../src/profile/load.js';
import { produceReport } from '../../src/reports.js';
import { renderDot } from '../../src/render/graphviz.js';
import { encodePng, pngSize } from '../../src/render/png-encode.js';
import { DEFAULT_MAX_PIXELS, dotToPng, svgToPng } from '../../src/render/png.js';
import { WorkerPool } from '../../src/jobs/pool.js';
import { finishSvg } from '../../src/render/svg.js';
import { CORPUS } from '../support/goldens.js';
import { decodePng, type DecodedPng } from './png-decode.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const shopdCpu = () => loadProfile(readFileSync(path.join(CORPUS, 'profiles/shopd/cpu.pb.gz'))).profile;

function pixel(img: DecodedPng, x: number, y: number): [number, number, number, number] {
  const i = (y * img.width + x) * 4;
  return [img.rgba[i]!, img.rgba[i + 1]!, img.rgba[i + 2]!, img.rgba[i + 3]!];
}

/** Pixels in the rectangle that are not pure white. */
function inked(img: DecodedPng, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const [r, g, b] = pixel(img, x, y);
      if (r !== 255 || g !== 255 || b !== 255) n++;
    }
  }
  return n;
}

/** Leftmost and rightmost columns holding a dark pixel in the rectangle, or undefined. */
function inkSpan(img: DecodedPng, x0: number, y0: number, x1: number, y1: number): { left: number; right: number } | undefined {
  let left = Infinity;
  let right = -Infinity;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const [r, g, b] = pixel(img, x, y);
      if (r < 120 && g < 120 && b < 120) {
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  return left === Infinity ? undefined : { left, right };
}

const wordSvg = (text: string, family = 'Times,serif') =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="60" viewBox="0 0 240 60">` +
  `<rect width="240" height="60" fill="white"/>` +
  `<text x="20" y="44" font-family="${family}" font-size="32">${text}</text></svg>`;

test('the encoder writes PNG that an independent decoder reads back pixel for pixel', () => {
  const width = 7;
  const height = 5;
  const rgba = new Uint8Array(width * height * 4).map((_, i) => (i * 37 + (i >> 3)) & 0xff);
  const png = encodePng(rgba, width, height);
  assert.deepEqual([...png.subarray(0, 8)], SIGNATURE);
  assert.deepEqual(pngSize(png), { width, height });
  const back = decodePng(png);
  assert.deepEqual([back.width, back.height], [width, height]);
  assert.deepEqual(back.rgba, rgba);
  assert.throws(() => encodePng(rgba, width + 1, height), RangeError);
  assert.throws(() => pngSize(new Uint8Array(30)), /not a PNG/);
});

test('PNG signature and IHDR size follow the SVG size, pt as 4/3 px, times scale', async () => {
  const px = await svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="50" height="50" fill="red"/></svg>');
  assert.deepEqual([...px.subarray(0, 8)], SIGNATURE);
  assert.equal(String.fromCharCode(...px.subarray(12, 16)), 'IHDR');
  assert.deepEqual(pngSize(px), { width: 200, height: 100 });
  const img = decodePng(px);
  assert.deepEqual(pixel(img, 10, 10), [255, 0, 0, 255]);
  assert.deepEqual(pixel(img, 150, 80), [255, 255, 255, 255], 'white background by default');

  const pt = '<svg xmlns="http://www.w3.org/2000/svg" width="75pt" height="30pt" viewBox="0 0 75 30"/>';
  assert.deepEqual(pngSize(await svgToPng(pt)), { width: 100, height: 40 });
  assert.deepEqual(pngSize(await svgToPng(pt, { scale: 2 })), { width: 200, height: 80 });
  assert.deepEqual(pngSize(await svgToPng(pt, { scale: 0.5 })), { width: 50, height: 20 });
});

test('a transparent background keeps alpha, with straight (not premultiplied) colour', async () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="2" height="4" fill="red" fill-opacity="0.5"/></svg>';
  const img = decodePng(await svgToPng(svg, { background: 'transparent' }));
  const [r, g, b, a] = pixel(img, 0, 0);
  assert.ok(Math.abs(a - 128) <= 1, `alpha ${a}`);
  assert.ok(r >= 254 && g === 0 && b === 0, `colour ${r},${g},${b}`);
  assert.deepEqual(pixel(img, 3, 3), [0, 0, 0, 0]);
});

test('text is drawn with the bundled fonts: ink where the word is, none without it', async () => {
  // The word's box: x from 20, baseline 44, 32 px high (ascenders reach ~y 15).
  const withText = decodePng(await svgToPng(wordSvg('Hotpath')));
  const without = decodePng(await svgToPng(wordSvg('')));
  assert.ok(inked(withText, 15, 10, 200, 55) > 300, 'the word left ink');
  assert.equal(inked(withText, 0, 0, 240, 8), 0, 'nothing above the word');
  assert.equal(inked(without, 0, 0, 240, 60), 0, 'no text, no ink');

  // Liberation Serif has Times' advance widths: "Hotpath" at 32 px is about 100 px wide in Times.
  const span = inkSpan(withText, 0, 0, 240, 60)!;
  const width = span.right - span.left + 1;
  assert.ok(width > 85 && width < 115, `ink width ${width}`);

  // A family we do not ship falls back to a bundled face instead of dropping the text.
  const unknown = decodePng(await svgToPng(wordSvg('Hotpath', 'No Such Font')));
  assert.ok(inked(unknown, 15, 10, 200, 55) > 300);
});

test('sans-serif SVGs (flame graphs) get Liberation Sans, serif ones Liberation Serif', async () => {
  const serif = decodePng(await svgToPng(wordSvg('2048 mm', 'Times,serif')));
  const sans = decodePng(await svgToPng(wordSvg('2048 mm', 'Verdana, sans-serif')));
  const forced = decodePng(await svgToPng(wordSvg('2048 mm', 'Times,serif'), { defaultFont: 'sans-serif' }));
  assert.notDeepEqual(serif.rgba, sans.rgba);
  assert.deepEqual(forced.rgba, sans.rgba);
  // Arial's digits and m are wider than Times'.
  const w = (img: DecodedPng) => { const s = inkSpan(img, 0, 0, 240, 60)!; return s.right - s.left; };
  assert.ok(w(sans) > w(serif), `${w(sans)} vs ${w(serif)}`);
});

test('the shopd CPU call graph: raw Graphviz SVG → PNG at its own size, labels filling their boxes as Graphviz sized them', async () => {
  const dot = produceReport(shopdCpu(), 'svg', parseOptions({})).text;
  const svg = await renderDot(dot, 'svg');
  const png = await svgToPng(svg);
  const size = pngSize(png);
  const [, wPt, hPt] = /<svg width="([\d.]+)pt" height="([\d.]+)pt"/.exec(svg)!.map(Number);
  assert.deepEqual(size, { width: Math.round((wPt! * 4) / 3), height: Math.round((hPt! * 4) / 3) });
  assert.ok(size.width * size.height <= DEFAULT_MAX_PIXELS);
  assert.ok(png.length < 2_000_000, `${png.length} bytes`);
  assert.deepEqual(pngSize(await dotToPng(dot)), size, 'dotToPng is the same path');

  // Every node box, in PNG pixels: Graphviz's coordinates, moved by the graph's translate, pt → px.
  const [, tx, ty] = /<g id="graph0"[^>]*translate\(([-\d.]+) ([-\d.]+)\)/.exec(svg)!.map(Number);
  const boxes = [...svg.matchAll(/<g id="node\d+" class="node">\s*<title>[^<]*<\/title>\s*(?:<g[^>]*>\s*<a[^>]*>\s*)?<polygon[^>]*points="([^"]+)"/g)]
    .map((m) => {
      const points = m[1]!.trim().split(/\s+/).map((p) => p.split(',').map(Number) as [number, number]);
      const xs = points.map(([x]) => ((x + tx!) * 4) / 3);
      const ys = points.map(([, y]) => ((y + ty!) * 4) / 3);
      return { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
    });
  assert.equal(boxes.length, svg.split('class="node"').length - 1, 'every node is a box');
  assert.ok(boxes.length >= 70, `${boxes.length} nodes`);

  // Graphviz makes a box as wide as its widest line in Times plus a fixed margin (0.11 in each side,
  // ~21 px in all here). With Times-metric glyphs the ink leaves that margin on every box; a wider
  // face (Liberation Sans, like the DejaVu fallback measured before) eats into it.
  const slack = (img: DecodedPng) => boxes.map((b) => {
    const span = inkSpan(img, Math.ceil(b.x0) + 3, Math.ceil(b.y0) + 3, Math.floor(b.x1) - 3, Math.floor(b.y1) - 3);
    assert.ok(span, 'every box has its label drawn');
    return b.x1 - b.x0 - (span.right - span.left + 1);
  });
  const serif = slack(decodePng(png));
  assert.ok(Math.min(...serif) > 19 && Math.max(...serif) < 27, `serif slack ${Math.min(...serif)}–${Math.max(...serif)} px`);
  const sans = slack(decodePng(await svgToPng(svg, { defaultFont: 'sans-serif' })));
  assert.ok(Math.min(...sans) < 15, `sans slack down to ${Math.min(...sans)} px: the check can tell fonts apart`);
});

test('the interactive SVG (finishSvg) is refused: it has no size of its own', async () => {
  const svg = await renderDot('digraph { a -> b }', 'svg');
  await assert.rejects(svgToPng(finishSvg(svg)), (err: unknown) => {
    assert.ok(err instanceof RenderError);
    assert.match(err.message, /no intrinsic size.*raw SVG/);
    return true;
  });
  assert.ok(pngSize(await svgToPng(svg)).width > 0, 'the raw SVG of the same graph renders');
});

test('the flame graph rasterises at its own 1200 px width', async () => {
  const svg = produceReport(shopdCpu(), 'flame', parseOptions({})).text;
  const png = await svgToPng(svg);
  const { width, height } = pngSize(png);
  assert.equal(width, 1200);
  assert.equal(height, Number(/<svg[^>]* height="(\d+)"/.exec(svg)![1]));
  // The title, centred at y 24 in 17 px type, is drawn (the background there is a grey gradient).
  const img = decodePng(png);
  const title = inkSpan(img, 300, 8, 900, 30);
  assert.ok(title && title.right - title.left > 100, 'title drawn');
});

test('an image over the pixel budget is scaled down to fit, keeping its aspect ratio', async () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="3000"><rect width="4000" height="3000" fill="#08f"/></svg>';
  const started = performance.now();
  const png = await svgToPng(svg, { scale: 4, maxPixels: 1_000_000 });
  const elapsed = performance.now() - started;
  const { width, height } = pngSize(png);
  assert.ok(width * height <= 1_000_000, `${width}×${height}`);
  assert.ok(width * height > 900_000, `not shrunk more than needed: ${width}×${height}`);
  assert.ok(Math.abs(width / height - 4 / 3) < 0.01);
  assert.ok(elapsed < 2000, `${elapsed} ms`);

  // The default budget applies too: 4× of 4000×3000 would be 192 MP.
  const big = pngSize(await svgToPng(svg, { scale: 4 }));
  assert.ok(big.width * big.height <= DEFAULT_MAX_PIXELS && big.width * big.height > 0.95 * DEFAULT_MAX_PIXELS);

  // Only a shape no scale can fit is refused, cleanly.
  const needle = '<svg xmlns="http://www.w3.org/2000/svg" width="100000000" height="1"/>';
  await assert.rejects(svgToPng(needle, { maxPixels: 1_000_000 }), (err: unknown) => {
    assert.ok(err instanceof RenderError);
    assert.match(err.message, /no scale fits/);
    return true;
  });
});

test('bad options and bad SVG are typed errors', async () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>';
  for (const scale of [0, -1, 4.5, Number.NaN]) {
    await assert.rejects(svgToPng(svg, { scale }), (err: unknown) => err instanceof OptionsError && err.option === 'scale');
  }
  await assert.rejects(svgToPng(svg, { background: 'not-a-colour' }), (err: unknown) => err instanceof OptionsError && err.option === 'background');
  await assert.rejects(svgToPng(svg, { maxPixels: 0 }), (err: unknown) => err instanceof OptionsError && err.option === 'maxPixels');
  assert.deepEqual(pngSize(await svgToPng(svg, { scale: 4 })), { width: 40, height: 40 });
  await assert.rejects(svgToPng('<svg'), RenderError);
  await assert.rejects(svgToPng('not svg at all'), RenderError);
});

test('the render pool makes PNGs off the main thread: from DOT, from SVG, with option errors typed', async () => {
  const pool = new WorkerPool({ size: 1 });
  try {
    const fromDot = await pool.renderPng({ dot: 'digraph { a -> b }' });
    assert.ok(fromDot instanceof Uint8Array);
    assert.deepEqual([...fromDot.subarray(0, 8)], SIGNATURE);
    const svg = await renderDot('digraph { a -> b }', 'svg');
    assert.deepEqual(pngSize(fromDot), pngSize(await svgToPng(svg)));

    const fromSvg = await pool.renderPng({ svg: wordSvg('Hotpath') }, { scale: 2 });
    assert.deepEqual(pngSize(fromSvg), { width: 480, height: 120 });
    assert.ok(inked(decodePng(fromSvg), 30, 20, 400, 110) > 1000, 'fonts load in the worker too');

    await assert.rejects(pool.renderPng({ svg }, { scale: 9 }), (err: unknown) => err instanceof OptionsError && err.option === 'scale');
    assert.equal(pool.stats().restarts, 0, 'refused options do not cost a worker');
    await assert.rejects(pool.renderPng({ dot: 'not dot' }), RenderError);
    assert.equal(pool.stats().restarts, 1, 'a Graphviz failure recycles the worker, as for SVG');

    // SVG jobs still work alongside.
    assert.ok((await pool.render('digraph { a -> b }')).includes('<g id="viewport"'));
    assert.equal(pool.stats().rendered, 3);

    // A big PNG runs in the worker: the event loop keeps ticking meanwhile.
    const shopdDot = produceReport(shopdCpu(), 'svg', parseOptions({})).text;
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 5);
    try {
      assert.ok(pngSize(await pool.renderPng({ dot: shopdDot })).width > 2000);
    } finally {
      clearInterval(ticker);
    }
    assert.ok(longestGap < 100, `event loop blocked for ${longestGap} ms`);

    // The same deadline rule: past it the job fails and the worker is replaced.
    await assert.rejects(pool.renderPng({ dot: shopdDot }, { deadlineMs: 20 }), RenderTimeoutError);
    assert.equal(pool.stats().restarts, 2);
    assert.deepEqual(pngSize(await pool.renderPng({ svg: wordSvg('ok') })), { width: 240, height: 60 });
  } finally {
    await pool.close();
  }
});
