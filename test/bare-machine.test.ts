/**
 * `npm ci && npm test` on a fresh machine (no Chromium, no PostgreSQL, CI unset) must pass and say
 * which suites it skipped; with CI=true the same absence must fail. Run here on the suites that need
 * them, as child test runs with Chromium pointed nowhere and DATABASE_URL unset, whatever this
 * machine has.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BUILD_TEST = path.dirname(fileURLToPath(import.meta.url));
const SUITES = ['browser/viewer.test.js', 'browser/views.test.js', 'browser/flame.test.js', 'faults/database-restart.test.js'].map((f) => path.join(BUILD_TEST, f));

function runSuites(ci: boolean): Promise<{ code: number | null; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium' };
  delete env['DATABASE_URL'];
  delete env['CI'];
  delete env['NODE_TEST_CONTEXT']; // else the child reports to this runner instead of running on its own
  if (ci) env['CI'] = 'true';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--test', ...SUITES], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000); // a hang guard, not a speed test
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, out });
    });
  });
}

test('a bare machine: the browser and PostgreSQL suites are skipped, one line each saying what to install', async () => {
  const { code, out } = await runSuites(false);
  assert.equal(code, 0, out);
  const skips = out.split('\n').filter((l) => l.includes('# SKIP'));
  assert.deepEqual(skips.map((l) => l.replace(/^ok \d+ - /, '').replace(/ # SKIP.*/, '')).sort(), [
    'PostgreSQL restarted under load: 503 + Retry-After fast while down, recovery after, every 201 readable',
    'browser: flame graphs',
    'browser: viewer',
    'browser: viewer views',
  ]);
  for (const l of skips) assert.match(l, /# SKIP (Chromium not found at \/nonexistent\/chromium: apt-get install chromium|DATABASE_URL is not set: apt-get install postgresql)/);
  assert.match(out, /# pass 0\n# fail 0\n# cancelled 0\n# skipped 4\n/);
});

test('CI=true: the same absence fails the run, naming what is missing', async () => {
  const { code, out } = await runSuites(true);
  assert.notEqual(code, 0);
  assert.match(out, /Chromium not found at \/nonexistent\/chromium, and CI must run this suite/);
  assert.match(out, /DATABASE_URL is not set, and CI must run this suite/);
});
