/**
 * The script embedded in every flame graph SVG: hover details, click to zoom, reset, search.
 *
 * It is a fixed string: nothing from the profile is ever spliced into it. Frame names reach it
 * only through DOM attributes (`data-name`) and leave it only through `textContent` and
 * `setAttribute`, never innerHTML or eval. It must not contain the text `]]>` (it sits in CDATA).
 *
 * It relies on the document the renderer writes: every frame is a `<g class="frame">` holding a
 * <title>, a <rect> and, when its label is not empty, a <text>, in pre-order (parent before children, the root first), so the
 * frames after a frame that are deeper than it are exactly its callees.
 */
export const FLAME_SCRIPT = String.raw`
(function () {
  'use strict';
  var me = document.currentScript;
  var svg = (me && me.closest && me.closest('svg')) || document.documentElement;
  function num(name) { return Number(svg.getAttribute(name)); }
  var total = num('data-total');
  var xpad = num('data-xpad');
  var fullWidth = num('data-inner-width');
  var rowHeight = num('data-row-height');
  var charWidth = num('data-char-width');
  var textDy = num('data-text-dy');
  var HIGHLIGHT = 'rgb(230,0,230)';
  function byId(id) { return svg.querySelector('#' + id); }
  var details = byId('details');
  var matched = byId('matched');
  var reset = byId('reset-zoom');
  var input = byId('search-input');
  var regexBox = byId('search-regex');
  var framesGroup = byId('frames');

  var frames = [];
  var indexOf = new Map();
  var nodes = svg.querySelectorAll('g.frame');
  var rootY = 0;
  for (var i = 0; i < nodes.length; i++) {
    var g = nodes[i];
    var rect = g.querySelector('rect');
    var title = g.querySelector('title');
    var y = Number(rect.getAttribute('y'));
    if (i === 0) rootY = y;
    frames.push({
      g: g, rect: rect, text: g.querySelector('text'),
      name: g.getAttribute('data-name') || '',
      value: Number(g.getAttribute('data-value')),
      x: Number(rect.getAttribute('x')), w: Number(rect.getAttribute('width')),
      depth: Math.round(Math.abs(y - rootY) / rowHeight),
      fill: rect.getAttribute('fill'),
      tip: title ? title.textContent : ''
    });
    indexOf.set(g, i);
  }

  // Same rule as the renderer: as many characters as fit, the last two replaced by "..".
  function fit(name, width) {
    var chars = Math.floor(width / charWidth);
    if (chars < 3) return '';
    if (name.length <= chars) return name;
    var cut = chars - 2;
    var c = name.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut--;
    return name.slice(0, cut) + '..';
  }
  function round2(v) { return Math.round(v * 100) / 100; }
  function place(f, x, w) {
    f.rect.setAttribute('x', String(round2(x)));
    f.rect.setAttribute('width', String(round2(w)));
    var label = fit(f.name, w);
    if (!f.text) {
      // Frames too narrow for a label are written without a <text>, to keep the file small.
      if (label === '') return;
      f.text = document.createElementNS('http://www.w3.org/2000/svg', 'text');
      f.text.setAttribute('y', String(Number(f.rect.getAttribute('y')) + textDy));
      f.g.appendChild(f.text);
    }
    f.text.setAttribute('x', String(round2(x + 3)));
    f.text.textContent = label;
  }

  var zoomedAt = -1;
  function zoom(i) {
    var f = frames[i];
    if (!f || f.depth === 0) { unzoom(); return; }
    var ratio = fullWidth / f.w;
    var ancestors = new Set();
    var want = f.depth - 1;
    for (var j = i - 1; j >= 0 && want >= 0; j--) {
      if (frames[j].depth === want) { ancestors.add(j); want--; }
    }
    var end = i + 1;
    while (end < frames.length && frames[end].depth > f.depth) end++;
    for (var k = 0; k < frames.length; k++) {
      var h = frames[k];
      if (k >= i && k < end) {
        h.g.classList.remove('hide', 'parent');
        place(h, xpad + (h.x - f.x) * ratio, h.w * ratio);
      } else if (ancestors.has(k)) {
        h.g.classList.remove('hide');
        h.g.classList.add('parent');
        place(h, xpad, fullWidth);
      } else {
        h.g.classList.add('hide');
      }
    }
    zoomedAt = i;
    reset.classList.remove('hide');
  }
  function unzoom() {
    for (var k = 0; k < frames.length; k++) {
      var h = frames[k];
      h.g.classList.remove('hide', 'parent');
      place(h, h.x, h.w);
    }
    zoomedAt = -1;
    reset.classList.add('hide');
  }

  // Search runs in the viewer's own browser on what the viewer typed, over names already on
  // their screen: a plain substring match by default, and a JavaScript RegExp only when they
  // tick "regex". A slow pattern can only stall their own tab, so the server-side rule (user
  // regexes are RE2) is not needed here; the server never evaluates this input.
  function search() {
    var term = input.value;
    var test = null;
    if (term !== '') {
      if (regexBox.checked) {
        var re;
        try { re = new RegExp(term); } catch (e) {
          matched.textContent = 'Invalid regex';
          matched.removeAttribute('data-value');
          return;
        }
        test = function (s) { return re.test(s); };
      } else {
        test = function (s) { return s.indexOf(term) !== -1; };
      }
    }
    var sum = 0;
    var count = 0;
    var countedDepth = -1; // depth of the matched frame whose callees are being skipped
    for (var k = 1; k < frames.length; k++) { // the root matches nothing: it is not a function
      var f = frames[k];
      if (countedDepth >= 0 && f.depth <= countedDepth) countedDepth = -1;
      var hit = test !== null && test(f.name);
      f.rect.setAttribute('fill', hit ? HIGHLIGHT : f.fill);
      f.g.classList.toggle('match', hit);
      if (hit) count++;
      // A match inside a counted match is already part of its width: count it once.
      if (hit && countedDepth < 0) { sum += f.value; countedDepth = f.depth; }
    }
    if (test === null) {
      matched.textContent = '';
      matched.removeAttribute('data-value');
      return;
    }
    var share = total > 0 ? (100 * sum) / total : 0;
    matched.textContent = 'Matched: ' + share.toFixed(2) + '% (' + count + (count === 1 ? ' frame)' : ' frames)');
    matched.setAttribute('data-value', String(sum));
  }

  framesGroup.addEventListener('click', function (e) {
    var g = e.target.closest('g.frame');
    if (g) zoom(indexOf.get(g));
  });
  framesGroup.addEventListener('mouseover', function (e) {
    var g = e.target.closest('g.frame');
    if (g) details.textContent = frames[indexOf.get(g)].tip;
  });
  framesGroup.addEventListener('mouseout', function () { details.textContent = ' '; });
  reset.addEventListener('click', unzoom);
  input.addEventListener('input', search);
  regexBox.addEventListener('change', search);
  document.addEventListener('keydown', function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === 'f') { e.preventDefault(); input.focus(); }
    else if (e.key === 'Escape' && zoomedAt >= 0) unzoom();
  });
})();
`;
