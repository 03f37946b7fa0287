/*
 * hotpath viewer: the call graph. The server's SVG is parsed with DOMParser into an inert XML
 * document (nothing there runs or loads), then REBUILT element by element from an allowlist of
 * shapes and presentation attributes: no <script>, <foreignObject>, <style>, <image>, <use>, no on*
 * attributes, no hrefs. It is rebuilt rather than framed because the page must see node clicks.
 * Pan and zoom move the viewBox.
 */
(function (hp) {
  'use strict';

  var SVG_NS = 'http://www.w3.org/2000/svg';
  var XLINK_NS = 'http://www.w3.org/1999/xlink';
  var XML_NS = 'http://www.w3.org/XML/1998/namespace';

  // The one place markup is parsed, through the one Trusted Types policy the page's CSP allows.
  var svgPolicy = window.trustedTypes
    ? window.trustedTypes.createPolicy('hotpath-svg', {
        // Only ever handed to DOMParser for an image/svg+xml document, which is inert; its nodes are
        // then copied through the allowlist below, never inserted as they are.
        createHTML: function (s) { return s; }
      })
    : null;

  function parseSvg(text) {
    var doc = new DOMParser().parseFromString(svgPolicy ? svgPolicy.createHTML(text) : text, 'image/svg+xml');
    var top = doc.documentElement;
    if (!top || top.localName !== 'svg' || top.namespaceURI !== SVG_NS || doc.getElementsByTagNameNS('*', 'parsererror').length > 0) {
      throw new Error('the server sent a graph this page cannot read');
    }
    return top;
  }

  var SHAPES = { g: 1, title: 1, polygon: 1, polyline: 1, path: 1, ellipse: 1, circle: 1, rect: 1, line: 1, text: 1, tspan: 1, a: 1 };
  var ATTRIBUTES = [
    'fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-opacity', 'opacity',
    'points', 'd', 'x', 'y', 'dx', 'dy', 'cx', 'cy', 'r', 'rx', 'ry', 'x1', 'y1', 'x2', 'y2', 'width', 'height',
    'transform', 'font-family', 'font-size', 'font-weight', 'font-style', 'text-anchor', 'text-decoration'
  ];
  var CLASSES = { graph: 1, node: 1, edge: 1, cluster: 1 };

  /** pprof's node tooltip is "name (value)": the name is everything before the last " (…)". */
  function nameFromTooltip(tooltip) {
    return tooltip.replace(/ \([^()]*\)$/, '');
  }

  function directTitle(el) {
    for (var c = el.firstElementChild; c; c = c.nextElementSibling) {
      if (c.localName === 'title') return c.textContent || '';
    }
    return '';
  }

  function firstTooltip(el) {
    var links = el.getElementsByTagNameNS(SVG_NS, 'a');
    for (var i = 0; i < links.length; i++) {
      var t = links[i].getAttributeNS(XLINK_NS, 'title') || links[i].getAttribute('title');
      if (t) return t;
    }
    return '';
  }

  /** Copies `from`'s children into `into` through the allowlist. */
  function rebuild(from, into) {
    for (var c = from.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === Node.TEXT_NODE) {
        var parent = into.localName;
        if (parent === 'text' || parent === 'tspan' || parent === 'title') into.appendChild(document.createTextNode(c.nodeValue));
        continue;
      }
      if (c.nodeType !== Node.ELEMENT_NODE || c.namespaceURI !== SVG_NS || !SHAPES[c.localName]) continue;
      var name = c.localName;
      // hotpath's own pan/zoom state: this page does its own.
      if (name === 'g' && c.getAttribute('id') === 'viewport') {
        rebuild(c, into);
        continue;
      }
      // Graphviz titles are ids (N1, N1->N4); the tooltip of the <a> inside is the useful text.
      if (name === 'title') continue;
      if (name === 'a') {
        var group = document.createElementNS(SVG_NS, 'g');
        var tooltip = c.getAttributeNS(XLINK_NS, 'title') || c.getAttribute('title');
        if (tooltip) {
          var title = document.createElementNS(SVG_NS, 'title');
          title.textContent = tooltip;
          group.appendChild(title);
        }
        rebuild(c, group);
        into.appendChild(group);
        continue;
      }
      var el = document.createElementNS(SVG_NS, name);
      ATTRIBUTES.forEach(function (attr) {
        var v = c.getAttribute(attr);
        // url(…) could point at something outside the document; Graphviz output never needs it.
        if (v !== null && !/url\s*\(|javascript:/i.test(v)) el.setAttribute(attr, v);
      });
      if (c.getAttributeNS(XML_NS, 'space') === 'preserve') el.setAttributeNS(XML_NS, 'xml:space', 'preserve');
      var classes = (c.getAttribute('class') || '').split(/\s+/).filter(function (k) { return CLASSES[k]; });
      if (classes.length > 0) el.setAttribute('class', classes.join(' '));
      // A function node (N1, N2, …; not the legend box) gets its full name, for clicks and search.
      if (classes.indexOf('node') >= 0 && /^N\d+$/.test(directTitle(c))) {
        var full = firstTooltip(c);
        if (full) el.setAttribute('data-name', nameFromTooltip(full));
      }
      rebuild(c, el);
      into.appendChild(el);
    }
  }

  function buildGraph(source) {
    var svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'call graph');
    var content = document.createElementNS(SVG_NS, 'g');
    content.setAttribute('class', 'content');
    rebuild(source, content);
    svg.appendChild(content);
    return svg;
  }

  /** graph points per CSS pixel at which pprof's smallest labels (8 pt) are still legible */
  var READABLE_SCALE = 1.25;
  var PAD = 12;

  /**
   * The graph view in `stage`. `onNode(name)` is called for a click on a function node (not after a
   * drag). Returns what the page drives it with.
   */
  hp.createGraphView = function (stage, onNode) {
    /** user units per CSS pixel (s) and the top-left corner (x, y) of what the stage shows */
    var view = null;
    var fitScale = 1;
    var drag = null;
    var swallowClick = false;

    function currentSvg() {
      return stage.querySelector('svg');
    }

    function stageSize() {
      return { w: Math.max(stage.clientWidth, 1), h: Math.max(stage.clientHeight, 1) };
    }

    function applyView() {
      var svg = currentSvg();
      if (!svg || !view) return;
      var size = stageSize();
      svg.setAttribute('viewBox', [view.x, view.y, size.w * view.s, size.h * view.s].join(' '));
    }

    /** Fits the whole graph in the stage, centred. */
    function fit() {
      var svg = currentSvg();
      if (!svg) return;
      var box = svg.querySelector('g.content').getBBox();
      var size = stageSize();
      var s = Math.max((box.width + 2 * PAD) / size.w, (box.height + 2 * PAD) / size.h, 1e-3);
      fitScale = s;
      view = {
        s: s,
        x: box.x - PAD - (size.w * s - box.width - 2 * PAD) / 2,
        y: box.y - PAD - (size.h * s - box.height - 2 * PAD) / 2
      };
      applyView();
    }

    /**
     * The first view of a graph: all of it when its labels stay readable that way; otherwise readable
     * labels from the top, centred on the topmost function (where the hot path starts). Double-click
     * or "fit" shows everything.
     */
    function firstView() {
      fit();
      if (!view || view.s <= READABLE_SCALE) return;
      var svg = currentSvg();
      var box = svg.querySelector('g.content').getBBox();
      var size = stageSize();
      var centre = box.x + box.width / 2;
      var topmost = null;
      svg.querySelectorAll('g.node[data-name]').forEach(function (g) {
        var b = g.getBBox();
        if (topmost === null || b.y < topmost.y) topmost = b;
      });
      if (topmost) centre = topmost.x + topmost.width / 2;
      var s = READABLE_SCALE;
      var half = (size.w * s) / 2;
      if (box.width + 2 * PAD <= 2 * half) centre = box.x + box.width / 2;
      else centre = Math.min(Math.max(centre, box.x - PAD + half), box.x + box.width + PAD - half);
      view = { s: s, x: centre - half, y: box.y - PAD };
      applyView();
    }

    function zoomAt(px, py, factor) {
      if (!view) return;
      var s = Math.min(Math.max(view.s * factor, fitScale / 40), fitScale * 4);
      var ux = view.x + px * view.s;
      var uy = view.y + py * view.s;
      view = { s: s, x: ux - px * s, y: uy - py * s };
      applyView();
    }

    function zoomCentre(factor) {
      var size = stageSize();
      zoomAt(size.w / 2, size.h / 2, factor);
    }

    stage.addEventListener('wheel', function (e) {
      if (!view) return;
      e.preventDefault();
      var r = stage.getBoundingClientRect();
      var delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      zoomAt(e.clientX - r.left, e.clientY - r.top, Math.exp(delta * 0.0015));
    }, { passive: false });

    stage.addEventListener('pointerdown', function (e) {
      if (e.button !== 0 || !view) return;
      drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false };
    });
    window.addEventListener('pointermove', function (e) {
      if (!drag) return;
      var dx = e.clientX - drag.x;
      var dy = e.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 5) return;
      drag.moved = true;
      stage.classList.add('dragging');
      view.x = drag.vx - dx * view.s;
      view.y = drag.vy - dy * view.s;
      applyView();
    });
    window.addEventListener('pointerup', function () {
      if (!drag) return;
      swallowClick = drag.moved;
      drag = null;
      stage.classList.remove('dragging');
    });
    stage.addEventListener('dblclick', function (e) {
      e.preventDefault();
      fit();
    });
    stage.addEventListener('keydown', function (e) {
      if (e.key === '+' || e.key === '=') zoomCentre(1 / 1.25);
      else if (e.key === '-') zoomCentre(1.25);
      else if (e.key === '0') fit();
      else return;
      e.preventDefault();
    });
    if (window.ResizeObserver) new ResizeObserver(applyView).observe(stage);

    stage.addEventListener('click', function (e) {
      if (swallowClick) {
        swallowClick = false;
        return;
      }
      var node = e.target instanceof Element ? e.target.closest('g.node[data-name]') : null;
      if (node) onNode(node.getAttribute('data-name'));
    });

    return {
      /** Replaces the graph with the server's SVG text (throws when it cannot be read). */
      show: function (text) {
        stage.replaceChildren(buildGraph(parseSvg(text)));
        firstView();
      },
      clear: function () {
        view = null;
      },
      hasGraph: function () {
        return !!currentSvg();
      },
      fitIfUnplaced: function () {
        if (view === null && currentSvg()) fit();
        else applyView();
      },
      fit: fit,
      zoomIn: function () { zoomCentre(1 / 1.25); },
      zoomOut: function () { zoomCentre(1.25); },
      /** Marks the nodes `isMatch(name)` says yes to; returns how many. */
      highlight: function (isMatch) {
        var n = 0;
        stage.querySelectorAll('g.node[data-name]').forEach(function (g) {
          var on = isMatch !== null && isMatch(g.getAttribute('data-name'));
          g.classList.toggle('match', on);
          if (on) n++;
        });
        stage.classList.toggle('searching', isMatch !== null);
        return n;
      }
    };
  };
})(window.hotpath = window.hotpath || {});
