/**
 * The whole pipeline under hostile profiles and random options: for every profile that loads
 * (generated messages full of hostile names and extreme values, mutated real profiles that still
 * decode, the real ones), produceReport for top, traces, dot, flame and folded with random valid
 * options throws nothing but OptionsError. The DOT of profiles with markup in their names lays out
 * in Graphviz, and no name's markup survives unescaped into the SVG (DOT's or the flame graph's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { loadProfile } from '../../src/profile/load.js';
import { parseOptions } from '../../src/options.js';
import { produceReport, type ReportName } from '../../src/reports.js';
import { renderDot } from '../../src/render/graphviz.js';
import { finishSvg } from '../../src/render/svg.js';
import { OptionsError, ProfileError, RenderError, TooLargeError } from '../../src/errors.js';
import type { Profile } from '../../src/profile/model.js';
import { applyByteEdits, byteEdits } from './mutate.js';
import { HOSTILE_NAMES, encodeGen, expectedOutcome, genProfile, type GenProfile } from './profile-gen.js';
import { LONG_RUN, SHOPD, Tally, breather, fuzzParams, listFiles, outcomeOf, timed } from './support.js';

const TEST_TIMEOUT = LONG_RUN ? Infinity : 120_000;
const REPORTS: ReportName[] = ['top', 'traces', 'dot', 'flame', 'flame.json', 'folded', 'card'];
const ENV = { timeZone: 'UTC' };
/** shopd's profiles report in ~10 ms; generated ones are smaller */
const REPORT_LIMIT_MS = 3000;

const GZIPPED = listFiles(SHOPD, '.pb.gz').map((f) => readFileSync(f));
const RAW = GZIPPED.map((b) => new Uint8Array(gunzipSync(b)));

/** Bytes of a profile that loads: generated (valid by the oracle), a real one, or a mutated real one. */
const profileBytes = fc.oneof(
  {
    weight: 3,
    arbitrary: genProfile.filter((g) => expectedOutcome(g, Infinity).outcome === 'profile').map(encodeGen),
  },
  { weight: 1, arbitrary: fc.nat().map((i) => GZIPPED[i % GZIPPED.length]!) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(), byteEdits).map(([i, edits]) => applyByteEdits(RAW[i % RAW.length]!, edits, RAW)) },
);

/** A regexp option: a pattern, or one of the names generated profiles carry (metacharacters included). */
const regexOption = fc.oneof(
  fc.constantFrom('main', 'runtime\\.', '^sync', '.*', 'σ', '<script>', '\\pL+', '(a+)+$', 'x|y', '[', '(?i)MAIN', ''),
  fc.constantFrom(...HOSTILE_NAMES),
);
const tagOption = fc.constantFrom('', 'bytes=1kb:', ':64mb', '10ms:1s', '42', 'key=value', 'tenant=acme,beta', '1:2:3', '9'.repeat(30) + ':', 'state=chan receive', '=', ',');

/** Raw options as a query string would carry them (0–4 of them); parseOptions decides what is valid. */
const OPTION_VALUES = {
  nodecount: fc.integer({ min: 0, max: 200 }).map(String),
  nodefraction: fc.constantFrom('0', '0.005', '0.1', '1'),
  edgefraction: fc.constantFrom('0', '0.001', '0.5'),
  trim: fc.constantFrom('true', 'false'),
  focus: regexOption, ignore: regexOption, hide: regexOption, show: regexOption, show_from: regexOption, prune_from: regexOption,
  tagfocus: tagOption, tagignore: tagOption, tagshow: regexOption, taghide: regexOption,
  tagroot: fc.constantFrom('tenant', 'bytes', 'state,created_by', ''), tagleaf: fc.constantFrom('tenant', '__proto__', ''),
  granularity: fc.constantFrom('functions', 'filefunctions', 'files', 'lines', 'addresses'),
  noinlines: fc.constantFrom('true', 'false'),
  cum: fc.constantFrom('true', 'false'),
  unit: fc.constantFrom('minimum', 'auto', 'ms', 'MB', 's', 'ns', 'B', 'kb', 'count', 'furlongs'),
  divide_by: fc.constantFrom('1', '2', '-1', '0.001', '1e6', '1e-300', '1e300'),
  relative_percentages: fc.constantFrom('true', 'false'),
  drop_negative: fc.constantFrom('true', 'false'),
  compact_labels: fc.constantFrom('true', 'false'),
  sample_index: fc.constantFrom('0', '1', '2', '7', 'samples', 'cpu', 'inuse_space', 'alloc_objects', 'contentions', 'delay', 'goroutine', '__proto__'),
  mean: fc.constantFrom('true', 'false'),
  minwidth: fc.constantFrom('0', '0.1', '5', '1%', '50%'),
  palette: fc.constantFrom('package', 'hot'),
  hot_path: fc.constantFrom('true', 'false'),
};
const rawOptions = fc
  .array(fc.oneof(...Object.entries(OPTION_VALUES).map(([k, v]) => (v as fc.Arbitrary<string>).map((x) => [k, x] as const))), { maxLength: 4 })
  .map((entries) => Object.fromEntries(entries) as Record<string, string>);

