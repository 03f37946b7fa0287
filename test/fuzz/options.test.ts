/**
 * parseOptions and compileRegex under hostile input. parseOptions answers OptionsError (naming
 * the option) or options within the schema's bounds, never anything else, whatever the keys
 * (`__proto__`, `constructor`, unknown, unicode) and values (1e9, NaN, Infinity, negative, objects,
 * bigints); it never touches Object.prototype. compileRegex answers OptionsError or a matcher,
 * and matching catastrophic-backtracking patterns against long inputs stays fast (RE2 semantics).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { MAX_NODECOUNT, OPTION_NAMES, OPTION_SPECS, parseOptions, type ReportOptions } from '../../src/options.js';
import { compileRegex } from '../../src/regex.js';
import { OptionsError } from '../../src/errors.js';
import { FUZZ_FIXTURES, LONG_RUN, Tally, fuzzParams, outcomeOf, timed } from './support.js';

const TEST_TIMEOUT = LONG_RUN ? Infinity : 60_000;
const SCHEMA_KEYS = new Set(Object.keys(OPTION_SPECS));

/** An object with exactly these own, enumerable keys: `__proto__` included, as JSON.parse makes it. */
function ownRecord(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(raw, k, { value: v, enumerable: true, writable: true, configurable: true });
  return raw;
}

const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...OPTION_NAMES) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', '', ' ', 'NODECOUNT',
      'nodecount ', 'node_count', 'seconds', 'focus\u0000', 'fócus', '😀', 'sample_index.0', '0', 'length',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

const value = fc.oneof(
  fc.constantFrom(
    '1e9', '1000000000', '100001', '100000', '80', '0', '-1', '-0', '0.5', '1.5', 'NaN', 'Infinity', '-Infinity', '0x10', ' 5 ', '',
    'true', 'false', '1', 'yes', 'functions', 'lines', 'hot', 'ms', 'auto', '10%', '0.1', 'runtime\\.', '(a+)+$', '[', '(?P<x>a)',
    '\u0000', '😀', 'é'.repeat(5000), 'x'.repeat(4097),
  ),
  fc.constantFrom(1e9, 1e300, 100_001, 100_000, 80, 0, -0, -1, 0.5, 1.5, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, 2 ** 53),
  fc.constantFrom(true, false, null, undefined, 10n, [], ['1'], {}, { valueOf: () => 5 }, Object.create(null) as object),
  fc.string({ maxLength: 30 }),
  fc.double(),
  fc.integer(),
);

const options = fc.array(fc.tuple(key, value), { maxLength: 6 }).map(ownRecord);

/** What every returned ReportOptions holds, whatever it was parsed from. */
function assertValidOptions(o: ReportOptions): void {
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  for (const k of Object.keys(o)) assert.ok(SCHEMA_KEYS.has(k), `only schema keys: ${k}`);
  if (o.nodecount !== undefined) assert.ok(Number.isSafeInteger(o.nodecount) && o.nodecount >= 0 && o.nodecount <= MAX_NODECOUNT, `nodecount ${o.nodecount}`);
  for (const f of [o.nodefraction, o.edgefraction]) assert.ok(Number.isFinite(f) && f >= 0 && f <= 1, `fraction ${f}`);
  assert.ok(Number.isFinite(o.divide_by) && o.divide_by !== 0, `divide_by ${o.divide_by}`);
  for (const b of [o.mean, o.trim, o.noinlines, o.cum, o.relative_percentages, o.drop_negative, o.compact_labels]) assert.equal(typeof b, 'boolean');
  assert.ok(['functions', 'filefunctions', 'files', 'lines', 'addresses'].includes(o.granularity));
  assert.ok(o.sample_index === undefined || typeof o.sample_index === 'string' || (Number.isSafeInteger(o.sample_index) && o.sample_index >= 0));
  for (const k of ['fail_on_growth', 'max_goroutines'] as const) {
    const n = o[k];
    assert.ok(n === undefined || (Number.isSafeInteger(n) && n >= 0), `${k} ${n}`);
  }
  for (const k of ['focus', 'ignore', 'hide', 'show', 'show_from', 'tagfocus', 'tagignore', 'tagshow', 'taghide', 'prune_from', 'list', 'peek'] as const) {
    const r = o[k];
    assert.ok(r === undefined || (typeof r === 'string' && r.length <= 4096), `${k} is a bounded string`);
  }
}

