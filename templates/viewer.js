/*
 * hotpath viewer: the page at /p/{id}. Served from a content-hashed path under a CSP with
 * script-src 'self' and Trusted Types enforced.
 *
 * Rules this file keeps, because profile names are attacker-controlled (`<script>`, `<img onerror>`):
 * - Text from a profile or a server answer enters the page through textContent, createTextNode or
 *   setAttribute on inert attributes, never as markup. No innerHTML (Trusted Types would refuse it).
 * - The call graph SVG is parsed with DOMParser into an inert XML document (nothing there runs or
 *   loads), then REBUILT element by element from an allowlist of shapes and presentation
 *   attributes: no <script>, <foreignObject>, <style>, <image>, <use>, no on* attributes, no hrefs.
 *   It is rebuilt rather than shown in a sandboxed frame because the page must see node clicks.
 * - The flame graph keeps its own script (click-zoom, search), so it lives in an
 *   <iframe sandbox="allow-scripts">: an opaque origin that can reach neither this page nor its storage.
 */
(function () {
  'use strict';

  var SVG_NS = 'http://www.w3.org/2000/svg';
  var XLINK_NS = 'http://www.w3.org/1999/xlink';
  var XML_NS = 'http://www.w3.org/XML/1998/namespace';
  /** Report options the URL carries, in the order they are written to it. */
  var OPTION_NAMES = ['sample_index', 'nodecount', 'granularity', 'focus', 'ignore', 'hide', 'base', 'diff_base'];
  var TABS = ['graph', 'flame', 'top', 'traces'];
  var MAX_TOP_ROWS = 500;

  var id = document.body.getAttribute('data-profile-id');
  var root = '/p/' + encodeURIComponent(id);
  var $ = function (elementId) { return document.getElementById(elementId); };

  var stage = $('graph-stage');
  var statusBox = $('status');

  var meta = null;
  /** tab → the artifact query it was last loaded with */
  var loadedWith = {};
  /** the node whose side panel is open: its full function name */
  var selectedName = null;
  /** 'lines' | 'peek' | null: what the side panel shows */
  var panelMode = null;
  var requests = { graph: 0, flame: 0, top: 0, traces: 0, node: 0 };

  // ---- the one place markup is parsed -------------------------------------------------------

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
      // A function node (N1, N2, …; not the legend box) gets its full name, for clicks.
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

  // ---- pan and zoom over the viewBox ---------------------------------------------------------

  /** user units per CSS pixel (s) and the top-left corner (x, y) of what the stage shows */
  var view = null;
  var fitScale = 1;
  var PAD = 12;
  /** graph points per CSS pixel at which pprof's smallest labels (8 pt) are still legible */
  var READABLE_SCALE = 1.25;
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
  $('zoom-in').addEventListener('click', function () { zoomCentre(1 / 1.25); });
  $('zoom-out').addEventListener('click', function () { zoomCentre(1.25); });
  $('zoom-fit').addEventListener('click', fit);
  if (window.ResizeObserver) new ResizeObserver(applyView).observe(stage);

  stage.addEventListener('click', function (e) {
    if (swallowClick) {
      swallowClick = false;
      return;
    }
    var node = e.target instanceof Element ? e.target.closest('g.node[data-name]') : null;
    if (!node) return;
    focusOn(node.getAttribute('data-name'));
  });

  // ---- URL state -------------------------------------------------------------------------------

  function readState() {
    var q = new URLSearchParams(location.search);
    var options = {};
    OPTION_NAMES.forEach(function (name) {
      var v = q.get(name);
      if (v !== null && v !== '') options[name] = v;
    });
    var tab = q.get('tab');
    return { tab: TABS.indexOf(tab) >= 0 ? tab : 'graph', options: options };
  }

  function queryOf(options, extra) {
    var q = new URLSearchParams();
    OPTION_NAMES.forEach(function (name) {
      if (options[name] !== undefined && options[name] !== '') q.set(name, options[name]);
    });
    Object.keys(extra || {}).forEach(function (name) { q.set(name, extra[name]); });
    var s = q.toString();
    return s === '' ? '' : '?' + s;
  }

  function pageUrl(state) {
    return root + queryOf(state.options, state.tab === 'graph' ? {} : { tab: state.tab });
  }

  function go(state) {
    var url = pageUrl(state);
    if (url !== location.pathname + location.search) history.pushState(null, '', url);
    render();
  }

  function withOptions(changes, tab) {
    var state = readState();
    Object.keys(changes).forEach(function (k) {
      if (changes[k] === undefined || changes[k] === '') delete state.options[k];
      else state.options[k] = changes[k];
    });
    if (tab) state.tab = tab;
    return state;
  }

  /** An RE2 regexp matching exactly `name`: every metacharacter escaped, anchored. */
  function exactly(name) {
    return '^' + name.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&') + '$';
  }

  /**
   * The regexp that selects a node, by what its name is at the current granularity. pprof matches
   * focus/list/peek against function names and source file names, so a node of the lines,
   * filefunctions or addresses granularity ("0x4c8c9c main.f shopd/main.go:108") is selected by its
   * function, and a file node by its path (whatever directory the profile puts in front of it).
   */
  function regexpFor(name) {
    var granularity = readState().options.granularity || 'functions';
    if (granularity === 'files') return '(^|/)' + exactly(name).slice(1);
    var fn = name;
    if (granularity === 'addresses') fn = fn.replace(/^[0-9a-f]+ /, '');
    if (granularity !== 'functions' && fn.lastIndexOf(' ') > 0) fn = fn.slice(0, fn.lastIndexOf(' '));
    return exactly(fn);
  }

  function focusOn(name) {
    openNode(name);
    go(withOptions({ focus: regexpFor(name) }, 'graph'));
  }

  // ---- fetching --------------------------------------------------------------------------------

  function failure(res) {
    return res.text().then(function (text) {
      var message = 'HTTP ' + res.status;
      try {
        var p = JSON.parse(text);
        if (p && typeof p.title === 'string') message = p.title + (typeof p.detail === 'string' ? ': ' + p.detail : '');
      } catch (_) { /* not problem+json */ }
      throw new Error(message);
    });
  }

  function fetchOk(url) {
    return fetch(url, { credentials: 'same-origin' }).then(function (res) { return res.ok ? res : failure(res); });
  }

  /** pprof's notes ("Focus expression matched no samples"), sent percent-encoded in X-Hotpath-Warning. */
  function notesOf(res) {
    var w = res.headers.get('X-Hotpath-Warning');
    if (!w) return '';
    try {
      return 'Note: ' + decodeURIComponent(w);
    } catch (_) {
      return 'Note: ' + w;
    }
  }

  function say(text, isError) {
    statusBox.textContent = text;
    statusBox.className = 'status' + (isError ? ' error' : '');
  }

  function showIn(element, message) {
    var p = document.createElement('p');
    p.className = 'status error';
    p.textContent = message;
    element.replaceChildren(p);
  }

  // ---- tabs ------------------------------------------------------------------------------------

  function loadGraph(q) {
    var n = ++requests.graph;
    say('Laying out the call graph…');
    stage.setAttribute('aria-busy', 'true');
    var note = '';
    return fetchOk(root + '/graph.svg' + q).then(function (res) { note = notesOf(res); return res.text(); }).then(function (text) {
      if (n !== requests.graph) return;
      stage.replaceChildren(buildGraph(parseSvg(text)));
      firstView();
      markSelected();
      stage.setAttribute('data-query', q);
      say(note);
    }).catch(function (err) {
      if (n !== requests.graph) return;
      loadedWith.graph = undefined;
      view = null;
      showIn(stage, err.message);
      say(err.message, true);
    }).finally(function () {
      if (n === requests.graph) stage.removeAttribute('aria-busy');
    });
  }

  function loadFlame(q) {
    var n = ++requests.flame;
    var url = root + '/flame.svg' + q;
    say('Drawing the flame graph…');
    // Checked first so that an error shows as a sentence, not as JSON inside the frame; the frame's
    // own request then comes from the artifact cache.
    return fetchOk(url).then(function (res) {
      if (n !== requests.flame) return;
      $('flame-frame').src = url;
      say(notesOf(res));
    }).catch(function (err) {
      if (n !== requests.flame) return;
      loadedWith.flame = undefined;
      say(err.message, true);
    });
  }

  var topReport = null;
  var topSort = null;

  function loadTop(q) {
    var n = ++requests.top;
    say('Loading top…');
    var note = '';
    return fetchOk(root + '/top.json' + q).then(function (res) { note = notesOf(res); return res.json(); }).then(function (report) {
      if (n !== requests.top) return;
      topReport = withPercentTexts(report);
      $('top-header').textContent = (report.header || []).join('\n');
      renderTop();
      say(note);
    }).catch(function (err) {
      if (n !== requests.top) return;
      loadedWith.top = undefined;
      $('top-table').querySelector('tbody').replaceChildren();
      say(err.message, true);
    });
  }

  /**
   * pprof's Percentage, as -top prints it (trimmed): "100%" within ±0.05 of it, two decimals from
   * 1%, else Go's %.2g ("0.94%", "0.5%", "0%", "1.2e-05%"). The sign is dropped, as pprof does.
   */
  function percentage(value, total) {
    var ratio = total !== 0 ? Math.abs(value / total) * 100 : 0;
    if (ratio >= 99.95 && ratio <= 100.05) return '100%';
    if (ratio >= 1) return ratio.toFixed(2) + '%';
    return goG2(ratio) + '%';
  }

  /** Go's strconv.FormatFloat(x, 'g', 2, 64) for 0 ≤ x < 1. */
  function goG2(x) {
    if (x === 0) return '0';
    var m = /^(\d)(?:\.(\d))?e([+-]\d+)$/.exec(x.toExponential(1));
    var digits = m[1] + (m[2] && m[2] !== '0' ? '.' + m[2] : '');
    var exp = Number(m[3]);
    if (exp < -4 || exp >= 2) return digits + 'e' + (exp < 0 ? '-' : '+') + (Math.abs(exp) < 10 ? '0' : '') + Math.abs(exp);
    return x.toFixed(Math.max(0, 1 - exp)).replace(/\.?0+$/, '');
  }

  /** Adds each row's percentages as -top prints them; sum% needs the rows in pprof's order. */
  function withPercentTexts(report) {
    var total = Number(report.total);
    var sum = 0;
    (report.rows || []).forEach(function (r) {
      sum += Number(r.flat);
      r.flatPercentText = percentage(Number(r.flat), total);
      r.sumPercentText = percentage(sum, total);
      r.cumPercentText = percentage(Number(r.cum), total);
    });
    return report;
  }

  function cell(tr, text, className) {
    var td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    tr.appendChild(td);
    return td;
  }

  function renderTop() {
    var rows = (topReport && topReport.rows) || [];
    if (topSort) {
      var key = topSort.key;
      var sign = topSort.dir === 'ascending' ? 1 : -1;
      rows = rows.map(function (r, i) { return { r: r, i: i }; }).sort(function (a, b) {
        var x = a.r[key];
        var y = b.r[key];
        var c = key === 'name' ? String(x).localeCompare(String(y)) : (Number(x) - Number(y));
        return c !== 0 ? sign * c : a.i - b.i;
      }).map(function (e) { return e.r; });
    }
    var tbody = $('top-table').querySelector('tbody');
    var fragment = document.createDocumentFragment();
    rows.slice(0, MAX_TOP_ROWS).forEach(function (r) {
      var tr = document.createElement('tr');
      cell(tr, r.flatText, 'num');
      cell(tr, r.flatPercentText, 'num');
      cell(tr, r.sumPercentText, 'num');
      cell(tr, r.cumText, 'num');
      cell(tr, r.cumPercentText, 'num');
      var td = cell(tr, '', 'name');
      var b = document.createElement('button');
      b.type = 'button';
      b.title = 'Focus the call graph on this function';
      b.textContent = r.name;
      b.addEventListener('click', function () { focusOn(r.name); });
      td.appendChild(b);
      if (r.inline) {
        var span = document.createElement('span');
        span.className = 'inline';
        span.textContent = ' ' + r.inline;
        td.appendChild(span);
      }
      fragment.appendChild(tr);
    });
    tbody.replaceChildren(fragment);
    var more = $('top-more');
    more.hidden = rows.length <= MAX_TOP_ROWS;
    more.textContent = 'Showing ' + MAX_TOP_ROWS + ' of ' + rows.length + ' rows; the full table is at top.txt.';
    $('top-table').querySelectorAll('th').forEach(function (th) {
      if (topSort && th.getAttribute('data-key') === topSort.key) th.setAttribute('aria-sort', topSort.dir);
      else th.removeAttribute('aria-sort');
    });
  }

  $('top-table').querySelectorAll('th').forEach(function (th) {
    th.querySelector('button').addEventListener('click', function () {
      var key = th.getAttribute('data-key');
      if (topSort && topSort.key === key) topSort = { key: key, dir: topSort.dir === 'descending' ? 'ascending' : 'descending' };
      else topSort = { key: key, dir: key === 'name' ? 'ascending' : 'descending' };
      renderTop();
    });
  });

  function loadTraces(q) {
    var n = ++requests.traces;
    say('Loading traces…');
    var note = '';
    return fetchOk(root + '/traces.txt' + q).then(function (res) { note = notesOf(res); return res.text(); }).then(function (text) {
      if (n !== requests.traces) return;
      $('traces').textContent = text;
      say(note);
    }).catch(function (err) {
      if (n !== requests.traces) return;
      loadedWith.traces = undefined;
      $('traces').textContent = '';
      say(err.message, true);
    });
  }

  var LOADERS = { graph: loadGraph, flame: loadFlame, top: loadTop, traces: loadTraces };

  // ---- the node side panel: lines (list) and callers/callees (peek) ------------------------------

  function openNode(name) {
    selectedName = name;
    $('node-panel').hidden = false;
    $('node-name').textContent = name;
    markSelected();
    if (panelMode) showNodeReport(panelMode);
    else $('node-output').textContent = '';
  }

  function closeNode() {
    selectedName = null;
    panelMode = null;
    $('node-panel').hidden = true;
    markSelected();
    applyView();
  }

  function markSelected() {
    stage.querySelectorAll('g.node[data-name]').forEach(function (g) {
      g.classList.toggle('selected', selectedName !== null && g.getAttribute('data-name') === selectedName);
    });
  }

  function showNodeReport(mode) {
    if (!selectedName) return;
    panelMode = mode;
    $('node-lines').setAttribute('aria-pressed', String(mode === 'lines'));
    $('node-peek').setAttribute('aria-pressed', String(mode === 'peek'));
    var n = ++requests.node;
    var out = $('node-output');
    out.textContent = 'Loading…';
    var options = readState().options;
    var url = mode === 'lines'
      ? root + '/list.txt' + queryOf(options, { list: regexpFor(selectedName) })
      : root + '/peek.txt' + queryOf(options, { peek: regexpFor(selectedName) });
    fetchOk(url).then(function (res) { return res.text(); }).then(function (text) {
      if (n === requests.node) out.textContent = text !== '' ? text : 'pprof prints nothing for this ' + (mode === 'lines' ? 'list' : 'peek') + '.';
    }).catch(function (err) {
      if (n === requests.node) out.textContent = err.message;
    });
  }

  $('node-lines').addEventListener('click', function () { showNodeReport('lines'); });
  $('node-peek').addEventListener('click', function () { showNodeReport('peek'); });
  $('node-focus').addEventListener('click', function () { if (selectedName) focusOn(selectedName); });
  $('node-ignore').addEventListener('click', function () {
    if (selectedName) go(withOptions({ ignore: regexpFor(selectedName), focus: undefined }, 'graph'));
  });
  $('node-close').addEventListener('click', closeNode);
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && selectedName !== null) closeNode();
  });

  // ---- options form ----------------------------------------------------------------------------

  var form = $('options');
  var sampleSelect = $('opt-sample_index');

  /** meta.json names the default sample type (older answers gave its index). */
  function defaultSampleType() {
    if (!meta || !meta.sampleTypes || meta.sampleTypes.length === 0) return '';
    var d = meta.defaultSampleIndex;
    if (typeof d === 'string' && d !== '') return d;
    var t = (typeof d === 'number' && meta.sampleTypes[d]) || meta.sampleTypes[meta.sampleTypes.length - 1];
    return t.type;
  }

  function fillSampleTypes() {
    sampleSelect.replaceChildren();
    ((meta && meta.sampleTypes) || []).forEach(function (t) {
      var o = document.createElement('option');
      o.value = t.type;
      o.textContent = t.unit ? t.type + ' (' + t.unit + ')' : t.type;
      sampleSelect.appendChild(o);
    });
  }

  /** sample_index may be a name or a 0-based index; the select shows names. */
  function sampleTypeName(value) {
    if (value === undefined) return defaultSampleType();
    if (/^\d+$/.test(value) && meta && meta.sampleTypes[Number(value)]) return meta.sampleTypes[Number(value)].type;
    return value;
  }

  function compareTarget(options) {
    if (options.diff_base) return { id: options.diff_base, mode: 'diff_base' };
    if (options.base) return { id: options.base, mode: 'base' };
    return null;
  }

  function fillForm(state) {
    var o = state.options;
    var wanted = sampleTypeName(o.sample_index);
    if (wanted && !Array.prototype.some.call(sampleSelect.options, function (opt) { return opt.value === wanted; })) {
      var extra = document.createElement('option');
      extra.value = wanted;
      extra.textContent = wanted;
      sampleSelect.appendChild(extra);
    }
    sampleSelect.value = wanted;
    $('opt-nodecount').value = o.nodecount || '';
    $('opt-granularity').value = o.granularity && o.granularity !== 'functions' ? o.granularity : '';
    $('opt-focus').value = o.focus || '';
    $('opt-ignore').value = o.ignore || '';
    $('opt-hide').value = o.hide || '';
    var cmp = compareTarget(o);
    $('opt-compare').value = cmp ? cmp.id : '';
    $('opt-compare-mode').value = cmp ? cmp.mode : 'diff_base';
  }

  /** "/p/abc", "https://host/p/abc?x=1" or "abc" → "abc"; undefined when it names no profile. */
  function profileIdFrom(text) {
    var s = text.trim();
    if (s === '') return '';
    var m = /\/p\/([A-Za-z0-9_-]{8,128})(?:[/?#]|$)/.exec(s) || /^([A-Za-z0-9_-]{8,128})$/.exec(s);
    return m ? m[1] : undefined;
  }

  function formOptions() {
    var options = {};
    var sample = sampleSelect.value;
    if (sample && sample !== defaultSampleType()) options.sample_index = sample;
    var nodecount = $('opt-nodecount').value.trim();
    if (nodecount) options.nodecount = nodecount;
    var granularity = $('opt-granularity').value;
    if (granularity) options.granularity = granularity;
    ['focus', 'ignore', 'hide'].forEach(function (name) {
      var v = $('opt-' + name).value.trim();
      if (v) options[name] = v;
    });
    var other = profileIdFrom($('opt-compare').value);
    if (other === undefined) throw new Error('"compare with" takes a /p/… link or a profile id');
    if (other) options[$('opt-compare-mode').value] = other;
    return options;
  }

  function submitOptions() {
    var options;
    try {
      options = formOptions();
    } catch (err) {
      say(err.message, true);
      return;
    }
    go({ tab: readState().tab, options: options });
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    submitOptions();
  });
  sampleSelect.addEventListener('change', submitOptions);
  $('opt-granularity').addEventListener('change', submitOptions);
  $('reset').addEventListener('click', function () {
    go({ tab: readState().tab, options: {} });
  });

  // ---- diff banner -----------------------------------------------------------------------------

  function renderDiff(state) {
    var banner = $('diff-banner');
    var cmp = compareTarget(state.options);
    var stored = meta && meta.base;
    if (cmp) {
      $('diff-text').textContent = 'Compared with ' + cmp.id + ' as ' + cmp.mode +
        (cmp.mode === 'diff_base' ? ' (differences, percentages of this profile)' : ' (base subtracted)') + '.';
      $('diff-base-link').href = '/p/' + encodeURIComponent(cmp.id);
      $('diff-toggle').hidden = false;
      banner.hidden = false;
    } else if (stored) {
      $('diff-text').textContent = 'Uploaded as the difference from ' + stored.id + (stored.diff ? ' (diff_base).' : ' (base).');
      $('diff-base-link').href = '/p/' + encodeURIComponent(stored.id);
      $('diff-toggle').hidden = true;
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
  }

  $('diff-toggle').addEventListener('click', function () {
    go(withOptions({ base: undefined, diff_base: undefined }));
  });

  // ---- share box -------------------------------------------------------------------------------

  function absolute(path) {
    return location.origin + path;
  }

  function renderShare(state) {
    var png = absolute(root + '/graph.png' + queryOf(state.options));
    var view = absolute(pageUrl(state));
    $('markdown').value = '[![call graph](' + png + ')](' + view + ')';
  }

  function copy(text) {
    var done = function () {
      $('copied').textContent = 'Copied';
      setTimeout(function () { $('copied').textContent = ''; }, 1800);
    };
    var fallback = function () {
      var area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (_) { ok = false; }
      area.remove();
      if (ok) done();
      else $('copied').textContent = 'Select and copy by hand';
    };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  }

  $('copy-link').addEventListener('click', function () { copy(absolute(pageUrl(readState()))); });
  $('copy-markdown').addEventListener('click', function () { copy($('markdown').value); });
  $('markdown').addEventListener('focus', function () { $('markdown').select(); });

  // ---- putting it together ---------------------------------------------------------------------

  function selectTab(tab) {
    TABS.forEach(function (t) {
      var button = $('tab-' + t);
      var on = t === tab;
      button.setAttribute('aria-selected', String(on));
      button.tabIndex = on ? 0 : -1;
      $('panel-' + t).hidden = !on;
    });
  }

  TABS.forEach(function (t) {
    $('tab-' + t).addEventListener('click', function () {
      var state = readState();
      state.tab = t;
      go(state);
    });
  });
  document.querySelector('[role="tablist"]').addEventListener('keydown', function (e) {
    var i = TABS.indexOf(readState().tab);
    if (e.key === 'ArrowRight') i = (i + 1) % TABS.length;
    else if (e.key === 'ArrowLeft') i = (i + TABS.length - 1) % TABS.length;
    else return;
    e.preventDefault();
    $('tab-' + TABS[i]).focus();
    $('tab-' + TABS[i]).click();
  });

  function render() {
    var state = readState();
    fillForm(state);
    selectTab(state.tab);
    renderShare(state);
    renderDiff(state);
    var q = queryOf(state.options);
    if (loadedWith[state.tab] !== q) {
      loadedWith[state.tab] = q;
      LOADERS[state.tab](q);
    } else if (state.tab === 'graph') {
      applyView();
    }
    if (state.tab === 'graph' && view === null && currentSvg()) fit();
  }

  window.addEventListener('popstate', render);

  fetchOk(root + '/meta.json').then(function (res) { return res.json(); }).then(function (m) {
    meta = m;
    fillSampleTypes();
    fillForm(readState());
    renderDiff(readState());
  }).catch(function (err) {
    say(err.message, true);
  });
  render();
})();
