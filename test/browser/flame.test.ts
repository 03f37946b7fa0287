/**
 * Flame graphs in a real browser (headless Chromium): click to zoom, search with the matched share,
 * and the red/blue colours of a differential flame graph.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parseOptions } from '../../src/options.js';
import { loadProfile } from '../../src/profile/load.js';
import { produceReport } from '../../src/reports.js';
import { CORPUS } from '../support/goldens.js';
import { launchChromium } from '../support/browser.js';
import { chromiumSkip, suiteNeeding } from '../support/requirements.js';

const { test, before, after } = suiteNeeding('browser: flame graphs', chromiumSkip());

let dir = '';
const shopd = (f: string) => readFileSync(path.join(CORPUS, 'profiles/shopd', f));
let browser: Browser;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'hotpath-flame-'));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

async function open(name: string, svg: string): Promise<Page> {
  const file = path.join(dir, name);
  writeFileSync(file, svg);
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`file://${file}`);
  assert.deepEqual(errors, []);
  return page;
}

const cpuFlame = () => produceReport(loadProfile(shopd('cpu.pb.gz')).profile, 'flame', parseOptions({ sample_index: '0' })).text;

test('clicking a frame zooms it to the full width, and reset restores it', async () => {
  const page = await open('cpu.svg', cpuFlame());
  const frame = page.locator('g.frame[data-name="main.checkout"]').first();
  const before = Number(await frame.locator('rect').getAttribute('width'));
  const full = Number(await page.locator('g.frame').first().locator('rect').getAttribute('width'));
  assert.ok(before < full / 2, `main.checkout starts at ${before} of ${full}`);
  await frame.click();
  assert.equal(Number(await frame.locator('rect').getAttribute('width')), full);
  await page.locator('#reset-zoom').click();
  assert.equal(Number(await frame.locator('rect').getAttribute('width')), before);
  await page.close();
});

test('search highlights the matching frames and prints their share of the total', async () => {
  const page = await open('cpu-search.svg', cpuFlame());
  await page.locator('#search-input').fill('sha256');
  await page.locator('#search-input').press('Enter');
  // Expected share from the folded stacks: samples whose stack has a frame containing "sha256".
  const folded = readFileSync(path.join(CORPUS, 'profiles/folded/shopd.cpu.folded'), 'utf8').trim().split('\n');
  let hit = 0;
  let total = 0;
  for (const line of folded) {
    const n = Number(line.slice(line.lastIndexOf(' ') + 1));
    total += n;
    if (line.slice(0, line.lastIndexOf(' ')).includes('sha256')) hit += n;
  }
  const matched = page.locator('#matched');
  assert.equal(Number(await matched.getAttribute('data-value')), hit);
  assert.match((await matched.textContent()) ?? '', new RegExp(`${((100 * hit) / total).toFixed(2).replace('.', '\\.')}%`));
  const highlighted = await page.locator('g.frame rect[fill="rgb(230,0,230)"]').count();
  assert.ok(highlighted > 0);
  await page.close();
});

test('the differential flame graph of heap A → B colours grown frames red', async () => {
  const input = { profile: loadProfile(shopd('heap.b.pb.gz')).profile, base: loadProfile(shopd('heap.a.pb.gz')).profile, kind: 'proto' as const };
  const page = await open('diff.svg', produceReport(input, 'flame', parseOptions({ sample_index: 'inuse_space' })).text);
  const fill = await page.locator('g.frame[data-name="shopd/internal/sessions.newSession"] rect').first().evaluate((r) => getComputedStyle(r).fill);
  const [red, green, blue] = fill.match(/\d+/g)!.map(Number);
  assert.ok(red! > 200 && red! > blue! && red! > green!, `newSession is ${fill}`);
  const delta = Number(await page.locator('g.frame[data-name="shopd/internal/sessions.newSession"]').first().getAttribute('data-delta'));
  assert.ok(delta > 0);
  await page.close();
});
