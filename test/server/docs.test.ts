/**
 * The curl examples of the README's "HTTP API" section work exactly
 * as written: every ```sh block runs, in order, with bash against a live server, in a folder that
 * holds cpu.pb.gz, heap.pb.gz and heap-before.pb.gz. Only the address changes:
 * http://localhost:8080 → the test server's ephemeral port.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { XMLValidator } from 'fast-xml-parser';
import type { RunningServer } from '../../src/server/app.js';
import { CORPUS, ROOT, startTestServer } from './support.js';

const run = promisify(execFile);
const README = path.join(ROOT, 'README.md');

/** The README's "HTTP API" section, up to the next section. */
function apiSection(): string {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('\n## HTTP API\n');
  assert.ok(start >= 0, 'README has an HTTP API section');
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

let server: RunningServer;
let dir: string;
before(async () => {
  server = await startTestServer({ renderWorkers: 1 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-docs-'));
  symlinkSync(path.join(CORPUS, 'profiles/shopd/cpu.pb.gz'), path.join(dir, 'cpu.pb.gz'));
  symlinkSync(path.join(CORPUS, 'profiles/shopd/heap.b.pb.gz'), path.join(dir, 'heap.pb.gz'));
  symlinkSync(path.join(CORPUS, 'profiles/shopd/heap.a.pb.gz'), path.join(dir, 'heap-before.pb.gz'));
});
after(async () => {
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

test('every sh example in the README\'s HTTP API section runs as written', async () => {
  const blocks = shellBlocks(apiSection());
  assert.ok(blocks.length >= 6, `found ${blocks.length} sh blocks`);
  const outputs: string[] = [];
  for (const block of blocks) {
    assert.match(block, /http:\/\/localhost:8080/, 'each example talks to the service');
    const script = block.replaceAll('http://localhost:8080', server.url);
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, maxBuffer: 16 << 20 }).catch((err) => {
      throw new Error(`example failed:\n${block}\n${err.stderr ?? err.message}`);
    });
    outputs.push(stdout);
  }
  const all = outputs.join('\n');

  const svg = readFileSync(path.join(dir, 'cpu.svg'), 'utf8');
  assert.equal(XMLValidator.validate(svg), true);
  assert.match(svg, /<svg /);
  assert.match(readFileSync(path.join(dir, 'cpu.dot'), 'utf8'), /^digraph "shopd" \{/);
  assert.equal(JSON.parse(readFileSync(path.join(dir, 'top.json'), 'utf8')).rows.length, 5);
  assert.equal(JSON.parse(readFileSync(path.join(dir, 'openapi.json'), 'utf8')).openapi, '3.1.0');
  assert.match(all, /Type: alloc_space/, 'the heap top example');
  assert.match(all, /Type: inuse_space[\s\S]*sessions\.newSession/, 'the base example shows what grew');
  assert.match(all, /HTTP\/1\.1 422[\s\S]*"option":"sample_index"/, 'the error example');
  assert.match(all, /hotpath_renders_total\{format="svg",outcome="ok"\}/, 'the metrics example');
});

test('the documented error answer is the real one', async () => {
  const doc = apiSection();
  const shown = /^`(\{"type":"urn:hotpath:problem:bad-options".*\})`\.$/m.exec(doc);
  assert.ok(shown, 'the doc shows a problem object');
  const res = await fetch(`${server.url}/v1/render?format=top&sample_index=inuse_space`, {
    method: 'POST',
    body: readFileSync(path.join(dir, 'cpu.pb.gz')),
  });
  assert.equal(res.status, 422);
  assert.equal((await res.text()).trim(), shown[1]);
});
