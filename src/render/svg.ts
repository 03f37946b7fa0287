/**
 * Post-processing of Graphviz SVG into pprof-style interactive SVG (spec §9.8): the root element
 * fills the window, the graph sits in a <g id="viewport"> whose transform a small script of our
 * own drives (wheel zoom around the pointer, drag to pan, double-click to fit again).
 *
 * The input is Graphviz's own output, not arbitrary XML: Graphviz escapes every user-supplied
 * string (names, labels, tooltips; also inside comments), so `<g id="graph0"` and `</svg>` can
 * only appear as markup, and a small scan of the prolog is enough to find the root tag.
 */
import { RenderError } from '../errors.js';

/**
 * Size of the window the static initial transform fits the graph into. The script refits to the
 * real window at load; this only matters where scripts do not run (e.g. an <img> element).
 */
const FALLBACK_VIEW = { width: 1280, height: 800 };

/**
 * The pan/zoom script. Plain ES5-ish so any browser that opens a standalone .svg runs it. It only
 * reads the DOM and writes the viewport's transform attribute: no innerHTML, no eval, no network.
 * Kept free of "]]>" so it can sit in a CDATA section.
 */
export const PAN_ZOOM_SCRIPT = `(function () {
  'use strict';
  var viewport = document.getElementById('viewport');
  var svg = viewport && viewport.ownerSVGElement;
  if (!svg) return;
  var MIN_SCALE = 0.005, MAX_SCALE = 50, MARGIN = 0.97, WHEEL_RATE = 0.0015;
  // Start from the transform finishSvg wrote: translate(x y) scale(s) = matrix(s 0 0 s x y).
  var start = viewport.transform.baseVal.consolidate();
  var scale = start ? start.matrix.a : 1;
  var x = start ? start.matrix.e : 0;
  var y = start ? start.matrix.f : 0;
  var moved = false;

  function apply() {
    viewport.setAttribute('transform', 'translate(' + x + ' ' + y + ') scale(' + scale + ')');
  }

  // Fit the whole graph into the area the root <svg> covers, centred.
  function fit() {
    var box, area;
    try {
      box = viewport.getBBox();
      area = svg.getBoundingClientRect();
    } catch (e) {
      return false;
    }
    if (!box.width || !box.height || !area.width || !area.height) return false;
    scale = Math.min(area.width / box.width, area.height / box.height) * MARGIN;
    x = (area.width - box.width * scale) / 2 - box.x * scale;
    y = (area.height - box.height * scale) / 2 - box.y * scale;
    apply();
    return true;
  }

  // The root has no viewBox, so one user unit is one CSS pixel from the svg's top-left corner.
  function pointer(e) {
    var area = svg.getBoundingClientRect();
    return { x: e.clientX - area.left, y: e.clientY - area.top };
  }

  svg.addEventListener('wheel', function (e) {
    e.preventDefault();
    moved = true;
    var unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
    var next = scale * Math.exp(-e.deltaY * unit * WHEEL_RATE);
    next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, next));
    var p = pointer(e);
    var factor = next / scale;
    // Keep the graph point under the pointer where it is.
    x = p.x - (p.x - x) * factor;
    y = p.y - (p.y - y) * factor;
    scale = next;
    apply();
  }, { passive: false });

  var drag = null;
  svg.addEventListener('pointerdown', function (e) {
    if (e.button !== 0) return;
    e.preventDefault();
    moved = true;
    drag = { id: e.pointerId, dx: e.clientX - x, dy: e.clientY - y };
    if (svg.setPointerCapture) svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener('pointermove', function (e) {
    if (!drag || e.pointerId !== drag.id) return;
    x = e.clientX - drag.dx;
    y = e.clientY - drag.dy;
    apply();
  });
  function release(e) {
    if (drag && e.pointerId === drag.id) drag = null;
  }
  svg.addEventListener('pointerup', release);
  svg.addEventListener('pointercancel', release);
  svg.addEventListener('dblclick', function (e) {
    e.preventDefault();
    fit();
  });

  // The script sits at the end of the document, so the graph is parsed; if layout is not ready
  // yet, fit once the document has loaded, unless the user has started moving things.
  if (!fit()) {
    window.addEventListener('load', function () {
      if (!moved) fit();
    });
  }
})();`;

