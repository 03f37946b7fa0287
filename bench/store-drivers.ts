/**
 * The embedded store through each SQLite driver this Node can load (node:sqlite on 22.16+,
 * better-sqlite3 on 20 and, when built for it, 22), as the service uses it: sequential 1 MiB
 * profile uploads with synchronous=FULL (each one a fsynced commit), reading them back, and cached
 * ~140 KB artifact reads (the hot path of a shared link). Prints one JSON line per driver.
 *
 * `node build/bench/store-drivers.js` under the Node to measure; bench/run.ts runs it under the
 * machine's Node and the LTS lines scripts/node-lts.sh has cached.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStore, usableSqliteDrivers } from '../src/store/index.js';
import type { SqliteDriverName } from '../src/store/index.js';
import { blob } from '../test/store/blobs.js';

const PROFILES = 100;
const PROFILE_BYTES = 1024 * 1024;
const ARTIFACT_READS = 2000;
const ARTIFACT_BYTES = 140 * 1024;

export interface StoreDriverBench {
  node: string;
  driver: SqliteDriverName;
  /** sequential 1 MiB putProfile calls per second, synchronous=FULL */
  putsPerSecond: number;
  /** getProfile of those, per second */
  getsPerSecond: number;
  /** getArtifact of one ~140 KB artifact, per second */
  artifactGetsPerSecond: number;
}

const perSecond = (count: number, ms: number) => Math.round((count * 1000) / ms);

async function benchDriver(driver: SqliteDriverName): Promise<StoreDriverBench> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-bench-store-'));
  const store = await openSqliteStore({ dir, driver });
  try {
    const uploads = Array.from({ length: PROFILES }, (_, i) => blob(i + 1, PROFILE_BYTES));
    let t = performance.now();
    const ids: string[] = [];
    for (const bytes of uploads) ids.push((await store.putProfile(bytes)).id);
    const putsPerSecond = perSecond(PROFILES, performance.now() - t);

    t = performance.now();
    for (const id of ids) if ((await store.getProfile(id)) === undefined) throw new Error(`${id} is missing`);
    const getsPerSecond = perSecond(PROFILES, performance.now() - t);

    const key = { profileId: ids[0]!, options: '', format: 'graph.svg' };
    await store.putArtifact(key, blob(0, ARTIFACT_BYTES), 'image/svg+xml');
    t = performance.now();
    for (let i = 0; i < ARTIFACT_READS; i++) if ((await store.getArtifact(key)) === undefined) throw new Error('the artifact is missing');
    const artifactGetsPerSecond = perSecond(ARTIFACT_READS, performance.now() - t);
    return { node: process.version, driver, putsPerSecond, getsPerSecond, artifactGetsPerSecond };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const driver of await usableSqliteDrivers()) console.log(JSON.stringify(await benchDriver(driver)));
}

/** This bench as a child process under `node`: one result per driver that Node loads. */
export function benchStoreDrivers(node: string): StoreDriverBench[] {
  const out = execFileSync(node, [fileURLToPath(import.meta.url)], { encoding: 'utf8', timeout: 10 * 60_000 });
  return out.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as StoreDriverBench);
}

export function formatStoreDrivers(results: StoreDriverBench[]): string {
  const rows = results.map((r) => `| ${r.node} | ${r.driver} | ${r.putsPerSecond} | ${r.getsPerSecond} | ${r.artifactGetsPerSecond} |`);
  return ['| Node | driver | uploads/s | profile reads/s | artifact reads/s |', '|---|---|---|---|---|', ...rows].join('\n');
}