const PROTO_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

function parseChecked(raw: Record<string, unknown>, tally: Tally): ReportOptions | undefined {
  const r = outcomeOf(() => timed(200, 'parseOptions', () => parseOptions(raw)), [OptionsError]);
  // nothing leaked into every object of the process
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), PROTO_KEYS);
  if (r.error instanceof OptionsError) {
    assert.equal(typeof r.error.option, 'string');
    tally.add('OptionsError');
    return undefined;
  }
  assertValidOptions(r.value!);
  // an own key that is no option name (its value not undefined) is never accepted
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) assert.ok(OPTION_NAMES.has(k), `unknown option ${JSON.stringify(k)} accepted`);
  tally.add('options');
  return r.value;
}

test('fuzz parseOptions: arbitrary keys and values give OptionsError or valid options', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  fc.assert(fc.property(options, (raw) => void parseChecked(raw, tally)), fuzzParams(5000));
  console.log(tally.summary('parseOptions, arbitrary keys and values'));
  assert.ok(tally.get('options') > 0 && tally.get('OptionsError') > 0);
});

test('fuzz parseOptions: numbers beyond the bounds are refused, naming the option', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  const outOfRange = fc.oneof(
    fc.record({ name: fc.constant('nodecount'), v: fc.oneof(fc.integer({ min: MAX_NODECOUNT + 1 }), fc.integer({ max: -1 }), fc.constantFrom(1e9, 1e300, 0.5, NaN, Infinity, -Infinity)) }),
    fc.record({ name: fc.constantFrom('nodefraction', 'edgefraction'), v: fc.oneof(fc.double({ min: 1, minExcluded: true, noNaN: true }), fc.double({ max: -Number.MIN_VALUE, noNaN: true }), fc.constantFrom(NaN, Infinity)) }),
    fc.record({ name: fc.constant('divide_by'), v: fc.constantFrom(0, -0, NaN, Infinity, -Infinity) }),
    fc.record({ name: fc.constantFrom('fail_on_growth', 'max_goroutines'), v: fc.oneof(fc.integer({ max: -1 }), fc.constantFrom(0.5, NaN, Infinity)) }),
  );
  fc.assert(
    fc.property(outOfRange, fc.boolean(), ({ name, v }, asText) => {
      const r = outcomeOf(() => parseOptions({ [name]: asText ? String(v) : v }), [OptionsError]);
      assert.ok(r.error instanceof OptionsError, `${name}=${String(v)} must be refused`);
      assert.equal(r.error.option, name);
      tally.add('refused');
    }),
    fuzzParams(2000),
  );
  console.log(tally.summary('parseOptions, out-of-range numbers'));
});

// ---------------------------------------------------------------------------------------------
// compileRegex

/** Regexes built from pieces known to blow up backtracking engines: nested and overlapping quantifiers. */
const catastrophic = fc.letrec<{ re: string }>((tie) => ({
  re: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('a', 'b', '.', '\\w', '\\s', '[a-z]', '[^b]', '\\pL', '(?i:A)', 'a?', 'aa'),
    fc.tuple(tie('re'), fc.constantFrom('*', '+', '?', '{2,5}', '{1,20}', '*?', '+?')).map(([r, q]) => `(?:${r})${q}`),
    fc.tuple(tie('re'), fc.constantFrom('*', '+')).map(([r, q]) => `(${r})${q}`),
    fc.tuple(tie('re'), tie('re')).map(([a, b]) => `${a}|${b}`),
    fc.tuple(tie('re'), tie('re')).map(([a, b]) => `(?:${a})(?:${b})`),
  ),
})).re;

