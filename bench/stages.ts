/**
 * One fixture, in its own process so peak RSS is its own: decode / normalize / graph / DOT / layout
 * milliseconds (median of warm runs after one cold run), printed as one JSON line.
 */
import { readFileSync } from 'node:fs';
import { decodeProfile } from '../src/profile/decode.js';
import { normalizeProfile } from '../src/profile/normalize.js';
import { parseOptions } from '../src/options.js';
import { graphReport } from '../src/pipeline/graph-report.js';
import { composeDot } from '../src/dot/dot.js';
import { findHotPath } from '../src/graph/hot-path.js';
import { renderDot } from '../src/render/graphviz.js';
import { finishSvg } from '../src/render/svg.js';
import { goBase } from '../src/format/go-strings.js';

const file = process.argv[2]!;
const runs = Number(process.argv[3] ?? 5);
const bytes = readFileSync(file);
const options = parseOptions({});
const stages: Record<string, number[]> = { decode: [], normalize: [], graph: [], dot: [], layout: [], total: [] };
let nodes = 0;
let svgBytes = 0;
for (let i = 0; i <= runs; i++) {
  const t0 = performance.now();
  const raw = decodeProfile(bytes);
  const t1 = performance.now();
  const profile = normalizeProfile(raw);
  const t2 = performance.now();
  const report = graphReport(profile, 'dot', options);
  const t3 = performance.now();
  const main = report.selected.profile.mappings[0];
  const dot = composeDot(report.selected.ctx, report.pruned.graph, {
    title: main && main.file !== '' ? goBase(main.file) : '', labels: report.labels, hotPath: findHotPath(report.pruned.graph),
  });
  const t4 = performance.now();
  const svg = finishSvg(await renderDot(dot, 'svg'));
  const t5 = performance.now();
  nodes = report.pruned.graph.nodes.length;
  svgBytes = svg.length;
  if (i === 0) continue; // the cold run loads Graphviz and warms the JIT
  stages.decode!.push(t1 - t0);
  stages.normalize!.push(t2 - t1);
  stages.graph!.push(t3 - t2);
  stages.dot!.push(t4 - t3);
  stages.layout!.push(t5 - t4);
  stages.total!.push(t5 - t0);
}
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const out: Record<string, number> = { nodes, svgBytes, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
for (const [k, v] of Object.entries(stages)) out[k] = Math.round(median(v) * 10) / 10;
process.stdout.write(JSON.stringify(out) + '\n');
