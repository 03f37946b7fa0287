/**
 * The curl examples of the README's "HTTP API" section work exactly
 * as written: every ```sh block runs, in order, with bash against a live server, in a folder that
 * holds cpu.pb.gz, heap.pb.gz, heap-before.pb.gz and their Go sources in src/. Only addresses change:
 * http://localhost:8080 → the test server's ephemeral port, and yourapp:6060 (the service the
 * capture example pulls from) → a local /debug/pprof stand-in listed in the server's HOTPATH_FETCH_ALLOW.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { XMLValidator } from 'fast-xml-parser';
import type { RunningServer } from '../../src/server/app.js';
import { startTarget, type Target } from '../fetch/target.js';
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
let target: Target;
let dir: string;
before(async () => {
  target = await startTarget();
  server = await startTestServer({ renderWorkers: 1, fetchAllow: `127.0.0.1:${target.port}` });
  dir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-docs-'));
  symlinkSync(path.join(CORPUS, 'profiles/shopd/cpu.pb.gz'), path.join(dir, 'cpu.pb.gz'));
  symlinkSync(path.join(CORPUS, 'profiles/shopd/heap.b.pb.gz'), path.join(dir, 'heap.pb.gz'));
  symlinkSync(path.join(CORPUS, 'profiles/shopd/heap.a.pb.gz'), path.join(dir, 'heap-before.pb.gz'));
  // A copy, not a link: `tar czf src.tar.gz src` archives a link as a link, which the service refuses.
  cpSync(path.join(CORPUS, 'src'), path.join(dir, 'src'), { recursive: true });
});
after(async () => {
  await server.shutdown();
  await target.close();
  rmSync(dir, { recursive: true, force: true });
});

test('every sh example in the README\'s HTTP API section runs as written', async () => {
  const blocks = shellBlocks(apiSection());
  assert.ok(blocks.length >= 6, `found ${blocks.length} sh blocks`);
  const outputs: string[] = [];
  for (const block of blocks) {
    assert.match(block, /http:\/\/localhost:8080/, 'each example talks to the service');
    const script = block.replaceAll('http://localhost:8080', server.url).replaceAll('yourapp:6060', `127.0.0.1:${target.port}`);
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

  // Links: the upload, its reports, caching, a stored base, a capture.
  const uploaded = JSON.parse(readFileSync(path.join(dir, 'upload.json'), 'utf8'));
  assert.match(uploaded.id, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(uploaded.title, 'checkout CPU');
  assert.equal(uploaded.links.png, `${server.url}/p/${uploaded.id}/graph.png`);
  assert.deepEqual([...readFileSync(path.join(dir, 'graph.png')).subarray(1, 4)], [...Buffer.from('PNG')]);
  const card = readFileSync(path.join(dir, 'card.png'));
  assert.deepEqual([card.readUInt32BE(16), card.readUInt32BE(20)], [1200, 630], 'the unfurl card');
  assert.equal(XMLValidator.validate(readFileSync(path.join(dir, 'focus.svg'), 'utf8')), true);
  assert.match(all, /Type: cpu\n[\s\S]*Showing top 5 nodes/, 'top.txt with nodecount=5');
  assert.match(all, /^\{"title":"checkout CPU","total":"[^"]+","duration":"[^"]+","topFunction":"[^"]+"\}$/m, 'meta.json');
  assert.match(all, /^cache-control: public, max-age=31536000, immutable\r?$/im);
  assert.match(all, /^x-hotpath-cache: (hit|miss)\r?$/im);
  assert.match(all, /^304$/m, 'If-None-Match');
  assert.equal((all.match(/Type: inuse_space[\s\S]*?sessions\.newSession/g) ?? []).length, 2, 'the render and the stored base show what grew');
  assert.match(all, /^ +50ms +420ms +91:\t\ts \+= WalkTree\(ch\)$/m, 'list.txt shows the code of the sources uploaded with the profile');
  assert.match(all, new RegExp(`^${server.url}/p/[A-Za-z0-9_-]{22}$`, 'm'), 'the capture answers with its links');
  assert.ok(target.seen.some((s) => s.url === '/debug/pprof/profile?seconds=1'), 'the capture asked the service for 1 s');
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
