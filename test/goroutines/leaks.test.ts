import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { OptionsError } from '../../src/errors.js';
import { checkLeakBudget, escapeName, formatLeakReportText, isUserFunction, leakReport, type LeakGroup, type LeakReport } from '../../src/goroutines/leaks.js';
import { decodeProfile } from '../../src/profile/decode.js';
import { parseGoroutineDump } from '../../src/profile/goroutine-dump.js';
import type { Profile, ProfileFunction, Location } from '../../src/profile/model.js';

const CORPUS = fileURLToPath(new URL('../../../test/fixtures/corpus/', import.meta.url));
const read = (rel: string) => readFileSync(path.join(CORPUS, rel));
const load = (rel: string): Profile => (rel.endsWith('.txt') ? parseGoroutineDump(read(rel).toString('utf8')) : decodeProfile(read(rel)));

interface TruthGroup {
  state: string;
  function: string;
  createdBy: string;
  count: number;
  delta?: number;
}
interface Truth {
  total: number;
  baselineTotal?: number;
  groups: TruthGroup[];
}
const truth = (name: string): Truth => JSON.parse(read(`truth/${name}`).toString('utf8')) as Truth;

/** A report group in the truth files' terms. */
const asTruth = (g: LeakGroup, withDelta: boolean): TruthGroup => ({
  state: g.state!,
  function: g.userFunction!,
  createdBy: g.createdBy ?? '',
  count: g.count,
  ...(withDelta ? { delta: g.delta! } : {}),
});

const FORMS = {
  shopdA: ['profiles/shopd/goroutine.a.pb.gz', 'profiles/shopd/goroutine.a.debug1.txt', 'profiles/shopd/goroutine.a.debug2.txt'],
  shopdB: ['profiles/shopd/goroutine.b.pb.gz', 'profiles/shopd/goroutine.b.debug1.txt', 'profiles/shopd/goroutine.b.debug2.txt'],
  billing: ['profiles/billing/goroutine.pb.gz', 'profiles/billing/goroutine.debug1.txt', 'profiles/billing/goroutine.debug2.txt'],
} as const;

test('shopd B against A (debug=2): the ground truth groups, leaks first, with their growth', () => {
  const t = truth('shopd.goroutine.b.leaks.json');
  const r = leakReport(load('profiles/shopd/goroutine.b.debug2.txt'), { base: load('profiles/shopd/goroutine.a.debug2.txt') });
  assert.equal(r.total, t.total);
  assert.equal(r.baseTotal, t.baselineTotal);
  assert.deepEqual(r.groupedBy, { state: true, createdBy: true });
  assert.deepEqual(r.groups.map((g) => asTruth(g, true)), t.groups);
  assert.deepEqual(r.groups.map((g) => g.isNew), [true, true, true, true, false, false]);
  assert.deepEqual(r.groups.map((g) => g.base), [0, 0, 0, 0, 6, 1]);
  assert.deepEqual(r.groups.map((g) => g.waitMinutes), [
    { min: 0, max: 0 }, { min: 0, max: 0 }, { min: 0, max: 0 }, { min: 0, max: 0 }, { min: 0, max: 0 }, undefined,
  ]);
  assert.deepEqual(r.groups.map((g) => g.status), ['parked', 'parked', 'parked', 'parked', 'parked', 'running']);
});

test('billing (debug=2): the ground truth groups, biggest first', () => {
  const t = truth('billing.goroutine.groups.json');
  const r = leakReport(load('profiles/billing/goroutine.debug2.txt'));
  assert.equal(r.total, t.total);
  assert.equal(r.baseTotal, undefined);
  assert.deepEqual(r.groups.map((g) => asTruth(g, false)), t.groups);
  assert.ok(r.groups.every((g) => g.delta === undefined && g.base === undefined && g.isNew === undefined));
  assert.equal(r.groups[0]!.primitive, 'sync.runtime_notifyListWait');
});

