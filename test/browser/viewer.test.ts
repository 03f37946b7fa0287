/**
 * The viewer page of a shared profile, end to end in headless Chromium: a real server (render
 * workers, a SQLite store in a temp directory), the upload through GET /'s "Upload & share", the
 * page at /p/{id} and its tabs, and a profile whose names are markup.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parseOptions } from '../../src/options.js';
import { loadProfile } from '../../src/profile/load.js';
import { loadReportInput, produceReport } from '../../src/reports.js';
import { startServer, type RunningServer } from '../../src/server/app.js';
import { openStore } from '../../src/store/index.js';
import { launchChromium } from '../support/browser.js';
import { CORPUS } from '../server/support.js';

const CPU = path.join(CORPUS, 'profiles/shopd/cpu.pb.gz');
const HOSTILE = path.join(CORPUS, 'bad/hostile-names.pb.gz');
const ID_PATH = /\/p\/([A-Za-z0-9_-]{22})$/;

const dataDir = mkdtempSync(path.join(tmpdir(), 'hotpath-viewer-'));
let server: RunningServer;
let browser: Browser;
/** the shopd CPU profile's id, once the first test has uploaded it through the page */
let cpuId = '';

before(async () => {
  // The store is named explicitly (not through process.env), so DATABASE_URL in CI does not apply here.
  [server, browser] = await Promise.all([
    startServer(
      { port: 0, host: '127.0.0.1', log: false, renderWorkers: 2, shutdownGraceMs: 2000 },
      { openStore: () => openStore({ HOTPATH_DATA: dataDir }) },
    ).then(async (s) => {
      await s.ready();
      return s;
    }),
    launchChromium(),
  ]);
});

