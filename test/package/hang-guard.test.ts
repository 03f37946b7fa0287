/**
 * Every way the suites are run has npm test's hang guard: a test that hangs under Node 22 or 24
 * (.ci/test-on-node) must fail after the same --test-timeout as under `npm test`, not stall CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const timeoutOf = (command: string) => /--test-timeout=(\d+)/.exec(command)?.[1];

test('.ci/test-on-node runs node --test with the --test-timeout of npm test', () => {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: { test: string } };
  const expected = timeoutOf(pkg.scripts.test);
  assert.ok(expected !== undefined, `npm test has a --test-timeout: ${pkg.scripts.test}`);
  const runs = readFileSync(`${ROOT}.ci/test-on-node`, 'utf8').split('\n').filter((l) => /--test\b/.test(l) && !l.trimStart().startsWith('#'));
  assert.ok(runs.length > 0, 'a node --test line');
  for (const line of runs) assert.equal(timeoutOf(line), expected, line);
});