for (const [name, forms] of Object.entries(FORMS)) {
  test(`${name}: proto, debug=1 and debug=2 give the same groups and counts`, () => {
    const [pb, d1, d2] = forms.map((f) => leakReport(load(f)));
    assert.equal(pb!.total, d1!.total);
    assert.equal(pb!.total, d2!.total);
    // proto and debug=1 know the same: stack only.
    const stacks = (r: LeakReport) => r.groups.map((g) => ({ stack: g.stack, count: g.count, userFunction: g.userFunction }));
    assert.deepEqual(stacks(d1!), stacks(pb!));
    assert.deepEqual(pb!.groupedBy, { state: false, createdBy: false });
    // debug=2 splits groups further by state and creator; summed back by stack they are the proto's.
    const byStack = new Map<string, number>();
    for (const g of d2!.groups) byStack.set(JSON.stringify(g.stack), (byStack.get(JSON.stringify(g.stack)) ?? 0) + g.count);
    assert.deepEqual(new Map(pb!.groups.map((g) => [JSON.stringify(g.stack), g.count])), byStack);
    // What each form knows agrees: status everywhere; wait reasons inferred from proto frames are debug=2's states.
    for (const g of d2!.groups) {
      const twin = pb!.groups.find((p) => JSON.stringify(p.stack) === JSON.stringify(g.stack))!;
      assert.equal(twin.status, g.status, g.userFunction);
      // debug=1 hides the frames that say it; it may not know, but never contradicts.
      const d1Status = d1!.groups.find((p) => JSON.stringify(p.stack) === JSON.stringify(g.stack))!.status;
      assert.ok(d1Status === g.status || d1Status === 'unknown', `${d1Status} vs ${g.status}`);
      assert.equal(twin.waitReason, g.status === 'parked' ? g.state : undefined);
      assert.equal(twin.state, undefined);
      assert.equal(twin.createdBy, undefined);
      assert.equal(twin.waitMinutes, undefined);
    }
  });
}

test('debug=1: parked known from a hidden leaf address shared with a visibly parked stack', () => {
  for (const f of [FORMS.shopdB[1], FORMS.billing[1]]) {
    const r = leakReport(load(f));
    assert.deepEqual(r.groups.map((g) => g.status), [...r.groups.map(() => 'parked').slice(1), 'running'], f);
  }
  // shopd A has no visibly parked stack: its watchers' status cannot be told.
  assert.deepEqual(leakReport(load(FORMS.shopdA[1])).groups.map((g) => g.status), ['unknown', 'running']);
});

test('proto profiles: parking primitive, wait reason and first user frame', () => {
  const r = leakReport(load('profiles/shopd/goroutine.b.pb.gz'));
  assert.deepEqual(
    r.groups.map((g) => [g.count, g.status, g.waitReason, g.primitive, g.userFunction]),
    [
      [306, 'parked', 'chan receive', 'runtime.chanrecv2', 'shopd/internal/sessions.(*Store).Watch'],
      [100, 'parked', 'select', 'runtime.selectgo', 'main.pollInventory'],
      [75, 'parked', 'semacquire', 'sync.runtime_SemacquireMutex', 'shopd/internal/cart.(*Ledger).Append'],
      [60, 'parked', 'sleep', 'time.Sleep', 'main.retryLater'],
      [1, 'running', undefined, undefined, 'main.write'],
    ],
  );
  // The stack is the one a traceback shows: no runtime.gopark, runtime.main, runtime.goexit.
  assert.deepEqual(r.groups[2]!.stack, [
    'sync.runtime_SemacquireMutex', 'sync.(*Mutex).lockSlow', 'sync.(*Mutex).Lock', 'shopd/internal/cart.(*Ledger).Append',
  ]);
  assert.deepEqual(r.groups[4]!.stack, ['main.write', 'main.main'], 'the snapshot writer is keyed from outside runtime/pprof');
});

