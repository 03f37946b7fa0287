/**
 * The viewer page of a shared profile, end to end in headless Chromium: the upload through GET /'s
 * "Upload & share", the page at /p/{id}, its graph (selecting nodes, refining), Top, the options in
 * the URL, comparing with another profile, a profile whose names are markup, and the unfurl card.
 * The flame graph, search, Peek, Source, Traces and keys are in views.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseOptions } from '../../src/options.js';
import { loadProfile } from '../../src/profile/load.js';
import { loadReportInput, produceReport } from '../../src/reports.js';
import { graphFor, graphNodes, newPage, profilePath, shot, SHOTS, startHarness, upload as uploadTo, type ViewerHarness } from './page-support.js';
import { chromiumSkip, suiteNeeding } from '../support/requirements.js';

const { test, before, after } = suiteNeeding('browser: viewer', chromiumSkip());

const CPU = profilePath('profiles/shopd/cpu.pb.gz');
const HOSTILE = profilePath('bad/hostile-names.pb.gz');
const ID_PATH = /\/p\/([A-Za-z0-9_-]{22})$/;

let h: ViewerHarness;
/** the shopd CPU profile's id, once the first test has uploaded it through the page */
let cpuId = '';

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

const stage = (page: import('playwright-core').Page) => page.locator('#graph-stage');
const upload = (file: string, fields: Record<string, string | Buffer> = {}) => uploadTo(h.server, file, fields);

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
  const { page, problems } = await newPage(h.browser);
  await page.goto(`${h.server.url}/`);
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
  await shot(page, 'graph');
  assert.deepEqual(problems, []);
  await page.close();
});

test('clicking nodes selects them into the search; Refine → focus makes the refined graph a link', async () => {
  const { page, problems } = await newPage(h.browser);
  await page.goto(`${h.server.url}/p/${cpuId}`);
  await graphFor(page, '');
  const before = await graphNodes(page);
  await page.locator('#zoom-fit').click();
  await stage(page).locator('g.node[data-name="main.checkout"]').click();
  await stage(page).locator('g.node[data-name="main.search"]').click();
  assert.equal(await page.locator('#search').inputValue(), '^main\\.checkout$|^main\\.search$');
  const marked = await stage(page).locator('g.node.match').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-name')));
  assert.deepEqual(marked.sort(), ['main.checkout', 'main.search']);
  assert.equal(await page.locator('#search-info').textContent(), '2 nodes');
  // A second click lets one go.
  await stage(page).locator('g.node[data-name="main.search"]').click();
  assert.equal(await page.locator('#search').inputValue(), '^main\\.checkout$');
  await shot(page, 'graph-selected');

  await page.locator('[data-refine="focus"]').click();
  await page.waitForURL((u) => u.searchParams.get('focus') === '^main\\.checkout$' && !u.searchParams.has('search'));
  const query = `?focus=${encodeURIComponent('^main\\.checkout$')}`;
  await graphFor(page, query);
  const after = await graphNodes(page);
  assert.notDeepEqual(after, before);
  assert.ok(after.includes('main.checkout'));
  assert.ok(!after.includes('main.categoryReport'), 'a sibling of main.checkout is gone from the focused graph');
  assert.equal(await page.locator('#opt-focus').inputValue(), '^main\\.checkout$');
  assert.equal(await page.locator('#search').inputValue(), '', 'the search is spent');

  // The refined view is a link: a fresh page at that URL draws the same graph.
  const other = await newPage(h.browser);
  await other.page.goto(page.url());
  await graphFor(other.page, query);
  assert.deepEqual(await graphNodes(other.page), after);
  await other.page.close();

  // Back: the URL and the graph of before the refine.
  await page.goBack();
  await graphFor(page, '');
  assert.deepEqual(await graphNodes(page), before);

  // At granularity=lines a node is "function file:line"; selecting it selects its function.
  await page.goto(`${h.server.url}/p/${cpuId}?granularity=lines`);
  await graphFor(page, '?granularity=lines');
  await page.locator('#zoom-fit').click();
  await stage(page).locator('g.node[data-name^="main.checkout shopd/main.go:"]').first().click();
  assert.equal(await page.locator('#search').inputValue(), '^main\\.checkout$');
  assert.ok(await stage(page).locator('g.node.match').count() >= 1);
  assert.deepEqual([...problems, ...other.problems], []);
  await page.close();
});

