/**
 * The service as users run it (`node build/src/server/main.js`), in its own process on an ephemeral
 * 127.0.0.1 port with a temporary store, for the benchmarks and the load test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Service {
  url: string;
  child: ChildProcess;
  dataDir: string;
}

/**
 * Starts the server with `env` on top of the defaults (no tokens, no PostgreSQL) and waits for
 * /readyz. `serverMain`: another build's main.js, to compare two builds with one harness.
 */
export async function startService(env: Record<string, string> = {}, serverMain = path.join(ROOT, 'build/src/server/main.js')): Promise<Service> {
  const dataDir = env['HOTPATH_DATA'] ?? mkdtempSync(path.join(os.tmpdir(), 'hotpath-bench-'));
  const child = spawn(process.execPath, [serverMain], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', HOTPATH_LOG: '0', DATABASE_URL: '', HOTPATH_TOKENS: '', ...env, HOTPATH_DATA: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!.replace('localhost', '127.0.0.1'));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  for (let i = 0; ; i++) {
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) break;
    if (i > 200) throw new Error('server not ready after 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, child, dataDir };
}