const CLASSICS = ['(a+)+$', '(a*)*$', '(a|aa)+$', '(a|a?)+$', '(.*a){20}$', '((a+)+)+b', '(\\w+\\s?)+$', '^(([a-z])+.)+[A-Z]([a-z])+$', '(x+x+)+y', '(?:a*)*b', '(a?){30}a{30}'];

const pattern = fc.oneof(
  fc.constantFrom(...CLASSICS),
  catastrophic,
  fc.tuple(catastrophic, fc.constantFrom('$', 'b', '!', '[0-9]')).map(([r, end]) => `(?:${r})${end}`),
  fc.string({ maxLength: 30 }),
  fc.array(fc.constantFrom('(', ')', '[', ']', '{', '}', '*', '+', '?', '|', '\\', 'a', '^', '$', '(?P<n>', '(?i)', '\\pL', '[[:alpha:]]', '{1000}', '{1001}', ','), { maxLength: 20 }).map((a) => a.join('')),
);

/** Long subjects that make backtracking engines explode: long runs that almost match. */
const subject = fc.oneof(
  fc.record({ unit: fc.constantFrom('a', 'ab', 'x', ' a', 'aA'), n: fc.integer({ min: 1000, max: 20_000 }), end: fc.constantFrom('', '!', 'b', 'y', '1') }).map(({ unit, n, end }) => unit.repeat(n) + end),
  fc.string({ maxLength: 2000 }),
);

test('fuzz compileRegex: OptionsError or a matcher; catastrophic patterns on long inputs stay fast', { timeout: TEST_TIMEOUT }, () => {
  const tally = new Tally();
  fc.assert(
    fc.property(pattern, subject, (p, s) => {
      const r = outcomeOf(() => compileRegex(p, 'focus'), [OptionsError]);
      if (r.error) {
        assert.equal((r.error as OptionsError).option, 'focus');
        assert.match(r.error.message, /^focus: /);
        tally.add('OptionsError');
        return;
      }
      // Linear in the subject: a 20 K-character subject takes milliseconds (a backtracking
      // engine takes forever on the classics). The bound leaves room for a loaded machine.
      const matched = timed(1000, `/${p}/ on ${s.length} chars`, () => r.value!.test(s));
      assert.equal(typeof matched, 'boolean');
      tally.add(matched ? 'match' : 'no match');
    }),
    fuzzParams(3000, 1 / 20),
  );
  console.log(tally.summary('compileRegex'));
});

// Inputs the fuzzer found, kept as fixtures (JSON: the raw options, keys as JSON.parse makes them).
const FOUND = join(FUZZ_FIXTURES, 'options');
const REGRESSIONS: Record<string, { expect: 'OptionsError'; option: string }> = {
  // On a plain {}, `input.__proto__ = v` set the prototype: a string vanished and an object's
  // properties were read as options (nodecount 5 here) instead of "unknown option".
  '__proto__-object.json': { expect: 'OptionsError', option: '__proto__' },
  '__proto__-string.json': { expect: 'OptionsError', option: '__proto__' },
};

test('fuzz regressions: every fixture in test/fixtures/fuzz/options has an expectation', () => {
  assert.deepEqual(readdirSync(FOUND).sort(), Object.keys(REGRESSIONS).sort());
});

for (const [file, { expect, option }] of Object.entries(REGRESSIONS)) {
  test(`fuzz regression: parseOptions ${file} → ${expect} (${option})`, () => {
    const raw = JSON.parse(readFileSync(join(FOUND, file), 'utf8')) as Record<string, unknown>;
    const r = outcomeOf(() => parseOptions(raw), [OptionsError]);
    assert.ok(r.error instanceof OptionsError, `refused, not ${JSON.stringify(r.value)}`);
    assert.equal(r.error.option, option);
  });
}
