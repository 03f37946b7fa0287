/**
 * `npm start` as a process (node build/src/server/main.js): it prints its URL; on SIGTERM it stops
 * accepting connections, finishes the request in flight, and exits 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { ROOT, fixture } from './support.js';

test('SIGTERM: the in-flight request completes, new connections are refused, exit code 0', async (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-shutdown-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [path.join(ROOT, 'build/src/server/main.js')], {
    // The profile store in a temporary directory (SQLite), never ./data.
    env: { ...process.env, PORT: '0', HOTPATH_LOG: '0', HOTPATH_RENDER_WORKERS: '1', HOTPATH_SHUTDOWN_GRACE_MS: '5000', DATABASE_URL: '', HOTPATH_DATA: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d;
        const m = /hotpath listening on (http:\/\/\S+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(`server exited early: ${stderr}`)));
    });
    assert.match(url, /^http:\/\/localhost:\d+$/);
    // Every report is a job: wait for the worker, so the grace period is not spent starting it.
    for (let i = 0; !(await fetch(`${url}/readyz`).then((r) => r.ok, () => false)); i++) {
      if (i > 300) throw new Error('not ready after 15 s');
      await new Promise((r) => setTimeout(r, 50));
    }

    // Upload in two halves, with the SIGTERM in between: the request is in flight when it arrives.
    const bytes = new Uint8Array(fixture('profiles/shopd/cpu.pb.gz'));
    const half = bytes.length >> 1;
    let sendRest!: () => void;
    const restReady = new Promise<void>((r) => (sendRest = r));
    let step = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (step === 0) controller.enqueue(bytes.subarray(0, half));
        else if (step === 1) {
          await restReady;
          controller.enqueue(bytes.subarray(half));
        } else controller.close();
        step++;
      },
    });
    const inFlight = fetch(`${url}/v1/render?format=top`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));

    await assert.rejects(fetch(`${url}/healthz`), 'no new connections once draining');
    sendRest();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^File: shopd/);

    const [code, signal] = await exited;
    assert.equal(signal, null);
    assert.equal(code, 0, stderr);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
