import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ProfileError } from '../../src/errors.js';
import { decodeProfile } from '../../src/profile/decode.js';
import { GOROUTINE_LABELS, isGoroutineDump, parseGoroutineDump, WAIT_MINUTES_UNIT } from '../../src/profile/goroutine-dump.js';
import type { Location, Profile, Sample } from '../../src/profile/model.js';

const CORPUS = fileURLToPath(new URL('../../../test/fixtures/corpus/', import.meta.url));
const read = (rel: string) => readFileSync(path.join(CORPUS, rel));
const dump = (rel: string) => parseGoroutineDump(read(rel).toString('utf8'));
const proto = (rel: string) => decodeProfile(read(rel));

/** The same snapshot in three forms (written one after the other by the corpus workloads). */
const SNAPSHOTS = [
  { proto: 'profiles/shopd/goroutine.a.pb.gz', debug1: 'profiles/shopd/goroutine.a.debug1.txt', debug2: 'profiles/shopd/goroutine.a.debug2.txt' },
  { proto: 'profiles/shopd/goroutine.b.pb.gz', debug1: 'profiles/shopd/goroutine.b.debug1.txt', debug2: 'profiles/shopd/goroutine.b.debug2.txt' },
  { proto: 'profiles/billing/goroutine.pb.gz', debug1: 'profiles/billing/goroutine.debug1.txt', debug2: 'profiles/billing/goroutine.debug2.txt' },
];

const names = (s: Sample) => s.locations.flatMap((l) => l.lines.map((x) => x.function.name));
const chain = (l: Location) => l.lines.map((x) => x.function.name).join(' > ');
const labelKey = (s: Sample) => JSON.stringify(Object.entries(s.labels ?? {}).sort());
/** Go's traceback (debug=2) hides unexported runtime functions. */
const tracebackHides = (name: string) => /^runtime\.[^A-Z]/.test(name);
/** The snapshot writer: proto/debug=1 and debug=2 take different code paths to write it. */
const isWriter = (s: Sample) => names(s).some((n) => n.startsWith('runtime/pprof.'));

test('sniffs goroutine dumps and nothing else', () => {
  for (const s of SNAPSHOTS) {
    assert.equal(isGoroutineDump(read(s.debug1)), true, s.debug1);
    assert.equal(isGoroutineDump(read(s.debug2)), true, s.debug2);
    assert.equal(isGoroutineDump(read(s.proto)), false, s.proto);
  }
  assert.equal(isGoroutineDump(read('bad/goroutine-debug2-truncated.txt')), true);
  for (const other of ['bad/random.bin', 'bad/empty.pb.gz', 'profiles/folded/shopd.cpu.folded', 'profiles/pprof-testdata/gobench.cpu.pb']) {
    assert.equal(isGoroutineDump(read(other)), false, other);
  }
  const enc = (t: string) => new TextEncoder().encode(t);
  assert.equal(isGoroutineDump(enc('heap profile: 1: 2 [3: 4] @ heap/1048576\n')), false);
  assert.equal(isGoroutineDump(enc('goroutine 1 [running]:')), false, 'a header cut mid-line is not enough');
  assert.equal(isGoroutineDump(enc('\ufeff\n\ngoroutine 1 gp=0xc000002380 m=0 mp=0x5b3e40 [running]:\nmain.main()\n')), true);
  assert.equal(isGoroutineDump(enc('panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/x.go:3 +0x1\n')), true);
  assert.equal(isGoroutineDump(enc('panic: boom\nnothing else\n')), false);
});

