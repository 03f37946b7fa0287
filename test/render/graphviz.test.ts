import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { XMLValidator } from 'fast-xml-parser';
import { loadGraphviz, renderDot } from '../../src/render/graphviz.js';
import { RenderError } from '../../src/errors.js';

const golden = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/corpus/golden/${name}`, import.meta.url), 'utf8');

test('loadGraphviz is memoised', async () => {
  const [a, b] = await Promise.all([loadGraphviz(), loadGraphviz()]);
  assert.equal(a, b);
  assert.match(a.version(), /^\d+\.\d+/);
});

test('renders a pprof DOT graph to SVG with its labels', async () => {
  const svg = await renderDot(golden('shopd.cpu.dot'), 'svg');
  assert.equal(XMLValidator.validate(svg), true);
  assert.match(svg, /<svg[\s>]/);
  // Labels are split on \n into one <text> per line.
  for (const label of ['handleRequest', 'asyncPreempt', 'Sum256', 'File: shopd']) {
    assert.ok(svg.includes(`>${label}</text>`), `missing label ${label}`);
  }
  assert.ok(svg.includes('<g id="node1" class="node">'));
});

test('garbage DOT is a RenderError carrying Graphviz’s message', async () => {
  await assert.rejects(renderDot('this is not dot', 'svg'), (err: unknown) => {
    assert.ok(err instanceof RenderError);
    assert.match(err.message, /syntax error in line 1/);
    return true;
  });
});

test('empty output is a RenderError, not an empty SVG', async () => {
  await assert.rejects(renderDot('', 'svg'), RenderError);
});

test('pprof’s broken DOT for hostile names is rejected, and Graphviz keeps working after', async () => {
  await assert.rejects(renderDot(golden('bad.hostile-graphviz-breakers.dot'), 'svg'), RenderError);
  const svg = await renderDot('digraph { a -> b }', 'svg');
  assert.ok(svg.includes('>a</text>'));
});