after(async () => {
  await browser?.close();
  await server?.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Watched {
  page: Page;
  /** uncaught errors, CSP and Trusted Types violations, dialogs: each one fails the test */
  problems: string[];
}

async function newPage(): Promise<Watched> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.type()} ${d.message()}`);
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Trusted Type|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return { page, problems };
}

const stage = (page: Page) => page.locator('#graph-stage');

async function graphNodes(page: Page): Promise<string[]> {
  return stage(page).locator('g.node[data-name]').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-name')!));
}

/** Waits until the stage shows the graph for the page URL's options (viewer.js stamps the query it drew). */
async function graphFor(page: Page, query: string): Promise<void> {
  await page.waitForFunction((q) => {
    const s = document.getElementById('graph-stage')!;
    return s.getAttribute('data-query') === q && s.getAttribute('aria-busy') === null && s.querySelector('g.node[data-name]') !== null;
  }, query);
}

async function upload(file: string, fields: Record<string, string> = {}): Promise<string> {
  const form = new FormData();
  form.append('profile', new Blob([readFileSync(file)]), path.basename(file));
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const res = await fetch(`${server.url}/v1/profiles`, { method: 'POST', body: form });
  assert.ok(res.status === 201 || res.status === 200, `upload answered ${res.status}`);
  return ((await res.json()) as { id: string }).id;
}

/** `-top`'s rows, as pprof's columns: flat flat% sum% cum cum% name. */
function cliTopRows(file: string): string[][] {
  const text = produceReport(loadProfile(readFileSync(file)).profile, 'top', parseOptions({}), { timeZone: 'UTC' }).text;
  const lines = text.trimEnd().split('\n');
  return lines.slice(lines.findIndex((l) => /^\s+flat\s+flat%/.test(l)) + 1).map((row) => {
    const cells = row.trim().split(/\s+/);
    return [...cells.slice(0, 5), cells.slice(5).join(' ')];
  });
}

test('upload through the page, land on /p/{id}, see the graph', async () => {
  const { page, problems } = await newPage();
  await page.goto(`${server.url}/`);
  await page.locator('#file').setInputFiles(CPU);
  await page.locator('#share-box summary').click();
  await page.locator('#share-title').fill('checkout latency');
  await page.locator('#share').click();
  await page.waitForURL(ID_PATH);
  cpuId = ID_PATH.exec(new URL(page.url()).pathname)![1]!;

  await graphFor(page, '');
  const nodes = await graphNodes(page);
  assert.ok(nodes.length > 30, `${nodes.length} function nodes`);
  assert.ok(nodes.includes('main.checkout'));
  assert.equal(await page.locator('#heading').textContent(), 'checkout latency');
  assert.equal(await page.locator('[data-fact="total"] dd').textContent(), '4.27s');
  assert.equal(await page.locator('#tab-graph').getAttribute('aria-selected'), 'true');
  // The same bytes are the same link: a second upload answers the same id.
  assert.equal(await upload(CPU), cpuId);
  assert.deepEqual(problems, []);
  await page.close();
});

test('clicking a node refocuses the graph on it, changes the URL, and offers lines and callers', async () => {
  const { page, problems } = await newPage();
  await page.goto(`${server.url}/p/${cpuId}`);
  await graphFor(page, '');
  const before = await graphNodes(page);
  await page.locator('#zoom-fit').click();
  await stage(page).locator('g.node[data-name="main.checkout"]').click();

  await page.waitForURL((u) => u.searchParams.get('focus') === '^main\\.checkout$');
  const query = `?focus=${encodeURIComponent('^main\\.checkout$')}`;
  await graphFor(page, query);
  const after = await graphNodes(page);
  assert.notDeepEqual(after, before);
  assert.ok(after.includes('main.checkout'));
  assert.ok(!after.includes('main.categoryReport'), 'a sibling of main.checkout is gone from the focused graph');
  assert.equal(await page.locator('#opt-focus').inputValue(), '^main\\.checkout$');
  assert.equal(await page.locator('#node-name').textContent(), 'main.checkout');

  await page.locator('#node-lines').click();
  await page.waitForFunction(() => /ROUTINE/.test(document.getElementById('node-output')!.textContent!));
  assert.match((await page.locator('#node-output').textContent())!, /ROUTINE =+ main\.checkout /);
  await page.locator('#node-peek').click();
  await page.waitForFunction(() => /calls calls%/.test(document.getElementById('node-output')!.textContent!));
  const peek = (await page.locator('#node-output').textContent())!;
  assert.match(peek, /\| main\.checkout\n/);
  assert.match(peek, /main\.handleRequest/, 'its caller');

  // Back: the URL and the graph of before the click.
  await page.goBack();
  await graphFor(page, '');
  assert.deepEqual(await graphNodes(page), before);

  // At granularity=lines a node is "function file:line"; focus selects its function.
  await page.goto(`${server.url}/p/${cpuId}?granularity=lines`);
  await graphFor(page, '?granularity=lines');
  await page.locator('#zoom-fit').click();
  await stage(page).locator('g.node[data-name^="main.checkout shopd/main.go:"]').first().click();
  await page.waitForURL((u) => u.searchParams.get('focus') === '^main\\.checkout$' && u.searchParams.get('granularity') === 'lines');
  assert.deepEqual(problems, []);
  await page.close();
});

test("the Top tab's first row is -top's, and every column sorts", async () => {
  const { page, problems } = await newPage();
  await page.goto(`${server.url}/p/${cpuId}`);
  await page.locator('#tab-top').click();
  await page.waitForURL((u) => u.searchParams.get('tab') === 'top');
  const rows = page.locator('#top-table tbody tr');
  await rows.first().waitFor();
  const cli = cliTopRows(CPU);
  assert.deepEqual(await rows.first().locator('td').allTextContents(), cli[0]);
  // And every other row, percentages printed as pprof prints them (0%, 0.94%, 100%).
  const table = await page.evaluate(() => [...document.querySelectorAll('#top-table tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.deepEqual(table, cli);

  await page.locator('#top-table th[data-key="cum"] button').click();
  assert.equal(await page.locator('#top-table th[data-key="cum"]').getAttribute('aria-sort'), 'descending');
  const cum = await page.evaluate(() => {
    const cells = [...document.querySelectorAll('#top-table tbody tr td:nth-child(5)')].map((td) => parseFloat(td.textContent!));
    return cells;
  });
  assert.ok(cum.every((v, i) => i === 0 || cum[i - 1]! >= v), 'cum% descending');
  assert.equal(cum[0], 87.35);
  await page.locator('#top-table th[data-key="name"] button').click();
  const names = await page.locator('#top-table tbody td.name button').allTextContents();
  assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b)));
  assert.deepEqual(problems, []);
  await page.close();
});

test('options live in the URL: a changed nodecount reloads the artifacts and the share box', async () => {
  const { page, problems } = await newPage();
  await page.goto(`${server.url}/p/${cpuId}?tab=top`);
  await page.locator('#top-table tbody tr').first().waitFor();
  await page.locator('#opt-nodecount').fill('7');
  await page.locator('#opt-nodecount').press('Enter');
  await page.waitForURL((u) => u.searchParams.get('nodecount') === '7' && u.searchParams.get('tab') === 'top');
  await page.waitForFunction(() => document.querySelectorAll('#top-table tbody tr').length === 7);
  assert.equal(
    await page.locator('#markdown').inputValue(),
    `[![call graph](${server.url}/p/${cpuId}/graph.png?nodecount=7)](${server.url}/p/${cpuId}?nodecount=7&tab=top)`,
  );
  // The PNG the snippet shows exists.
  const png = await fetch(`${server.url}/p/${cpuId}/graph.png?nodecount=7`);
  assert.equal(png.status, 200);
  assert.equal(png.headers.get('content-type'), 'image/png');

  // A fresh visit of the shared URL shows the same thing.
  const other = await newPage();
  await other.page.goto(page.url());
  await other.page.waitForFunction(() => document.querySelectorAll('#top-table tbody tr').length === 7);
  assert.equal(await other.page.locator('#opt-nodecount').inputValue(), '7');
  // pprof's notes reach the person: a focus that matches nothing says so.
  await other.page.locator('#opt-focus').fill('^nothing$');
  await other.page.locator('#opt-focus').press('Enter');
  await other.page.waitForFunction(() => document.getElementById('status')!.textContent === 'Note: Focus expression matched no samples');
  assert.deepEqual([...problems, ...other.problems], []);
  await other.page.close();
  await page.close();
});

test('the Flame tab shows the flame graph in a sandboxed frame; Traces shows the traces', async () => {
  const { page, problems } = await newPage();
  await page.goto(`${server.url}/p/${cpuId}?tab=flame`);
  assert.equal(await page.locator('#flame-frame').getAttribute('sandbox'), 'allow-scripts');
  const flame = page.frameLocator('#flame-frame');
  await flame.locator('g.frame[data-name="main.checkout"]').first().waitFor();
  assert.ok((await flame.locator('g.frame').count()) > 50);

  await page.locator('#tab-traces').click();
  await page.waitForFunction(() => /-----------\+-------/.test(document.getElementById('traces')!.textContent!));
  assert.match((await page.locator('#traces').textContent())!, /main\.checkout/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('comparing with another stored profile: diff_base in the URL, a banner that turns it off', async () => {
  const heapA = path.join(CORPUS, 'profiles/shopd/heap.a.pb.gz');
  const heapB = path.join(CORPUS, 'profiles/shopd/heap.b.pb.gz');
  const [a, b] = await Promise.all([upload(heapA), upload(heapB)]);
  const { page, problems } = await newPage();
  await page.goto(`${server.url}/p/${b}?tab=top`);
  await page.locator('#top-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#diff-banner').isHidden(), true);
  await page.locator('#opt-compare').fill(`${server.url}/p/${a}`);
  await page.locator('#apply').click();
  await page.waitForURL((u) => u.searchParams.get('diff_base') === a);
  assert.equal(await page.locator('#diff-banner').isVisible(), true);
  assert.equal(await page.locator('#diff-base-link').getAttribute('href'), `/p/${a}`);
  // The first row is `-top -diff_base heap.a heap.b`'s.
  const input = loadReportInput('top', readFileSync(heapB), { bytes: readFileSync(heapA), diff: true });
  const cli = produceReport(input, 'top', parseOptions({}), { timeZone: 'UTC' }).text.split('\n');
  const expected = cli[cli.findIndex((l) => /^\s+flat\s+flat%/.test(l)) + 1]!.trim().split(/\s+/);
  await page.waitForFunction((row) => document.querySelector('#top-table tbody tr')?.textContent?.replace(/\s+/g, '') === row, expected.join(''));

  await page.locator('#diff-toggle').click();
  await page.waitForURL((u) => !u.searchParams.has('diff_base'));
  assert.equal(await page.locator('#diff-banner').isHidden(), true);

  // Stored with its base (multipart diff_base): the banner says so and links the base.
  const form = new FormData();
  form.append('profile', new Blob([readFileSync(heapB)]), 'heap.b.pb.gz');
  form.append('diff_base', new Blob([readFileSync(heapA)]), 'heap.a.pb.gz');
  const stored = (await (await fetch(`${server.url}/v1/profiles`, { method: 'POST', body: form })).json()) as { id: string };
  await page.goto(`${server.url}/p/${stored.id}`);
  await page.locator('#diff-banner').waitFor();
  assert.match((await page.locator('#diff-text').textContent())!, new RegExp(`difference from ${a} \\(diff_base\\)`));
  assert.deepEqual(problems, []);
  await page.close();
});

test('a profile whose names are markup raises no dialog and adds no element; OG tags are escaped', async () => {
  const title = '<script>alert("title")</script><img src=x onerror=alert(3)> & co';
  const id = await upload(HOSTILE, { title });

  const raw = await (await fetch(`${server.url}/p/${id}`)).text();
  assert.doesNotMatch(raw, /<script>alert|<img src=x/);
  assert.match(raw, /&lt;script&gt;alert\(&quot;title&quot;\)&lt;\/script&gt;&lt;img src=x onerror=alert\(3\)&gt; &amp; co/);

  const { page, problems } = await newPage();
  const csp = (await page.goto(`${server.url}/p/${id}`))!.headers()['content-security-policy']!;
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /require-trusted-types-for 'script'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const meta = await (await fetch(`${server.url}/p/${id}/meta.json`)).json() as { topFunction: string };
  const og = async (property: string) => page.locator(`meta[property="${property}"]`).getAttribute('content');
  assert.equal(await og('og:title'), `${title} — cpu profile: ${meta.topFunction}`);
  assert.equal(await og('og:image'), `${server.url}/p/${id}/graph.png`);
  assert.equal(await page.locator('meta[name="twitter:card"]').getAttribute('content'), 'summary_large_image');
  assert.equal(await page.locator('#heading').textContent(), title);

  const census = () => page.evaluate(() => ({
    scripts: document.querySelectorAll('script').length,
    images: document.querySelectorAll('img, image, iframe:not(#flame-frame), object, embed, foreignObject').length,
    handlers: [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => a.name)),
  }));
  const start = await census();
  assert.equal(start.scripts, 1);

  await graphFor(page, '');
  const nodes = await graphNodes(page);
  // (Not main.amp&amp;&lt;: Graphviz reads entities in labels, so its SVG says main.amp&< — as pprof's does.)
  for (const name of ['main.quote"in"name', 'main.label{x|y}', 'main.cdata]]>end', "main.single'quote`tick"]) assert.ok(nodes.includes(name), name);

  await page.locator('#tab-top').click();
  await page.locator('#top-table tbody tr').first().waitFor();
  const names = await page.locator('#top-table tbody td.name button').allTextContents();
  assert.ok(names.includes('main.amp&amp;&lt;') && names.includes('[hostile&<names>]'), 'names shown as text, entities and all');
  assert.match((await page.locator('#top-header').textContent())!, /^File: hostile&<names>$/m);
  await page.locator('#tab-flame').click();
  await page.frameLocator('#flame-frame').locator('g.frame').first().waitFor();
  await page.locator('#tab-traces').click();
  await page.waitForFunction(() => document.getElementById('traces')!.textContent!.includes('main.dispatch'));

  // A node whose name is full of RE2 metacharacters: the focus regexp escapes them all.
  await page.locator('#tab-graph').click();
  await page.locator('#zoom-fit').click();
  await stage(page).locator('g.node[data-name="main.label{x|y}"]').click();
  await page.waitForURL((u) => u.searchParams.get('focus') === '^main\\.label\\{x\\|y\\}$');
  await graphFor(page, `?focus=${encodeURIComponent('^main\\.label\\{x\\|y\\}$')}`);
  assert.ok((await graphNodes(page)).includes('main.label{x|y}'));
  await page.locator('#node-peek').click();
  await page.waitForFunction(() => /\| main\.label\{x\|y\}/.test(document.getElementById('node-output')!.textContent!));

  assert.deepEqual(await census(), { ...start });
  assert.deepEqual(start.handlers, []);
  assert.equal(start.images, 0);
  assert.deepEqual(problems, []);
  await page.close();
});

test('an unknown or malformed id answers 404, and the assets are immutable', async () => {
  for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', '<script>', '..%2F..%2Fetc']) {
    const res = await fetch(`${server.url}/p/${id}`);
    assert.equal(res.status, 404, id);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
  }
  const html = await (await fetch(`${server.url}/p/${cpuId}`)).text();
  for (const [, src] of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) {
    const res = await fetch(server.url + src!);
    assert.equal(res.status, 200, src);
    assert.match(res.headers.get('cache-control')!, /immutable/);
  }
});