for (const s of SNAPSHOTS) {
  test(`debug=1 ${s.debug1}: the proto profile's stacks, minus the runtime frames the writer hides`, () => {
    const text = dump(s.debug1);
    const pb = proto(s.proto);
    assert.deepEqual(text.sampleTypes, [{ type: 'goroutine', unit: 'count' }]);
    assert.deepEqual(text.periodType, { type: 'goroutine', unit: 'count' });
    assert.equal(text.mappings.length, 0);
    const total = Number(/total (\d+)/.exec(read(s.debug1).toString('utf8'))![1]);
    assert.equal(text.samples.reduce((n, x) => n + x.values[0]!, 0), total);
    assert.equal(text.samples.length, pb.samples.length);

    // Pair samples by count and labels; every named frame (and its file) as in the proto profile.
    const unmatched = [...pb.samples];
    for (const t of text.samples) {
      const shown = names(t);
      const i = unmatched.findIndex((p) => {
        const pn = names(p);
        const firstShown = pn.findIndex((n) => !n.startsWith('runtime.'));
        return p.values[0] === t.values[0] && labelKey(p) === labelKey(t) && JSON.stringify(pn.slice(firstShown)) === JSON.stringify(shown);
      });
      assert.ok(i >= 0, `no proto sample for ${t.values[0]} @ ${shown.join(' < ')}`);
      const p = unmatched.splice(i, 1)[0]!;
      if (isWriter(t)) continue; // written from another call site: other return addresses
      // Locations with names carry the proto location's address and its inline chain. Where the
      // innermost frame of a proto location is a hidden runtime one (runtime.goparkunlock inlined
      // into sync.runtime_notifyListWait), the shown caller sits at its own inline-mark address and
      // its chain is the proto chain's tail.
      const byAddress = new Map(p.locations.map((l) => [l.address, l]));
      for (const loc of t.locations.filter((l) => l.lines.length > 0)) {
        const twin = byAddress.get(loc.address);
        if (twin) assert.equal(chain(loc), chain(twin));
        else assert.ok(p.locations.some((l) => chain(l).endsWith(` > ${chain(loc)}`)), `location ${chain(loc)}`);
        const files = new Map(p.locations.flatMap((l) => l.lines.map((x) => [x.function.name, x.function.filename] as const)));
        for (const line of loc.lines) assert.equal(line.function.filename, files.get(line.function.name));
      }
      // The hidden frames start at the proto stack's leaf.
      if (t.locations[0]!.lines.length === 0) assert.equal(t.locations[0]!.address, p.locations[0]!.address);
    }
  });

  test(`debug=2 ${s.debug2}: one sample per goroutine, the proto profile's stacks as a traceback shows them`, () => {
    const text = dump(s.debug2);
    const pb = proto(s.proto);
    const raw = read(s.debug2).toString('utf8');
    const headers = raw.split('\n').filter((l) => /^goroutine \d+ \[/.test(l));
    assert.equal(text.samples.length, headers.length);
    assert.ok(text.samples.every((x) => x.values.length === 1 && x.values[0] === 1));
    assert.equal(text.mappings.length, 0);
    // The state of every goroutine, in order.
    assert.deepEqual(
      text.samples.map((x) => x.labels?.[GOROUTINE_LABELS.state]?.[0]),
      headers.map((h) => /\[([^\],]*)/.exec(h)![1]),
    );
    assert.equal(pb.samples.reduce((n, x) => n + x.values[0]!, 0), text.samples.length);

    // Stacks with their counts equal the proto profile's (the writer itself aside).
    const tally = (samples: Sample[], hide: boolean) => {
      const m = new Map<string, number>();
      for (const x of samples.filter((y) => !isWriter(y))) {
        const k = names(x).filter((n) => !(hide && tracebackHides(n))).join(' < ');
        m.set(k, (m.get(k) ?? 0) + x.values[0]!);
      }
      return [...m].sort();
    };
    assert.deepEqual(tally(text.samples, false), tally(pb.samples, true));

    // Inline chains and file names as in the proto profile.
    const visibleChain = (l: Location) => l.lines.map((x) => x.function.name).filter((n) => !tracebackHides(n)).join(' > ');
    const pbChains = new Set(pb.locations.map(visibleChain));
    const pbFiles = new Map(pb.functions.map((f) => [f.name, f.filename]));
    for (const x of text.samples.filter((y) => !isWriter(y))) {
      for (const loc of x.locations) {
        assert.equal(loc.address, 0n);
        assert.ok(pbChains.has(chain(loc)), `location ${chain(loc)}`);
        for (const line of loc.lines) assert.equal(line.function.filename, pbFiles.get(line.function.name));
      }
    }
  });
}

test('debug=2: creator, inlined frames and the file:line of each frame', () => {
  const p = dump('profiles/shopd/goroutine.b.debug2.txt');
  const ledger = p.samples.find((x) => names(x).includes('shopd/internal/cart.(*Ledger).Append'))!;
  assert.deepEqual(ledger.labels, { state: ['semacquire'], created_by: ['main.leak'] });
  assert.equal(ledger.numLabels, undefined);
  assert.deepEqual(
    ledger.locations.map((l) => l.lines.map((x) => `${x.function.name} ${x.function.filename}:${x.line}`)),
    [
      ['sync.runtime_SemacquireMutex runtime/sema.go:77'],
      ['sync.(*Mutex).lockSlow sync/mutex.go:171'],
      ['sync.(*Mutex).Lock sync/mutex.go:90', 'shopd/internal/cart.(*Ledger).Append shopd/internal/cart/cart.go:88'],
    ],
  );
  const main = p.samples.find((x) => x.labels?.state?.[0] === 'running')!;
  assert.equal(main.labels?.created_by, undefined, 'the main goroutine has no creator');
});

test('debug=1: labels are read as Go quoted strings', () => {
  const p = dump('profiles/billing/goroutine.debug1.txt');
  assert.deepEqual(
    p.samples.map((x) => x.labels),
    [
      { tenant: ['acme'], worker: ['payment'] },
      { tenant: ['initech'], worker: ['payment'] },
      { tenant: ['acme'], worker: ['settle'] },
      { tenant: ['globex'], worker: ['settle'] },
      { tenant: ['initech'], worker: ['settle'] },
      { tenant: ['umbrella'], worker: ['settle'] },
      undefined,
    ],
  );
  const escaped = parseGoroutineDump(
    'goroutine profile: total 2\n2 @ 0x10 0x20\n# labels: {"k\\"ey":"v\\\\al\\u00e9\\x41\\t", "z":""}\n#\t0x1f\tmain.f+0x3\t/x.go:7\n\n',
  );
  assert.deepEqual(escaped.samples[0]!.labels, { 'k"ey': ['v\\aléA\t'], z: [''] });
  assert.deepEqual(names(escaped.samples[0]!), ['main.f']);
  assert.deepEqual(escaped.samples[0]!.locations.map((l) => l.address), [0xfn, 0x1fn]);
});

test('debug=2: header variants of newer and older runtimes', () => {
  const text = [
    'panic: boom [recovered]',
    '\tpanic: boom',
    '',
    'goroutine 1 gp=0xc000002380 m=0 mp=0x5b3e40 [running]:',
    'main.main()',
    '\tC:/work/x/main.go:5 +0x1d fp=0xc000050f50 sp=0xc000050f30 pc=0x45b2bd',
    '',
    'goroutine 7 [chan receive (scan), 5 minutes, locked to thread]:',
    'main.f(...)',
    '\t/x/main.go:9',
    'main.g({0x1, 0x2}, 0xc000012345?, ...)',
    '\t/x/main.go:12 +0x1d',
    '...additional frames elided...',
    'created by main.main in goroutine 1',
    '\t/x/main.go:4 +0x25',
    '',
    'goroutine 8 [select, 61 minutes]:',
    'type:.eq.struct { a int }(0x0?)',
    '\t<autogenerated>:1 +0x9',
    '...12 frames elided...',
    'main.h[...]()',
    '\t/x/main.go:20 +0x2',
    'created by main.main',
    '\t/x/main.go:5 +0x35',
    '[originating from goroutine 1]:',
    'main.main(...)',
    '\t/x/main.go:5 +0x35',
    '',
    'goroutine 9 [running]:',
    '\tgoroutine running on other thread; stack unavailable',
    'created by main.main',
    '\t/x/main.go:6 +0x45',
    '',
  ].join('\r\n');
  const p = parseGoroutineDump(text);
  assert.equal(p.samples.length, 4);
  const [g1, g7, g8, g9] = p.samples as [Sample, Sample, Sample, Sample];
  assert.deepEqual(g1.labels, { state: ['running'] });
  assert.equal(g1.locations[0]!.lines[0]!.function.filename, 'C:/work/x/main.go');
  assert.equal(g1.locations[0]!.lines[0]!.line, 5);
  assert.deepEqual(g7.labels, { state: ['chan receive'], created_by: ['main.main'], locked_to_thread: ['true'] });
  assert.deepEqual(g7.numLabels, { [GOROUTINE_LABELS.waitMinutes]: [5] });
  assert.deepEqual(g7.numUnits, { [GOROUTINE_LABELS.waitMinutes]: [WAIT_MINUTES_UNIT] });
  assert.deepEqual(g7.locations.map(chain), ['main.f > main.g']);
  assert.deepEqual(g8.labels, { state: ['select'], created_by: ['main.main'] }, 'ancestors are not the creator');
  assert.deepEqual(names(g8), ['type:.eq.struct { a int }', 'main.h[...]']);
  assert.deepEqual(g8.numLabels, { wait_minutes: [61] });
  assert.deepEqual(g9.locations, []);
  assert.deepEqual(g9.labels, { state: ['running'], created_by: ['main.main'] });
  // Identical stacks stay separate samples (the merge step sums them).
  const twins = parseGoroutineDump('goroutine 1 [sleep]:\ntime.Sleep(0x1)\n\t/t.go:1 +0x1\n\ngoroutine 2 [sleep]:\ntime.Sleep(0x2)\n\t/t.go:1 +0x1\n');
  assert.equal(twins.samples.length, 2);
  assert.equal(twins.samples[0]!.locations[0], twins.samples[1]!.locations[0], 'one location shared');
  assert.equal(twins.locations.length, 1);
  assert.equal(twins.functions.length, 1);
});

test('the truncated corpus dump gives a one-line error naming its last line', () => {
  const text = read('bad/goroutine-debug2-truncated.txt').toString('utf8');
  const lines = text.split('\n');
  while (lines[lines.length - 1] === '') lines.pop();
  const last = lines.length;
  assert.match(lines[last - 1]!, /^[\w./()*]+\(.*\)$/, 'the fixture ends with a call line');
  assert.throws(
    () => parseGoroutineDump(text),
    (e: unknown) => {
      assert.ok(e instanceof ProfileError);
      assert.equal(e.code, 'malformed');
      assert.equal(e.index, last);
      assert.equal(
        e.message,
        `goroutine dump line ${last}: expected a file:line after ${JSON.stringify(lines[last - 1])}, got the end of the input`,
      );
      assert.ok(!e.message.includes('\n'));
      return true;
    },
  );
});

test('garbled dumps name the line at fault', () => {
  const cases: [string, RegExp][] = [
    ['goroutine 1 [running]:\nmain.main()\nmain.other()\n\t/x.go:1 +0x1\n', /^goroutine dump line 3: expected a file:line after "main\.main\(\)", got "main\.other\(\)"$/],
    ['goroutine 1 [running]:\nmain.main()\n\t/x.go:1 +0x1\n\x1b[31mred\n', /^goroutine dump line 4: expected a call .* got "\\u001b\[31mred"$/],
    ['goroutine 1 [running]:\nmain.main()\n\t/x.go:1 +0x1\n\nnot a header\n', /^goroutine dump line 5: expected "goroutine N \[state\]:"/],
    ['goroutine 1 [running]:\ncreated by main.x\n\t/x.go:1\nmain.main()\n\t/x.go:1 +0x1\n', /^goroutine dump line 4: unexpected frame after "created by"/],
    ['goroutine 1 []:\n', /^goroutine dump line 1: goroutine 1 has an empty state$/],
    ['goroutine profile: total 3\n2 @ 0x10\n#\t0xf\tmain.f+0x1\t/x.go:1\n\n', /^goroutine dump line 4: the stacks count 2 goroutines but the header says total 3/],
    ['goroutine profile: total 1\n1 @ 0x10\n#\t0xf\tmain.f\t/x.go:1\n', /^goroutine dump line 3: expected "#\\t0xPC/],
    ['goroutine profile: total 1\n1 @ 0x10\n#\t0x99\tmain.f+0x1\t/x.go:1\n', /^goroutine dump line 3: frame pc 0x99 is not in the stack on line 2$/],
    ['goroutine profile: total 1\n1 @ 0x10\n# labels: {"a":b}\n', /^goroutine dump line 3: expected labels/],
    ['goroutine profile: total 1\nwhat\n', /^goroutine dump line 2: expected "COUNT @ 0x\.\.\."/],
    ['\n\nhello\n', /^goroutine dump line 3: expected "goroutine profile: total N" or "goroutine N \[state\]:", got "hello"$/],
    ['', /^goroutine dump line 1: the input is empty$/],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => parseGoroutineDump(input),
      (e: unknown) => e instanceof ProfileError && e.code === 'malformed' && message.test(e.message),
      JSON.stringify(input),
    );
  }
  // A very long line is shortened in the message.
  const long = `goroutine 1 [running]:\nmain.main()\n${'x'.repeat(5000)}\n`;
  assert.throws(() => parseGoroutineDump(long), (e: unknown) => e instanceof ProfileError && e.message.length < 300);
});

test('an empty debug=1 profile is valid', () => {
  const p: Profile = parseGoroutineDump('goroutine profile: total 0\n');
  assert.equal(p.samples.length, 0);
  assert.deepEqual(p.sampleTypes, [{ type: 'goroutine', unit: 'count' }]);
});
