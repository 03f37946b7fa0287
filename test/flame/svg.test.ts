import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { fitText, minWidthFraction, renderFlameGraph, renderFlameTree } from '../../src/flame/svg.js';
import { escapeXmlAttr, escapeXmlText } from '../../src/format/xml.js';
import { FLAME_SCRIPT } from '../../src/flame/script.js';
import { buildFlameTree } from '../../src/flame/tree.js';
import { packageOf, packageGroup } from '../../src/flame/colors.js';
import { decodeProfile } from '../../src/profile/decode.js';
import { parseFolded } from '../../src/profile/folded.js';
import { OptionsError } from '../../src/errors.js';
import { parseOptions } from '../../src/options.js';
import { produceReport } from '../../src/reports.js';
import type { Profile } from '../../src/profile/model.js';
import { corpusPath, loadCorpusProfile } from './fixtures.js';

interface DrawnFrame {
  name: string;
  value: number;
  delta: number | undefined;
  title: string;
  x: number;
  y: number;
  width: number;
  fill: string;
  text: string;
}

interface Drawn {
  root: Record<string, unknown>;
  frames: DrawnFrame[];
  ids: Set<string>;
  elements: Array<{ tag: string; attrs: Record<string, string> }>;
}

/** Parses the SVG as XML (entities decoded, as a browser would) and lists what it draws. */
function parseSvg(svg: string): Drawn {
  const valid = XMLValidator.validate(svg);
  assert.equal(valid, true, JSON.stringify(valid));
  const parser = new XMLParser({
    ignoreAttributes: false, attributeNamePrefix: '', htmlEntities: true, parseAttributeValue: false,
    parseTagValue: false, trimValues: false, isArray: (name) => name === 'g',
  });
  const doc = parser.parse(svg) as { svg: Record<string, unknown> };
  const elements: Drawn['elements'] = [];
  const ids = new Set<string>();
  const visit = (tag: string, node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) visit(tag, n);
      return;
    }
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === 'string' && !k.startsWith('#')) attrs[k] = v;
      else visit(k, v);
    }
    if (attrs.id) ids.add(attrs.id);
    elements.push({ tag, attrs });
  };
  visit('svg', doc.svg);
  const group = (doc.svg.g as Array<Record<string, unknown>>).find((g) => g.id === 'frames')!;
  const frames = ((group.g ?? []) as Array<Record<string, any>>).map((g) => ({
    name: g['data-name'] as string,
    value: Number(g['data-value']),
    delta: g['data-delta'] === undefined ? undefined : Number(g['data-delta']),
    title: String(g.title),
    x: Number(g.rect.x),
    y: Number(g.rect.y),
    width: Number(g.rect.width),
    fill: g.rect.fill as string,
    text: g.text === undefined ? '' : String(typeof g.text === 'object' ? g.text['#text'] ?? '' : g.text),
  }));
  return { root: doc.svg, frames, ids, elements };
}

