/**
 * The unfurl card: the numbers are the page's (-top's rows, the graph's hot path, the leak report's
 * groups), every text fits its box in the real font, hostile names stay text, and the PNG is
 * OpenGraph's 1200×630 and well under 1 MB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { cardSummary } from '../../src/card/summary.js';
import { CARD_HEIGHT, CARD_WIDTH, hotPathLine, renderCard, type CardSummary } from '../../src/card/svg.js';
import { ELLIPSIS, fitText, shortName, textWidth } from '../../src/card/text.js';
import { dotReport } from '../../src/dot/report.js';
import { findHotPath } from '../../src/graph/hot-path.js';
import { leakReport } from '../../src/goroutines/leaks.js';
import { label } from '../../src/format/units.js';
import { parseOptions } from '../../src/options.js';
import { loadProfile, loadProfileWithBase } from '../../src/profile/load.js';
import { loadReportInput, produceReport } from '../../src/reports.js';
import { topReport } from '../../src/report/top.js';
import { pngSize } from '../../src/render/png-encode.js';
import { svgToPng } from '../../src/render/png.js';
import { CORPUS } from '../support/goldens.js';
import { decodePng } from '../render/png-decode.js';

const file = (rel: string) => readFileSync(path.join(CORPUS, 'profiles', rel));
const options = parseOptions({});

interface PlacedText {
  x: number;
  font: { size: number; bold: boolean };
  end: boolean;
  text: string;
}

/** The card's <text> elements with where they start (or end) and their font; entities decoded. */
function texts(svg: string): PlacedText[] {
  const entities: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#39;': "'", '&#13;': '\r' };
  return [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" font-size="(\d+)"( font-weight="bold")?( text-anchor="end")?[^>]*>([^<]*)<\/text>/g)].map((m) => ({
    x: Number(m[1]),
    font: { size: Number(m[2]), bold: m[3] !== undefined },
    end: m[4] !== undefined,
    text: m[5]!.replace(/&(?:lt|gt|amp|quot|#39|#13);/g, (e) => entities[e]!),
  }));
}

test("a CPU profile's card: -top's first five rows by flat, its total, and the graph's hot path", () => {
  const { profile } = loadProfile(file('shopd/cpu.pb.gz'));
  const s = cardSummary({ profile, title: 'checkout latency' }, options);
  const top = topReport(profile, options);
  assert.equal(s.title, 'checkout latency');
  assert.equal(s.kind, 'cpu');
  assert.deepEqual(s.rows.map((r) => [r.name, r.value, r.share]), top.rows.slice(0, 5).map((r) => [r.name, r.flatText, `${r.flatPercent.toFixed(2)}%`]));
  assert.deepEqual(s.facts, ['4.27s total', 'over 4.54s', '2026-11-26 07:02 UTC']);
  const hot = [...findHotPath(dotReport(profile, options, {}, true).report.pruned.graph).nodes].map((n) => n.name);
  assert.deepEqual(s.hotPath, hot);
  assert.ok(hot.length >= 3, hot.join(' → '));
});

test("a heap diff's card lists what grew most, signed, and says it is against a base", () => {
  const input = loadReportInput('card', file('shopd/heap.b.pb.gz'), { bytes: file('shopd/heap.a.pb.gz'), diff: true });
  const s = cardSummary({ profile: input.profile, base: { profile: input.base!, diff: true } }, parseOptions({ sample_index: 'inuse_space' }));
  const diffTop = topReport(loadProfileWithBase(file('shopd/heap.b.pb.gz'), file('shopd/heap.a.pb.gz'), true).profile, parseOptions({ sample_index: 'inuse_space' }));
  const grew = diffTop.rows.filter((r) => r.flat > 0).sort((a, b) => b.flat - a.flat).slice(0, 5);
  assert.ok(s.diff);
  assert.equal(s.kind, 'heap');
  assert.deepEqual(s.rows.map((r) => [r.name, r.value]), grew.map((r) => [r.name, `+${r.flatText}`]));
  assert.equal(s.rows[0]!.name, 'main.growCache');
  assert.match(s.caption, /grew most/);
  assert.match(s.facts[0]!, /^inuse_space against a base of 14\.16MB$/);
});

test("a card against a base gives the base's own total, under -base as under -diff_base", () => {
  // heap.b has grown from heap.a: against heap.b as the base, Σ|new − base| (-base's total) is far
  // from heap.b's own total, which -diff_base's happens to equal.
  const o = parseOptions({ sample_index: 'inuse_space' });
  const baseTotal = topReport(loadProfile(file('shopd/heap.b.pb.gz')).profile, o).report.selected.ctx.total;
  const delta = topReport(loadProfileWithBase(file('shopd/heap.a.pb.gz'), file('shopd/heap.b.pb.gz'), false).profile, o).report.selected.ctx.total;
  assert.notEqual(label(delta, 'bytes'), label(baseTotal, 'bytes'));
  for (const diff of [false, true]) {
    const input = loadReportInput('card', file('shopd/heap.a.pb.gz'), { bytes: file('shopd/heap.b.pb.gz'), diff });
    const s = cardSummary({ profile: input.profile, base: { profile: input.base!, diff } }, o);
    assert.equal(s.facts[0], `inuse_space against a base of ${label(baseTotal, 'bytes')}`, diff ? '-diff_base' : '-base');
  }
});