const XML = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, processEntities: false, parseTagValue: false });

/**
 * Markup in any name must come out escaped. Parsed as XML: the only elements are the SVG
 * vocabulary the renderers write, at most one script (the flame graph's own, last), no
 * event-handler attribute, no javascript: link.
 */
function assertNoNameMarkup(svg: string, what: string): void {
  assert.equal(XMLValidator.validate(svg), true, `${what} is well-formed XML`);
  const scripts: string[] = [];
  const walk = (nodes: Record<string, unknown>[]) => {
    for (const node of nodes) {
      for (const [tag, children] of Object.entries(node)) {
        if (tag === ':@') {
          for (const [attr, v] of Object.entries(children as Record<string, string>)) {
            assert.ok(!/^on/i.test(attr), `${what}: event-handler attribute ${attr}`);
            if (/href$/i.test(attr)) assert.doesNotMatch(v, /^\s*javascript:/i, `${what}: ${attr}`);
          }
          continue;
        }
        if (tag === '#text' || tag === '?xml' || tag === '#comment') continue;
        assert.ok(SVG_ELEMENTS.has(tag), `${what}: unexpected element <${tag}>`);
        if (tag === 'script') scripts.push(JSON.stringify(children).slice(0, 40));
        if (Array.isArray(children)) walk(children as Record<string, unknown>[]);
      }
    }
  };
  walk(XML.parse(svg) as Record<string, unknown>[]);
  assert.ok(scripts.length <= 1, `${what}: at most our own script element`);
  if (scripts.length === 1) assert.ok(svg.indexOf('<script type="text/ecmascript"><![CDATA[') > svg.lastIndexOf('</g>'), `${what}: the script is ours, at the end`);
}

/** what Graphviz and src/flame/svg.ts write (the flame graph's search box is XHTML in a foreignObject) */
const SVG_ELEMENTS = new Set([
  'svg', 'g', 'title', 'a', 'path', 'polygon', 'polyline', 'ellipse', 'text', 'rect', 'defs', 'style', 'script', 'desc', 'line',
  'linearGradient', 'stop', 'tspan', '!DOCTYPE', 'foreignObject', 'div', 'input', 'label',
]);

