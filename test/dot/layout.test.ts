/**
 * The DOT sent to Graphviz: labels made safe (no empty first line, no endless line), characters
 * XML forbids replaced, and ordinary graphs untouched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLValidator } from 'fast-xml-parser';
import { dotForLayout, MAX_LABEL_LINE, safeLabel } from '../../src/dot/layout.js';
import { renderDot } from '../../src/render/graphviz.js';
import { finishSvg } from '../../src/render/svg.js';
import { parseOptions } from '../../src/options.js';
import { loadProfile } from '../../src/profile/load.js';
import type { Mapping } from '../../src/profile/model.js';
import { produceReport } from '../../src/reports.js';
import { namedProfile } from '../attacks/shapes.js';

test('a label never starts with an empty line; empty lines further down stay', () => {
  assert.equal(safeLabel('\\nfoo\\n1s'), ' \\nfoo\\n1s');
  assert.equal(safeLabel('\\lType: cpu\\l\\lSee'), ' \\lType: cpu\\l\\lSee');
  assert.equal(safeLabel('\\r'), ' \\r');
  assert.equal(safeLabel('main\\nf\\n'), 'main\\nf\\n');
  assert.equal(safeLabel('a\\\\nb'), 'a\\\\nb', 'an escaped backslash before n is text, not a line break');
});

test('label lines are cut at MAX_LABEL_LINE characters, escapes and surrogate pairs whole', () => {
  const long = 'a'.repeat(MAX_LABEL_LINE + 50);
  assert.equal(safeLabel(`${long}\\n2s`), `${'a'.repeat(MAX_LABEL_LINE)}…\\n2s`);
  const emoji = '😀'.repeat(MAX_LABEL_LINE + 1);
  assert.equal(safeLabel(emoji), '😀'.repeat(MAX_LABEL_LINE) + '…');
  const quotes = '\\"'.repeat(MAX_LABEL_LINE + 1);
  assert.equal(safeLabel(quotes), '\\"'.repeat(MAX_LABEL_LINE) + '…');
});

test('only label values change; & and characters XML forbids are replaced everywhere', () => {
  const dot = 'digraph "x" {\nN1 [label="\\n.x\\n1s" tooltip="a&b\u0001" id="node1"]\nN1 -> N2 [label="\\nedge" labeltooltip="\\nkept"]\n}\n';
  assert.equal(
    dotForLayout(dot),
    'digraph "x" {\nN1 [label=" \\n.x\\n1s" tooltip="a&amp;b\uFFFD" id="node1"]\nN1 -> N2 [label=" \\nedge" labeltooltip="\\nkept"]\n}\n',
  );
});

test('names Graphviz WASM crashed on lay out, repeatedly, into XML', async () => {
  const names = ['\\n.x', '\\l', '\\n\\n::y', '.\u0001', '\uFFFF', 'a'.repeat(5000)];
  const nodes = names.map((n, i) => `N${i} [label="${n}\\n${i}s" shape=box tooltip="${n}"]`);
  const edges = names.slice(1).map((n, i) => `N${i} -> N${i + 1} [label="${n}"]`);
  const dot = dotForLayout(`digraph "t" {\n${[...nodes, ...edges].join('\n')}\n}\n`);
  for (let i = 0; i < 5; i++) assert.equal(XMLValidator.validate(finishSvg(await renderDot(dot, 'svg'))), true);
});

test('a title that ends in label= is a string like any other: the labels after it are still made safe', () => {
  const long = 'a'.repeat(MAX_LABEL_LINE + 100);
  const safe = `label=" \\n${'a'.repeat(MAX_LABEL_LINE)}…\\n1s"`;
  for (const title of ['x', 'x label=', 'x label=\\"', 'label="', 'x\\\\']) {
    const dot =
      `digraph "${title}" {\nnode [style=filled fillcolor="#f8f8f8"]\n` +
      `subgraph cluster_L { "File: ${title}" [shape=box fontsize=16 label="File: ${title}\\l" tooltip="${title}"] }\n` +
      `N1 [label="\\n${long}\\n1s" id="node1" tooltip="main.f (1s)"]\n}\n`;
    const out = dotForLayout(dot);
    assert.ok(out.includes(`N1 [${safe} id="node1"`), `title ${title}: ${out}`);
    assert.ok(out.includes(`digraph "${title}" {`) && out.includes(`tooltip="${title}"`), `title ${title} kept: ${out}`);
  }
});

test('a binary named `x label=` and a file that starts with an empty line and runs 300 characters: the SVG path makes it safe', async () => {
  const input = loadProfile(namedProfile(['main.f'], () => `\n${'a'.repeat(300)}`));
  const binary: Mapping = {
    id: 1, start: 0n, limit: 0n, offset: 0n, file: '/bin/x label=', buildId: '',
    hasFunctions: true, hasFilenames: true, hasLineNumbers: true, hasInlineFrames: false,
  };
  input.profile.mappings.unshift(binary);
  for (const l of input.profile.locations) l.mapping = binary;
  const report = produceReport(input, 'svg', parseOptions({ granularity: 'files' }));
  assert.ok(report.needsLayout);
  assert.match(report.text, /^digraph "x label=" \{/);
  assert.ok(report.text.includes(`N1 [label=" \\l${'a'.repeat(MAX_LABEL_LINE)}…\\n100 (100%)"`), report.text);
  for (let i = 0; i < 3; i++) assert.equal(XMLValidator.validate(finishSvg(await renderDot(report.text, 'svg'))), true);
});
