/**
 * hotpath as a user gets it from npm: `npm pack` of a copy of this checkout (prepack builds it from
 * source; the checkout's own build/ is not touched, other tests run from it), the tarball's file
 * list, then `npm install <tarball>` into an empty project and the installed `hotpath` run from
 * there: -top equal to pprof's golden, -svg, `report` and `serve`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CORPUS } from '../support/goldens.js';
import { localPrebuilds } from '../support/prebuilds.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);
/** Hang guards, not speed tests: a build and an install take a minute or two on a loaded machine. */
const STEP_MS = 6 * 60_000;
const PACKED_LIMIT = 3 * 1024 * 1024;
/** What a package build reads; everything else (test/, bench/, fixtures) must stay out anyway. */
const SOURCES = ['package.json', 'package-lock.json', 'tsconfig.json', 'bin', 'src', 'scripts', 'templates', 'fonts', 'proto', 'docs', 'README.md', 'LICENSE', 'SECURITY.md'];

let dir = '';
let tarball = '';
let app = '';
let hotpath = '';
/** The environment the installed CLI runs in: no npm variables from this test run. */
const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], TZ: 'UTC' };

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'hotpath-package-'));
  const copy = path.join(dir, 'checkout');
  for (const f of SOURCES) cpSync(path.join(ROOT, f), path.join(copy, f), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  await run('npm', ['pack', '--pack-destination', dir], { cwd: copy, timeout: STEP_MS });
  tarball = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);

  app = path.join(dir, 'app');
  cpSync(path.join(CORPUS, 'profiles/shopd/cpu.pb.gz'), path.join(app, 'cpu.pb.gz'));
  writeFileSync(path.join(app, 'package.json'), '{ "name": "app", "private": true }\n');
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
    cwd: app, timeout: STEP_MS, env: { ...process.env, ...localPrebuilds(path.join(ROOT, 'node_modules'), path.join(dir, 'prebuilds')) },
  });
  hotpath = path.join(app, 'node_modules/.bin/hotpath');
}, { timeout: 2 * STEP_MS + 60_000 });

after(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('the tarball holds the built CLI, the server, templates, fonts and docs, and nothing of the tests', async () => {
  assert.ok(statSync(tarball).size <= PACKED_LIMIT, `${statSync(tarball).size} bytes packed`);
  const { stdout } = await run('tar', ['-tzf', tarball]);
  const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
  for (const f of ['bin/hotpath.js', 'build/src/bundle/hotpath.js', 'build/src/bundle/graphviz.wasm', 'build/src/server/main.js',
    'build/src/server/serve.js', 'build/src/render/worker.js', 'templates/index.html', 'fonts/LiberationSans-Regular.ttf',
    'proto/profile.proto', 'docs/ci.md', 'README.md', 'LICENSE', 'SECURITY.md', 'package.json']) {
    assert.ok(files.includes(f), `${f} is packed`);
  }
  const stray = files.filter((f) => /^(test|bench|src|scripts)\/|fixtures|\.map$|\.ts$|tsbuildinfo/.test(f));
  assert.deepEqual(stray, []);
});

test('the installed hotpath -top prints what go tool pprof -top prints', async () => {
  const { stdout } = await run(hotpath, ['-top', 'cpu.pb.gz'], { cwd: app, env, timeout: 60_000 });
  assert.equal(stdout, readFileSync(path.join(CORPUS, 'golden/shopd.cpu.top.txt'), 'utf8'));
});

test('the installed hotpath -svg draws the call graph', async () => {
  await run(hotpath, ['-svg', '-output', 'cpu.svg', 'cpu.pb.gz'], { cwd: app, env, timeout: 60_000 });
  const svg = readFileSync(path.join(app, 'cpu.svg'), 'utf8');
  assert.match(svg, /^<\?xml[\s\S]*<svg [\s\S]*runtime[\s\S]*<\/svg>\n?$/);
});

test('the installed hotpath report writes its folder', async () => {
  await run(hotpath, ['report', '--out', 'profile-report', 'cpu.pb.gz'], { cwd: app, env, timeout: 120_000 });
  const out = path.join(app, 'profile-report');
  assert.match(readFileSync(path.join(out, 'summary.md'), 'utf8'), /cpu/);
  for (const f of ['graph.svg', 'graph.png', 'flame.svg', 'top.txt', 'top.json']) assert.ok(existsSync(path.join(out, 'cpu', f)), f);
});

test('the installed hotpath serve answers /healthz, then stops on SIGTERM', async () => {
  const child = spawn(hotpath, ['serve', '--port', '0', '--host', '127.0.0.1'], {
    cwd: app, env: { ...env, HOTPATH_DATA: path.join(app, 'data'), HOTPATH_LOG: '0', HOTPATH_RENDER_WORKERS: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${out}`)));
    });
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    clearTimeout(guard);
    child.kill('SIGKILL');
  }
});
