import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { demangle, type DemangleMode } from '../../src/profile/demangle/index.cjs';
import { demangleFunctions } from '../../src/profile/symbolize.js';
import type { ProfileFunction } from '../../src/profile/model.js';
import { loadProfile } from '../../src/profile/load.js';
import { parseOptions, parseSymbolize } from '../../src/options.js';
import { produceReport } from '../../src/reports.js';
import { corpusPath } from '../flame/fixtures.js';

// Compiled to build/test/profile/: the fixtures stay in the source tree.
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/demangle/', import.meta.url));
const MODES: DemangleMode[] = ['default', 'templates', 'full', 'none'];

/** names.tsv: a mangled name, then what pprof 1.19 shows in each mode ("=" repeats the column before). */
function expectedNames(): { name: string; want: string[] }[] {
  return readFileSync(FIXTURES + 'names.tsv', 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => {
    const [name, ...cols] = l.split('\t');
    const want: string[] = [];
    let prev = name!;
    for (const c of cols) want.push(prev = c === '=' ? prev : c);
    return { name: name!, want };
  });
}

const fn = (name: string, systemName = name): ProfileFunction => ({ id: 1, name, systemName, filename: '', startLine: 0 });

/** The names pprof's Demangle gives functions whose name equals their system name. */
function pprofNames(names: string[], symbolize: string): string[] {
  const fns = names.map((n) => fn(n));
  demangleFunctions(fns, parseSymbolize(symbolize));
  return fns.map((f) => f.name);
}

test('every mode names 750 C++, Rust and malformed names as go tool pprof 1.19 does (names.tsv, captured from Go)', () => {
  const rows = expectedNames();
  assert.ok(rows.length >= 700);
  MODES.forEach((mode, i) => {
    const got = pprofNames(rows.map((r) => r.name), mode === 'default' ? '' : `demangle=${mode}`);
    const wrong = rows.filter((r, j) => got[j] !== r.want[i]).map((r) => `${r.name}\n  want ${r.want[i]}\n  got  ${got[rows.indexOf(r)]}`);
    assert.deepEqual(wrong, [], `mode ${mode}`);
  });
});

test('the issue\'s examples: no parameters, no template arguments, no hash, by default', () => {
  assert.deepEqual(pprofNames(['_ZNSt6vectorIiSaIiEE9push_backERKi', '_ZN4core3fmt5write17h0123456789abcdefE', '_RNvCs1234_7mycrate3baz'], ''),
    ['std::vector::push_back', 'core::fmt::write', 'mycrate::baz']);
  assert.equal(demangle('_ZNSt6vectorIiSaIiEE9push_backERKi', 'templates'), 'std::vector<int, std::allocator<int> >::push_back');
  assert.equal(demangle('_ZNSt6vectorIiSaIiEE9push_backERKi', 'full'), 'std::vector<int, std::allocator<int> >::push_back(int const&)');
});

test('clone suffixes: dropped with full, kept with none (Go 1.19 passes no option for demangle=none)', () => {
  assert.equal(demangle('_Z3fooi.constprop.0', 'full'), 'foo(int)');
  assert.equal(demangle('_Z3fooi.constprop.0', 'none'), 'foo(int) [clone .constprop.0]');
  assert.equal(demangle('_Z3fooi.constprop.0', 'default'), 'foo');
});

test('non-ASCII names: lengths count UTF-8 bytes, as Go counts them', () => {
  assert.equal(demangle('_ZN3fé3barEv', 'default'), 'fé::bar');
  // Rust's punycode identifiers decode to UTF-8.
  assert.equal(demangle('_RNvNtCs1234_5hello2u55caf_ku7n', 'default'), demangle('_RNvNtCs1234_5hello2u55caf_ku7n', 'full'));
});

test('already-demangled names: C++-looking ones are simplified as pprof\'s heuristic says; Go and Java names are not', () => {
  const names = ['std::vector<int>::push_back(int const&)', 'main.(*T[...]).Method', 'java.lang.Object.<init>', 'runtime.mallocgc'];
  assert.deepEqual(pprofNames(names, ''), ['std::vector::push_back', 'main.(*T[...]).Method', 'java.lang.Object.<init>', 'runtime.mallocgc']);
  assert.deepEqual(pprofNames(names, 'demangle=templates'), ['std::vector<int>::push_back', ...names.slice(1)]);
  assert.deepEqual(pprofNames(names, 'demangle=full'), names);
});

