import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_PATH } from './requirements.js';

/**
 * Debian's Chromium, driven by playwright-core (no browser download). .ci/run installs it; the suites
 * that call this check for it first (requirements.ts: skipped on a bare machine, a failure in CI).
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    timeout: 60_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}
