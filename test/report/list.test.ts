/**
 * -list against every -list golden of the corpus (recorded with Go 1.19's `go tool pprof -source_path=src`
 * from the corpus folder), text identical; then what happens without sources and with in-memory sources.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OptionsError } from '../../src/errors.js';
import { parseOptions } from '../../src/options.js';
import { loadProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/model.js';
import { listReport } from '../../src/report/list.js';
import { directorySources, memorySources, splitSourceLines, trimSourcePath } from '../../src/report/sources.js';
import { CORPUS, goldenCases, inputPath, readGolden } from '../support/goldens.js';
import { splitReportFlags } from './report-flags.js';

const cases = goldenCases().filter((c) => c.flags.some((f) => f.startsWith('-list=')));
const env = { timeZone: 'UTC' };

test('the corpus has -list goldens', () => {
  assert.ok(cases.length >= 5, `only ${cases.length} -list goldens`);
});

for (const c of cases) {
  test(`${c.golden}  (${c.flags.join(' ')})`, () => {
    const { regex, sourcePath, options } = splitReportFlags(c.flags, '-list');
    // The goldens were recorded in the corpus folder: relative -source_path entries start there.
    const dirs = (sourcePath ?? '').split(':').filter((d) => d !== '').map((d) => path.join(CORPUS, d));
    const sources = directorySources(dirs, { cwd: CORPUS });
    const { profile } = loadProfile(readFileSync(inputPath(c.inputs[0]!)));
    assert.equal(listReport(profile, regex, parseOptions(options), { sources, env }).text, readGolden(c.golden));
  });
}

const shopdCpu = (): Profile => loadProfile(readFileSync(inputPath('profiles/shopd/cpu.pb.gz'))).profile;
const corpusSources = () => directorySources([path.join(CORPUS, 'src')]);

test('a regexp matching no function is pprof\'s error, as an OptionsError', () => {
  assert.throws(
    () => listReport(shopdCpu(), 'NoSuchFunction', parseOptions({}), { sources: corpusSources(), env }),
    (e: unknown) => e instanceof OptionsError && e.message === 'no matches found for regexp: NoSuchFunction' && e.option === 'list',
  );
});

test('without the source file, the per-line costs are still printed and one line names the file', () => {
  const golden = readGolden('shopd.cpu.list.Checksum.txt');
  const missingDir = path.join(CORPUS, 'no-such-dir');
  const text = listReport(shopdCpu(), 'Cart..Checksum', parseOptions({}), { sources: directorySources([missingDir]), env }).text;
  const lines = text.split('\n');
  assert.equal(lines[0], 'Total: 4.27s');
  assert.equal(lines[1], 'ROUTINE ======================== shopd/internal/cart.(*Cart).Checksum in shopd/internal/cart/cart.go');
  assert.equal(lines[2], golden.split('\n')[2]);
  assert.equal(lines[3], ' Error: could not find file shopd/internal/cart/cart.go');
  assert.ok(!text.includes(CORPUS) && !text.includes(missingDir), 'no local directory in the text');
  // The sampled lines with the same numbers as with sources, without the source text.
  const numbers = (l: string) => l.replace(/^(.{21} +\d+:).*$/, '$1');
  const want = golden.split('\n').slice(3).filter((l) => l !== '' && !/^ +\. +\. /.test(l)).map(numbers);
  assert.deepEqual(lines.slice(4), [...want, '']);
  assert.deepEqual(want, ['      20ms       40ms     55:', '     140ms      660ms     56:']);
});

test('in-memory sources give the same text as the directory', () => {
  const file = 'shopd/internal/cart/cart.go';
  const bytes = readFileSync(path.join(CORPUS, 'src', file));
  for (const sources of [
    memorySources({ [file]: bytes }),
    memorySources(new Map([[`src/${file}`, bytes.toString('utf8')]]), { searchPath: ['src'] }),
  ]) {
    assert.equal(
      listReport(shopdCpu(), 'cart.BundleCombos', parseOptions({}), { sources, env }).text,
      readGolden('shopd.cpu.list.BundleCombos.txt'),
    );
  }
});

test('in-memory sources never resolve outside their tree', () => {
  const sources = memorySources({ 'a/x.go': 'package a\n' }, { searchPath: ['a'] });
  assert.equal(sources.read('x.go'), 'package a\n');
  assert.equal(sources.read('a/x.go'), 'package a\n');
  assert.equal(sources.read('../../../etc/passwd'), undefined);
  assert.equal(sources.read('../../x.go'), undefined);
  assert.equal(sources.read('/a/x.go'), 'package a\n', 'pprof trims a profile path at /<search dir base>/');
  assert.equal(sources.read('/elsewhere/x.go'), undefined);
  assert.equal(sources.read('/etc/passwd'), undefined);
});

test('pprof\'s path trimming: search-dir base names, -trim_path, sandbox prefixes', () => {
  assert.equal(trimSourcePath('/build/remote/myproj/foo/bar.go', '', ['/home/me/myproj']), 'foo/bar.go');
  assert.equal(trimSourcePath('/build/remote/myproj/foo/bar.go', '/build/remote', ['/home/me/myproj']), 'myproj/foo/bar.go');
  assert.equal(trimSourcePath('/proc/self/cwd/./x/y.go', '', []), 'x/y.go');
  assert.equal(trimSourcePath('/proc/self/cwd/x/y.go', '', ['src']), 'x/y.go');
  assert.equal(trimSourcePath('shopd/main.go', '', ['src']), 'shopd/main.go');
});

test('a search directory\'s base name in a profile path changes the names list prints, as in pprof', () => {
  // Function file names are relative in the corpus; make one absolute under a `…/src/` directory.
  const p = shopdCpu();
  for (const f of p.functions) if (f.filename.startsWith('shopd/')) f.filename = '/build/ci/src/' + f.filename;
  const sources = memorySources({ 'src/shopd/internal/cart/cart.go': readFileSync(path.join(CORPUS, 'src/shopd/internal/cart/cart.go')) }, { searchPath: ['src'] });
  assert.equal(listReport(p, 'cart.BundleCombos', parseOptions({}), { sources, env }).text, readGolden('shopd.cpu.list.BundleCombos.txt'));
});

test('source lines split like Go\'s bufio.Scanner', () => {
  assert.deepEqual(splitSourceLines('a\r\nb\n\nc'), ['a', 'b', '', 'c']);
  assert.deepEqual(splitSourceLines('a\n'), ['a']);
  assert.deepEqual(splitSourceLines(''), []);
  assert.deepEqual(splitSourceLines(`x\n${'y'.repeat(70_000)}\nz\n`), ['x']);
});

test('-noinlines: an inlined function is no list of its own (as in pprof)', () => {
  const sources = corpusSources();
  assert.match(listReport(shopdCpu(), 'cart.mix', parseOptions({}), { sources, env }).text, /ROUTINE =+ shopd\/internal\/cart\.mix in shopd\/internal\/cart\/cart\.go\n +240ms +400ms \(flat, cum\)/);
  assert.throws(
    () => listReport(shopdCpu(), 'cart.mix', parseOptions({ noinlines: 'true' }), { sources, env }),
    (e: unknown) => e instanceof OptionsError && /no matches found/.test(e.message),
  );
});
