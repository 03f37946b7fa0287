import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { renderDot } from '../../src/render/graphviz.js';
import { finishSvg, PAN_ZOOM_SCRIPT } from '../../src/render/svg.js';
import { RenderError } from '../../src/errors.js';

const shopdDot = readFileSync(
  new URL('../../../test/fixtures/corpus/golden/shopd.cpu.dot', import.meta.url),
  'utf8',
);

test('finished pprof SVG is valid XML with a full-window root and a viewport around graph0', async () => {
  const raw = await renderDot(shopdDot, 'svg');
  const svg = finishSvg(raw);
  assert.equal(XMLValidator.validate(svg), true);

  const rootTag = svg.match(/<svg\b[^>]*>/)![0];
  assert.match(rootTag, /^<svg width="100%" height="100%" /);
  assert.doesNotMatch(rootTag, /viewBox|pt"/);
  assert.match(rootTag, /xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(rootTag, /xmlns:xlink=/);

  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg);
  const viewport = doc.svg.g;
  assert.equal(viewport.id, 'viewport');
  assert.equal(viewport.g.id, 'graph0');
  assert.equal(doc.svg.script.type, 'text/ecmascript');
  assert.ok(doc.svg.script['#text'].includes('getElementById'), 'script is a child of the root');

  // The static view fits a 2030x2432 graph into 1280x800: scale 800/2432.
  const scale = Number(viewport.transform.match(/scale\(([^)]+)\)/)[1]);
  assert.ok(Math.abs(scale - 800 / 2432) < 1e-5, `scale ${scale}`);

  // Nothing of the graph is lost.
  assert.equal(svg.split('class="node"').length, raw.split('class="node"').length);
  assert.ok(svg.includes('>handleRequest</text>'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
});

test('&; becomes &amp;; as in pprof', () => {
  const raw =
    '<?xml version="1.0"?>\n<svg width="10pt" height="10pt" viewBox="0 0 10 10" xmlns="http://www.w3.org/2000/svg">\n' +
    '<g id="graph0" class="graph"><text>a&;b</text></g>\n</svg>\n';
  const svg = finishSvg(raw);
  assert.ok(svg.includes('<text>a&amp;;b</text>'));
  assert.equal(XMLValidator.validate(svg), true);
  // A small graph is not enlarged by the static transform.
  assert.ok(svg.includes('<g id="viewport" transform="translate(0 0) scale(1)">'));
});

test('input that is not Graphviz SVG is a RenderError', () => {
  assert.throws(() => finishSvg(''), RenderError);
  assert.throws(() => finishSvg('<html></html>'), RenderError);
  assert.throws(() => finishSvg('<svg xmlns="http://www.w3.org/2000/svg"><g id="x"/></svg>'), RenderError);
});

test('the pan/zoom script is self-contained and harmless', () => {
  for (const banned of ['innerHTML', 'outerHTML', 'eval', 'Function(', 'http', 'fetch', 'XMLHttpRequest', 'import', ']]>']) {
    assert.ok(!PAN_ZOOM_SCRIPT.includes(banned), `script contains ${banned}`);
  }
});

/** A minimal stand-in for the browser objects the script uses, recording what it changes. */
function fakeBrowser(initialScale: number) {
  const listeners = new Map<string, (e: object) => void>();
  const writes: [string, string][] = [];
  const svg = {
    addEventListener: (type: string, fn: (e: object) => void) => listeners.set(type, fn),
    getBoundingClientRect: () => ({ left: 10, top: 20, width: 1000, height: 500 }),
    setPointerCapture: () => undefined,
  };
  const viewport = {
    ownerSVGElement: svg,
    transform: { baseVal: { consolidate: () => ({ matrix: { a: initialScale, e: 0, f: 0 } }) } },
    // graph0 spans (0,0)-(2000,2000) in viewport coordinates
    getBBox: () => ({ x: 0, y: 0, width: 2000, height: 2000 }),
    setAttribute: (name: string, value: string) => writes.push([name, value]),
  };
  const document = { getElementById: (id: string) => (id === 'viewport' ? viewport : null) };
  const window = { addEventListener: () => undefined };
  vm.runInNewContext(PAN_ZOOM_SCRIPT, { document, window });
  const transform = () => {
    const [name, value] = writes.at(-1)!;
    assert.equal(name, 'transform');
    const m = value.match(/^translate\(([-\d.e]+) ([-\d.e]+)\) scale\(([-\d.e]+)\)$/)!;
    assert.ok(m, value);
    return { x: Number(m[1]), y: Number(m[2]), scale: Number(m[3]) };
  };
  const fire = (type: string, e: object) =>
    listeners.get(type)!({ preventDefault: () => undefined, pointerId: 1, button: 0, deltaMode: 0, ...e });
  return { transform, fire, writes };
}

test('script fits the graph at load, zooms around the pointer, pans by dragging', () => {
  const b = fakeBrowser(0.3);
  // Fit: 2000x2000 into 1000x500 → scale 0.25*0.97, centred horizontally.
  let t = b.transform();
  assert.ok(Math.abs(t.scale - 0.25 * 0.97) < 1e-9);
  assert.ok(Math.abs(t.x - (1000 - 2000 * t.scale) / 2) < 1e-9);

  // Zoom in with the pointer at (300, 200) inside the svg: that graph point stays put.
  const before = t;
  const graphPoint = { x: (300 - before.x) / before.scale, y: (200 - before.y) / before.scale };
  b.fire('wheel', { deltaY: -100, clientX: 310, clientY: 220 });
  t = b.transform();
  assert.ok(t.scale > before.scale);
  assert.ok(Math.abs(graphPoint.x * t.scale + t.x - 300) < 1e-6);
  assert.ok(Math.abs(graphPoint.y * t.scale + t.y - 200) < 1e-6);

  // Zoom out again by the same amount: back to the same scale.
  b.fire('wheel', { deltaY: 100, clientX: 310, clientY: 220 });
  assert.ok(Math.abs(b.transform().scale - before.scale) < 1e-9);

  // Drag by (50, 30).
  const start = b.transform();
  b.fire('pointerdown', { clientX: 100, clientY: 100 });
  b.fire('pointermove', { clientX: 150, clientY: 130 });
  b.fire('pointerup', {});
  b.fire('pointermove', { clientX: 400, clientY: 400 }); // released: no effect
  t = b.transform();
  assert.ok(Math.abs(t.x - start.x - 50) < 1e-9 && Math.abs(t.y - start.y - 30) < 1e-9);
  assert.equal(t.scale, start.scale);

  // Only the viewport transform was ever written.
  assert.ok(b.writes.every(([name]) => name === 'transform'));
});
