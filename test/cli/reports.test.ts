/** The CLI's non-pprof reports, end to end: flame graphs, folded stacks, the leak report and its budget. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLValidator } from 'fast-xml-parser';
import { CORPUS } from '../support/goldens.js';

const BIN = fileURLToPath(new URL('../../../bin/hotpath.cjs', import.meta.url));
const shopd = (f: string) => path.join(CORPUS, 'profiles/shopd', f);
const hotpath = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, timeout: 120_000 });

test('-folded equals the corpus folded stacks of the same profile', () => {
  const r = hotpath('-folded', '-sample_index=0', shopd('cpu.pb.gz'));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(path.join(CORPUS, 'profiles/folded/shopd.cpu.folded'), 'utf8'));
});

test('folded stacks are read back as a profile: same top as the proto it came from', () => {
  // Folded stacks carry no inlining marks: compare the rows without them.
  const rows = (out: string) => out.split('\n').filter((l) => /^ +\d/.test(l)).map((l) => l.replace(/ \((partial-)?inline\)$/, ''));
  const fromFolded = rows(hotpath('-top', path.join(CORPUS, 'profiles/folded/shopd.cpu.folded')).stdout);
  assert.ok(fromFolded.length > 20);
  assert.deepEqual(fromFolded, rows(hotpath('-top', '-sample_index=0', shopd('cpu.pb.gz')).stdout));
});

test('-flame and -icicle write valid SVG; -base makes a differential one', () => {
  for (const args of [['-flame'], ['-icicle'], ['-flame', '-base', shopd('heap.a.pb.gz')]]) {
    const r = hotpath(...args, shopd(args.length > 1 ? 'heap.b.pb.gz' : 'cpu.pb.gz'));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(XMLValidator.validate(r.stdout), true);
    assert.match(r.stdout, /class="frame"/);
  }
});

test('-leaks -base lists the leaking groups first and -fail_on_growth fails the build', () => {
  const ok = hotpath('-leaks', '-base', shopd('goroutine.a.pb.gz'), shopd('goroutine.b.pb.gz'));
  assert.equal(ok.status, 0, ok.stderr);
  const rows = ok.stdout.split('\n').filter((l) => /^\d+ /.test(l));
  assert.match(rows[0]!, /306 +6 +\+300 .*sessions\.\(\*Store\)\.Watch/);
  const json = JSON.parse(hotpath('-leaks', '-json', '-base', shopd('goroutine.a.pb.gz'), shopd('goroutine.b.pb.gz')).stdout);
  assert.equal(json.total, 542);
  const failing = hotpath('-leaks', '-fail_on_growth=100', '-base', shopd('goroutine.a.pb.gz'), shopd('goroutine.b.pb.gz'));
  assert.equal(failing.status, 1);
  assert.match(failing.stderr, /budget exceeded: .*Watch.* grew by 300/);
  assert.equal(hotpath('-leaks', '-max_goroutines=1000', shopd('goroutine.b.pb.gz')).status, 0);
  assert.equal(hotpath('-leaks', '-max_goroutines=500', shopd('goroutine.b.pb.gz')).status, 1);
});

test('the debug=2 dump and the proto snapshot count the same goroutines per user function', () => {
  // debug=2 also knows each goroutine's creator, which splits some groups further than a proto can.
  const perFunction = (file: string) => {
    const sums: Record<string, number> = {};
    for (const g of JSON.parse(hotpath('-leaks', '-json', file).stdout).groups) sums[g.userFunction] = (sums[g.userFunction] ?? 0) + g.count;
    return sums;
  };
  assert.deepEqual(perFunction(shopd('goroutine.b.debug2.txt')), perFunction(shopd('goroutine.b.pb.gz')));
});
