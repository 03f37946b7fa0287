/**
 * The output budget (limits.ts maxOutputChars): reports that grow with samples × depth × name
 * length stop at the cap, with TooLargeError naming max_output_chars, and every report under the
 * cap is the same text as without one. The budgets of text inputs (folded stacks) hold too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TooLargeError } from '../../src/errors.js';
import { parseOptions } from '../../src/options.js';
import { loadProfile } from '../../src/profile/load.js';
import { produceReport, type ReportName } from '../../src/reports.js';
import { rawReport } from '../../src/report/raw.js';
import { OutputBudget } from '../../src/pipeline/output.js';
import { CORPUS } from '../support/goldens.js';
import { longNameStack, namedProfile } from '../attacks/shapes.js';

const { profile } = loadProfile(readFileSync(path.join(CORPUS, 'profiles/shopd/cpu.pb.gz')));
const options = parseOptions({ list: 'handle' });

function tooLarge(max: number): (e: unknown) => boolean {
  return (e) => e instanceof TooLargeError && e.limitName === 'max_output_chars' && e.limit === max && /more than \d+ characters/.test(e.message);
}

for (const name of ['traces', 'folded', 'list', 'flame', 'top', 'raw'] as ReportName[]) {
  test(`${name}: the same text under the cap, refused one character short of it`, () => {
    const full = produceReport(profile, name, options).text;
    assert.equal(produceReport(profile, name, options, { maxOutputChars: full.length }).text, full);
    assert.throws(() => produceReport(profile, name, options, { maxOutputChars: full.length - 1 }), tooLarge(full.length - 1));
  });
}

test('a report is refused long before it is built: traces of deep stacks of long names stop at the cap', () => {
  // One stack of 600 frames of a 60,000-character name: a few KB that print as 36 MB.
  const deep = loadProfile(longNameStack('x'.repeat(60_000), 600)).profile;
  const started = performance.now();
  assert.throws(() => produceReport(deep, 'traces', parseOptions({}), { maxOutputChars: 1_000_000 }), tooLarge(1_000_000));
  assert.throws(() => produceReport(deep, 'folded', parseOptions({}), { maxOutputChars: 1_000_000 }), tooLarge(1_000_000));
  assert.ok(performance.now() - started < 5000, 'refused without building 36 MB');
});

test('raw counts its lines as it writes them: the writer itself stops at the cap', () => {
  // 40 functions of 60,000-character names: 2.4 MB of locations.
  const deep = loadProfile(namedProfile(Array.from({ length: 40 }, (_, k) => `f${k}${'x'.repeat(60_000)}`))).profile;
  assert.throws(() => rawReport(deep, 'UTC', new OutputBudget(1_000_000)), tooLarge(1_000_000));
  const full = rawReport(deep, 'UTC');
  assert.equal(rawReport(deep, 'UTC', new OutputBudget(full.length)), full);
});

test('folded stacks as input are held to the decoder\'s budgets', () => {
  const text = Buffer.from('a;b;c 1\na;b 2\nx 3\n');
  assert.equal(loadProfile(text, { maxSamples: 3, maxStackDepth: 3, maxFrames: 6 }).profile.samples.length, 3);
  const over = (limits: Record<string, number>, limitName: string) =>
    assert.throws(() => loadProfile(text, limits), (e: unknown) => e instanceof TooLargeError && e.limitName === limitName);
  over({ maxSamples: 2 }, 'max_samples');
  over({ maxStackDepth: 2 }, 'max_stack_depth');
  over({ maxFrames: 5 }, 'max_frames');
  over({ maxNameBytes: 0 }, 'max_name_bytes');
});
