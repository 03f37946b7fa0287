/** `hotpath` with a URL where a file would go, as `go tool pprof http://host/debug/pprof/heap` works. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHOPD, startTarget, type Target } from '../fetch/target.js';

const BIN = fileURLToPath(new URL('../../../bin/hotpath.cjs', import.meta.url));
let target: Target;
before(async () => {
  target = await startTarget();
});
after(async () => {
  await target.close();
});

/** Asynchronous: the fake /debug/pprof server runs in this process and must keep answering. */
function hotpath(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TZ: 'UTC' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

test('a /debug/pprof URL gives the same report as the file it serves', async () => {
  const fromUrl = await hotpath('-top', `${target.origin}/debug/pprof/heap`);
  assert.equal(fromUrl.code, 0, fromUrl.stderr);
  assert.equal(fromUrl.stdout, (await hotpath('-top', path.join(SHOPD, 'heap.a.pb.gz'))).stdout);
});

test('-seconds asks the profile endpoint to collect that long', async () => {
  const r = await hotpath('-top', '-seconds=1', `${target.origin}/debug/pprof/profile`);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms >= 1000);
  assert.ok(target.seen.some((s) => s.url === '/debug/pprof/profile?seconds=1'));
  assert.equal(r.stdout, (await hotpath('-top', path.join(SHOPD, 'cpu.pb.gz'))).stdout);
});

test('fetch failures are one clear line each', async () => {
  const refused = await hotpath('-top', 'http://127.0.0.1:1/debug/pprof/heap');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^hotpath: .*connection refused[^\n]*\n$/);
  const missing = await hotpath('-top', `${target.origin}/missing`);
  assert.match(missing.stderr, /^hotpath: .*404[^\n]*\n$/);
  const slow = await hotpath('-top', '-timeout=1', `${target.origin}/slow/debug/pprof/profile?seconds=1`);
  assert.equal(slow.code, 1);
  assert.match(slow.stderr, /^hotpath: [^\n]*no complete answer within 1 s\n$/);
});
