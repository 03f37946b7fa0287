/**
 * Every text report hands on its selection's warnings (pprof's notes on stderr: a filter that
 * matched nothing, a tag value read as a range), the same for each report of one selection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseOptions } from '../../src/options.js';
import { loadProfile } from '../../src/profile/load.js';
import { produceReport, type ReportName } from '../../src/reports.js';
import { inputPath } from '../support/goldens.js';

test('top, traces, peek and list give the same warnings for one selection', () => {
  const { profile } = loadProfile(readFileSync(inputPath('profiles/shopd/cpu.pb.gz')));
  const o = parseOptions({ ignore: 'NoSuchFunction', tagignore: '1' });
  const warnings = (name: ReportName) => produceReport(profile, name, { ...o, peek: 'cart\\.', list: 'cart.mix' }).warnings;
  const top = warnings('top');
  assert.ok(top.includes("tagignore:Interpreted '1' as range, not regexp") && top.includes('Ignore expression matched no samples'), top.join('; '));
  for (const name of ['traces', 'peek', 'list'] as const) assert.deepEqual(warnings(name), top, name);
});
