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
