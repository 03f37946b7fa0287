/**
 * Loading a profile with a base (-base, -diff_base, or side by side for flame graphs and leaks): an
 * error of the base names it, where it happens, in the CLI and the service alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ProfileError, TooLargeError } from '../../src/errors.js';
import { loadReportInput, type ReportName } from '../../src/reports.js';
import { CORPUS } from '../support/goldens.js';

const good = readFileSync(path.join(CORPUS, 'profiles/shopd/goroutine.b.pb.gz'));
const broken = readFileSync(path.join(CORPUS, 'bad/missing-location.pb.gz'));

function fails(fn: () => unknown, type: typeof ProfileError | typeof TooLargeError, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof type && message.test(e.message), String(message));
}

test('a broken base is named as the base (or diff_base); a broken profile is not', () => {
  for (const report of ['top', 'flame', 'leaks'] as ReportName[]) {
    fails(() => loadReportInput(report, good, { bytes: broken, diff: false }), ProfileError, /^base: sample references location id 999/);
    fails(() => loadReportInput(report, good, { bytes: broken, diff: true }), ProfileError, /^diff_base: sample references location id 999/);
    fails(() => loadReportInput(report, broken, { bytes: good, diff: false }), ProfileError, /^sample references location id 999/);
  }
});

test('a base past a budget is named as the base', () => {
  const samples = loadReportInput('top', good).profile.samples.length;
  fails(() => loadReportInput('top', good, { bytes: good, diff: false }, { maxSamples: samples - 1 }), TooLargeError, /^profile has more than/);
  const small = readFileSync(path.join(CORPUS, 'profiles/shopd/goroutine.a.pb.gz'));
  const few = loadReportInput('top', small).profile.samples.length;
  assert.ok(few < samples);
  fails(() => loadReportInput('top', small, { bytes: good, diff: false }, { maxSamples: few }), TooLargeError, /^base: profile has more than/);
});
