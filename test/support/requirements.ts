/**
 * Suites that need what a fresh machine does not have: Chromium (the browser tests) and a PostgreSQL
 * server (DATABASE_URL). On a developer's machine such a suite is skipped, and the runner prints one
 * line saying why and what to install. In CI (CI=true, as .ci/run runs) nothing may pass by skipping:
 * a missing requirement throws when the test file loads, which fails the run.
 */
import { existsSync } from 'node:fs';
import * as nodeTest from 'node:test';

/** CI=true (GitHub Actions, .ci/run) or any other non-empty value but false/0. */
export const IN_CI = (() => {
  const v = process.env['CI']?.trim().toLowerCase() ?? '';
  return v !== '' && v !== 'false' && v !== '0';
})();

/** For `describe(name, { skip }, …)`: false when the suite can run, else the one line the runner prints. */
export type Skip = string | false;

function skipWhenMissing(missing: string | undefined, install: string): Skip {
  if (missing === undefined) return false;
  if (IN_CI) throw new Error(`${missing}, and CI must run this suite: ${install}`);
  return `${missing}: ${install}`;
}

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** The browser suites: Debian's Chromium at CHROMIUM_PATH (default /usr/bin/chromium). */
export function chromiumSkip(): Skip {
  return skipWhenMissing(
    existsSync(CHROMIUM_PATH) ? undefined : `Chromium not found at ${CHROMIUM_PATH}`,
    'apt-get install chromium (or set CHROMIUM_PATH) to run it',
  );
}

export const DATABASE_URL = process.env['DATABASE_URL']?.trim() || undefined;

/** The PostgreSQL suites: a server at DATABASE_URL. */
export function postgresSkip(): Skip {
  return skipWhenMissing(
    DATABASE_URL === undefined ? 'DATABASE_URL is not set' : undefined,
    'apt-get install postgresql and set DATABASE_URL=postgres://… (as .ci/run does) to run it',
  );
}

/**
 * node:test's functions for a file that is one suite needing `skip`'s requirement: the real ones when
 * it can run; otherwise one skipped test named `suite` (the line the runner prints) and no-ops, so the
 * file's tests, hooks and their set-up are never started.
 */
export function suiteNeeding(suite: string, skip: Skip): Pick<typeof nodeTest, 'test' | 'describe' | 'before' | 'after'> {
  if (skip === false) return nodeTest;
  nodeTest.test(suite, { skip }, () => {});
  const none = (() => {}) as never;
  return { test: none, describe: none, before: none, after: none };
}
