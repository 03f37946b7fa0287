/**
 * What the viewer's browser tests share: a real server (job workers, an SQLite store in a temp
 * directory), headless Chromium, pages that fail the test on any script error, CSP or Trusted Types
 * violation or dialog, uploads, and screenshots kept in test-results/browser/ (gitignored) for a
 * person to look at.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server/app.js';
import { openStore } from '../../src/store/index.js';
import { launchChromium } from '../support/browser.js';
import { CORPUS, ROOT } from '../server/support.js';

export const SHOTS = path.join(ROOT, 'test-results/browser');
export const profilePath = (rel: string): string => path.join(CORPUS, rel);

export interface ViewerHarness {
  server: RunningServer;
  browser: Browser;
  close(): Promise<void>;
}

export async function startHarness(): Promise<ViewerHarness> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hotpath-viewer-'));
  // The store is named explicitly (not through process.env), so DATABASE_URL in CI does not apply here.
  let started: RunningServer | undefined;
  const [serverUp, chromiumUp] = await Promise.allSettled([
    startServer(
      { port: 0, host: '127.0.0.1', log: false, renderWorkers: 2, shutdownGraceMs: 2000 },
      { openStore: () => openStore({ HOTPATH_DATA: dataDir }) },
    ).then(async (s) => {
      started = s;
      await s.ready();
      return s;
    }),
    launchChromium(),
  ]);
  if (serverUp.status === 'rejected' || chromiumUp.status === 'rejected') {
    // Stop whichever did start: a server left running (its workers) kept the test run alive forever.
    if (chromiumUp.status === 'fulfilled') await chromiumUp.value.close();
    await started?.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
    throw serverUp.status === 'rejected' ? serverUp.reason : (chromiumUp as PromiseRejectedResult).reason;
  }
  const [server, browser] = [serverUp.value, chromiumUp.value];
  mkdirSync(SHOTS, { recursive: true });
  return {
    server,
    browser,
    async close() {
      await browser.close();
      await server.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Watched {
  page: Page;
  /** uncaught errors, CSP and Trusted Types violations, dialogs: each one fails the test */
  problems: string[];
}

export async function newPage(browser: Browser, width = 1400, height = 900): Promise<Watched> {
  const page = await browser.newPage({ viewport: { width, height } });
  // Every wait is bounded: a page that never gets there fails the test instead of hanging it.
  page.setDefaultTimeout(30_000);
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

export async function upload(server: RunningServer, file: string, fields: Record<string, string | Buffer> = {}): Promise<string> {
  const form = new FormData();
  form.append('profile', new Blob([readFileSync(file)]), path.basename(file));
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string') form.append(k, v);
    else form.append(k, new Blob([new Uint8Array(v)]), k);
  }
  const res = await fetch(`${server.url}/v1/profiles`, { method: 'POST', body: form });
  assert.ok(res.status === 201 || res.status === 200, `upload answered ${res.status}`);
  return ((await res.json()) as { id: string }).id;
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** Waits until the stage shows the graph for the page URL's options (the page stamps the query it drew). */
export async function graphFor(page: Page, query: string): Promise<void> {
  await page.waitForFunction((q) => {
    const s = document.getElementById('graph-stage')!;
    return s.getAttribute('data-query') === q && s.getAttribute('aria-busy') === null && s.querySelector('g.node[data-name]') !== null;
  }, query);
}

export async function graphNodes(page: Page): Promise<string[]> {
  return page.locator('#graph-stage g.node[data-name]').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-name')!));
}

/** Waits until the flame graph has drawn frames. */
export async function flameDrawn(page: Page): Promise<void> {
  await page.waitForFunction(() => Number(document.getElementById('flame-main')!.getAttribute('data-frames')) > 0);
}