/** Position just past the XML prolog (declaration, doctype, comments), i.e. at the root tag. */
function skipProlog(svg: string): number {
  let pos = 0;
  for (;;) {
    while (pos < svg.length && /\s/.test(svg[pos]!)) pos++;
    const closer = svg.startsWith('<?', pos) ? '?>'
      : svg.startsWith('<!--', pos) ? '-->'
      : svg.startsWith('<!', pos) ? '>' // DOCTYPE; Graphviz writes no internal subset
      : undefined;
    if (closer === undefined) return pos;
    const end = svg.indexOf(closer, pos);
    if (end < 0) return -1;
    pos = end + closer.length;
  }
}

/** Index of the `>` ending the start tag at `from`, skipping quoted attribute values. */
function endOfTag(svg: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < svg.length; i++) {
    const c = svg[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      return i;
    }
  }
  return -1;
}

const ATTRIBUTE = /([^\s=]+)\s*=\s*("[^"]*"|'[^']*')/g;

/** The graph's size in user units, from the root viewBox (Graphviz always writes one). */
function graphSize(viewBox: string | undefined): { width: number; height: number } | undefined {
  if (viewBox === undefined) return undefined;
  const parts = viewBox.trim().split(/[\s,]+/).map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) return undefined;
  const [, , width, height] = parts as [number, number, number, number];
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/** A number short enough for an attribute, without exponent notation. */
function fmt(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}

/**
 * Turns Graphviz SVG into the interactive SVG we serve. Throws RenderError if the input does not
 * look like Graphviz SVG (no root <svg>, no <g id="graph0">, no closing </svg>).
 */
export function finishSvg(svg: string): string {
  const rootStart = skipProlog(svg);
  if (rootStart < 0 || !/^<svg[\s>]/.test(svg.slice(rootStart, rootStart + 5))) {
    throw new RenderError('not Graphviz SVG: no root <svg> element');
  }
  const rootEnd = endOfTag(svg, rootStart);
  if (rootEnd < 0) throw new RenderError('not Graphviz SVG: unterminated <svg> tag');
  const graphStart = svg.indexOf('<g id="graph0"', rootEnd);
  const closeRoot = svg.lastIndexOf('</svg>');
  if (graphStart < 0 || closeRoot < graphStart) {
    throw new RenderError('not Graphviz SVG: no <g id="graph0"> inside the root element');
  }

  // Rebuild the root tag: drop the fixed size, keep everything else (namespaces).
  const rootTag = svg.slice(rootStart, rootEnd);
  const kept: string[] = [];
  let viewBox: string | undefined;
  for (const [, name, quoted] of rootTag.matchAll(ATTRIBUTE)) {
    if (name === 'viewBox') viewBox = quoted!.slice(1, -1);
    if (name === 'width' || name === 'height' || name === 'viewBox') continue;
    kept.push(`${name}=${quoted}`);
  }
  const selfClosing = rootTag.endsWith('/');
  if (selfClosing) throw new RenderError('not Graphviz SVG: empty root element');
  const newRoot = ['<svg width="100%" height="100%"', ...kept].join(' ');

  // Static first view: the whole graph inside FALLBACK_VIEW, never enlarged.
  const size = graphSize(viewBox);
  const scale = size
    ? Math.min(1, FALLBACK_VIEW.width / size.width, FALLBACK_VIEW.height / size.height)
    : 1;
  const viewportOpen = `<g id="viewport" transform="translate(0 0) scale(${fmt(scale)})">\n`;
  const script = `<script type="text/ecmascript"><![CDATA[\n${PAN_ZOOM_SCRIPT}\n]]></script>\n`;

  const out =
    svg.slice(0, rootStart) +
    newRoot +
    svg.slice(rootEnd, graphStart) +
    viewportOpen +
    svg.slice(graphStart, closeRoot) +
    '</g>\n' +
    script +
    svg.slice(closeRoot);
  // pprof's fix-up for a stray entity some Graphviz versions emit; "&;" is never valid XML.
  return out.replaceAll('&;', '&amp;;');
}