test('with a base from another form, groups pair up on what both know', () => {
  const expected = leakReport(load('profiles/shopd/goroutine.b.pb.gz'), { base: load('profiles/shopd/goroutine.a.pb.gz') });
  assert.deepEqual(expected.groups.map((g) => [g.userFunction, g.count, g.base, g.delta, g.isNew]), [
    ['shopd/internal/sessions.(*Store).Watch', 306, 6, 300, false],
    ['main.pollInventory', 100, 0, 100, true],
    ['shopd/internal/cart.(*Ledger).Append', 75, 0, 75, true],
    ['main.retryLater', 60, 0, 60, true],
    ['main.write', 1, 1, 0, false],
  ]);
  const summary = (r: LeakReport) => r.groups.map((g) => [g.stack, g.count, g.base, g.delta, g.isNew]);
  for (const [a, b] of [
    ['profiles/shopd/goroutine.a.pb.gz', 'profiles/shopd/goroutine.b.debug2.txt'],
    ['profiles/shopd/goroutine.a.debug2.txt', 'profiles/shopd/goroutine.b.pb.gz'],
    ['profiles/shopd/goroutine.a.debug1.txt', 'profiles/shopd/goroutine.b.debug2.txt'],
    ['profiles/shopd/goroutine.a.debug1.txt', 'profiles/shopd/goroutine.b.debug1.txt'],
  ] as const) {
    const r = leakReport(load(b), { base: load(a) });
    assert.deepEqual(r.groupedBy, { state: false, createdBy: false }, `${a} ${b}`);
    assert.deepEqual(summary(r), summary(expected), `${a} ${b}`);
    assert.ok(r.groups.every((g) => g.state === undefined && g.createdBy === undefined));
  }
});

test('with a base, the biggest growth comes first, not the biggest group', () => {
  const block = (id: number, fn: string) => `goroutine ${id} [select]:\n${fn}()\n\t/m.go:1 +0x1\ncreated by main.main\n\t/m.go:2 +0x1\n`;
  const dump = (counts: Record<string, number>) => {
    let id = 2;
    return Object.entries(counts).flatMap(([fn, n]) => Array.from({ length: n }, () => block(id++, fn))).join('\n');
  };
  const base = parseGoroutineDump(dump({ 'main.pool': 500, 'main.idle': 3 }));
  const r = leakReport(parseGoroutineDump(dump({ 'main.pool': 510, 'main.leaky': 50, 'main.idle': 3 })), { base });
  assert.deepEqual(r.groups.map((g) => [g.userFunction, g.count, g.delta, g.isNew]), [
    ['main.leaky', 50, 50, true],
    ['main.pool', 510, 10, false],
    ['main.idle', 3, 0, false],
  ]);
  // Without a base: biggest first.
  assert.deepEqual(leakReport(base).groups.map((g) => g.userFunction), ['main.pool', 'main.idle']);
});

test('groups gone since the base are listed last with a negative delta', () => {
  const r = leakReport(load('profiles/shopd/goroutine.a.debug2.txt'), { base: load('profiles/shopd/goroutine.b.debug2.txt') });
  assert.equal(r.total, 7);
  assert.equal(r.baseTotal, 542);
  assert.deepEqual(r.groups.map((g) => [g.userFunction, g.createdBy, g.count, g.delta]), [
    ['shopd/internal/sessions.(*Store).Watch', 'main.main', 6, 0],
    ['main.write', undefined, 1, 0],
    ['main.retryLater', 'main.leak', 0, -60],
    ['shopd/internal/cart.(*Ledger).Append', 'main.leak', 0, -75],
    ['main.pollInventory', 'main.leak', 0, -100],
    ['shopd/internal/sessions.(*Store).Watch', 'main.leak', 0, -300],
  ]);
  assert.ok(r.groups.every((g) => g.isNew === false));
  assert.ok(r.groups.slice(2).every((g) => g.waitMinutes === undefined));
});