test("a goroutine profile's card lists the leak report's groups with their wait reasons", () => {
  const { profile, kind } = loadProfile(file('shopd/goroutine.b.pb.gz'));
  const s = cardSummary({ profile, kind }, options);
  const groups = leakReport(profile).groups.slice(0, 5);
  assert.equal(s.kind, 'goroutine');
  assert.deepEqual(s.rows.map((r) => [r.name, r.note, r.value]), groups.map((g) => [g.userFunction ?? g.stack[0], g.waitReason ?? g.status, String(g.count)]));
  assert.deepEqual(s.facts.slice(0, 2), ['542 goroutines', '5 groups']);

  const base = loadProfile(file('shopd/goroutine.a.pb.gz')).profile;
  const grown = cardSummary({ profile, kind, base: { profile: base, diff: false } }, options);
  assert.ok(grown.rows.every((r) => r.value.startsWith('+')), grown.rows.map((r) => r.value).join(' '));
  assert.match(grown.caption, /grew most/);
});

const hostile: CardSummary = {
  title: '</text><script>alert(1)</script>' + 'W'.repeat(300),
  kind: 'cpu"><svg onload=alert(2)>',
  facts: ['&amp; <b>', 'x'.repeat(500)],
  caption: 'heaviest functions',
  rows: [
    { name: 'a/b/c.(*T]]>).<img src=x onerror=alert(3)>', value: '1s', share: '50%', fraction: 0.5 },
    { name: 'L'.repeat(5000), note: '\u0000\u0007control\uFFFE', value: '+2s', share: '150%', fraction: 7 },
    { name: '🔥'.repeat(400), value: '-1s', share: '1%', fraction: -1 },
  ],
  hotPath: ['main.main', 'x'.repeat(3000), '</text>', 'runtime.memmove'],
  diff: true,
};

test('every text of the card is XML text, fitted to the card: hostile and endless names included', () => {
  const svg = renderCard(hostile);
  assert.equal(XMLValidator.validate(svg), true);
  assert.doesNotMatch(svg, /<script|<img|<svg onload|<b>/);
  assert.match(svg, new RegExp(`^<svg xmlns="http://www.w3.org/2000/svg" width="${CARD_WIDTH}" height="${CARD_HEIGHT}"`));
  const placed = texts(svg);
  assert.equal(placed.length, svg.split('<text').length - 1, 'every text element read');
  for (const t of placed) {
    const [left, right] = t.end ? [t.x - textWidth(t.text, t.font), t.x] : [t.x, t.x + textWidth(t.text, t.font)];
    assert.ok(left >= 56 && right <= CARD_WIDTH - 56, `${t.text.slice(0, 30)}… spans ${left}–${right}`);
  }
  assert.ok(svg.length < 20_000, `${svg.length} bytes`);
  // Bars stay within their track whatever the fraction says.
  for (const m of svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)) assert.ok(Number(m[1]) + Number(m[2]) <= CARD_WIDTH);
});

test('fitText keeps what fits and marks the cut; shortName drops the import path only', () => {
  const font = { size: 32 };
  assert.equal(fitText('main.f', 500, font), 'main.f');
  const cut = fitText('shopd/internal/cart.(*Cart).Checksum', 200, font, 'end');
  assert.ok(cut.startsWith(ELLIPSIS) && cut.endsWith('Checksum'), cut);
  assert.ok(textWidth(cut, font) <= 200);
  const head = fitText('abcdefghijklmnopqrstuvwxyz', 120, font);
  assert.ok(head.endsWith(ELLIPSIS) && head.startsWith('abc'), head);
  assert.equal(fitText('anything', 5, font), '');
  assert.equal(fitText('🔥🔥🔥🔥🔥🔥🔥🔥', 100, font).includes('\uFFFD'), false, 'never splits a surrogate pair');

  assert.equal(shortName('github.com/acme/shop/internal/cart.(*Cart).Total'), 'cart.(*Cart).Total');
  assert.equal(shortName('main.main'), 'main.main');
  assert.equal(shortName('main.(*T).f shopd/main.go:12'), 'main.(*T).f shopd/main.go:12');
  assert.equal(shortName('pkg.Map[go.shape.*a/b.T]'), 'pkg.Map[go.shape.*a/b.T]');
  assert.equal(shortName('std::vector<a/b>::push_back'), 'std::vector<a/b>::push_back'.slice('std::vector<a/'.length));
});

