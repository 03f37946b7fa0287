/**
 * hotpath as a user gets it from npm: `npm pack` of a copy of this checkout (prepack builds it from
 * source; the checkout's own build/ is not touched, other tests run from it), the tarball's file
 * list, then `npm install <tarball>` into an empty project and the installed `hotpath` run from
 * there: -top equal to pprof's golden, -svg, `report` and `serve` (storing a profile); the same
 * install where the optional better-sqlite3 fails to build; and action.yml's steps, which install
 * the same tarball, run as GitHub runs them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import YAML from 'yaml';
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
    cwd: app, timeout: STEP_MS, env: { ...runnerEnv, ...localPrebuilds(path.join(ROOT, 'node_modules'), path.join(dir, 'prebuilds')) },
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
  for (const f of ['bin/hotpath.cjs', 'build/src/bundle/hotpath.cjs', 'build/src/bundle/graphviz.wasm', 'build/src/server/main.js',
    'build/src/server/serve.js', 'build/src/jobs/worker.js', 'templates/index.html', 'fonts/LiberationSans-Regular.ttf',
    'proto/profile.proto', 'docs/ci.md', 'README.md', 'LICENSE', 'SECURITY.md', 'package.json']) {
    assert.ok(files.includes(f), `${f} is packed`);
  }
  // The demangler is a port of BSD-licensed code, whose license must go with both compiled copies of it.
  const bsd = readFileSync(path.join(ROOT, 'src/profile/demangle/LICENSE'), 'utf8');
  for (const dir of ['build/src/profile/demangle', 'build/src/bundle/demangle']) {
    assert.ok(files.includes(`${dir}/cxx.cjs`), `${dir} is packed`);
    assert.equal((await run('tar', ['-xzOf', tarball, `package/${dir}/LICENSE`])).stdout, bsd, `${dir}/LICENSE`);
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

/**
 * `hotpath serve` of the install in `cwd`, under this Node: its URL once it listens (then `use`
 * runs, then SIGTERM must end it with 0), or its exit code and output when it stops first.
 */
async function serveInstalled(cwd: string, use: (url: string) => Promise<void>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [path.join(cwd, 'node_modules/hotpath/bin/hotpath.cjs'), 'serve', '--port', '0', '--host', '127.0.0.1'], {
    cwd, env: { ...env, HOTPATH_DATA: path.join(cwd, 'data'), HOTPATH_LOG: '0', HOTPATH_RENDER_WORKERS: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const url = await new Promise<string | undefined>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.stderr.on('data', (d) => (out += d));
      void exited.then(() => resolve(undefined));
    });
    if (url === undefined) return { code: await exited, out };
    await use(url);
    child.kill('SIGTERM');
    return { code: await exited, out };
  } finally {
    clearTimeout(guard);
    child.kill('SIGKILL');
  }
}

/** Stores shopd's CPU profile through the service at `url`: 201 and a link that serves it back. */
async function storeProfile(url: string): Promise<void> {
  const bytes = readFileSync(path.join(app, 'cpu.pb.gz'));
  const res = await fetch(`${url}/v1/profiles`, { method: 'POST', body: new Uint8Array(bytes), headers: { 'Content-Type': 'application/octet-stream' } });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  const { id } = JSON.parse(text) as { id: string };
  const raw = await fetch(`${url}/p/${id}/profile.pb.gz`);
  assert.ok(Buffer.from(await raw.arrayBuffer()).equals(bytes));
}

const [MAJOR, MINOR] = process.versions.node.split('.').map(Number) as [number, number];
const HAS_NODE_SQLITE = MAJOR >= 23 || (MAJOR === 22 && MINOR >= 16);

test('the installed hotpath serve answers /healthz, stores a profile, then stops on SIGTERM', async () => {
  const { code, out } = await serveInstalled(app, async (url) => {
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    await storeProfile(url);
  });
  assert.equal(code, 0, out);
});

test('where the optional better-sqlite3 fails to build, the install succeeds; the store runs on node:sqlite, or serve says what to install', async () => {
  const bare = path.join(dir, 'app-without-addon');
  mkdirSync(bare, { recursive: true });
  writeFileSync(path.join(bare, 'package.json'), '{ "name": "app", "private": true }\n');
  // Its install script fails as on a machine that reaches no prebuilt binary and has no compiler:
  // prebuild-install's download goes to a closed port, node-gyp finds no Node headers.
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
    cwd: bare, timeout: STEP_MS,
    env: { ...runnerEnv, npm_config_better_sqlite3_binary_host: 'http://127.0.0.1:9', npm_config_nodedir: path.join(dir, 'no-node-headers') },
  });
  assert.ok(!existsSync(path.join(bare, 'node_modules/better-sqlite3')), 'npm dropped the optional package whose build failed');
  const { code, out } = await serveInstalled(bare, storeProfile);
  if (HAS_NODE_SQLITE) {
    assert.equal(code, 0, out);
    assert.doesNotMatch(out, /ExperimentalWarning/);
  } else {
    assert.equal(code, 1, out);
    assert.match(out, /^hotpath: cannot start the server: the embedded SQLite store needs node:sqlite \(Node 22\.16 or later\) or the better-sqlite3 package.*npm install better-sqlite3@12.*DATABASE_URL/m);
  }
});

