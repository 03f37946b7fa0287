import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { foldedFrameName, toFolded } from '../../src/flame/folded.js';
import { parseFolded } from '../../src/profile/folded.js';
import { decodeProfile } from '../../src/profile/decode.js';
import { ProfileError, OptionsError } from '../../src/errors.js';
import { corpusPath, defaultValueIndex, loadCorpusProfile } from '../flame/fixtures.js';
import { readTracesGolden } from '../flame/traces-golden.js';

const SHOPD_FOLDED = readFileSync(corpusPath('profiles/folded/shopd.cpu.folded'), 'utf8');

function sumsByStack(folded: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of folded.split('\n')) {
    if (line === '') continue;
    const space = line.lastIndexOf(' ');
    const key = line.slice(0, space);
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(space + 1)));
  }
  return out;
}

test('toFolded of shopd cpu.pb.gz at value index 0 equals the corpus folded file byte for byte', () => {
  const raw = decodeProfile(readFileSync(corpusPath('profiles/shopd/cpu.pb.gz')));
  assert.equal(toFolded(raw, 0), SHOPD_FOLDED);
  // Normalisation (compaction, pprof's name heuristic) changes nothing for this profile.
  assert.equal(toFolded(loadCorpusProfile('profiles/shopd/cpu.pb.gz'), 0), SHOPD_FOLDED);
});

test('parseFolded → toFolded round-trips the corpus file; the total is 427 samples', () => {
  const p = parseFolded(SHOPD_FOLDED);
  assert.deepEqual(p.sampleTypes, [{ type: 'samples', unit: 'count' }]);
  assert.equal(p.samples.length, 120);
  assert.equal(p.samples.reduce((s, x) => s + x.values[0]!, 0), 427);
  // Leaf first inside the Profile, like a decoded one.
  const first = p.samples[0]!;
  assert.equal(first.locations[0]!.lines[0]!.function.name, 'crypto/sha256.Sum256');
  assert.equal(first.locations.at(-1)!.lines[0]!.function.name, 'main.contend.func1');
  // One function and one location per distinct name.
  assert.equal(new Set(p.functions.map((f) => f.name)).size, p.functions.length);
  assert.equal(p.locations.length, p.functions.length);
  assert.equal(toFolded(p, 0), SHOPD_FOLDED);
});

for (const [golden, input] of [['shopd.cpu', 'profiles/shopd/cpu.pb.gz'], ['megasvc.cpu', 'profiles/large/megasvc.cpu.pb.gz'], ['billing.goroutine', 'profiles/billing/goroutine.pb.gz']] as const) {
  test(`${golden}: folded output summed per stack equals the -traces golden's stacks`, () => {
    const profile = loadCorpusProfile(input);
    const got = sumsByStack(toFolded(profile, defaultValueIndex(profile)));
    const want = new Map<string, number>();
    for (const t of readTracesGolden(corpusPath(`golden/${golden}.traces.txt`)).traces) {
      if (t.value === 0) continue;
      const key = t.frames.map(foldedFrameName).join(';');
      want.set(key, (want.get(key) ?? 0) + t.value);
    }
    assert.equal(got.size, want.size);
    for (const [k, v] of want) assert.equal(got.get(k), v, k);
  });
}

test('identical stacks are summed, zero sums dropped, lines sorted bytewise', () => {
  const p = parseFolded('b;c 1\na 2\nb;c 3\nz 0\nB 1\ny 5\ny -5\n');
  assert.equal(toFolded(p, 0), 'B 1\na 2\nb;c 4\n');
});

test('names may contain spaces: the count is after the last space', () => {
  const p = parseFolded('main.(*T).Do thing;leaf with  two spaces 7\n');
  const names = p.samples[0]!.locations.map((l) => l.lines[0]!.function.name);
  assert.deepEqual(names, ['leaf with  two spaces', 'main.(*T).Do thing']);
  assert.equal(p.samples[0]!.values[0], 7);
});

test('CRLF line ends, trailing blanks and blank lines are accepted', () => {
  const p = parseFolded('\r\na;b 2\r\n\r\nc 3  \r\n');
  assert.equal(toFolded(p, 0), 'a;b 2\nc 3\n');
});

test('a bad line is a malformed ProfileError naming its line number', () => {
  const cases: Array<[string, RegExp]> = [
    ['a;b 1\nno-count-here\n', /^folded line 2: expected/],
    ['a 1\nb 2\nc 1.5\n', /^folded line 3: .*whole number/],
    ['a 1\n\nb;;c 4\n', /^folded line 3: frame 2 has an empty name/],
    ['a x\n', /^folded line 1: .*"x"/],
    [' 5\n', /^folded line 1: expected/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseFolded(text), (e: unknown) => e instanceof ProfileError && e.code === 'malformed' && message.test(e.message), text);
  }
});

test('the error message quotes a bad line safely and briefly', () => {
  const hostile = '<script>' + 'x'.repeat(500) + '\u0007';
  assert.throws(() => parseFolded(hostile + '\n'), (e: unknown) => e instanceof ProfileError && e.message.length < 200 && !e.message.includes('\u0007'));
});

test('empty input is an "empty" ProfileError', () => {
  for (const text of ['', '\n', ' \r\n\n']) {
    assert.throws(() => parseFolded(text), (e: unknown) => e instanceof ProfileError && e.code === 'empty');
  }
});

test('counts whose sum leaves the exact range of a double are an overflow error', () => {
  assert.throws(() => parseFolded(`a ${2 ** 53 - 1}\nb 2\n`), (e: unknown) => e instanceof ProfileError && e.code === 'overflow');
  assert.throws(() => parseFolded('a 99999999999999999999\n'), (e: unknown) => e instanceof ProfileError && e.code === 'overflow');
});

test('names with ";" and line breaks are made safe: one line per stack, frames intact', () => {
  const p = loadCorpusProfile('bad/hostile-names.pb.gz');
  const folded = toFolded(p, 1);
  const lines = folded.trimEnd().split('\n');
  for (const line of lines) assert.match(line, /^[^\r\n\u2028\u2029]+ -?\d+$/);
  assert.ok(folded.includes('main.new line name'), 'CRLF/LF in a name become spaces');
  assert.equal(lines.length, 14);
  assert.equal([...sumsByStack(folded).values()].reduce((a, b) => a + b, 0), 930_000_000);
  assert.equal(foldedFrameName('a;b\nc\r\nd'), 'a:b c d');
  // What toFolded writes, parseFolded reads back to the same stacks.
  assert.equal(toFolded(parseFolded(folded), 0), folded);
});

test('toFolded rejects a value index the profile does not have', () => {
  assert.throws(() => toFolded(parseFolded('a 1\n'), 1), OptionsError);
});
