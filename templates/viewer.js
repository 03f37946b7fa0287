/*
 * hotpath viewer: the page at /p/{id}. Served from content-hashed paths under a CSP with
 * script-src 'self' and Trusted Types enforced; viewer-format.js, viewer-graph.js and
 * viewer-flame.js (loaded first) put their parts on window.hotpath.
 *
 * Rules this page keeps, because profile names are attacker-controlled (`<script>`, `<img onerror>`):
 * - Text from a profile or a server answer enters the page through textContent, createTextNode or
 *   setAttribute on inert attributes, never as markup. No innerHTML (Trusted Types would refuse it).
 * - The only markup parsed is the call graph SVG, rebuilt from an allowlist (viewer-graph.js).
 * - A user's search is an RE2 regexp run by re2js (viewer-format.js), never a JS RegExp.
 *
 * State lives in the URL: the report options (what the artifacts are asked for), the tab and the
 * search, so any view is a link. One search box serves every tab: it highlights the matching
 * nodes, frames, rows and trace lines; clicking functions anywhere adds them to it; Peek and Source
 * show what it matches; Refine turns it into focus/ignore/hide/show/show_from.
 */
(function (hp) {
  'use strict';

  /** Report options the URL carries, in the order they are written to it. */
  var OPTION_NAMES = ['sample_index', 'nodecount', 'granularity', 'focus', 'ignore', 'hide', 'show', 'show_from', 'minwidth', 'base', 'diff_base'];
  var TABS = ['graph', 'flame', 'top', 'traces', 'peek', 'source'];
  /** Refine adds to these (what is dropped stays dropped); the others are replaced, as in pprof. */
  var ACCUMULATE = { ignore: 1, hide: 1 };
  var MAX_TOP_ROWS = 500;
  var TRACES_PAGE = 200;
  var SEARCH_DELAY_MS = 150;

  var id = document.body.getAttribute('data-profile-id');
  /** the upload carried a sources archive (meta.json's hasSources, put in the page by the server) */
  var hasSources = document.body.getAttribute('data-has-sources') === 'true';
  var root = '/p/' + encodeURIComponent(id);
  var $ = function (elementId) { return document.getElementById(elementId); };
  var fmt = hp.format;

  var meta = null;
  /** tab → the query (and search, for peek and source) it was last loaded with */
  var loadedWith = {};
  var requests = { graph: 0, flame: 0, top: 0, traces: 0, peek: 0, source: 0 };

  // ---- URL state -------------------------------------------------------------------------------

  function readState() {
    var q = new URLSearchParams(location.search);
    var options = {};
    OPTION_NAMES.forEach(function (name) {
      var v = q.get(name);
      if (v !== null && v !== '') options[name] = v;
    });
    var tab = q.get('tab');
    return { tab: TABS.indexOf(tab) >= 0 ? tab : 'graph', options: options, search: q.get('search') || '' };
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
    var extra = {};
    if (state.tab !== 'graph') extra.tab = state.tab;
    if (state.search) extra.search = state.search;
    return root + queryOf(state.options, extra);
  }

  function go(state) {
    var url = pageUrl(state);
    if (url !== location.pathname + location.search) history.pushState(null, '', url);
    render();
  }

  function withOptions(changes) {
    var state = readState();
    Object.keys(changes).forEach(function (k) {
      if (changes[k] === undefined || changes[k] === '') delete state.options[k];
      else state.options[k] = changes[k];
    });
    return state;
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

  var statusBox = $('status');

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

  /**
   * Fetches `url` for `tab`; `use(res)` runs only if no newer request for the tab was made since.
   * Failures show in the status line and leave the tab to be loaded again.
   */
  function load(tab, url, message, use, onError) {
    var n = ++requests[tab];
    say(message);
    var note = '';
    return fetchOk(url).then(function (res) {
      note = notesOf(res);
      return use(res, function () { return n === requests[tab]; });
    }).then(function () {
      if (n === requests[tab]) say(note);
    }).catch(function (err) {
      if (n !== requests[tab]) return;
      loadedWith[tab] = undefined;
      say(err.message, true);
      if (onError) onError(err);
    });
  }

  // ---- the search ------------------------------------------------------------------------------

  var searchBox = $('search');
  /** the text, its matcher (null when empty or invalid), and the names clicked into it, if it was built so */
  var search = { text: '', matcher: null, picked: null };
  /** the URL's, kept here because every name matched reads it */
  var granularity = readState().options.granularity || 'functions';

  /**
   * What a node is called at the current granularity: a node of lines, filefunctions or addresses
   * ("0x4c8c9c main.f shopd/main.go:108") is its function for matching and selecting, as pprof's
   * focus matches function names; a file node is its path.
   */
  function functionOf(name) {
    if (granularity === 'functions' || granularity === 'files') return name.replace(/ \((partial-)?inline\)$/, '');
    var fn = name;
    if (granularity === 'addresses') fn = fn.replace(/^[0-9a-f]+ /, '');
    if (fn.lastIndexOf(' ') > 0) fn = fn.slice(0, fn.lastIndexOf(' '));
    return fn;
  }

  /** The regexp that selects a node: its function exactly, or a file by its path. */
  function regexpFor(name) {
    if (granularity === 'files') return '(^|/)' + hp.match.exactly(name).slice(1);
    return hp.match.exactly(functionOf(name));
  }

  function matches(name) {
    return search.matcher !== null && (search.matcher.test(name) || search.matcher.test(functionOf(name)));
  }

  function compileSearch(text) {
    if (text === '') return { matcher: null, error: null };
    try {
      return { matcher: hp.match.compile(text), error: null };
    } catch (err) {
      return { matcher: null, error: err.message };
    }
  }

  /** Sets the search (typed, or built from `picked` names), marks every view, keeps it in the URL. */
  function setSearch(text, picked) {
    if (text === search.text && picked === search.picked) return;
    var compiled = compileSearch(text);
    search = { text: text, matcher: compiled.matcher, picked: picked, error: compiled.error };
    if (searchBox.value !== text) searchBox.value = text;
    searchBox.setAttribute('aria-invalid', String(compiled.error !== null));
    document.querySelectorAll('[data-refine]').forEach(function (b) { b.disabled = search.matcher === null; });
    var state = readState();
    if (state.search !== text) {
      state.search = text;
      history.replaceState(null, '', pageUrl(state));
      renderShare(state);
    }
    markAll();
    var tab = state.tab;
    if (tab === 'peek' || tab === 'source') renderTab(state);
  }

  /** A function clicked in a view: in or out of the search, which then selects exactly the picked ones. */
  function pick(name, on) {
    var picked = new Set(search.picked || []);
    var re = regexpFor(name);
    if (on === undefined) on = !picked.has(re);
    if (on) picked.add(re);
    else picked.delete(re);
    setSearch(Array.from(picked).join('|'), picked.size > 0 ? picked : null);
  }

  var searchTimer = null;
  searchBox.addEventListener('input', function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () { setSearch(searchBox.value.trim(), null); }, SEARCH_DELAY_MS);
  });
  searchBox.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') {
      clearTimeout(searchTimer);
      setSearch(searchBox.value.trim(), null);
    }
  });

  var counts = {};

  /** Marks what matches in every view, and says how much in the current one. */
  function markAll() {
    counts.graph = graph.highlight(search.matcher ? matches : null);
    flame.setMatcher(search.matcher ? { test: matches } : null);
    counts.top = markTop();
    renderTraces();
    renderSearchInfo();
  }

  function renderSearchInfo() {
    var info = $('search-info');
    info.className = 'search-info' + (search.error ? ' error' : '');
    if (search.error) {
      info.textContent = search.error;
      return;
    }
    if (!search.matcher) {
      info.textContent = '';
      return;
    }
    var tab = readState().tab;
    var plural = function (n, what) { return n + ' ' + what + (n === 1 ? '' : 's'); };
    if (tab === 'graph') info.textContent = plural(counts.graph || 0, 'node');
    else if (tab === 'top') info.textContent = plural(counts.top || 0, 'row');
    else if (tab === 'traces') info.textContent = plural(counts.traces || 0, 'trace');
    else if (tab === 'flame') info.textContent = $('flame-matched').textContent.replace(/^Matched: /, '');
    else info.textContent = '';
  }

  // ---- refine ----------------------------------------------------------------------------------

  document.querySelectorAll('[data-refine]').forEach(function (button) {
    button.disabled = true;
    button.addEventListener('click', function () {
      if (!search.matcher) return;
      var option = button.getAttribute('data-refine');
      var regex = search.text;
      // The search is spent: what it matched is now the view's options.
      setSearch('', null);
      var state = readState();
      var old = state.options[option];
      state.options[option] = ACCUMULATE[option] && old ? old + '|' + regex : regex;
      go(state);
    });
  });

  // ---- the graph tab ---------------------------------------------------------------------------

  var stage = $('graph-stage');
  var graph = hp.createGraphView(stage, function (name) { pick(name); });
  $('zoom-in').addEventListener('click', graph.zoomIn);
  $('zoom-out').addEventListener('click', graph.zoomOut);
  $('zoom-fit').addEventListener('click', graph.fit);

  function loadGraph(q) {
    stage.setAttribute('aria-busy', 'true');
    return load('graph', root + '/graph.svg' + q, 'Laying out the call graph…', function (res, current) {
      return res.text().then(function (text) {
        if (!current()) return;
        graph.show(text);
        counts.graph = graph.highlight(search.matcher ? matches : null);
        stage.setAttribute('data-query', q);
        renderSearchInfo();
      });
    }, function (err) {
      graph.clear();
      showIn(stage, err.message);
    }).finally(function () {
      stage.removeAttribute('aria-busy');
    });
  }

  // ---- the flame tab ---------------------------------------------------------------------------

  var flame = hp.createFlameView({
    panel: $('panel-flame'),
    main: $('flame-main'),
    callers: $('flame-callers'),
    callees: $('flame-callees'),
    sandwich: $('flame-sandwich'),
    sandwichName: $('sandwich-name'),
    sandwichClose: $('sandwich-close'),
    crumbs: $('flame-crumbs'),
    reset: $('flame-reset'),
    matched: $('flame-matched'),
    details: $('flame-details'),
    table: $('flame-table'),
    tableBody: $('flame-table').querySelector('tbody'),
    tableMore: $('flame-table-more'),
    tableToggle: $('flame-table-toggle'),
    layout: $('panel-flame').querySelector('.flame-layout')
  }, {
    pick: function (name, on) { pick(name, on); }
  });

  function loadFlame(q) {
    return load('flame', root + '/flame.json' + q, 'Drawing the flame graph…', function (res, current) {
      return res.json().then(function (data) {
        if (!current()) return;
        flame.load(data);
        flame.setMatcher(search.matcher ? { test: matches } : null);
        renderSearchInfo();
      });
    }, function () { flame.clear(); });
  }

  if (window.ResizeObserver) {
    var resizeTimer = null;
    new ResizeObserver(function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(flame.redraw, 100);
    }).observe($('flame-main').parentNode);
  }

  // ---- the top tab -----------------------------------------------------------------------------

  var topReport = null;
  var topSort = null;

  function loadTop(q) {
    return load('top', root + '/top.json' + q, 'Loading top…', function (res, current) {
      return res.json().then(function (report) {
        if (!current()) return;
        topReport = withPercentTexts(report);
        $('top-header').textContent = (report.header || []).join('\n');
        renderTop();
      });
    }, function () {
      $('top-table').querySelector('tbody').replaceChildren();
    });
  }

  /** Adds each row's percentages as -top prints them; sum% needs the rows in pprof's order. */
  function withPercentTexts(report) {
    var total = Number(report.total);
    var sum = 0;
    (report.rows || []).forEach(function (r) {
      sum += Number(r.flat);
      r.flatPercentText = fmt.percent(Number(r.flat), total);
      r.sumPercentText = fmt.percent(sum, total);
      r.cumPercentText = fmt.percent(Number(r.cum), total);
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
      tr.setAttribute('data-name', r.name);
      cell(tr, r.flatText, 'num');
      cell(tr, r.flatPercentText, 'num');
      cell(tr, r.sumPercentText, 'num');
      cell(tr, r.cumText, 'num');
      cell(tr, r.cumPercentText, 'num');
      var td = cell(tr, '', 'name');
      var b = document.createElement('button');
      b.type = 'button';
      b.title = 'Select this function (the search shows it in every view)';
      b.textContent = r.name;
      b.addEventListener('click', function () { pick(r.name); });
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
    counts.top = markTop();
    renderSearchInfo();
  }

  function markTop() {
    var n = 0;
    $('top-table').querySelectorAll('tbody tr').forEach(function (tr) {
      var on = matches(tr.getAttribute('data-name'));
      tr.classList.toggle('match', on);
      if (on) n++;
    });
    $('panel-top').classList.toggle('searching', search.matcher !== null);
    return n;
  }

  $('top-table').querySelectorAll('th').forEach(function (th) {
    th.querySelector('button').addEventListener('click', function () {
      var key = th.getAttribute('data-key');
      if (topSort && topSort.key === key) topSort = { key: key, dir: topSort.dir === 'descending' ? 'ascending' : 'descending' };
      else topSort = { key: key, dir: key === 'name' ? 'ascending' : 'descending' };
      renderTop();
    });
  });

  // ---- text reports: traces, peek, source ------------------------------------------------------

  /** A frame line of -traces or peek: the function after the value column ("     10ms   main.f"). */
  function traceName(line) {
    if (line.length <= 13 || line.slice(10, 13) !== '   ') return null;
    return line.slice(13).replace(/ \((partial-)?inline\)$/, '');
  }

  /**
   * Lines as block elements, those naming a match highlighted. `linkOf` (peek) names the function a
   * line can take the search to.
   */
  function appendLines(into, lines, nameOf, linkOf) {
    lines.forEach(function (line) {
      var div = document.createElement('div');
      div.textContent = line === '' ? '\u00a0' : line;
      var name = nameOf(line);
      if (name !== null && matches(name)) div.className = 'hit';
      var link = linkOf ? linkOf(line) : null;
      if (link !== null) {
        div.classList.add('link');
        div.setAttribute('data-name', link);
        div.title = 'Peek at ' + link;
      }
      into.appendChild(div);
    });
  }

  var SEPARATOR = /^-+\+-+$/;
  var traces = null;

  function loadTraces(q) {
    return load('traces', root + '/traces.txt' + q, 'Loading traces…', function (res, current) {
      return res.text().then(function (text) {
        if (!current()) return;
        var lines = text.replace(/\n$/, '').split('\n');
        var first = lines.findIndex(function (l) { return SEPARATOR.test(l); });
        var blocks = [];
        var block = null;
        lines.slice(first < 0 ? lines.length : first).forEach(function (l) {
          if (SEPARATOR.test(l)) {
            block = { lines: [], names: [] };
            blocks.push(block);
          } else if (block) {
            block.lines.push(l);
            var name = traceName(l);
            if (name !== null) block.names.push(name);
          }
        });
        if (block && block.lines.length === 0) blocks.pop();
        traces = { header: lines.slice(0, first < 0 ? lines.length : first), separator: first < 0 ? '' : lines[first], blocks: blocks, shown: TRACES_PAGE };
        renderTraces();
      });
    }, function () {
      traces = null;
      $('traces').replaceChildren();
    });
  }

  function renderTraces() {
    if (!traces) return;
    var only = $('traces-only').checked && search.matcher !== null;
    var hits = 0;
    var list = traces.blocks.filter(function (b) {
      var hit = search.matcher !== null && b.names.some(matches);
      if (hit) hits++;
      return !only || hit;
    });
    counts.traces = hits;
    var out = document.createDocumentFragment();
    appendLines(out, traces.header, function () { return null; });
    list.slice(0, traces.shown).forEach(function (b) {
      var div = document.createElement('div');
      div.className = 'trace';
      appendLines(div, [traces.separator], function () { return null; });
      appendLines(div, b.lines, traceName);
      out.appendChild(div);
    });
    $('traces').replaceChildren(out);
    var n = traces.blocks.length;
    $('traces-info').textContent = n + ' trace' + (n === 1 ? '' : 's') + (search.matcher ? ', ' + hits + ' matching the search' : '');
    var more = $('traces-more');
    more.hidden = list.length <= traces.shown;
    more.textContent = 'Show more traces (' + Math.min(traces.shown, list.length) + ' of ' + list.length + ' shown)';
    renderSearchInfo();
  }

  $('traces-more').addEventListener('click', function () {
    traces.shown += TRACES_PAGE;
    renderTraces();
  });
  $('traces-only').addEventListener('change', renderTraces);

  /** Peek and Source report on what the search matches: with none, they say how to give one. */
  function loadReportOn(tab, artifact, option, hint) {
    return function (q) {
      var box = $(tab);
      var regex = readState().search;
      $(tab + '-hint').textContent = regex === '' ? hint.empty : hint.some;
      if (regex === '') {
        box.replaceChildren();
        say('');
        return Promise.resolve();
      }
      var extra = {};
      extra[option] = regex;
      return load(tab, root + '/' + artifact + queryOf(readState().options, extra), 'Loading ' + tab + '…', function (res, current) {
        return res.text().then(function (text) {
          if (!current()) return;
          box.replaceChildren();
          if (text === '') box.textContent = 'pprof prints nothing here: no function matches, or none has samples.';
          else if (tab === 'peek') appendLines(box, text.replace(/\n$/, '').split('\n'), peekName, peekContext);
          else appendLines(box, text.replace(/\n$/, '').split('\n'), routineName);
        });
      }, function (err) { showIn(box, err.message); });
    };
  }

  /** The function a peek line is about: after "| " (its callers and callees are indented). */
  function peekName(line) {
    var bar = line.indexOf('| ');
    if (bar < 0) return null;
    var name = line.slice(bar + 2);
    return /^\s/.test(name) ? null : name.replace(/ \((partial-)?inline\)$/, '');
  }

  /** A caller or callee in a peek (indented after "|"): clicking it peeks at that function instead. */
  function peekContext(line) {
    var m = /\|   (\S.*)$/.exec(line);
    return m ? m[1].replace(/ \((partial-)?inline\)$/, '') : null;
  }

  $('peek').addEventListener('click', function (e) {
    var line = e.target instanceof Element ? e.target.closest('.link[data-name]') : null;
    if (!line) return;
    var re = regexpFor(line.getAttribute('data-name'));
    setSearch(re, new Set([re]));
  });

  /** The function a list line introduces: "ROUTINE ======== main.f in file.go". */
  function routineName(line) {
    var m = /^ROUTINE =+ (.*) in .*$/.exec(line);
    return m ? m[1] : null;
  }

  var SELECT_HINT = 'Search (RE2) above, or click functions in any view to add them to the search.';
  var loadPeek = loadReportOn('peek', 'peek.txt', 'peek', {
    empty: 'Peek shows the callers and callees of the functions the search matches. ' + SELECT_HINT,
    some: 'Callers and callees of what the search matches (pprof -peek).'
  });
  var loadSource = loadReportOn('source', 'list.txt', 'list', {
    empty: 'Source shows the lines of the functions the search matches, with their costs. ' + SELECT_HINT,
    some: hasSources
      ? 'Each line of what the search matches, with its costs (pprof -list), from the sources uploaded with the profile; ' +
        '"could not find file" stands where a file is not in them.'
      : 'Each line of what the search matches, with its costs (pprof -list). This upload carried no source files, so ' +
        '"could not find file" stands where the code would: to see it, upload the profile to /v1/profiles again with a ' +
        '"sources" field (a .tar.gz, .tar or .zip of the source tree), or run hotpath -list=… -source_path=DIR.'
  });

  var LOADERS = { graph: loadGraph, flame: loadFlame, top: loadTop, traces: loadTraces, peek: loadPeek, source: loadSource };

  // ---- options form ----------------------------------------------------------------------------

  var form = $('options');
  var sampleSelect = $('opt-sample_index');
  var FILTERS = ['focus', 'ignore', 'hide', 'show', 'show_from'];

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
    FILTERS.forEach(function (name) { $('opt-' + name).value = o[name] || ''; });
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
    var chosen = $('opt-granularity').value;
    if (chosen) options.granularity = chosen;
    FILTERS.forEach(function (name) {
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
    var state = readState();
    go({ tab: state.tab, options: options, search: state.search });
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    submitOptions();
  });
  sampleSelect.addEventListener('change', submitOptions);
  $('opt-granularity').addEventListener('change', submitOptions);
  $('reset').addEventListener('click', function () {
    go({ tab: readState().tab, options: {}, search: '' });
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

  /** Image alt text for Markdown: the page's OpenGraph title without Markdown's brackets. */
  function cardAlt() {
    var og = document.querySelector('meta[property="og:title"]');
    var text = (og && og.getAttribute('content')) || 'profile';
    return text.replace(/[[\]()\\<>\u0000-\u001f]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
  }

  function renderShare(state) {
    var card = absolute(root + '/card.png' + queryOf(state.options));
    $('markdown').value = '[![' + cardAlt() + '](' + card + ')](' + absolute(pageUrl(state)) + ')';
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

  // ---- tabs and keys ---------------------------------------------------------------------------

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

  function typing(target) {
    return target instanceof Element && (target.closest('input, textarea, select') !== null || target.isContentEditable);
  }

  document.addEventListener('keydown', function (e) {
    if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target)) {
      e.preventDefault();
      searchBox.focus();
      searchBox.select();
      return;
    }
    if (e.key !== 'Escape') return;
    // Escape undoes the nearest thing: the flame graph's zoom or sandwich, else the search.
    if (e.target === searchBox) {
      if (searchBox.value !== '') setSearch('', null);
      else searchBox.blur();
      e.preventDefault();
      return;
    }
    if (readState().tab === 'flame' && flame.escape()) {
      e.preventDefault();
      return;
    }
    if (search.text !== '') {
      setSearch('', null);
      e.preventDefault();
    }
  });

  // ---- putting it together ---------------------------------------------------------------------

  /** Loads the tab if its options (or, for peek and source, the search) changed since it last was. */
  function renderTab(state) {
    var q = queryOf(state.options);
    var key = state.tab === 'peek' || state.tab === 'source' ? q + '\u0000' + state.search : q;
    if (loadedWith[state.tab] !== key) {
      loadedWith[state.tab] = key;
      LOADERS[state.tab](q);
    } else if (state.tab === 'graph') {
      graph.fitIfUnplaced();
    }
  }

  function render() {
    var state = readState();
    granularity = state.options.granularity || 'functions';
    fillForm(state);
    selectTab(state.tab);
    renderShare(state);
    renderDiff(state);
    if (state.search !== search.text) setSearch(state.search, null);
    renderTab(state);
    if (state.tab === 'flame') flame.redraw();
    renderSearchInfo();
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
})(window.hotpath = window.hotpath || {});
