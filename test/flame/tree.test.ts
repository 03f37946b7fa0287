import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDiffFlameTree, buildFlameTree, walkFlameTree, type FlameNode } from '../../src/flame/tree.js';
import { parseFolded } from '../../src/profile/folded.js';
import { OptionsError } from '../../src/errors.js';
import { corpusPath, defaultValueIndex, loadCorpusProfile } from './fixtures.js';
import { prefixSums, readTracesGolden } from './traces-golden.js';

/** Every frame of the tree as path (names joined by NUL, root excluded) → value. */
function framePaths(root: FlameNode): Map<string, number> {
  const out = new Map<string, number>();
  walkFlameTree({ root, valueType: { type: '', unit: '' }, frames: 0, prunedFrames: 0, maxDepth: 0, diff: false }, (n, depth, path) => {
    if (depth === 0) return;
    out.set(path.slice(1).map((p) => p.name).join('\u0000'), n.value);
  });
  return out;
}

// Fixtures whose -traces golden prints every value exactly (counts, or times in whole ms).
const TRACED = [
  ['shopd.cpu', 'profiles/shopd/cpu.pb.gz'],
  ['shopd.goroutine.a', 'profiles/shopd/goroutine.a.pb.gz'],
  ['shopd.goroutine.b', 'profiles/shopd/goroutine.b.pb.gz'],
  ['billing.cpu', 'profiles/billing/cpu.pb.gz'],
  ['billing.goroutine', 'profiles/billing/goroutine.pb.gz'],
  ['megasvc.cpu', 'profiles/large/megasvc.cpu.pb.gz'],
  ['bad.hostile-names', 'bad/hostile-names.pb.gz'],
  ['bad.recursion-1000', 'bad/recursion-1000.pb.gz'],
  ['bad.zero-samples', 'bad/zero-samples.pb.gz'],
] as const;

for (const [golden, input] of TRACED) {
  test(`${golden}: every frame's width is the sum of the -traces samples through it at its depth`, () => {
    const profile = loadCorpusProfile(input);
    const tree = buildFlameTree(profile, { valueIndex: defaultValueIndex(profile) });
    const { traces } = readTracesGolden(corpusPath(`golden/${golden}.traces.txt`));
    const expected = prefixSums(traces);
    const got = framePaths(tree.root);

    const total = traces.reduce((s, t) => s + t.value, 0);
    assert.equal(tree.root.value, total, 'root = total of the samples');
    assert.equal(tree.root.weight, total);
    assert.equal(tree.prunedFrames, 0);
    assert.equal(got.size, expected.size, 'same set of frames');
    for (const [path, value] of expected) {
      assert.equal(got.get(path), value, `frame ${JSON.stringify(path.split('\u0000').slice(-2))}`);
    }
  });
}

test('the root equals the profile total pprof prints in the -traces header', () => {
  const profile = loadCorpusProfile('profiles/shopd/cpu.pb.gz');
  const tree = buildFlameTree(profile, { valueIndex: 1 });
  const { header } = readTracesGolden(corpusPath('golden/shopd.cpu.traces.txt'));
  // "Duration: 4.54s, Total samples = 4.27s (94.00%)"
  const m = /Total samples = (\d+)\.(\d\d)s/.exec(header.join('\n'));
  assert.ok(m);
  assert.equal(tree.root.value, Number(m[1]) * 1e9 + Number(m[2]) * 1e7);
  // Value index 0 (samples/count) of the same profile: 427 samples.
  assert.equal(buildFlameTree(profile, { valueIndex: 0 }).root.value, 427);
});

test('recursion stays at separate depths, 1,000 deep, without overflowing the stack', () => {
  const profile = loadCorpusProfile('bad/recursion-1000.pb.gz');
  const tree = buildFlameTree(profile, { valueIndex: 1 });
  assert.ok(tree.maxDepth >= 1000, `depth ${tree.maxDepth}`);
  let walkFrames = 0;
  let walkCount = 0;
  walkFlameTree(tree, (n, depth) => {
    walkCount++;
    if (n.name === 'main.walk') walkFrames = Math.max(walkFrames, depth);
  });
  assert.equal(walkCount, tree.frames);
  assert.ok(walkFrames > 900, 'main.walk appears at each depth it reaches');
});

test('children are merged by name at each depth and sorted by name; self is what ends there', () => {
  const tree = buildFlameTree(parseFolded('a;b;c 1\na;b 2\na;c 4\nx 8\na;b;c 16\n'), { valueIndex: 0 });
  const r = tree.root;
  assert.equal(r.name, 'all');
  assert.equal(r.value, 31);
  assert.deepEqual(r.children.map((c) => [c.name, c.value]), [['a', 23], ['x', 8]]);
  const a = r.children[0]!;
  assert.deepEqual(a.children.map((c) => [c.name, c.value, c.self]), [['b', 19, 2], ['c', 4, 4]]);
  assert.equal(a.self, 0);
  assert.deepEqual(a.children[0]!.children.map((c) => [c.name, c.value, c.self]), [['c', 17, 17]]);
  assert.equal(tree.frames, 6);
  assert.equal(tree.maxDepth, 3);
});

