/**
 * -peek against every -peek golden of the corpus (recorded with Go 1.19's `go tool pprof`), text identical,
 * and the error pprof gives for a regexp that matches nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OptionsError } from '../../src/errors.js';
import { parseOptions } from '../../src/options.js';
import { loadProfile } from '../../src/profile/load.js';
import { peekReport } from '../../src/report/peek.js';
import { goldenCases, inputPath, readGolden } from '../support/goldens.js';
import { splitReportFlags } from './report-flags.js';

const cases = goldenCases().filter((c) => c.flags.some((f) => f.startsWith('-peek=')));

test('the corpus has -peek goldens', () => {
  assert.ok(cases.length >= 3, `only ${cases.length} -peek goldens`);
});

for (const c of cases) {
  test(`${c.golden}  (${c.flags.join(' ')})`, () => {
    const { regex, options } = splitReportFlags(c.flags, '-peek');
    const { profile } = loadProfile(readFileSync(inputPath(c.inputs[0]!)));
    assert.equal(peekReport(profile, regex, parseOptions(options), { timeZone: 'UTC' }).text, readGolden(c.golden));
  });
}

const shopdCpu = () => loadProfile(readFileSync(inputPath('profiles/shopd/cpu.pb.gz'))).profile;

test('a regexp matching no node is pprof\'s error, as an OptionsError', () => {
  assert.throws(
    () => peekReport(shopdCpu(), 'NoSuchFunction', parseOptions({}), { timeZone: 'UTC' }),
    (e: unknown) => e instanceof OptionsError && e.message === 'no matches found for regexp: NoSuchFunction' && e.option === 'peek',
  );
});

test('an invalid regexp is an OptionsError naming peek', () => {
  assert.throws(() => peekReport(shopdCpu(), 'a(', parseOptions({})), (e: unknown) => e instanceof OptionsError && e.option === 'peek');
});

test('the running sum% counts matched nodes only, and every matched node gets a block', () => {
  const text = peekReport(shopdCpu(), 'cart\\.', parseOptions({}), { timeZone: 'UTC' }).text;
  const nodeLines = text.split('\n').filter((l) => /^ {0,9}\S+ +[\d.]+% +[\d.]+% .*\| shopd\/internal\/cart\./.test(l));
  assert.ok(nodeLines.length >= 2, text);
  const flat = nodeLines.map((l) => Number(/^\s*\S+\s+([\d.]+)%/.exec(l)![1]));
  const sums = nodeLines.map((l) => Number(/^\s*\S+\s+[\d.]+%\s+([\d.]+)%/.exec(l)![1]));
  let running = 0;
  flat.forEach((f, i) => {
    running += f;
    assert.ok(Math.abs(sums[i]! - running) < 0.05 * (i + 1), `${nodeLines[i]}: sum ${sums[i]} vs ${running}`);
  });
});