test('the hot path line keeps its first and last functions, the middle giving way first', () => {
  const font = { size: 30 };
  const path = ['main.main', 'main.serve', 'net/http.(*conn).serve', 'shopd/internal/cart.(*Cart).Checksum', 'runtime.memmove'];
  assert.equal(hotPathLine(path, 5000, font), 'main.main → main.serve → http.(*conn).serve → cart.(*Cart).Checksum → runtime.memmove');
  const short = hotPathLine(path, 700, font);
  assert.ok(short.startsWith('main.main → … → ') && short.endsWith('runtime.memmove'), short);
  assert.ok(textWidth(short, font) <= 700);
  const tiny = hotPathLine(['m'.repeat(100), 'r'.repeat(100)], 400, font);
  assert.ok(textWidth(tiny, font) <= 400, tiny);
});

test('the hot path line of a path thousands of frames deep (-trim=false) is what the short rule gives', () => {
  const font = { size: 30 };
  /** The rule as a first reading of it: every tail, longest first, joined and measured anew. */
  const byRule = (names: string[], width: number) => {
    const short = names.map(shortName);
    if (textWidth(short.join(' → '), font) <= width) return short.join(' → ');
    for (let tail = short.length - 2; tail >= 1; tail--) {
      const line = [short[0]!, ELLIPSIS, ...short.slice(-tail)].join(' → ');
      if (textWidth(line, font) <= width) return line;
    }
    return undefined;
  };
  // Short paths of every length and widths around each boundary: the same line as the rule.
  const pool = ['main.main', 'a', 'net/http.(*conn).serve', 'x/y/z.f', 'runtime.mallocgc', 'WWWWWWWWWW', 'github.com/acme/shop/internal/cart.(*Cart).Total'];
  for (let n = 1; n <= 9; n++) {
    const names = Array.from({ length: n }, (_, i) => pool[(i * 3 + n) % pool.length]!);
    for (let width = 100; width <= 1400; width += 37) {
      const want = byRule(names, width);
      if (want !== undefined) assert.equal(hotPathLine(names, width, font), want, `${n} names in ${width} px`);
    }
  }
  // 5,000 frames: the first, "…", and as many of the last as fit, no more.
  const deep = Array.from({ length: 5000 }, (_, i) => `shopd/internal/walk.step${i}`);
  const line = hotPathLine(deep, 1000, font);
  const parts = line.split(' → ');
  assert.deepEqual(parts.slice(0, 2), ['walk.step0', ELLIPSIS]);
  assert.deepEqual(parts.slice(2), deep.slice(-(parts.length - 2)).map(shortName));
  assert.ok(parts.length > 3 && textWidth(line, font) <= 1000, line);
  const oneMore = [parts[0], ELLIPSIS, shortName(deep.at(-(parts.length - 1))!), ...parts.slice(2)].join(' → ');
  assert.ok(textWidth(oneMore, font) > 1000, 'one more would not fit');
  const card = renderCard({ title: 't', kind: 'cpu', facts: [], caption: 'c', rows: [], hotPath: deep, diff: false });
  assert.equal(XMLValidator.validate(card), true);
  assert.ok(card.includes('walk.step4999'));
});

test("the width table is the font's: bold text measured here ends where resvg's ink ends", async () => {
  const line = 'WWmm.(*Cart).Checksum%';
  for (const bold of [false, true]) {
    const font = { size: 40, bold };
    const w = textWidth(line, font);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="80" font-family="Liberation Sans"><text x="10" y="55" font-size="40"${bold ? ' font-weight="bold"' : ''}>${line}</text></svg>`;
    const img = decodePng(await svgToPng(svg));
    let right = 0;
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) if (img.rgba[(y * img.width + x) * 4]! < 200) right = Math.max(right, x);
    }
    // The last glyph's ink ends a little inside its advance.
    assert.ok(right <= 10 + w && right >= 10 + w - 12, `${bold ? 'bold' : 'regular'}: ink ends at ${right}, measured ${10 + w}`);
  }
});

test('card.png is 1200×630 and well under 1 MB for CPU, heap diff, goroutine and hostile profiles', async () => {
  const cases: [Buffer, Buffer | undefined, string?][] = [
    [file('shopd/cpu.pb.gz'), undefined, 'checkout latency'],
    [file('shopd/heap.b.pb.gz'), file('shopd/heap.a.pb.gz')],
    [file('shopd/goroutine.b.pb.gz'), undefined],
    [readFileSync(path.join(CORPUS, 'bad/hostile-names.pb.gz')), undefined, '<script>'],
  ];
  for (const [bytes, base, title] of cases) {
    const input = loadReportInput('card', bytes, base && { bytes: base, diff: true });
    const svg = produceReport({ ...input, ...(title !== undefined && { title }) }, 'card', options).text;
    const png = await svgToPng(svg);
    assert.deepEqual(pngSize(png), { width: 1200, height: 630 });
    assert.ok(png.byteLength < 1_000_000 / 4, `${png.byteLength} bytes`);
  }
});

test('a profile without samples still gets a card (no rows, no hot path)', () => {
  const s = cardSummary(loadProfile(readFileSync(path.join(CORPUS, 'bad/zero-samples.pb.gz'))), options);
  assert.deepEqual(s.rows, []);
  assert.equal(XMLValidator.validate(renderCard(s)), true);
});
