/**
 * Every fixture profile through the real server: SVG as octet-stream and as multipart (valid XML,
 * naming the heaviest function, the same bytes both ways), and top/json/traces/dot equal to what
 * the pipeline (and, for a few, the `hotpath` CLI with TZ=UTC) prints for the same options.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { XMLValidator } from 'fast-xml-parser';
import { parseOptions } from '../../src/options.js';
import { loadProfile } from '../../src/profile/load.js';
import { produceReport, type ReportName } from '../../src/reports.js';
import type { RunningServer } from '../../src/server/app.js';
import { CORPUS, ROOT, fixture, render, startTestServer, svgEscaped } from './support.js';

const run = promisify(execFile);

const PROFILES = [
  ...['shopd', 'billing'].flatMap((dir) =>
    readdirSync(path.join(CORPUS, 'profiles', dir))
      .filter((f) => f.endsWith('.pb.gz'))
      .map((f) => `profiles/${dir}/${f}`),
  ),
  'profiles/large/megasvc.cpu.pb.gz',
];

const TEXT_FORMATS: ReportName[] = ['top', 'json', 'traces', 'dot'];
const CONTENT_TYPES: Record<string, string> = {
  top: 'text/plain; charset=utf-8',
  json: 'application/json',
  traces: 'text/plain; charset=utf-8',
  dot: 'text/vnd.graphviz; charset=utf-8',
  svg: 'image/svg+xml',
};

function expected(rel: string, format: ReportName, raw: Record<string, string> = {}): string {
  const { profile } = loadProfile(fixture(rel));
  return produceReport(profile, format, parseOptions(raw), { timeZone: 'UTC' }).text;
}

let server: RunningServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.shutdown());

test('the fixture list covers both workloads and the large profile', () => {
  assert.ok(PROFILES.length >= 15, `only ${PROFILES.length} profiles found`);
  assert.ok(PROFILES.includes('profiles/shopd/cpu.pb.gz') && PROFILES.includes('profiles/billing/heap.pb.gz'));
});

describe('every fixture profile', () => {
  for (const rel of PROFILES) {
    test(rel, async () => {
      const bytes = fixture(rel);
      const [octet, multipart, ...texts] = await Promise.all([
        render(server, bytes, { format: 'svg' }),
        render(server, bytes, { format: 'svg' }, { multipart: true }),
        ...TEXT_FORMATS.map((format) => render(server, bytes, { format })),
      ]);

      assert.equal(octet.status, 200, octet.text.slice(0, 300));
      assert.equal(octet.headers.get('content-type'), 'image/svg+xml');
      assert.equal(XMLValidator.validate(octet.text), true, 'the SVG is well-formed XML');
      assert.equal(multipart.status, 200, multipart.text.slice(0, 300));
      assert.equal(multipart.text, octet.text, 'multipart and octet-stream uploads give the same SVG');

      // N1 is the graph's first node in pprof's order; its tooltip is the full function name.
      const first = /^N1 \[.* tooltip="(.*) \([^)]*\)"/m.exec(expected(rel, 'dot'));
      if (first) {
        const name = first[1]!.replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        assert.ok(octet.text.includes(svgEscaped(name)), `the SVG names ${name}`);
      } else {
        assert.match(octet.text, /Showing nodes accounting for 0/);
      }

      TEXT_FORMATS.forEach((format, i) => {
        const a = texts[i]!;
        assert.equal(a.status, 200, `${format}: ${a.text.slice(0, 300)}`);
        assert.equal(a.headers.get('content-type'), CONTENT_TYPES[format]);
        assert.equal(a.text, expected(rel, format), `${format} equals the pipeline's output`);
      });
    });
  }
});

describe('the same bytes as the hotpath CLI (TZ=UTC)', () => {
  const cases: { rel: string; flags: string[]; format: ReportName; query: Record<string, string> }[] = [
    { rel: 'profiles/shopd/cpu.pb.gz', flags: ['-svg'], format: 'svg', query: {} },
    {
      rel: 'profiles/shopd/cpu.pb.gz',
      flags: ['-dot', '-nodecount=20', '-focus=main\\.', '-hide=runtime'],
      format: 'dot',
      query: { nodecount: '20', focus: 'main\\.', hide: 'runtime' },
    },
    {
      rel: 'profiles/billing/heap.pb.gz',
      flags: ['-top', '-json', '-sample_index=alloc_space', '-cum'],
      format: 'json',
      query: { sample_index: 'alloc_space', cum: 'true' },
    },
    { rel: 'profiles/billing/cpu.pb.gz', flags: ['-traces', '-tagfocus=tenant=acme'], format: 'traces', query: { tagfocus: 'tenant=acme' } },
    { rel: 'profiles/large/megasvc.cpu.pb.gz', flags: ['-top', '-lines', '-nodecount=30'], format: 'top', query: { lines: '', nodecount: '30' } },
  ];
  for (const c of cases) {
    test(`${c.rel} ${c.flags.join(' ')}`, async () => {
      const file = path.join(CORPUS, c.rel);
      const [cli, served] = await Promise.all([
        run(process.execPath, [path.join(ROOT, 'bin/hotpath.cjs'), ...c.flags, file], {
          env: { ...process.env, TZ: 'UTC' },
          maxBuffer: 64 << 20,
        }),
        render(server, fixture(c.rel), { format: c.format, ...c.query }),
      ]);
      assert.equal(served.status, 200, served.text.slice(0, 300));
      assert.ok(cli.stdout.length > 0);
      assert.equal(served.text, cli.stdout);
    });
  }
});

describe('the render route, served without express (app.ts)', () => {
  const body = () => new Uint8Array(fixture('profiles/shopd/mutex.pb.gz'));

  test('the paths express matched still answer; others are 404', async () => {
    const want = expected('profiles/shopd/mutex.pb.gz', 'top');
    for (const p of ['/v1/render', '/v1/render/', '/V1/Render']) {
      const res = await fetch(`${server.url}${p}?format=top`, { method: 'POST', body: body() });
      assert.equal(res.status, 200, p);
      assert.equal(await res.text(), want, p);
    }
    for (const p of ['/v1/renders', '/v1/render/x', '/v1//render']) {
      const res = await fetch(`${server.url}${p}?format=top`, { method: 'POST', body: body() });
      assert.equal(res.status, 404, p);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
    }
  });

  test('its answers and its errors carry what every route\'s do', async () => {
    const ok = await fetch(`${server.url}/v1/render?format=top`, { method: 'POST', body: body(), headers: { 'X-Request-Id': 'render-1' } });
    await ok.arrayBuffer();
    const refused = await fetch(`${server.url}/v1/render?format=top&nodecount=x`, { method: 'POST', body: body() });
    const problem = (await refused.json()) as { status: number; detail: string };
    assert.equal(ok.headers.get('x-request-id'), 'render-1');
    assert.match(refused.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    for (const res of [ok, refused]) {
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('cache-control'), 'no-store');
    }
    assert.equal(ok.headers.get('content-security-policy'), "sandbox allow-scripts; default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'");
    assert.equal(refused.headers.get('content-security-policy'), null, 'a problem is no SVG');
    assert.equal(refused.status, 422);
    assert.equal(problem.status, 422);
    assert.match(problem.detail, /nodecount/);
  });
});
