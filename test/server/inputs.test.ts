/**
 * The multipart fields beyond `profile` and the reports that use them, each equal to the CLI's
 * output (TZ=UTC): `base` and `diff_base` (pprof -base / -diff_base), `sources` for list (against
 * pprof's own -list golden), flame graphs and the goroutine leak report with a budget.
 */
import { gzipSync } from 'node:zlib';
import { tar } from '../support/tar.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RunningServer } from '../../src/server/app.js';
import { CORPUS, ROOT, fixture, problemOf, startTestServer } from './support.js';

const run = promisify(execFile);

async function cli(args: string[], cwd = ROOT): Promise<string> {
  const r = await run(process.execPath, [path.join(ROOT, 'bin/hotpath.cjs'), ...args], {
    cwd,
    env: { ...process.env, TZ: 'UTC' },
    maxBuffer: 64 << 20,
  }).catch((err) => ({ stdout: err.stdout as string }));
  return r.stdout;
}

async function post(server: RunningServer, query: string, files: Record<string, Uint8Array>) {
  const form = new FormData();
  for (const [name, bytes] of Object.entries(files)) form.append(name, new Blob([new Uint8Array(bytes)]), `${name}.bin`);
  const res = await fetch(`${server.url}/v1/render?${query}`, { method: 'POST', body: form });
  return { status: res.status, headers: res.headers, text: await res.text(), ms: 0 };
}

let server: RunningServer;
let sourcesTarGz: Buffer;
before(async () => {
  server = await startTestServer({ renderWorkers: 1 });
  sourcesTarGz = (await promisify(execFile)('tar', ['czf', '-', '-C', CORPUS, 'src'], { encoding: 'buffer', maxBuffer: 64 << 20 })).stdout;
});
after(() => server.shutdown());

describe('base snapshots', () => {
  const a = 'profiles/shopd/heap.a.pb.gz';
  const b = 'profiles/shopd/heap.b.pb.gz';
  for (const [field, flag] of [['base', '-base'], ['diff_base', '-diff_base']] as const) {
    test(`${field}: top equals hotpath -top ${flag}`, async () => {
      const [want, got] = await Promise.all([
        cli(['-top', '-sample_index=inuse_space', flag, path.join(CORPUS, a), path.join(CORPUS, b)]),
        post(server, 'format=top&sample_index=inuse_space', { profile: fixture(b), [field]: fixture(a) }),
      ]);
      assert.equal(got.status, 200, got.text);
      assert.match(want, /Type: inuse_space/);
      assert.equal(got.text, want);
    });
  }

  test('a broken base is named as the base', async () => {
    const got = await post(server, 'format=top', { profile: fixture(b), base: fixture('bad/missing-location.pb.gz') });
    assert.equal(got.status, 400);
    assert.match(problemOf(got).detail, /^base: sample references location id 999/);
  });

  test('base and diff_base together: 400', async () => {
    const got = await post(server, 'format=top', { profile: fixture(b), base: fixture(a), diff_base: fixture(a) });
    assert.equal(got.status, 400);
    assert.match(problemOf(got).detail, /one of the "base" and "diff_base"/);
  });
});

describe('list with an uploaded sources archive', () => {
  test("equals pprof's -list golden (-source_path=src)", async () => {
    const got = await post(server, `format=list&list=${encodeURIComponent('catalog.WalkTree')}`, {
      profile: fixture('profiles/shopd/cpu.pb.gz'),
      sources: sourcesTarGz,
    });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.text, readFileSync(path.join(CORPUS, 'golden/shopd.cpu.list.WalkTree.txt'), 'utf8'));
  });

  test('source_path and trim_path are refused: the service never reads its own disk', async () => {
    for (const option of ['source_path=/etc', 'trim_path=/']) {
      const got = await post(server, `format=list&list=main&${option}`, { profile: fixture('profiles/shopd/cpu.pb.gz') });
      assert.equal(got.status, 422);
      assert.match(problemOf(got).detail, /never reads/);
    }
  });

  test('archives with ../ paths, symlinks, or past the size cap are refused with 422', async () => {
    const cases: [string, Uint8Array][] = [
      ['unsafe_path', gzipSync(tar([{ name: '../etc/passwd', data: 'x' }]))],
      ['link', gzipSync(tar([{ name: 'src/shopd/main.go', type: '2', linkname: '/etc/passwd' }]))],
      ['too_large', gzipSync(tar([{ name: 'src/big.go', data: new Uint8Array(65 << 20) }]))],
    ];
    for (const [code, archive] of cases) {
      const got = await post(server, 'format=list&list=main', { profile: fixture('profiles/shopd/cpu.pb.gz'), sources: Buffer.from(archive) });
      assert.equal(got.status, 422, `${code}: ${got.text}`);
      assert.equal(problemOf(got).type, 'urn:hotpath:problem:bad-sources');
    }
  });

  test('an archive that is not one: 415; sources with another format: 400', async () => {
    const notArchive = await post(server, 'format=list&list=main', { profile: fixture('profiles/shopd/cpu.pb.gz'), sources: Buffer.from('hello') });
    assert.equal(notArchive.status, 415, notArchive.text);
    assert.equal(problemOf(notArchive).type, 'urn:hotpath:problem:unsupported-sources');
    const wrongFormat = await post(server, 'format=top', { profile: fixture('profiles/shopd/cpu.pb.gz'), sources: sourcesTarGz });
    assert.equal(wrongFormat.status, 400);
  });
});

describe('other reports', () => {
  test('flame equals hotpath -flame', async () => {
    const file = 'profiles/billing/cpu.pb.gz';
    const [want, got] = await Promise.all([cli(['-flame', path.join(CORPUS, file)]), post(server, 'format=flame', { profile: fixture(file) })]);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/svg+xml');
    assert.ok(want.startsWith('<'));
    assert.equal(got.text, want);
  });

  test('leaks with a budget: the report, and each breach in a header', async () => {
    const a = 'profiles/shopd/goroutine.a.pb.gz';
    const b = 'profiles/shopd/goroutine.b.pb.gz';
    const [want, got] = await Promise.all([
      cli(['-leaks', '-fail_on_growth=10', '-base', path.join(CORPUS, a), path.join(CORPUS, b)]),
      post(server, 'format=leaks&fail_on_growth=10', { profile: fixture(b), base: fixture(a) }),
    ]);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.text, want);
    assert.match(got.headers.get('x-hotpath-budget-exceeded') ?? '', /\S/);
  });
});