test('wait time range and status from debug=2 states', () => {
  const dump = [
    'goroutine 1 [running]:', 'main.main()', '\t/m.go:3 +0x1', '',
    'goroutine 2 [chan send]:', 'main.produce()', '\t/m.go:9 +0x1', 'created by main.main', '\t/m.go:4 +0x1', '',
    'goroutine 3 [chan send, 12 minutes]:', 'main.produce()', '\t/m.go:9 +0x1', 'created by main.main', '\t/m.go:4 +0x1', '',
    'goroutine 4 [chan send, 5 minutes]:', 'main.produce()', '\t/m.go:9 +0x1', 'created by main.main', '\t/m.go:4 +0x1', '',
    'goroutine 5 [syscall, 3 minutes]:', 'syscall.Syscall(0x0)', '\t/s.go:1 +0x1', 'main.read()', '\t/m.go:20 +0x1', '',
    'goroutine 6 [runnable]:', 'main.spin()', '\t/m.go:30 +0x1', '',
  ].join('\n');
  const r = leakReport(parseGoroutineDump(dump));
  const produce = r.groups.find((g) => g.userFunction === 'main.produce')!;
  assert.equal(produce.count, 3);
  assert.deepEqual(produce.waitMinutes, { min: 0, max: 12 });
  assert.equal(produce.status, 'parked');
  assert.equal(produce.waitReason, 'chan send');
  const read = r.groups.find((g) => g.userFunction === 'main.read')!;
  assert.equal(read.status, 'syscall');
  assert.deepEqual(read.waitMinutes, { min: 3, max: 3 });
  assert.equal(read.waitReason, undefined);
  assert.equal(r.groups.find((g) => g.userFunction === 'main.spin')!.status, 'runnable');
  assert.equal(r.groups.find((g) => g.userFunction === 'main.main')!.waitMinutes, undefined);
  const text = formatLeakReportText(r);
  assert.match(text, /\n1 +3 +parked +chan send +<1-12 min +- +main\.produce +main\.main\n/);
});

test('standard library or user code', () => {
  const std = [
    'runtime.gopark', 'runtime/pprof.writeGoroutine', 'sync.(*Mutex).Lock', 'internal/poll.(*FD).Read',
    'net/http.(*conn).serve', 'time.Sleep', 'vendor/golang.org/x/net/http2/hpack.(*Decoder).Write',
    'type:.eq.main.T', 'type..hash.main.T', 'panic', 'gogo', 'crypto/tls.(*Conn).Read',
  ];
  const user = [
    'main.main', 'main.main.func1', 'shopd/internal/cart.(*Ledger).Append', 'github.com/x/y.F',
    'golang.org/x/sync/errgroup.(*Group).Go.func1', 'gopkg.in/yaml.v2.Unmarshal', 'main.(*List[...]).Push',
    'main.sumBy[go.shape.int,net/http.Header]', 'example/timeutil.Now',
  ];
  for (const n of std) assert.equal(isUserFunction(n), false, n);
  for (const n of user) assert.equal(isUserFunction(n), true, n);
});

