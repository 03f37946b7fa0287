/**
 * Every protobuf profile of the corpus renders to a standalone SVG that parses as XML and names the
 * five heaviest functions (by flat) of its -top report. For a flat profile (megasvc), pprof's node
 * selection for graphs (by entropy, 80 nodes) leaves some of those out of the default graph, in pprof
 * as in hotpath; there the check uses the heaviest functions the graph selects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { parseOptions } from '../../src/options.js';
import { loadProfile } from '../../src/profile/load.js';
import { graphReport } from '../../src/pipeline/graph-report.js';
import { topReport } from '../../src/report/top.js';
import { produceReport } from '../../src/reports.js';
import { renderDot } from '../../src/render/graphviz.js';
import { finishSvg } from '../../src/render/svg.js';
import { CORPUS, SPEC_FIXTURES } from '../support/goldens.js';

const files = [
  ...['shopd', 'billing', 'large'].flatMap((d) => readdirSync(path.join(CORPUS, 'profiles', d)).filter((f) => f.endsWith('.pb.gz')).map((f) => path.join(CORPUS, 'profiles', d, f))),
  path.join(CORPUS, 'profiles/pprof-testdata/large.cpu'),
  ...['goprof', 'synthetic'].flatMap((d) => readdirSync(path.join(SPEC_FIXTURES, d)).filter((f) => f.endsWith('.pb.gz')).map((f) => path.join(SPEC_FIXTURES, d, f))),
];

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

test('the corpus has protobuf profiles to render', () => assert.ok(files.length >= 20, String(files.length)));

for (const file of files) {
  test(`SVG of ${path.relative(path.join(CORPUS, '..'), file)}`, async () => {
    const { profile } = loadProfile(readFileSync(file));
    const options = parseOptions({});
    const svg = finishSvg(await renderDot(produceReport(profile, 'svg', options).text, 'svg'));
    assert.equal(XMLValidator.validate(svg), true);
    const drawn = new Set(graphReport(profile, 'dot', options).pruned.graph.nodes.map((n) => n.name));
    const heaviest = topReport(profile, options).rows.filter((r) => r.flat !== 0);
    const top = (heaviest.slice(0, 5).every((r) => drawn.has(r.name)) ? heaviest : heaviest.filter((r) => drawn.has(r.name))).slice(0, 5);
    assert.ok(top.length > 0 || heaviest.length === 0);
    for (const row of top) {
      // Graphviz writes each node's tooltip (its full name) as the link title.
      assert.ok(svg.includes(`${xmlEscape(row.name)} (`), `${row.name} missing`);
    }
  });
}
