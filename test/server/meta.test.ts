/**
 * The routes around rendering: health, readiness, metrics, the OpenAPI document, the upload page,
 * unknown routes; and the per-request log line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPTION_NAMES } from '../../src/options.js';
import type { RunningServer } from '../../src/server/app.js';
import { createLogger } from '../../src/server/log.js';
import { METRIC_NAMES } from '../../src/server/metrics.js';
import { SERVER_REFUSED_OPTIONS } from '../../src/server/render.js';
import { fixture, get, problemOf, render, startTestServer } from './support.js';

const logLines: string[] = [];
let server: RunningServer;
before(async () => {
  server = await startTestServer({ renderWorkers: 1 }, createLogger(true, (l) => logLines.push(l)));
});
after(() => server.shutdown());

describe('health', () => {
  test('/healthz answers 200', async () => {
    const a = await get(server, '/healthz');
    assert.equal(a.status, 200);
    assert.deepEqual(JSON.parse(a.text), { status: 'ok' });
  });

  test('/readyz answers 200 once the workers are loaded', async () => {
    const a = await get(server, '/readyz');
    assert.equal(a.status, 200);
    assert.equal(JSON.parse(a.text).status, 'ready');
  });
});

test('/metrics exports the service metrics in Prometheus text format', async () => {
  const rendered = await render(server, fixture('profiles/shopd/cpu.pb.gz'), { format: 'svg' });
  assert.equal(rendered.status, 200);
  const a = await get(server, '/metrics');
  assert.equal(a.status, 200);
  assert.match(a.headers.get('content-type')!, /^text\/plain/);
  for (const name of METRIC_NAMES) assert.match(a.text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  assert.match(a.text, /hotpath_renders_total\{format="svg",outcome="ok"\} 1/);
  assert.match(a.text, /hotpath_render_duration_seconds_count\{outcome="ok"\} 1/);
  assert.match(a.text, /hotpath_http_request_bytes_total\{route="\/v1\/render"\} 9984/);
  assert.match(a.text, /hotpath_http_request_duration_seconds_bucket\{le="\+Inf",route="\/v1\/render"\} 1/);
  assert.match(a.text, /hotpath_render_queue_depth 0/);
  assert.match(a.text, /^process_resident_memory_bytes /m);
});

test('/openapi.json lists format and every option the schema accepts', async () => {
  const a = await get(server, '/openapi.json');
  assert.equal(a.status, 200);
  const doc = JSON.parse(a.text);
  assert.equal(doc.openapi, '3.1.0');
  const op = doc.paths['/v1/render'].post;
  const names = op.parameters.map((p: { name: string }) => p.name).sort();
  const offered = [...OPTION_NAMES].filter((n) => !SERVER_REFUSED_OPTIONS.includes(n));
  assert.deepEqual(names, ['format', ...offered].sort());
  assert.ok(!names.includes('source_path'), 'options that read the server disk are not offered');
  const nodecount = op.parameters.find((p: { name: string }) => p.name === 'nodecount');
  assert.equal(nodecount.schema.type, 'integer');
  assert.equal(nodecount.schema.maximum, 100_000);
  const granularity = op.parameters.find((p: { name: string }) => p.name === 'granularity');
  assert.deepEqual(granularity.schema.enum, ['functions', 'filefunctions', 'files', 'lines', 'addresses']);
  for (const status of ['200', '400', '413', '415', '422', '500', '503', '504']) assert.ok(op.responses[status], status);
  assert.ok(op.requestBody.content['multipart/form-data']);
});

describe('the upload page', () => {
  test('GET / serves the page with a strict Content-Security-Policy', async () => {
    const a = await get(server, '/');
    assert.equal(a.status, 200);
    assert.match(a.headers.get('content-type')!, /^text\/html/);
    const csp = a.headers.get('content-security-policy')!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.match(a.text, /<input id="file" type="file"/);
    for (const option of ['sample_index', 'nodecount', 'focus', 'ignore', 'hide', 'granularity']) assert.match(a.text, new RegExp(`id="${option}"`));
  });

  test('the page loads nothing from elsewhere and writes no markup from data', async () => {
    const html = (await get(server, '/')).text;
    assert.doesNotMatch(html, /\b(src|href)="(https?:)?\/\//);
    assert.doesNotMatch(html, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
    assert.match(html, /<img id="graph"/, 'the SVG is shown in an <img>, where its scripts do not run');
  });
});

test('unknown routes answer 404 problem+json', async () => {
  const a = await get(server, '/v2/nothing');
  assert.equal(a.status, 404);
  assert.equal(problemOf(a).type, 'urn:hotpath:problem:not-found');
});

test('one JSON log line per request, with the request id and no profile content', async () => {
  logLines.length = 0;
  const res = await fetch(`${server.url}/v1/render?format=top&focus=${encodeURIComponent('secretPattern')}`, {
    method: 'POST',
    headers: { 'X-Request-Id': 'test-req-1' },
    body: new Uint8Array(fixture('profiles/shopd/cpu.pb.gz')),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-request-id'), 'test-req-1');
  const body = await res.text();
  assert.match(body, /focus=secretPattern/);
  assert.match(res.headers.get('x-hotpath-warning') ?? '', /matched no samples/, "pprof's stderr note, as a header");
  await new Promise((r) => setImmediate(r));
  assert.equal(logLines.length, 1);
  const line = JSON.parse(logLines[0]!);
  assert.equal(line.id, 'test-req-1');
  assert.equal(line.route, '/v1/render');
  assert.equal(line.method, 'POST');
  assert.equal(line.status, 200);
  assert.equal(line.bytes_in, 9984);
  assert.equal(line.bytes_out, Buffer.byteLength(body));
  assert.equal(typeof line.ms, 'number');
  assert.doesNotMatch(logLines[0]!, /shopd|WalkTree|secretPattern/);

  const bad = await fetch(`${server.url}/healthz`, { headers: { 'X-Request-Id': 'no spaces allowed' } });
  assert.match(bad.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/, 'an unusable id is replaced');
});