test('minWidthFraction drops narrow frames, whose values stay in their parents', () => {
  const p = parseFolded('a;b 990\na;c 9\nd 1\n');
  const full = buildFlameTree(p, { valueIndex: 0 });
  assert.equal(full.frames, 5);
  const pruned = buildFlameTree(p, { valueIndex: 0, minWidthFraction: 0.01 });
  assert.equal(pruned.root.value, 1000);
  assert.deepEqual(pruned.root.children.map((c) => c.name), ['a']);
  assert.equal(pruned.root.children[0]!.value, 999);
  assert.deepEqual(pruned.root.children[0]!.children.map((c) => c.name), ['b']);
  assert.equal(pruned.frames, 3);
  assert.equal(pruned.prunedFrames, 2);
});

test('maxFrames keeps the heaviest frames and a connected tree, ties broken shallow first', () => {
  const p = parseFolded('a;b;c 5\na;b;d 5\ne;f 5\ng 5\n');
  const t = buildFlameTree(p, { valueIndex: 0, maxFrames: 4 });
  assert.equal(t.frames, 4);
  const names: string[] = [];
  walkFlameTree(t, (n) => names.push(n.name));
  // all (20), a (10), b (10): then one of the 5s, the shallowest (e or g) before c, d or f.
  assert.deepEqual(names.slice(0, 3), ['all', 'a', 'b']);
  assert.ok(names[3] === 'e' || names[3] === 'g', names.join(','));
  assert.throws(() => buildFlameTree(p, { valueIndex: 0, maxFrames: 0 }), OptionsError);
});

test('negative values: width follows |value| so callees never outgrow their caller', () => {
  const t = buildFlameTree(parseFolded('a;b 30\na;c -20\n'), { valueIndex: 0 });
  const a = t.root.children[0]!;
  assert.equal(a.value, 10);
  assert.equal(a.weight, 50);
  assert.equal(a.children.reduce((s, c) => s + c.weight, 0), 50);
  assert.equal(t.root.weight, 50);
});

test('a bad value index is an OptionsError naming the sample types', () => {
  const p = loadCorpusProfile('profiles/shopd/cpu.pb.gz');
  assert.throws(() => buildFlameTree(p, { valueIndex: 2 }), (e: unknown) => e instanceof OptionsError && /samples cpu/.test(e.message));
  assert.throws(() => buildFlameTree(p, { valueIndex: 0, minWidthFraction: 2 }), OptionsError);
});

test('diff tree: value from the target, base from the base, delta = value − base', () => {
  const base = parseFolded('a;b 10\na;c 10\nd 5\n');
  const target = parseFolded('a;b 30\na;c 5\ne 1\n');
  const t = buildDiffFlameTree(base, target, { valueIndex: 0 });
  assert.equal(t.diff, true);
  assert.equal(t.root.value, 36);
  assert.equal(t.root.base, 25);
  const byName = new Map(t.root.children.map((c) => [c.name, c]));
  assert.deepEqual([...byName.keys()], ['a', 'e'], 'd exists only in the base: no width, not drawn');
  assert.equal(byName.get('a')!.base, 20);
  assert.equal(byName.get('a')!.value, 35);
  const [b, c] = byName.get('a')!.children;
  assert.deepEqual([b!.name, b!.value, b!.base], ['b', 30, 10]);
  assert.deepEqual([c!.name, c!.value, c!.base], ['c', 5, 10]);
  assert.equal(byName.get('e')!.base, 0);

  const n = buildDiffFlameTree(base, target, { valueIndex: 0, normalize: true });
  // The base is scaled by 36/25 before subtracting.
  assert.equal(n.root.base, 36);
  assert.equal(n.root.children[0]!.base, Math.round((20 * 36) / 25));
});

test('diff tree of the heap A/B fixtures: growth in sessions.newSession and main.growCache', () => {
  const a = loadCorpusProfile('profiles/shopd/heap.a.pb.gz');
  const b = loadCorpusProfile('profiles/shopd/heap.b.pb.gz');
  const inuse = b.sampleTypes.findIndex((t) => t.type === 'inuse_space');
  const t = buildDiffFlameTree(a, b, { valueIndex: inuse });
  const grown = new Set<string>();
  walkFlameTree(t, (n) => {
    if (n.value - (n.base ?? 0) > 0) grown.add(n.name);
  });
  assert.ok([...grown].some((n) => n.includes('newSession')), 'newSession grew');
  assert.ok(grown.has('main.growCache'), 'growCache grew');
  const sum = (p: typeof a): number => p.samples.reduce((s, x) => s + x.values[inuse]!, 0);
  assert.equal(t.root.value, sum(b));
  assert.equal(t.root.base, sum(a));
  assert.throws(() => buildDiffFlameTree(a, loadCorpusProfile('profiles/shopd/cpu.pb.gz'), { valueIndex: 1 }), OptionsError);
});
