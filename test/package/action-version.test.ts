/**
 * action.yml's `version` input: what its Install step hands to npm install. A version, a range or a
 * dist-tag must name hotpath (bare, npm reads `0.1.0` as the package called "0.1.0", whoever
 * publishes it); a path, tarball, URL or name@version must reach npm as it is. The step's own
 * `case` runs here in bash, without npm (install.test.ts runs the whole action on a tarball).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Action {
  inputs: Record<string, { default?: string }>;
  runs: { steps: { name?: string; run: string }[] };
}
const action = YAML.parse(readFileSync(`${ROOT}action.yml`, 'utf8')) as Action;
const install = action.runs.steps.find((s) => s.name === 'Install hotpath')!.run;

/** The spec the Install step computes for an input, from the step's own lines up to `npm install`. */
function specFor(version: string): string {
  const before = install.slice(0, install.indexOf('npm install'));
  const decision = /^\s*case \$INPUT_VERSION in\n[\s\S]*?^\s*esac$/m.exec(before);
  assert.ok(decision, 'the Install step decides the spec in a case … esac before npm install');
  const r = spawnSync('bash', ['--noprofile', '--norc', '-euo', 'pipefail', '-c', `${decision[0]}\nprintf %s "$spec"`], {
    encoding: 'utf8', env: { PATH: process.env['PATH'], INPUT_VERSION: version }, timeout: 10_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test("the Install step installs the spec it computed, and the default is this release's hotpath", () => {
  assert.match(install, /npm install [^\n]*"\$spec"/);
  assert.doesNotMatch(install, /npm install [^\n]*\$INPUT_VERSION/);
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { name: string; version: string };
  assert.equal(specFor(action.inputs['version']!.default!), `${pkg.name}@${pkg.version}`);
});

test('a version, a range or a dist-tag is hotpath@…', () => {
  for (const v of ['0.1.0', '1.2.3-rc.1', '^0.1', '~0.1.2', '0.x', '>=0.1 <0.2', '1.x || 2.x', 'latest', 'next']) {
    assert.equal(specFor(v), `hotpath@${v}`, v);
  }
  assert.equal(specFor(''), 'hotpath');
});

test('a path, a tarball, a URL, a git spec or name@version goes to npm as it is', () => {
  for (const v of ['./x.tgz', '/tmp/hotpath-0.1.0.tgz', 'hotpath-0.1.0.tgz', 'dist/hotpath.tar.gz', '../hotpath', '~/src/hotpath',
    'https://example.com/hotpath-0.1.0.tgz', 'git+https://github.com/OWNER/hotpath.git#v0.1.0', 'github:OWNER/hotpath', 'OWNER/hotpath',
    'hotpath@0.1.0', '@scope/hotpath@1', 'npm:hotpath@0.1.0', 'file:../hotpath']) {
    assert.equal(specFor(v), v, v);
  }
});