function reportChecked(profile: Profile, name: ReportName, raw: Record<string, string>, tally: Tally): string | undefined {
  const o = outcomeOf(() => parseOptions(raw), [OptionsError]);
  if (o.error) {
    tally.add('options refused');
    return undefined;
  }
  const r = outcomeOf(() => timed(REPORT_LIMIT_MS, `${name} report`, () => produceReport(profile, name, o.value!, ENV)), [OptionsError]);
  if (r.error) {
    tally.add(`${name}: OptionsError`);
    return undefined;
  }
  const text = r.value!.text;
  assert.equal(typeof text, 'string');
  if (name === 'dot') assert.match(text, /^digraph "/);
  if (name === 'flame') assertNoNameMarkup(text, 'flame graph');
  if (name === 'card') assertNoNameMarkup(text, 'card');
  if (name === 'flame.json') assert.equal((JSON.parse(text) as { depth: number[] }).depth.length > 0, true);
  tally.add(`${name}: ok`);
  return text;
}

test('fuzz produceReport: loaded profiles and random options give a report or OptionsError', { timeout: TEST_TIMEOUT }, async () => {
  const tally = new Tally();
  const breathe = breather(50);
  await fc.assert(
    fc.asyncProperty(profileBytes, rawOptions, fc.constantFrom(...REPORTS), async (bytes, raw, name) => {
      const loaded = outcomeOf(() => loadProfile(bytes), [ProfileError, TooLargeError]);
      if (loaded.error) {
        tally.add('not a profile');
      } else {
        reportChecked(loaded.value!.profile, name, raw, tally);
      }
      await breathe();
    }),
    fuzzParams(1000, 1 / 20),
  );
  console.log(tally.summary('produceReport'));
  assert.ok(REPORTS.every((n) => tally.get(`${n}: ok`) > 0), 'every report was produced at least once');
});

test('fuzz produceReport: DOT of profiles with hostile names lays out in Graphviz, markup escaped', { timeout: TEST_TIMEOUT }, async () => {
  const tally = new Tally();
  // Valid generated profiles whose string table is all hostile names, so every node carries one, and
  // so do the sample unit, the source files, the binary and a comment (which may be empty).
  const hostile = genProfile
    .map((g) => {
      const names = g.strings.slice(1).map((_, i) => HOSTILE_NAMES[(i * 7 + g.strings.length) % HOSTILE_NAMES.length]!);
      const pick = (k: number) => HOSTILE_NAMES[(k * 13 + g.strings.length) % HOSTILE_NAMES.length]!;
      const strings = ['', ...names, 'samples', pick(1), `src/${pick(2)}.go`, `/bin/${pick(3)}`, g.strings.length % 2 === 0 ? '' : pick(4)];
      const [samples, count, file, binary, comment] = [1, 2, 3, 4, 5].map((k) => BigInt(names.length + k));
      const plain = { type: samples!, unit: count! };
      return {
        ...g,
        strings,
        sampleTypes: g.sampleTypes.map(() => plain),
        periodType: g.periodType && plain,
        functions: g.functions.map((f) => ({ ...f, filename: file! })),
        mappings: g.mappings.map((m) => ({ ...m, filename: binary! })),
        comments: [comment!],
      };
    })
    .filter((g) => expectedOutcome(g, Infinity).outcome === 'profile' && g.samples.some((s) => s.locationIds.length > 0));
  await fc.assert(
    fc.asyncProperty(hostile, fc.constantFrom('true', 'false'), fc.constantFrom('functions', 'lines', 'files', 'addresses'), async (g, hotPath, granularity) => {
      const { profile } = loadProfile(encodeGen(g));
      // 'svg' gives the DOT that goes to layout (the CLI and the service render exactly this).
      const dot = reportChecked(profile, 'svg', { hot_path: hotPath, granularity, nodefraction: '0', edgefraction: '0' }, new Tally());
      if (dot === undefined) return void tally.add('dot: OptionsError');
      // Graphviz's own SVG is what PNGs are made of; the finished one is what the service serves.
      const svg = await renderDot(dot, 'svg');
      assertNoNameMarkup(svg, 'Graphviz SVG');
      assertNoNameMarkup(finishSvg(svg), 'finished SVG');
      tally.add('laid out');
    }),
    fuzzParams(200, 1 / 500),
  );
  console.log(tally.summary('produceReport dot → Graphviz'));
  assert.ok(tally.get('laid out') > 0);
});

// ---------------------------------------------------------------------------------------------
// Known bugs outside the parsers that this fuzzing found (test/fixtures/fuzz/pipeline/README.md).
// They are left to the owners of those files; each test asserts today's failure, so it fails —
// and must become the plain expectation written in its message — once the bug is fixed.

const KNOWN = (file: string) => readFileSync(new URL(`../../../test/fixtures/fuzz/pipeline/${file}`, import.meta.url));
const report = (file: string, name: ReportName, raw: Record<string, string> = {}) =>
  produceReport(loadProfile(KNOWN(file)).profile, name, parseOptions(raw), ENV).text;

test('a sample unit with a quote is escaped in DOT labels, which lay out', async () => {
  const dot = report('sample-unit-with-quote.pb', 'dot');
  assert.ok(dot.includes('(3a\\"b)'), 'the unit is escaped in tooltip="…"');
  assert.match(await renderDot(dot, 'svg'), /<svg/);
});

test('source and mapping file names with quotes are escaped in DOT labels, which lay out', async () => {
  assert.match(await renderDot(report('file-names-with-quote.pb', 'dot'), 'svg'), /<svg/, 'address-only node: [a"b]');
  assert.match(await renderDot(report('file-names-with-quote.pb', 'dot', { granularity: 'lines' }), 'svg'), /<svg/, 'x"y.go:1');
});

test('a numeric label keyed __proto__ or constructor is a label like any other', () => {
  assert.match(report('numeric-label-key-__proto__.pb', 'traces'), /__proto__/);
  assert.ok(report('numeric-label-key-__proto__.pb', 'tags').length > 0);
  assert.ok(report('numeric-label-key-__proto__.pb', 'top').length > 0);
});

test('an empty first comment: -dot keeps pprof\'s legend, SVG layout never starts a label with an empty line', async () => {
  // @hpcc-js/wasm-graphviz 1.29.2 crashes ("table index is out of bounds") on a label that starts with
  // an empty line, where native dot does not; the DOT sent to layout avoids it.
  assert.match(report('empty-first-comment.pb', 'dot'), /label="\\lType: /, 'pprof\'s DOT, as pprof writes it');
  const forLayout = report('empty-first-comment.pb', 'svg');
  assert.match(forLayout, /label=" \\lType: /);
  for (let i = 0; i < 3; i++) assert.match(await renderDot(forLayout, 'svg'), /<svg/);
});
