/**
 * dot/layout.ts rewrites label values in pprof's DOT by scanning its strings. Profile data reaches
 * every string (the title, names, tag values, units), so the scan must stay in step with DOT's
 * tokens whatever the strings hold. The oracle builds the expected DOT from the same pieces: each
 * label's value through safeLabel, every other string as it is, all escaped by pprof's
 * escapeForDot, and the text built from pieces that look like DOT (`label=`, quotes, backslashes,
 * newlines, brackets).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dotForLayout, safeLabel } from '../../src/dot/layout.js';
import { escapeForDot } from '../../src/dot/names.js';
import { fuzzParams, Tally } from './support.js';

const piece = fc.constantFrom(
  'a', 'Z', '.', ' ', '=', '[', ']', '{', '}', ';', ',', '&', '"', '\\', '\\n', '\\l', '\n', '\u0001',
  'label=', 'label =', ' label="', 'x label=', 'xlabel=', 'labeltooltip=', 'tooltip="', '\\"', 'a'.repeat(120),
);
const text = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));

/** The shapes of pprof's DOT lines (dot/dot.ts): which strings are labels, which are not. */
function dot(title: string, legend: string, node: string, tooltip: string, tag: string, weight: string, label: (s: string) => string, other: (s: string) => string): string {
  const [t, l, n, tt, g, w] = [title, legend, node, tooltip, tag, weight].map(escapeForDot) as [string, string, string, string, string, string];
  return [
    `digraph "${other(t)}" {`,
    'node [style=filled fillcolor="#f8f8f8"]',
    `subgraph cluster_L { "${other(l)}" [shape=box fontsize=16 label="${label(`${l}\\l${l}\\l`)}" tooltip="${other(t)}"] }`,
    `N1 [label="${label(`${n}\\n${w}`)}" id="node1" fontsize=8 shape=box tooltip="${other(`${tt} (${w})`)}" color="#b20000"]`,
    `N1_0 [label = "${label(g)}" id="N1_0" fontsize=8 shape=box3d tooltip="${other(w)}"]`,
    `N1 -> N1_0 [label="${label(` ${w}`)}" weight=100 tooltip="${other(w)}" labeltooltip="${other(w)}"]`,
    `N1 -> N2 [label="${label(` ${w}\\n (inline)`)}" tooltip="${other(`${tt} -> ${n} (${w})`)}" labeltooltip="${other(`${tt} -> ${n} (${w})`)}"]`,
    '}',
    '',
  ].join('\n');
}

test('dotForLayout rewrites exactly the label values, whatever the strings hold', () => {
  const tally = new Tally();
  const asIs = (s: string) => s;
  const forXml = (s: string) => s.replaceAll('&', '&amp;').replaceAll('\u0001', '\uFFFD');
  fc.assert(fc.property(text, text, text, text, text, text, (...strings) => {
    const [title, legend, node, tooltip, tag, weight] = strings;
    const want = dot(title, legend, node, tooltip, tag, weight, (s) => safeLabel(forXml(s)), forXml);
    const got = dotForLayout(dot(title, legend, node, tooltip, tag, weight, asIs, asIs));
    tally.add(want === forXml(dot(title, legend, node, tooltip, tag, weight, asIs, asIs)) ? 'labels unchanged' : 'labels rewritten');
    assert.equal(got, want);
  }), fuzzParams(3_000));
  assert.ok(tally.get('labels rewritten') > 500, tally.summary('dot strings'));
  console.log(tally.summary('dotForLayout on generated strings'));
});