test("the Top tab's first row is -top's, and every column sorts", async () => {
  const { page, problems } = await newPage(h.browser);
  await page.goto(`${h.server.url}/p/${cpuId}`);
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

  // The search marks the rows it matches (RE2: \pL is a letter class JS would need a flag for).
  await page.locator('#search').fill('^sort\\.\\pL+$');
  await page.locator('#search').press('Enter');
  const marked = await page.locator('#top-table tbody tr.match').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name')));
  const functions = cli.map((r) => r[5]!.replace(/ \((partial-)?inline\)$/, ''));
  assert.deepEqual(marked.sort(), functions.filter((n) => /^sort\.[A-Za-z]+$/.test(n)).sort());
  assert.equal(await page.locator('#search-info').textContent(), `${marked.length} rows`);
  await shot(page, 'top-search');
  // Clicking a name selects it instead.
  await page.locator('#top-table tbody td.name button', { hasText: /^main\.checkout$/ }).click();
  assert.equal(await page.locator('#search').inputValue(), '^main\\.checkout$');
  assert.deepEqual(await page.locator('#top-table tbody tr.match').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name'))), ['main.checkout']);
  assert.deepEqual(problems, []);
  await page.close();
});

test('options live in the URL: a changed nodecount reloads the artifacts and the share box', async () => {
  const { page, problems } = await newPage(h.browser);
  await page.goto(`${h.server.url}/p/${cpuId}?tab=top`);
  await page.locator('#top-table tbody tr').first().waitFor();
  await page.locator('#opt-nodecount').fill('7');
  await page.locator('#opt-nodecount').press('Enter');
  await page.waitForURL((u) => u.searchParams.get('nodecount') === '7' && u.searchParams.get('tab') === 'top');
  await page.waitForFunction(() => document.querySelectorAll('#top-table tbody tr').length === 7);
  assert.equal(
    await page.locator('#markdown').inputValue(),
    `[![checkout latency — cpu profile: runtime.asyncPreempt](${h.server.url}/p/${cpuId}/card.png?nodecount=7)](${h.server.url}/p/${cpuId}?nodecount=7&tab=top)`,
  );
  // The card the snippet shows exists.
  const png = await fetch(`${h.server.url}/p/${cpuId}/card.png?nodecount=7`);
  assert.equal(png.status, 200);
  assert.equal(png.headers.get('content-type'), 'image/png');

  // A fresh visit of the shared URL shows the same thing.
  const other = await newPage(h.browser);
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

test('comparing with another stored profile: diff_base in the URL, a banner that turns it off', async () => {
  const heapA = profilePath('profiles/shopd/heap.a.pb.gz');
  const heapB = profilePath('profiles/shopd/heap.b.pb.gz');
  const [a, b] = await Promise.all([upload(heapA), upload(heapB)]);
  const { page, problems } = await newPage(h.browser);
  await page.goto(`${h.server.url}/p/${b}?tab=top`);
  await page.locator('#top-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#diff-banner').isHidden(), true);
  await page.locator('#opt-compare').fill(`${h.server.url}/p/${a}`);
  await page.locator('#apply').click();
  await page.waitForURL((u) => u.searchParams.get('diff_base') === a);
  assert.equal(await page.locator('#diff-banner').isVisible(), true);
  assert.equal(await page.locator('#diff-base-link').getAttribute('href'), `/p/${a}`);
  // The first row is `-top -diff_base heap.a heap.b`'s.
  const input = loadReportInput('top', readFileSync(heapB), { bytes: readFileSync(heapA), diff: true });
  const cli = produceReport(input, 'top', parseOptions({}), { timeZone: 'UTC' }).text.split('\n');
  const expected = cli[cli.findIndex((l) => /^\s+flat\s+flat%/.test(l)) + 1]!.trim().split(/\s+/);
  await page.waitForFunction((row) => document.querySelector('#top-table tbody tr')?.textContent?.replace(/\s+/g, '') === row, expected.join(''));

  // The unfurl of the compared view is the diff's card.
  assert.equal(
    await (await fetch(page.url())).text().then((html) => /<meta property="og:image" content="([^"]+)"/.exec(html)?.[1]),
    `${h.server.url}/p/${b}/card.png?diff_base=${a}`,
  );

  await page.locator('#diff-toggle').click();
  await page.waitForURL((u) => !u.searchParams.has('diff_base'));
  assert.equal(await page.locator('#diff-banner').isHidden(), true);

  // Stored with its base (multipart diff_base): the banner says so and links the base.
  const form = new FormData();
  form.append('profile', new Blob([readFileSync(heapB)]), 'heap.b.pb.gz');
  form.append('diff_base', new Blob([readFileSync(heapA)]), 'heap.a.pb.gz');
  const stored = (await (await fetch(`${h.server.url}/v1/profiles`, { method: 'POST', body: form })).json()) as { id: string };
  await page.goto(`${h.server.url}/p/${stored.id}`);
  await page.locator('#diff-banner').waitFor();
  assert.match((await page.locator('#diff-text').textContent())!, new RegExp(`difference from ${a} \\(diff_base\\)`));
  assert.deepEqual(problems, []);
  await page.close();
});

test('a profile whose names are markup raises no dialog and adds no element; OG tags are escaped', async () => {
  const title = '<script>alert("title")</script><img src=x onerror=alert(3)> & co';
  const id = await upload(HOSTILE, { title });

  const raw = await (await fetch(`${h.server.url}/p/${id}`)).text();
  assert.doesNotMatch(raw, /<script>alert|<img src=x/);
  assert.match(raw, /&lt;script&gt;alert\(&quot;title&quot;\)&lt;\/script&gt;&lt;img src=x onerror=alert\(3\)&gt; &amp; co/);

  const { page, problems } = await newPage(h.browser);
  const csp = (await page.goto(`${h.server.url}/p/${id}`))!.headers()['content-security-policy']!;
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /require-trusted-types-for 'script'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const meta = await (await fetch(`${h.server.url}/p/${id}/meta.json`)).json() as { topFunction: string };
  const og = async (property: string) => page.locator(`meta[property="${property}"]`).getAttribute('content');
  assert.equal(await og('og:title'), `${title} — cpu profile: ${meta.topFunction}`);
  assert.equal(await og('og:image'), `${h.server.url}/p/${id}/card.png`);
  assert.equal(await og('og:image:width'), '1200');
  assert.equal(await og('og:image:height'), '630');
  assert.equal(await page.locator('meta[name="twitter:card"]').getAttribute('content'), 'summary_large_image');
  assert.equal(await page.locator('#heading').textContent(), title);

  const census = () => page.evaluate(() => ({
    scripts: document.querySelectorAll('script').length,
    images: document.querySelectorAll('img, image, iframe, object, embed, foreignObject').length,
    handlers: [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => a.name)),
  }));
  const start = await census();
  assert.equal(start.scripts, 5, 're2js and the four viewer scripts');

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
  await page.locator('#flame-main .frame[data-name="main.label{x|y}"]').first().waitFor();
  await page.locator('#flame-table tbody tr[data-name="main.label{x|y}"] button').click();
  await page.locator('#flame-callers .frame').first().waitFor();
  assert.equal(await page.locator('#sandwich-name').textContent(), 'main.label{x|y}');
  await page.keyboard.press('Escape');
  await page.locator('#tab-traces').click();
  await page.waitForFunction(() => document.getElementById('traces')!.textContent!.includes('main.dispatch'));

  // A node whose name is full of RE2 metacharacters: the regexp that selects it escapes them all.
  await page.locator('#tab-graph').click();
  await page.locator('#zoom-fit').click();
  await stage(page).locator('g.node[data-name="main.label{x|y}"]').click();
  assert.equal(await page.locator('#search').inputValue(), '^main\\.label\\{x\\|y\\}$');
  await page.locator('[data-refine="focus"]').click();
  await page.waitForURL((u) => u.searchParams.get('focus') === '^main\\.label\\{x\\|y\\}$');
  await graphFor(page, `?focus=${encodeURIComponent('^main\\.label\\{x\\|y\\}$')}`);
  assert.ok((await graphNodes(page)).includes('main.label{x|y}'));
  await stage(page).locator('g.node[data-name="main.label{x|y}"]').click();
  await page.locator('#tab-peek').click();
  await page.waitForFunction(() => /\| main\.label\{x\|y\}/.test(document.getElementById('peek')!.textContent!));
  await shot(page, 'hostile-peek');

  assert.deepEqual(await census(), { ...start });
  assert.deepEqual(start.handlers, []);
  assert.equal(start.images, 0);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the unfurl card is 1200×630 for a CPU profile, a heap diff and a goroutine profile, and reads at 400 px (screenshots)', async () => {
  const heapDiff = await upload(profilePath('profiles/shopd/heap.b.pb.gz'), {
    diff_base: readFileSync(profilePath('profiles/shopd/heap.a.pb.gz')), title: 'sessions heap after the deploy',
  });
  const goroutine = await upload(profilePath('profiles/shopd/goroutine.b.pb.gz'));
  const { page, problems } = await newPage(h.browser, 400, 240);
  for (const [name, id] of [['cpu', cpuId], ['heap-diff', heapDiff], ['goroutine', goroutine]] as const) {
    // The page points unfurls at it.
    const html = await (await fetch(`${h.server.url}/p/${id}`)).text();
    assert.match(html, new RegExp(`<meta property="og:image" content="${h.server.url}/p/${id}/card.png">`));
    const res = await fetch(`${h.server.url}/p/${id}/card.png`);
    assert.equal(res.headers.get('content-type'), 'image/png');
    const png = Buffer.from(await res.arrayBuffer());
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1200, 630]);
    assert.ok(png.length < 1_000_000, `${name}: ${png.length} bytes`);
    writeFileSync(path.join(SHOTS, `card-${name}.png`), png);
    // As a chat or ticket shows it: 400 px wide.
    await page.setContent(`<body style="margin:0"><img style="width:400px;display:block" src="data:image/png;base64,${png.toString('base64')}"></body>`);
    await page.locator('img').evaluate((img: HTMLImageElement) => img.decode());
    await shot(page, `card-${name}-400`);
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('an unknown or malformed id answers 404, and the assets are immutable', async () => {
  for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', '<script>', '..%2F..%2Fetc']) {
    const res = await fetch(`${h.server.url}/p/${id}`);
    assert.equal(res.status, 404, id);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
  }
  const html = await (await fetch(`${h.server.url}/p/${cpuId}`)).text();
  for (const [, src] of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) {
    const res = await fetch(h.server.url + src!);
    assert.equal(res.status, 200, src);
    assert.match(res.headers.get('cache-control')!, /immutable/);
  }
});
