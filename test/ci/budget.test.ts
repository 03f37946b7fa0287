/** Budget files: the schema, pprof's units, and checks against the fixture profiles. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BudgetError, budgetJsonSchema, checkBudget, globMatch, inSampleUnit, parseBudget, parseQuantity, type BudgetSubject,
} from '../../src/ci/budget.js';
import { parseOptions } from '../../src/options.js';
import { topReport } from '../../src/report/top.js';
import { loadReportInput } from '../../src/reports.js';
import { CORPUS } from '../support/goldens.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const bytes = (f: string) => readFileSync(path.join(CORPUS, 'profiles/shopd', f));
const load = (f: string) => loadReportInput('top', bytes(f)).profile;

function subject(file: string, baseFile?: string): BudgetSubject {
  return {
    name: file, path: `profiles/${file}`, profile: load(file), options: parseOptions({}),
    base: baseFile === undefined ? undefined : load(baseFile),
    delta: baseFile === undefined ? undefined : loadReportInput('top', bytes(file), { bytes: bytes(baseFile), diff: false }).profile,
  };
}
const budget = (...budgets: unknown[]) => parseBudget(JSON.stringify({ budgets }), 'budget.json');

test('limits are read with pprof\'s units (memory in powers of 1024)', () => {
  assert.equal(parseQuantity('10MB').baseValue, 10 * 2 ** 20);
  assert.equal(parseQuantity('64kb').baseValue, 64 * 1024);
  assert.equal(parseQuantity('10 megabytes').baseValue, 10 * 2 ** 20);
  assert.equal(parseQuantity('250ms').baseValue, 250e6);
  assert.equal(parseQuantity('1.5s').baseValue, 1.5e9);
  assert.equal(parseQuantity('300').baseValue, 300);
  assert.equal(parseQuantity(42).baseValue, 42);
  assert.throws(() => parseQuantity('10MiB'), /unknown unit "MiB"/);
  assert.throws(() => parseQuantity('ten'), /not a number/);
  assert.equal(inSampleUnit(parseQuantity('10MB'), 'bytes'), 10 * 2 ** 20);
  assert.equal(inSampleUnit(parseQuantity('250ms'), 'nanoseconds'), 250e6);
  assert.equal(inSampleUnit(parseQuantity('2s'), 'microseconds'), 2e6);
  assert.equal(inSampleUnit(parseQuantity('10MB'), 'nanoseconds'), undefined);
  assert.equal(inSampleUnit(parseQuantity('10MB'), 'count'), undefined);
  assert.equal(inSampleUnit(parseQuantity(500), 'count'), 500);
});

test('profile globs: * and ? over the whole name, nothing else special', () => {
  assert.ok(globMatch('goroutine*', 'goroutine.b.pb.gz'));
  assert.ok(globMatch('*.pb.gz', 'cpu.pb.gz'));
  assert.ok(globMatch('?pu*', 'cpu.pb.gz'));
  assert.ok(globMatch('a*b*c', 'aXbYbZc'));
  assert.ok(globMatch('*', ''));
  assert.ok(!globMatch('cpu*', 'heap.pb.gz'));
  assert.ok(!globMatch('cpu', 'cpu.pb.gz'));
  assert.ok(!globMatch('[c]pu*', 'cpu.pb.gz'));
  assert.ok(globMatch('[c]pu*', '[c]pu.pb.gz'));
});

test('every error in a budget file names its JSON path', () => {
  const cases: [string, string, RegExp][] = [
    ['{"budgets": [{"max_goroutines": 1}, {"max_flat_percent": 120}]}', 'budgets[1].max_flat_percent', /Too big/],
    ['{"budgets": [{"max_flatpercent": 3}]}', 'budgets[0].max_flatpercent', /unknown key/],
    ['{"budget": []}', 'budgets', /budgets: Invalid input: expected array, received undefined; budget: unknown key/],
    ['{"budgets": [{"function": "x", "max_growth_flat": "10MiB"}]}', 'budgets[0].max_growth_flat', /unknown unit "MiB"/],
    ['{"budgets": [{"max_cum": true}]}', 'budgets[0].max_cum', /a number in the profile's unit or a string such as "10MB"/],
    ['{"budgets": [{"function": "(", "max_flat": 1}]}', 'budgets[0].function', /not an RE2 regexp: .*missing closing \)/],
    ['{"budgets": [{"function": "x", "max_total": 1}]}', 'budgets[0].max_total', /limits a whole profile and cannot go with "function"/],
    ['{"budgets": [{"profile": "cpu*"}]}', 'budgets[0]', /sets no limit/],
    ['{"budgets": [{"max_goroutines": 1.5}]}', 'budgets[0].max_goroutines', /expected int/],
    ['{"budgets": [ {"max_total": 1,} ]}', '', /not valid JSON: .*line 1,? column 31/],
  ];
  for (const [text, at, message] of cases) {
    assert.throws(() => parseBudget(text, 'budget.json'), (e: unknown) => {
      assert.ok(e instanceof BudgetError);
      assert.equal(e.path, at, text);
      assert.match(e.message, message);
      assert.ok(e.message.startsWith(`budget.json: ${at === '' ? '' : `${at}: `}`), e.message);
      return true;
    });
  }
  // "$schema" is allowed, for editors.
  assert.equal(parseBudget('{"$schema": "./budget.schema.json", "budgets": []}').rules.length, 0);
});

test('function limits: flat% and cum% of the -top rows, absolute values in the profile\'s unit', () => {
  const r = checkBudget(budget(
    { profile: 'cpu*', function: 'sha256', max_flat_percent: 10, max_cum_percent: 90 },
    { function: 'WalkTree', max_flat: '300ms' },
  ), subject('cpu.pb.gz'));
  assert.deepEqual(r.breaches.map((b) => b.message), [
    'cpu.pb.gz: crypto/sha256.block: flat 15.22% of 4.27s, more than 10% (budgets[0])',
    'cpu.pb.gz: shopd/internal/catalog.WalkTree: flat 340ms, more than 300ms (budgets[1])',
  ]);
  assert.deepEqual(r.outcomes, [{ applied: true, functionMatched: true }, { applied: true, functionMatched: true }]);
});

test('function limits see every function, including those -top trims under -nodefraction', () => {
  const s = subject('cpu.pb.gz');
  const breaches = checkBudget(budget({ max_flat: 0 }), s).breaches.length;
  const trimmed = topReport(s.profile, s.options).rows.filter((r) => r.flat > 0).length;
  const all = topReport(s.profile, parseOptions({ trim: 'false' })).rows.filter((r) => r.flat > 0).length;
  assert.ok(all > trimmed);
  assert.equal(breaches, all);
});

test('whole-profile limits: total, growth against the base, goroutines', () => {
  const cpu = checkBudget(budget({ profile: 'cpu*', max_total: '4s' }), subject('cpu.pb.gz'));
  assert.deepEqual(cpu.breaches.map((b) => b.message), ['cpu.pb.gz: total 4.27s, more than 4s (budgets[0])']);
  const heap = checkBudget(budget(
    { profile: 'heap*', sample_index: 'inuse_space', max_growth_percent: 50, max_growth: '20MB' },
    { function: 'growCache', max_growth_flat: '8MB' },
  ), subject('heap.b.pb.gz', 'heap.a.pb.gz'));
  assert.deepEqual(heap.breaches.map((b) => b.message), [
    'heap.b.pb.gz: total grew by 98.5% (14.16MB → 28.10MB), more than 50% (budgets[0])',
    'heap.b.pb.gz: main.growCache: flat grew by 9.39MB, more than 8MB (budgets[1])',
  ]);
  const goroutines = checkBudget(budget({ max_goroutines: 500, max_goroutine_growth: 100 }), subject('goroutine.b.pb.gz', 'goroutine.a.pb.gz'));
  assert.equal(goroutines.breaches.length, 2);
  assert.match(goroutines.breaches[0]!.message, /542 goroutines, more than the maximum of 500/);
  assert.match(goroutines.breaches[1]!.message, /Watch .*grew by 300 goroutines/);
});

test('growth limits without a base are noted as not checked, not passed silently', () => {
  const r = checkBudget(budget({ max_growth_percent: 10 }), subject('heap.b.pb.gz'));
  assert.equal(r.breaches.length, 0);
  assert.deepEqual(r.notes, ['heap.b.pb.gz: max_growth_percent of budgets[0] not checked: no base profile to compare with']);
});

test('a rule for every profile skips those it does not fit; one that names a profile must fit it', () => {
  const cpu = subject('cpu.pb.gz');
  const quiet = checkBudget(budget({ max_total: '10MB' }, { max_goroutines: 1 }, { sample_index: 'inuse_space', max_flat_percent: 1 }), cpu);
  assert.deepEqual(quiet.breaches, []);
  assert.ok(quiet.outcomes.every((o) => !o.applied));
  const misfits: [unknown, string][] = [
    [{ profile: 'cpu*', max_total: '10MB' }, 'budgets[0].max_total'],
    [{ profile: 'cpu*', max_goroutines: 1 }, 'budgets[0].max_goroutines'],
    [{ profile: 'cpu*', sample_index: 'inuse_space', max_flat_percent: 1 }, 'budgets[0].sample_index'],
  ];
  for (const [rule, at] of misfits) {
    assert.throws(() => checkBudget(budget(rule), cpu), (e: unknown) => e instanceof BudgetError && e.path === at && e.message.includes('in cpu.pb.gz'));
  }
  // A glob with "/" matches the path as given.
  assert.equal(checkBudget(budget({ profile: 'profiles/cpu*', max_total: 1 }), cpu).breaches.length, 1);
  assert.equal(checkBudget(budget({ profile: 'other/cpu*', max_total: 1 }), cpu).breaches.length, 0);
});

test('names in breaches are one line, whatever the profile holds', () => {
  const hostile = loadReportInput('top', readFileSync(path.join(CORPUS, 'bad/hostile-names.pb.gz'))).profile;
  const r = checkBudget(budget({ function: 'new', max_flat: 0 }), { name: 'h\nx', path: 'h', profile: hostile, options: parseOptions({}) });
  assert.deepEqual(r.breaches.map((b) => b.message), ['h\\nx: main.new\\nline\\r\\nname: flat 30ms, more than 0 (budgets[0])']);
});

test('docs/budget.schema.json is the schema the code validates with', () => {
  const file = readFileSync(path.join(ROOT, 'docs/budget.schema.json'), 'utf8');
  assert.equal(file, JSON.stringify(budgetJsonSchema(), null, 2) + '\n', 'regenerate docs/budget.schema.json (see docs/budget.md)');
  const schema = JSON.parse(file);
  assert.deepEqual(Object.keys(schema.properties), ['$schema', 'budgets']);
  assert.ok(schema.properties.budgets.items.properties.max_growth_flat.description.includes('grew'));
});

test('the example in docs/budget.md is a valid budget', () => {
  const doc = readFileSync(path.join(ROOT, 'docs/budget.md'), 'utf8');
  const example = /```json\n([\s\S]*?)```/.exec(doc)![1]!;
  const parsed = parseBudget(example, 'docs/budget.md');
  assert.equal(parsed.rules.length, 5);
  assert.equal(parsed.rules[3]!.ref, 'budgets[3] "session cache"');
});