test('text: a fixed-width table and the stacks, names escaped', () => {
  const r = leakReport(load('profiles/shopd/goroutine.b.debug2.txt'), { base: load('profiles/shopd/goroutine.a.debug2.txt') });
  const text = formatLeakReportText(r);
  const lines = text.split('\n');
  assert.equal(lines[0], 'Goroutines: 542 (base 7, +535)');
  assert.equal(lines[1], 'Groups: 6, by stack, state, creator; biggest growth first');
  assert.match(lines[3]!, /^# +COUNT +BASE +DELTA +STATUS +WAIT REASON +WAITED +BLOCKED IN +USER FUNCTION +CREATED BY$/);
  assert.match(lines[4]!, /^1 +300 +0 +\+300 new +parked +chan receive +<1 min +- +shopd\/internal\/sessions\.\(\*Store\)\.Watch +main\.leak$/);
  // Columns line up: every row puts USER FUNCTION at the same offset as its header.
  const at = lines[3]!.indexOf('USER FUNCTION');
  for (const row of lines.slice(4, 10)) assert.ok(row.slice(at).match(/^(shopd|main)/), row);
  assert.ok(text.includes('#3  75 goroutines\n    sync.runtime_SemacquireMutex\n    sync.(*Mutex).lockSlow\n    sync.(*Mutex).Lock\n    shopd/internal/cart.(*Ledger).Append\n    created by main.leak\n'));
  assert.ok(text.endsWith('\n'));

  // Hostile names: nothing that moves a terminal's cursor or reorders text gets through.
  const hostile = 'main.evil\n\r\t\u001b[2J\u0000\u007f\u009b\u202e\u2028x\\';
  assert.equal(escapeName(hostile), 'main.evil\\n\\r\\t\\x1b[2J\\x00\\x7f\\x9b\\u202e\\u2028x\\\\');
  const fn: ProfileFunction = { id: 1, name: hostile, systemName: hostile, filename: 'x.go', startLine: 0 };
  const loc: Location = { id: 1, mapping: undefined, address: 0n, lines: [{ function: fn, line: 1 }], isFolded: false };
  const p = parseGoroutineDump('goroutine profile: total 0\n');
  p.samples.push({ locations: [loc], values: [2], labels: { created_by: [hostile], state: ['select'] }, numLabels: undefined, numUnits: undefined });
  const out = formatLeakReportText(leakReport(p));
  assert.doesNotMatch(out, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
  assert.ok(out.includes('main.evil\\n\\r\\t\\x1b[2J'));
  // A 10,000-character name is cut in the table and in the stack list.
  const long = { ...fn, name: `main.${'x'.repeat(10_000)}` };
  p.samples[0] = { ...p.samples[0]!, locations: [{ ...loc, lines: [{ function: long, line: 1 }] }] };
  assert.ok(formatLeakReportText(leakReport(p)).split('\n').every((l) => l.length < 400));
});

test('budget: maximum goroutines and growth over the base', () => {
  const b = load('profiles/shopd/goroutine.b.debug2.txt');
  const alone = leakReport(b);
  const vsA = leakReport(b, { base: load('profiles/shopd/goroutine.a.debug2.txt') });
  assert.deepEqual(checkLeakBudget(alone, { maxGoroutines: 542 }), []);
  assert.deepEqual(checkLeakBudget(alone, { maxGoroutines: 100 }), ['542 goroutines, more than the maximum of 100']);
  assert.deepEqual(checkLeakBudget(vsA, {}), []);
  assert.equal(checkLeakBudget(vsA, { failOnGrowth: 50 }).length, 4);
  assert.deepEqual(checkLeakBudget(vsA, { failOnGrowth: 299 }), [
    'shopd/internal/sessions.(*Store).Watch (chan receive, created by main.leak) grew by 300 goroutines (0 → 300), more than 299',
  ]);
  // No single group over the limit, but the total is.
  assert.deepEqual(checkLeakBudget(vsA, { failOnGrowth: 300 }), ['goroutines grew by 535 (7 → 542), more than 300']);
  assert.deepEqual(checkLeakBudget(vsA, { failOnGrowth: 535, maxGoroutines: 1000 }), []);
  assert.equal(checkLeakBudget(vsA, { failOnGrowth: 0, maxGoroutines: 0 }).length, 5);
  assert.throws(() => checkLeakBudget(alone, { failOnGrowth: 1 }), (e: unknown) => e instanceof OptionsError && e.option === 'failOnGrowth');
  assert.throws(() => checkLeakBudget(alone, { maxGoroutines: -1 }), OptionsError);
  assert.throws(() => checkLeakBudget(alone, { maxGoroutines: 1.5 }), OptionsError);
});

test('a profile that is not a goroutine profile is refused', () => {
  assert.throws(() => leakReport(load('profiles/shopd/heap.a.pb.gz')), (e: unknown) => e instanceof OptionsError && /goroutine profile/.test(e.message));
});

test('JSON: the report round-trips through JSON unchanged', () => {
  const r = leakReport(load('profiles/shopd/goroutine.b.debug1.txt'), { base: load('profiles/shopd/goroutine.a.pb.gz') });
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
});