/**
 * A runner's environment: this machine's (npm may need its certificates and proxies), without the
 * npm_* variables of the `npm test` that may be running this file.
 */
const runnerEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

/** action.yml's steps run as GitHub runs a composite action's: bash -eo pipefail, inputs as INPUT_*, GITHUB_* files. */
async function runAction(inputs: Record<string, string>, cwd: string, extraEnv: NodeJS.ProcessEnv) {
  const action = YAML.parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { required?: boolean; default?: string }>;
    runs: { using: string; steps: { id?: string; shell: string; env?: Record<string, string>; run: string }[] };
  };
  assert.equal(action.runs.using, 'composite');
  for (const [name, spec] of Object.entries(action.inputs)) if (spec.required) assert.ok(inputs[name] !== undefined, `input ${name} is required`);
  const files = Object.fromEntries(['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_PATH'].map((k) => [k, path.join(dir, 'runner', k.toLowerCase())]));
  mkdirSync(path.join(dir, 'runner'), { recursive: true });
  for (const f of Object.values(files)) writeFileSync(f, '');
  const expand = (v: string) => v.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, name: string) => inputs[name] ?? action.inputs[name]?.default ?? '');
  const outputs: Record<string, Record<string, string>> = {};
  for (const step of action.runs.steps) {
    assert.equal(step.shell, 'bash');
    const script = path.join(dir, 'runner', 'step.sh');
    writeFileSync(script, step.run);
    const added = readFileSync(files['GITHUB_PATH']!, 'utf8').trim().split('\n').filter(Boolean).reverse();
    const stepEnv: NodeJS.ProcessEnv = {
      ...runnerEnv, ...env, ...extraEnv, ...files, RUNNER_TEMP: path.join(dir, 'runner'), GITHUB_ACTION_PATH: ROOT,
      PATH: [...added, process.env['PATH']].join(':'),
      ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v)])),
    };
    writeFileSync(files['GITHUB_OUTPUT']!, '');
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      // A process group of its own, so the hang guard stops the step's children (npm) too.
      const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env: stepEnv, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const guard = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), STEP_MS);
      child.on('close', (code) => {
        clearTimeout(guard);
        resolve({ code, stderr });
      });
    });
    if (step.id) outputs[step.id] = Object.fromEntries(readFileSync(files['GITHUB_OUTPUT']!, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(/=(.*)/s, 2) as [string, string]));
    if (r.code !== 0) return { failed: step.id ?? step.run.split('\n')[0]!, code: r.code, stderr: r.stderr, outputs, summary: readFileSync(files['GITHUB_STEP_SUMMARY']!, 'utf8') };
  }
  return { failed: undefined, code: 0, stderr: '', outputs, summary: readFileSync(files['GITHUB_STEP_SUMMARY']!, 'utf8') };
}

test('action.yml, run as GitHub runs it: installs hotpath, reports on a glob of profiles, appends summary.md, fails on a breach', async () => {
  const action = YAML.parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as { inputs: { version: { default: string } } };
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(action.inputs.version.default, pkg.version, 'the action installs the hotpath it ships with');

  const work = path.join(dir, 'workflow');
  for (const [from, to] of [['shopd/cpu.pb.gz', 'profiles/cpu.pb.gz'], ['shopd/heap.b.pb.gz', 'profiles/heap.pb.gz'], ['shopd/heap.a.pb.gz', 'base/heap.pb.gz']]) {
    cpSync(path.join(CORPUS, 'profiles', from!), path.join(work, to!));
  }
  writeFileSync(path.join(work, 'budget.json'), JSON.stringify({ budgets: [{ name: 'no hog', profile: 'cpu*', max_flat_percent: 1 }] }));
  const r = await runAction(
    { profiles: 'profiles/*.pb.gz', base: 'base', budget: 'budget.json', out: 'reports', version: tarball },
    work, localPrebuilds(path.join(ROOT, 'node_modules'), path.join(dir, 'prebuilds')),
  );
  assert.equal(r.failed, 'report', `the report step fails the job on the breach: ${r.stderr}`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /hotpath: budget exceeded: .*no hog/);
  assert.deepEqual(r.outputs['report'], { out: 'reports', 'exit-code': '1' });
  const summary = readFileSync(path.join(work, 'reports/summary.md'), 'utf8');
  assert.equal(r.summary, summary, 'summary.md is appended to the job summary');
  assert.match(summary, /no hog/);
  for (const f of ['cpu/graph.svg', 'cpu/top.txt', 'heap/graph.diff.svg', 'heap/top.diff.txt']) assert.ok(existsSync(path.join(work, 'reports', f)), f);
});
