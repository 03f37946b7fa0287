/**
 * flame.json: the flame tree as columns. Rebuilt from its depths, it is the tree flame.svg draws —
 * same frames, values, colours — and a diff carries each frame's base value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flameData, type FlameData } from '../../src/flame/json.js';
import { packageColor } from '../../src/flame/colors.js';
import { buildDiffFlameTree, buildFlameTree, walkFlameTree, type FlameTree } from '../../src/flame/tree.js';
import { parseOptions } from '../../src/options.js';
import { topReport } from '../../src/report/top.js';
import { defaultValueIndex, loadCorpusProfile } from './fixtures.js';

/** [depth, name, value, self] per frame in pre-order, as the tree walks. */
function rows(tree: FlameTree): [number, string, number, number][] {
  const out: [number, string, number, number][] = [];
  walkFlameTree(tree, (n, depth) => out.push([depth, n.name, n.value, n.self]));
  return out;
}

function dataRows(d: FlameData): [number, string, number, number][] {
  return d.depth.map((depth, i) => [depth, d.names[d.name[i]!]!, d.value[i]!, d.self[i]!]);
}

test('the columns are the tree in pre-order; names are interned with their package colours', () => {
  const profile = loadCorpusProfile('profiles/shopd/cpu.pb.gz');
  const valueIndex = defaultValueIndex(profile);
  const tree = buildFlameTree(profile, { valueIndex });
  const d = flameData(tree, { profile, valueIndex });
  assert.deepEqual(dataRows(d), rows(tree));
  assert.equal(d.total, tree.root.weight);
  assert.equal(new Set(d.names).size, d.names.length, 'each name once');
  assert.equal(d.weight, undefined, 'no negative values: weights are the values');
  assert.equal(d.base, undefined);
  const i = d.names.indexOf('main.checkout');
  const rgb = /^rgb\((\d+),(\d+),(\d+)\)$/.exec(packageColor('main.checkout'))!.slice(1).map(Number);
  assert.equal(d.colors[i], '#' + rgb.map((c) => c.toString(16).padStart(2, '0')).join(''));
  assert.deepEqual(d.scale?.units.map((u) => u[1]), ['ns', 'us', 'ms', 's', 'hrs']);
  // Every frame's callees (the following frames one deeper) fit inside it.
  for (let f = 0; f < d.depth.length; f++) {
    let inside = 0;
    for (let c = f + 1; c < d.depth.length && d.depth[c]! > d.depth[f]!; c++) if (d.depth[c] === d.depth[f]! + 1) inside += d.value[c]!;
    assert.ok(inside <= d.value[f]!, `frame ${f}`);
  }
});

test('a diff carries each frame\'s base value; names are data, hostile ones too', () => {
  const a = loadCorpusProfile('profiles/shopd/heap.a.pb.gz');
  const b = loadCorpusProfile('profiles/shopd/heap.b.pb.gz');
  const index = b.sampleTypes.findIndex((t) => t.type === 'inuse_space');
  const tree = buildDiffFlameTree(a, b, { valueIndex: index });
  const d = flameData(tree, { profile: b, base: a, valueIndex: index });
  assert.ok(d.diff);
  const bases: number[] = [];
  walkFlameTree(tree, (n) => bases.push(n.base ?? 0));
  assert.deepEqual(d.base, bases);

  const hostile = loadCorpusProfile('bad/hostile-names.pb.gz');
  const hostileIndex = defaultValueIndex(hostile);
  const names = flameData(buildFlameTree(hostile, { valueIndex: hostileIndex }), { profile: hostile, valueIndex: hostileIndex }).names;
  assert.ok(names.some((n) => n.includes('<')), 'names are data, as they are');
});

test("each function's flat and cum are -top's, frames too narrow to draw included", () => {
  for (const file of ['profiles/shopd/cpu.pb.gz', 'profiles/large/megasvc.cpu.pb.gz', 'bad/recursion-1000.pb.gz']) {
    const profile = loadCorpusProfile(file);
    const valueIndex = defaultValueIndex(profile);
    const d = flameData(buildFlameTree(profile, { valueIndex, minWidthFraction: 0.01 }), { profile, valueIndex });
    const top = topReport(profile, parseOptions({}));
    let compared = 0;
    for (const r of top.rows) {
      const i = d.names.indexOf(r.name);
      if (i <= 0) continue;
      assert.deepEqual([d.flat[i], d.cum[i]], [r.flat, r.cum], `${file}: ${r.name}`);
      compared++;
    }
    assert.ok(compared >= Math.min(5, d.names.length - 1), `${file}: ${compared} functions compared`);
  }
});