test('a name different from the system name is kept, unless forced (force, or any demangle=…)', () => {
  const mk = () => [fn('custom', '_Z3fooi'), fn('', '_Z3fooi'), fn('_Z3fooi', '')];
  const run = (s: string | undefined) => {
    const fns = mk();
    demangleFunctions(fns, parseSymbolize(s));
    return fns.map((f) => f.name);
  };
  assert.deepEqual(run(undefined), ['custom', 'foo', '_Z3fooi']);
  assert.deepEqual(run('demangle=default'), ['custom', 'foo', '_Z3fooi']);
  assert.deepEqual(run('force'), ['foo', 'foo', '_Z3fooi']);
  assert.deepEqual(run('demangle=full'), ['foo(int)', 'foo(int)', '_Z3fooi']);
  // -symbolize=none: no symbolization at all, so no demangling and no heuristic.
  assert.deepEqual(pprofNames(['_Z3fooi', 'a::b(int)'], 'none'), ['_Z3fooi', 'a::b(int)']);
});

test('parseSymbolize: demangle= other than default forces, as in pprof; demangle=default changes nothing; none wins', () => {
  assert.deepEqual(parseSymbolize(undefined), { none: false, demangle: undefined, force: false });
  assert.deepEqual(parseSymbolize('local:Demangle=Templates'), { none: false, demangle: 'templates', force: true });
  assert.deepEqual(parseSymbolize('demangle=default:force'), { none: false, demangle: undefined, force: true });
  assert.deepEqual(parseSymbolize('demangle=full:demangle=default'), { none: false, demangle: 'full', force: true });
  assert.equal(parseSymbolize('demangle=full:none').none, true);
  assert.equal(parseSymbolize('no').none, true);
});

test('-symbolize=… on the native profile: -top equals go tool pprof\'s in every mode', () => {
  const bytes = readFileSync(corpusPath('profiles/native/mangled-cpp-rust.pb.gz'));
  for (const mode of ['demangle=full', 'demangle=templates', 'demangle=none', 'none']) {
    const options = parseOptions({ symbolize: mode });
    const { profile } = loadProfile(bytes, { symbolize: options.symbolize });
    const want = readFileSync(`${FIXTURES}native.top.symbolize-${mode.replace('=', '-')}.txt`, 'utf8');
    assert.equal(produceReport(profile, 'top', options, { timeZone: 'UTC' }).text, want, mode);
  }
});

test('adversarial names stay as they are, quickly: deep nesting, huge lengths, doubling back-references', () => {
  let doubling = '_Z1fIJ';
  for (let i = 0; i < 400; i++) doubling += `PS${i === 0 ? '' : (i - 1).toString(36).toUpperCase()}_`;
  const names = [
    '_Z1f' + 'PFv'.repeat(5000),
    '_ZN' + '1a'.repeat(20_000) + 'E',
    doubling + 'EEvv',
    '_RNv' + 'INv'.repeat(3000) + 'C1a',
    '_R' + 'B_'.repeat(5000),
    '_ZN3foo3barEv' + '.cold'.repeat(5000),
  ];
  for (const n of names) {
    const t = performance.now();
    for (const mode of MODES) assert.equal(typeof demangle(n, mode), 'string');
    assert.ok(performance.now() - t < 2000, `${n.slice(0, 40)}… took ${performance.now() - t} ms`);
  }
  assert.equal(demangle('_Z1f' + 'PFv'.repeat(5000), 'full'), '_Z1f' + 'PFv'.repeat(5000));
});

test('a profile of Go names never loads the demangler; one with a mangled name does', () => {
  const load = (file: string) => execFileSync(process.execPath, ['--input-type=module', '-e', `
    import { readFileSync } from 'node:fs';
    import { createRequire } from 'node:module';
    import { loadProfile } from ${JSON.stringify(new URL('../../src/profile/load.js', import.meta.url).href)};
    loadProfile(readFileSync(${JSON.stringify(corpusPath(file))}));
    const cache = createRequire(import.meta.url).cache;
    console.log(Object.keys(cache).some((k) => k.includes('demangle')));
  `], { encoding: 'utf8' }).trim();
  assert.equal(load('profiles/shopd/cpu.pb.gz'), 'false');
  assert.equal(load('profiles/native/mangled-cpp-rust.pb.gz'), 'true');
});
