/*
 * hotpath viewer: the flame graph as a view, from flame.json (the tree flame.svg draws, as data).
 *
 * Frames are absolutely placed <div>s, root at the top as in pprof's web UI, drawn only where they
 * are at least MIN_PX wide at the current zoom (a narrower frame's callees are narrower still), so a
 * profile of 23k functions costs what is visible, not what exists. Names go in as textContent and
 * data-name attributes: never markup.
 *
 * Beside it, a table of every function drawn (flat and cum over the whole profile, from flame.json)
 * drives it: a row opens the function's sandwich — its callers flowing up into it, its callees
 * below — built here from the same tree.
 */
(function (hp) {
  'use strict';

  var ROW = 18;
  /** narrower frames (and so their callees) are not drawn at this zoom */
  var MIN_PX = 0.75;
  /** narrower frames get no label */
  var LABEL_PX = 24;
  var MAX_TABLE_ROWS = 300;

  function rgb(r, g, b) {
    return 'rgb(' + r + ',' + g + ',' + b + ')';
  }

  /** flamegraph.pl's (and src/flame/colors.ts's) differential colour: red grew, blue shrank. */
  function diffColor(delta, max) {
    if (max <= 0 || delta === 0) return rgb(255, 255, 255);
    var fade = Math.floor((210 * (max - Math.min(Math.abs(delta), max))) / max);
    return delta > 0 ? rgb(255, fade, fade) : rgb(fade, fade, 255);
  }

  function node(name, id, parent) {
    return { name: name, id: id, value: 0, weight: 0, self: 0, base: 0, parent: parent, children: [], kids: null };
  }

  /** flame.json's pre-order columns → a tree of nodes (children in the file's order). */
  function treeOf(data) {
    var stack = [];
    var root = null;
    for (var i = 0; i < data.depth.length; i++) {
      var depth = data.depth[i];
      stack.length = depth;
      var parent = depth > 0 ? stack[depth - 1] : null;
      var n = node(data.names[data.name[i]], data.name[i], parent);
      n.value = data.value[i];
      n.weight = data.weight ? data.weight[i] : Math.abs(n.value);
      n.self = data.self[i];
      n.base = data.base ? data.base[i] : 0;
      if (parent) parent.children.push(n);
      else root = n;
      stack.push(n);
    }
    return root;
  }

  /** `parent`'s child standing for `like` (same function), made if need be: sandwiches merge stacks. */
  function childLike(parent, like) {
    if (parent.kids === null) parent.kids = new Map();
    var c = parent.kids.get(like.id);
    if (c === undefined) {
      c = node(like.name, like.id, parent);
      parent.kids.set(like.id, c);
      parent.children.push(c);
    }
    return c;
  }

  function add(into, from) {
    into.value += from.value;
    into.weight += from.weight;
    into.base += from.base;
  }

  /** Calls visit(n) on every frame named `id` that has no frame of that name above it. */
  function outermost(root, id, visit) {
    var stack = [root];
    while (stack.length > 0) {
      var n = stack.pop();
      if (n.id === id && n !== root) {
        visit(n);
        continue;
      }
      for (var i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
    }
  }

  function byName(a, b) {
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  }

  function sortChildren(n) {
    var stack = [n];
    while (stack.length > 0) {
      var m = stack.pop();
      m.children.sort(byName);
      m.kids = null;
      for (var i = 0; i < m.children.length; i++) stack.push(m.children[i]);
    }
  }

  /** The function's callees: every outermost occurrence's subtree, merged, under one root. */
  function calleesOf(root, id, name) {
    var top = node(name, id, null);
    outermost(root, id, function (f) {
      add(top, f);
      top.self += f.self;
      var stack = [[top, f]];
      while (stack.length > 0) {
        var pair = stack.pop();
        pair[1].children.forEach(function (c) {
          var into = childLike(pair[0], c);
          add(into, c);
          into.self += c.self;
          stack.push([into, c]);
        });
      }
    });
    sortChildren(top);
    return top;
  }

  /** The function's callers: each outermost occurrence's stack, read upwards from it, merged. */
  function callersOf(root, id, name) {
    var top = node(name, id, null);
    outermost(root, id, function (f) {
      add(top, f);
      var into = top;
      for (var a = f.parent; a && a.parent; a = a.parent) {
        into = childLike(into, a);
        add(into, f);
      }
    });
    sortChildren(top);
    return top;
  }

  function maxDeltaOf(root) {
    var max = 0;
    var stack = root.children.slice();
    while (stack.length > 0) {
      var n = stack.pop();
      max = Math.max(max, Math.abs(n.value - n.base));
      for (var i = 0; i < n.children.length; i++) stack.push(n.children[i]);
    }
    return max;
  }

  /**
   * The flame view. `els` are the panel's elements (see viewer.html), `hooks.pick(name, on)` tells
   * the page a function was picked in the table (on) or let go (off), so the search follows.
   */
  hp.createFlameView = function (els, hooks) {
    var fmt = hp.format;
    var data = null;
    var tree = null;
    var matcher = null;
    /** per view: its box, tree root, zoomed frame, and the nodes drawn (an element's data-i) */
    var views = {
      main: { box: els.main, root: null, zoom: null, drawn: [], inverted: false, maxDelta: 0, width: 0 },
      callers: { box: els.callers, root: null, zoom: null, drawn: [], inverted: true, maxDelta: 0, width: 0 },
      callees: { box: els.callees, root: null, zoom: null, drawn: [], inverted: false, maxDelta: 0, width: 0 }
    };
    var sandwichId = null;
    var cursor = null;
    var tableSort = { key: 'flat', dir: -1 };
    /** function id → its table row facts */
    var functions = [];

    function colorOf(view, n) {
      if (n.parent === null && view === views.main) return data.colors[n.id];
      if (data.diff) return diffColor(n.value - n.base, view.maxDelta);
      return data.colors[n.id];
    }

    /** The main view's root stands for the whole profile, never for a function. */
    function isMatch(view, n) {
      return matcher !== null && (n.parent !== null || view !== views.main) && matcher.test(n.name);
    }

    function place(view, frag, n, row, left, w, ancestor) {
      var el = document.createElement('div');
      el.className = 'frame' + (ancestor ? ' ancestor' : '') + (isMatch(view, n) ? ' match' : '') + (n === cursor ? ' cursor' : '');
      el.style.left = left * 100 + '%';
      el.style.width = w * 100 + '%';
      if (view.inverted) el.style.bottom = row * ROW + 'px';
      else el.style.top = row * ROW + 'px';
      el.style.backgroundColor = colorOf(view, n);
      el.setAttribute('data-name', n.name);
      el.setAttribute('data-i', String(view.drawn.length));
      if (w * view.box.clientWidth >= LABEL_PX) el.textContent = n.name;
      view.drawn.push(n);
      frag.appendChild(el);
    }

    /** Draws `view` with its zoomed frame across the whole width and its callers full width above. */
    function draw(view) {
      view.drawn = [];
      var width = view.box.clientWidth;
      view.width = width;
      if (!view.root || width === 0) {
        view.box.replaceChildren();
        return;
      }
      var zoom = view.zoom || view.root;
      var frag = document.createDocumentFragment();
      var chain = [];
      for (var a = zoom; a; a = a.parent) chain.unshift(a);
      chain.forEach(function (n, row) { place(view, frag, n, row, 0, 1, n !== zoom); });
      var rows = chain.length;
      var total = zoom.weight;
      var stack = [[zoom, chain.length - 1, 0]];
      while (stack.length > 0 && total > 0) {
        var item = stack.pop();
        var x = item[2];
        var children = item[0].children;
        for (var i = 0; i < children.length; i++) {
          var c = children[i];
          var w = c.weight / total;
          if (w * width >= MIN_PX) {
            place(view, frag, c, item[1] + 1, x, w, false);
            if (item[1] + 2 > rows) rows = item[1] + 2;
            stack.push([c, item[1] + 1, x]);
          }
          x += w;
        }
      }
      view.box.replaceChildren(frag);
      view.box.style.height = rows * ROW + 'px';
      view.box.setAttribute('data-zoom', zoom.name);
      view.box.setAttribute('data-frames', String(view.drawn.length));
    }

    function drawAll() {
      if (sandwichId === null) draw(views.main);
      else {
        draw(views.callers);
        draw(views.callees);
      }
      renderCrumbs();
    }

    // ---- details, matched share, crumbs ---------------------------------------------------------

    function share(v) {
      return fmt.label(v, data.scale) + ' (' + fmt.percent(v, data.total) + ')';
    }

    function say(parts) {
      els.details.replaceChildren();
      parts.forEach(function (p, i) {
        var span = document.createElement(i === 0 ? 'strong' : 'span');
        span.textContent = (i > 1 ? ' · ' : i === 1 ? '  ' : '') + p;
        els.details.appendChild(span);
      });
    }

    function describe(view, n) {
      if (n.parent === null && view === views.main) {
        say(['all', 'total ' + share(data.total) + (data.pruned > 0 ? ', ' + data.pruned + ' narrow frames not drawn' : '')]);
        return;
      }
      var parts = [n.name, (view === views.main ? 'here ' : 'in this view ') + share(n.value)];
      if (view === views.main) parts.push('self here ' + share(n.self));
      var f = functions[n.id];
      if (f) parts.push('in all: cum ' + share(f.cum) + ', flat ' + share(f.flat));
      if (data.diff) parts.push('change ' + fmt.delta(n.value - n.base, data.scale) + ' against the base');
      say(parts);
    }

    function renderMatched() {
      if (matcher === null || !tree) {
        els.matched.textContent = '';
        els.matched.removeAttribute('data-value');
        return;
      }
      var sum = 0;
      var stack = tree.children.slice();
      while (stack.length > 0) {
        var n = stack.pop();
        if (matcher.test(n.name)) {
          sum += n.weight;
          continue;
        }
        for (var i = 0; i < n.children.length; i++) stack.push(n.children[i]);
      }
      els.matched.setAttribute('data-value', String(sum));
      els.matched.textContent = 'Matched: ' + share(sum);
    }

    function renderCrumbs() {
      els.crumbs.replaceChildren();
      if (sandwichId !== null) return;
      var chain = [];
      for (var a = views.main.zoom || views.main.root; a; a = a.parent) chain.unshift(a);
      chain.forEach(function (n, i) {
        if (i > 0) els.crumbs.appendChild(document.createTextNode(' › '));
        var b = document.createElement('button');
        b.type = 'button';
        b.textContent = n.name;
        b.disabled = i === chain.length - 1;
        b.addEventListener('click', function () { zoomTo(n); });
        els.crumbs.appendChild(b);
      });
      els.reset.disabled = chain.length <= 1;
    }

    // ---- zoom, cursor, sandwich -------------------------------------------------------------------

    function zoomTo(n) {
      views.main.zoom = n && n.parent ? n : null;
      cursor = n;
      draw(views.main);
      renderCrumbs();
      if (n) describe(views.main, n);
    }

    function elementOf(view, n) {
      var i = view.drawn.indexOf(n);
      return i < 0 ? null : view.box.children[i];
    }

    function moveCursor(n) {
      if (!n) return;
      var old = cursor && elementOf(views.main, cursor);
      if (old) old.classList.remove('cursor');
      cursor = n;
      var el = elementOf(views.main, n);
      if (el) {
        el.classList.add('cursor');
        el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      }
      describe(views.main, n);
    }

    function drawnChildren(n) {
      return n.children.filter(function (c) { return views.main.drawn.indexOf(c) >= 0; });
    }

    function sibling(n, step) {
      if (!n.parent) return null;
      var list = drawnChildren(n.parent);
      return list[list.indexOf(n) + step] || null;
    }

    function openSandwich(id) {
      sandwichId = id;
      var name = data.names[id];
      views.callers.root = callersOf(tree, id, name);
      views.callees.root = calleesOf(tree, id, name);
      views.callers.maxDelta = maxDeltaOf(views.callers.root);
      views.callees.maxDelta = maxDeltaOf(views.callees.root);
      els.sandwichName.textContent = name;
      els.sandwich.hidden = false;
      els.main.hidden = true;
      els.panel.setAttribute('data-sandwich', name);
      drawAll();
      describe(views.callees, views.callees.root);
      renderTable();
    }

    function closeSandwich() {
      if (sandwichId === null) return;
      sandwichId = null;
      els.sandwich.hidden = true;
      els.main.hidden = false;
      els.panel.removeAttribute('data-sandwich');
      drawAll();
      renderTable();
    }

    function viewOf(box) {
      return box === els.main ? views.main : box === els.callers ? views.callers : views.callees;
    }

    function frameAt(e) {
      var el = e.target instanceof Element ? e.target.closest('.frame') : null;
      if (!el) return null;
      var view = viewOf(el.parentNode);
      return { view: view, node: view.drawn[Number(el.getAttribute('data-i'))] };
    }

    [els.main, els.callers, els.callees].forEach(function (box) {
      box.addEventListener('mouseover', function (e) {
        var hit = frameAt(e);
        if (hit && hit.node) describe(hit.view, hit.node);
      });
      box.addEventListener('click', function (e) {
        var hit = frameAt(e);
        if (!hit || !hit.node) return;
        if (hit.view !== views.main) {
          // In a sandwich, a frame makes its function the filling.
          if (hit.node.id !== sandwichId) openSandwich(hit.node.id);
          return;
        }
        var zoom = views.main.zoom || views.main.root;
        zoomTo(hit.node === zoom && zoom.parent ? zoom.parent : hit.node);
      });
    });

    els.main.addEventListener('keydown', function (e) {
      if (!tree) return;
      var n = cursor || views.main.zoom || tree;
      var next = null;
      if (e.key === 'ArrowUp') next = n.parent;
      else if (e.key === 'ArrowDown') {
        next = drawnChildren(n).sort(function (a, b) { return b.weight - a.weight; })[0] || null;
      } else if (e.key === 'ArrowLeft') next = sibling(n, -1);
      else if (e.key === 'ArrowRight') next = sibling(n, 1);
      else if (e.key === 'Enter') {
        zoomTo(n);
        e.preventDefault();
        return;
      } else if (e.key === 's' && n.parent) {
        pick(n.id);
        e.preventDefault();
        return;
      } else return;
      e.preventDefault();
      moveCursor(next || n);
    });
    els.main.addEventListener('focus', function () {
      if (tree && !cursor) moveCursor(views.main.zoom || tree);
    });

    els.reset.addEventListener('click', function () { zoomTo(null); });
    els.tableToggle.addEventListener('click', function () {
      var hide = els.tableToggle.getAttribute('aria-pressed') === 'true';
      els.tableToggle.setAttribute('aria-pressed', String(!hide));
      els.layout.classList.toggle('no-table', hide);
      drawAll();
    });
    els.sandwichClose.addEventListener('click', function () {
      var name = data && sandwichId !== null ? data.names[sandwichId] : null;
      closeSandwich();
      if (name !== null) hooks.pick(name, false);
    });

    // ---- the table --------------------------------------------------------------------------------

    function buildFunctions() {
      functions = [];
      data.names.forEach(function (name, id) {
        if (id === tree.id) return;
        functions[id] = {
          id: id,
          name: name,
          flat: data.flat[id],
          cum: data.cum[id],
          delta: data.baseCum ? data.cum[id] - data.baseCum[id] : 0
        };
      });
    }

    function cell(tr, text, className) {
      var td = document.createElement('td');
      td.textContent = text;
      td.className = className;
      tr.appendChild(td);
    }

    function renderTable() {
      var key = tableSort.key;
      var dir = tableSort.dir;
      var rows = functions.filter(function (f) { return f; });
      var match = function (f) { return matcher !== null && matcher.test(f.name); };
      rows.sort(function (a, b) {
        // While searching, the matches come first.
        var m = (match(b) ? 1 : 0) - (match(a) ? 1 : 0);
        if (m !== 0) return m;
        var c = key === 'name' ? byName(a, b) : a[key] - b[key];
        return c !== 0 ? dir * c : byName(a, b);
      });
      var fragment = document.createDocumentFragment();
      rows.slice(0, MAX_TABLE_ROWS).forEach(function (f) {
        var tr = document.createElement('tr');
        tr.setAttribute('data-name', f.name);
        if (match(f)) tr.className = 'match';
        if (f.id === sandwichId) tr.setAttribute('aria-selected', 'true');
        cell(tr, fmt.label(f.flat, data.scale), 'num');
        cell(tr, fmt.percent(f.flat, data.total), 'num');
        cell(tr, fmt.label(f.cum, data.scale), 'num');
        cell(tr, fmt.percent(f.cum, data.total), 'num');
        if (data.diff) cell(tr, fmt.delta(f.delta, data.scale), 'num');
        var td = document.createElement('td');
        td.className = 'name';
        var b = document.createElement('button');
        b.type = 'button';
        b.textContent = f.name;
        b.title = f.name + ': its sandwich (callers above, callees below)';
        b.addEventListener('click', function () { pick(f.id); });
        td.appendChild(b);
        tr.appendChild(td);
        fragment.appendChild(tr);
      });
      els.tableBody.replaceChildren(fragment);
      els.tableMore.hidden = rows.length <= MAX_TABLE_ROWS;
      els.tableMore.textContent = 'Showing ' + MAX_TABLE_ROWS + ' of ' + rows.length + ' functions; search to find the others.';
      els.table.querySelectorAll('th').forEach(function (th) {
        if (th.getAttribute('data-key') === key && th.querySelector('button')) th.setAttribute('aria-sort', dir < 0 ? 'descending' : 'ascending');
        else th.removeAttribute('aria-sort');
      });
      els.table.classList.toggle('diff', data.diff);
    }

    els.table.querySelectorAll('th').forEach(function (th) {
      var button = th.querySelector('button');
      if (!button) return;
      button.addEventListener('click', function () {
        var key = th.getAttribute('data-key');
        tableSort = tableSort.key === key ? { key: key, dir: -tableSort.dir } : { key: key, dir: key === 'name' ? 1 : -1 };
        if (data) renderTable();
      });
    });

    /** A function picked (table row, 's' on a frame): its sandwich, and the page's search follows. */
    function pick(id) {
      if (sandwichId === id) {
        closeSandwich();
        hooks.pick(data.names[id], false);
        return;
      }
      openSandwich(id);
      hooks.pick(data.names[id], true);
    }

    // ---- what the page drives ------------------------------------------------------------------

    return {
      /** Shows flame.json's tree: zoom, cursor and sandwich start over. */
      load: function (d) {
        data = d;
        tree = treeOf(d);
        views.main.root = tree;
        views.main.zoom = null;
        views.main.maxDelta = d.diff ? maxDeltaOf(tree) : 0;
        cursor = null;
        sandwichId = null;
        els.sandwich.hidden = true;
        els.main.hidden = false;
        els.panel.removeAttribute('data-sandwich');
        buildFunctions();
        drawAll();
        renderTable();
        renderMatched();
        describe(views.main, tree);
      },
      loaded: function () {
        return data !== null;
      },
      clear: function () {
        data = null;
        tree = null;
        views.main.root = null;
        drawAll();
        els.tableBody.replaceChildren();
        els.details.replaceChildren();
      },
      /**
       * Redraws if the width changed since the last drawing (the panel was hidden, or the window
       * changed): a redraw replaces every frame element, so it is not done for nothing.
       */
      redraw: function () {
        if (!data) return;
        var view = sandwichId === null ? views.main : views.callees;
        if (view.box.clientWidth !== view.width) drawAll();
      },
      /** The page's search: frames and rows that match are marked, and the matched share shown. */
      setMatcher: function (m) {
        matcher = m;
        els.panel.classList.toggle('searching', m !== null);
        if (!data) return;
        [views.main, views.callers, views.callees].forEach(function (view) {
          view.drawn.forEach(function (n, i) {
            var el = view.box.children[i];
            if (el) el.classList.toggle('match', isMatch(view, n));
          });
        });
        renderMatched();
        renderTable();
      },
      /** Escape: out of the sandwich, else one zoom level out. True when there was something to undo. */
      escape: function () {
        if (sandwichId !== null) {
          els.sandwichClose.click();
          return true;
        }
        var zoom = views.main.zoom;
        if (zoom) {
          zoomTo(zoom.parent && zoom.parent.parent ? zoom.parent : null);
          return true;
        }
        return false;
      }
    };
  };
})(window.hotpath = window.hotpath || {});