function rgbOf(fill: string): [number, number, number] {
  const m = /^rgb\((\d+),(\d+),(\d+)\)$/.exec(fill);
  assert.ok(m, fill);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function hueOf(fill: string): number {
  const [r, g, b] = rgbOf(fill).map((v) => v / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  if (d === 0) return 0;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

const shopd = (): Profile => loadCorpusProfile('profiles/shopd/cpu.pb.gz');

test('shopd cpu: valid XML; a frame per tree node in pre-order, root first, full width, = total', () => {
  const profile = shopd();
  const svg = renderFlameGraph(profile, { valueIndex: 1 });
  const drawn = parseSvg(svg);
  const tree = buildFlameTree(profile, { valueIndex: 1, minWidthFraction: minWidthFraction(undefined) });
  assert.equal(drawn.frames.length, tree.frames);
  const root = drawn.frames[0]!;
  assert.equal(root.name, 'all');
  assert.equal(root.value, 4_270_000_000);
  assert.equal(root.x, 10);
  assert.equal(root.width, 1180);
  assert.equal(drawn.root['data-total'], '4270000000');
  // Widths are proportional to values; the root row is the bottom one in a flame graph.
  for (const f of drawn.frames.slice(1)) {
    assert.ok(Math.abs(f.width - (f.value / root.value) * 1180) <= 0.011, `${f.name} ${f.width}`);
    assert.ok(f.y < root.y);
  }
  for (const id of ['search-input', 'search-regex', 'matched', 'reset-zoom', 'details', 'frames', 'title', 'subtitle']) {
    assert.ok(drawn.ids.has(id), id);
  }
});

test('title and subtitle: profile type, sample type and total formatted like pprof', () => {
  const svg = renderFlameGraph(shopd(), { valueIndex: 1 });
  const drawn = parseSvg(svg);
  const subtitle = drawn.elements.find((e) => e.attrs.id === 'subtitle');
  assert.ok(subtitle);
  assert.match(svg, /<text id="title"[^>]*>Flame Graph<\/text>/);
  assert.match(svg, /<text id="subtitle"[^>]*>cpu profile · cpu \(nanoseconds\) · total 4\.27s<\/text>/);
  const custom = renderFlameGraph(shopd(), { valueIndex: 0, title: 'shopd <prod> & "co"' });
  assert.match(custom, /<text id="title"[^>]*>shopd &lt;prod&gt; &amp; "co"<\/text>/);
  assert.match(custom, /total 427<\/text>/);
});

test("-flame's title names the binary as -svg's does (Go's filepath.Base), also for a path ending in /", () => {
  const titleOf = (file: string) => {
    const p = shopd();
    const profile = { ...p, mappings: p.mappings.map((m, i) => (i === 0 ? { ...m, file } : m)) };
    return /<text id="title"[^>]*>([^<]*)<\/text>/.exec(produceReport(profile, 'flame', parseOptions({})).text)?.[1];
  };
  assert.equal(titleOf('/usr/local/bin/shopd'), 'Flame graph: cpu — shopd');
  assert.equal(titleOf('/usr/local/bin/shopd/'), 'Flame graph: cpu — shopd');
  assert.equal(titleOf(''), 'Flame graph: cpu');
});

test('tooltips carry name, value (pprof units) and share of the total', () => {
  const drawn = parseSvg(renderFlameGraph(shopd(), { valueIndex: 1 }));
  assert.equal(drawn.frames[0]!.title, 'all (4.27s, 100%)');
  const serve = drawn.frames.find((f) => f.name === 'main.serve.func1');
  assert.ok(serve);
  assert.match(serve.title, /^main\.serve\.func1 \(\d+(\.\d+)?m?s, \d+\.\d\d%\)$/);
});

test('labels are clipped to the frame width with "..", and left out when under 3 characters', () => {
  assert.equal(fitText('main.handleRequest', 1180), 'main.handleRequest');
  assert.equal(fitText('main.handleRequest', 60), 'main.h..'); // 8 characters fit: 6 and ".."
  assert.equal(fitText('main.handleRequest', 20), '');
  assert.equal(fitText('ab🔥cd', 5 * 7.08), 'ab..', 'no half of a surrogate pair');
  const drawn = parseSvg(renderFlameGraph(shopd(), { valueIndex: 1 }));
  for (const f of drawn.frames) {
    assert.equal(f.text, fitText(f.name, f.width));
  }
});

test('hostile names are escaped everywhere and read back intact; the only script is ours', () => {
  // Not normalised: pprof's name heuristic would shorten <script>alert(1)</script> to "alert".
  const profile = decodeProfile(readFileSync(corpusPath('bad/hostile-names.pb.gz')));
  const svg = renderFlameGraph(profile, { valueIndex: 1, minWidth: 0 });
  const drawn = parseSvg(svg);
  const names = new Set(profile.functions.map((f) => f.name));
  const drawnNames = new Set(drawn.frames.map((f) => f.name));
  for (const n of ['<script>alert(1)</script>', '<img src=x onerror=alert(2)>', 'main.cdata]]>end', 'main.amp&amp;&lt;', 'main.quote"in"name', "main.single'quote`tick"]) {
    const name = [...names].find((x) => x.includes(n) || x === n);
    assert.ok(name, `fixture has ${n}`);
    assert.ok(drawnNames.has(name), `drawn and read back intact: ${n}`);
  }
  assert.ok(drawnNames.has('main.new\nline\r\nname'), 'line breaks survive in data-name');
  assert.ok(!svg.includes('<script>alert'));
  assert.ok(!svg.includes('<img'));
  assert.ok(svg.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.equal(svg.split('<script').length - 1, 1, 'one script element');
  for (const e of drawn.elements) {
    for (const a of Object.keys(e.attrs)) assert.ok(!/^on/i.test(a), `event handler attribute ${a} on ${e.tag}`);
    if (e.attrs.href !== undefined || e.attrs['xlink:href'] !== undefined) assert.fail('no links');
  }
  const long = [...drawnNames].find((n) => n.startsWith('main.LLLL'));
  assert.ok(long && long.length >= 1000);
});

test('the 10,000-character name and a NUL byte: valid XML, name cut at 1,000 characters', () => {
  const profile = decodeProfile(readFileSync(corpusPath('bad/hostile-graphviz-breakers.pb.gz')));
  const svg = renderFlameGraph(profile, { valueIndex: profile.sampleTypes.length - 1, minWidth: 0 });
  const drawn = parseSvg(svg);
  assert.ok(!svg.includes('\u0000'));
  for (const f of drawn.frames) assert.ok(f.name.length <= 1001, `${f.name.length}`);
  assert.ok(drawn.frames.some((f) => f.name.endsWith('…')));
});

test('escaping helpers: markup, quotes, whitespace and characters XML cannot hold', () => {
  assert.equal(escapeXmlText('a<b>&c\r\n'), 'a&lt;b&gt;&amp;c&#13;\n');
  assert.equal(escapeXmlAttr(`"'<&>\t\n\r`), '&quot;&#39;&lt;&amp;&gt;&#9;&#10;&#13;');
  assert.equal(escapeXmlAttr('a\u0000b\u001fc\uFFFE'), 'a\uFFFDb\uFFFDc\uFFFD');
  assert.equal(escapeXmlText('x\uD800y'), 'x\uFFFDy', 'lone surrogate');
  assert.equal(escapeXmlText('🔥'), '🔥', 'a surrogate pair is fine');
});

test('zero samples: a valid, empty-but-drawn graph', () => {
  const p = loadCorpusProfile('bad/zero-samples.pb.gz');
  const drawn = parseSvg(renderFlameGraph(p, { valueIndex: 0 }));
  assert.equal(drawn.frames.length, 1);
  assert.equal(drawn.frames[0]!.value, 0);
  assert.equal(drawn.frames[0]!.title, 'all (0, 0%)');
});

test('recursion 1,000 deep renders as one row per depth', () => {
  const p = loadCorpusProfile('bad/recursion-1000.pb.gz');
  const svg = renderFlameGraph(p, { valueIndex: 1 });
  const drawn = parseSvg(svg);
  const rows = new Set(drawn.frames.map((f) => f.y));
  assert.ok(rows.size > 1000);
});

test('icicle: the root row is on top and callees go down', () => {
  const p = shopd();
  const drawn = parseSvg(renderFlameGraph(p, { valueIndex: 1, inverted: true }));
  const root = drawn.frames[0]!;
  for (const f of drawn.frames.slice(1)) assert.ok(f.y > root.y);
  assert.equal(drawn.root['data-inverted'], 'true');
  assert.match(renderFlameGraph(p, { valueIndex: 1, inverted: true }), />Icicle Graph</);
});

test('package palette: one hue per package; runtime, std and the rest in separate ranges', () => {
  const drawn = parseSvg(renderFlameGraph(shopd(), { valueIndex: 1, minWidth: 0 }));
  const hues = new Map<string, Set<number>>();
  for (const f of drawn.frames.slice(1)) {
    const pkg = packageOf(f.name);
    if (!hues.has(pkg)) hues.set(pkg, new Set());
    hues.get(pkg)!.add(Math.round(hueOf(f.fill)));
  }
  for (const [pkg, set] of hues) {
    const values = [...set];
    assert.ok(Math.max(...values) - Math.min(...values) <= 2, `${pkg}: ${values}`);
  }
  const hue = (pkg: string): number => [...hues.get(pkg)!][0]!;
  assert.ok(hue('runtime') >= 12 && hue('runtime') <= 34);
  assert.ok(hue('sort') >= 42 && hue('sort') <= 60);
  assert.ok(hue('main') >= 85 && hue('main') <= 190);
  assert.equal(packageOf('shopd/internal/cart.(*Cart).Total'), 'shopd/internal/cart');
  assert.equal(packageOf('main.sumBy[...]'), 'main');
  assert.equal(packageOf('github.com/x/y.(*T).M'), 'github.com/x/y');
  assert.equal(packageOf('std::vector::push_back'), 'std');
  assert.equal(packageGroup('runtime/internal/atomic'), 'runtime');
  assert.equal(packageGroup('crypto/sha256'), 'std');
  assert.equal(packageGroup('shopd/internal/cart'), 'rest');
  // Stable: the same input renders the same bytes.
  assert.equal(renderFlameGraph(shopd(), { valueIndex: 1 }), renderFlameGraph(shopd(), { valueIndex: 1 }));
});

test('hot palette: reds to yellows', () => {
  const drawn = parseSvg(renderFlameGraph(shopd(), { valueIndex: 1, palette: 'hot' }));
  for (const f of drawn.frames.slice(1)) {
    const [r, g, b] = rgbOf(f.fill);
    assert.ok(r >= 205 && g <= 230 && b <= 55, f.fill);
  }
  assert.throws(() => renderFlameGraph(shopd(), { valueIndex: 1, palette: 'neon' as 'hot' }), OptionsError);
});

test('minWidth: px or percent; wider thresholds draw fewer frames', () => {
  const p = shopd();
  const count = (minWidth: number | string): number => parseSvg(renderFlameGraph(p, { valueIndex: 1, minWidth })).frames.length;
  const all = count(0);
  const some = count('2%');
  assert.ok(some < all);
  assert.equal(count(0.02 * 1180), some);
  assert.throws(() => renderFlameGraph(p, { valueIndex: 1, minWidth: 'wide' }), OptionsError);
  assert.throws(() => renderFlameGraph(p, { valueIndex: 1, minWidth: -1 }), OptionsError);
  assert.throws(() => renderFlameGraph(p, { valueIndex: 1, width: 10 }), OptionsError);
});

test('diff flame graph of the heap A/B fixtures: grown frames red, shrunk blue, delta in the tooltip', () => {
  const a = loadCorpusProfile('profiles/shopd/heap.a.pb.gz');
  const b = loadCorpusProfile('profiles/shopd/heap.b.pb.gz');
  const inuse = b.sampleTypes.findIndex((t) => t.type === 'inuse_space');
  const svg = renderFlameGraph(b, { valueIndex: inuse, base: a });
  const drawn = parseSvg(svg);
  assert.match(svg, />Differential Flame Graph</);
  const grow = drawn.frames.find((f) => f.name === 'main.growCache');
  assert.ok(grow && grow.delta! > 0);
  const [r, g, bl] = rgbOf(grow.fill);
  assert.ok(r === 255 && g === bl && g < 255, grow.fill);
  assert.match(grow.title, /; \+\d/);
  for (const f of drawn.frames.slice(1)) {
    const [fr, fg, fb] = rgbOf(f.fill);
    if (f.delta! > 0) assert.ok(fr === 255 && fg === fb && fg < 255, `${f.name} ${f.fill}`);
    else if (f.delta! < 0) assert.ok(fb === 255 && fr === fg && fr < 255, `${f.name} ${f.fill}`);
    else assert.equal(f.fill, 'rgb(255,255,255)');
    assert.equal(f.delta! > 0, /; \+/.test(f.title), f.title);
  }
  // B only adds to A: the other way round, the same frames shrink and are blue.
  const reverse = parseSvg(renderFlameGraph(a, { valueIndex: inuse, base: b }));
  const shrunk = reverse.frames.slice(1).filter((f) => f.delta! < 0);
  assert.ok(shrunk.length > 0);
  for (const f of shrunk) {
    const [fr, fg, fb] = rgbOf(f.fill);
    assert.ok(fb === 255 && fr === fg && fr < 255, `${f.name} ${f.fill}`);
    assert.match(f.title, /; -\d/);
  }
});

test('the embedded script: valid JavaScript, no innerHTML, eval or Function, nothing from the profile', () => {
  assert.doesNotThrow(() => new vm.Script(FLAME_SCRIPT));
  assert.ok(!/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\b|\bFunction\s*\(|setTimeout\s*\(\s*['"]/.test(FLAME_SCRIPT));
  assert.ok(!FLAME_SCRIPT.includes(']]>'));
  const svg = renderFlameGraph(parseFolded('evil();alert(1) 1\n'), { valueIndex: 0 });
  const script = /<script[^>]*><!\[CDATA\[([\s\S]*?)\]\]><\/script>/.exec(svg);
  assert.ok(script);
  assert.equal(script[1], FLAME_SCRIPT);
});

test('renderFlameTree draws a tree built separately (same output as renderFlameGraph)', () => {
  const p = shopd();
  const tree = buildFlameTree(p, { valueIndex: 1, minWidthFraction: minWidthFraction(undefined) });
  assert.equal(renderFlameTree(tree, 'cpu'), renderFlameGraph(p, { valueIndex: 1 }));
});

test('the large fixture (pprof large.cpu) at default minwidth stays under 5 MB', (t) => {
  const started = performance.now();
  const profile = loadCorpusProfile('profiles/pprof-testdata/large.cpu');
  const loaded = performance.now();
  const svg = renderFlameGraph(profile, { valueIndex: 1 });
  const rendered = performance.now();
  const bytes = Buffer.byteLength(svg);
  t.diagnostic(`large.cpu flame graph: ${bytes} bytes, load ${(loaded - started).toFixed(0)} ms, render ${(rendered - loaded).toFixed(0)} ms`);
  assert.ok(bytes < 5 * 1024 * 1024, `${bytes} bytes`);
  const drawn = parseSvg(svg);
  assert.equal(drawn.frames[0]!.value, profile.samples.reduce((s, x) => s + x.values[1]!, 0));
  for (const f of drawn.frames) assert.ok(f.width >= 0.1 - 0.011, `${f.name} ${f.width}`);
});
