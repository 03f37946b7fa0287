/**
 * Where the links tests keep their profiles: an SQLite file in a temporary directory always, and a
 * PostgreSQL schema of their own whenever DATABASE_URL is set (CI sets it; then those tests run).
 * A place can be opened any number of times, by this process or by a child server.
 */
import { withPgClient } from '../support/pg.js';
import { DATABASE_URL, postgresSkip, type Skip } from '../support/requirements.js';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openSqliteDatabase, openStore, profileId, SQLITE_FILE_NAME, type OpenStoreOverrides, type Store } from '../../src/store/index.js';
import type { LinksChildConfig } from './links-child.js';
import { ROOT } from './support.js';


export interface Place {
  backend: 'sqlite' | 'postgres';
  open(overrides?: OpenStoreOverrides): Promise<Store>;
  /** for links-child.js */
  child: LinksChildConfig;
  /** every stored row intact: SQLite's integrity check; on PostgreSQL, each id the hash of its row */
  checkIntegrity(): Promise<void>;
  cleanup(): Promise<void>;
}

export function sqlitePlace(): Place {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-links-'));
  const env = { HOTPATH_DATA: dir };
  return {
    backend: 'sqlite',
    open: (overrides = {}) => openStore(env, overrides),
    child: { env },
    async checkIntegrity() {
      const db = await openSqliteDatabase(path.join(dir, SQLITE_FILE_NAME), { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check'), 'ok');
        const rows = db.prepare<[], { id: string; bytes: Buffer; base_id: string | null; base_diff: number; sources_id: string | null }>(
          'SELECT id, bytes, base_id, base_diff, sources_id FROM profiles').all();
        for (const r of rows) assert.equal(profileId(r.bytes, r.base_id ?? undefined, r.base_diff === 1, r.sources_id ?? undefined), r.id);
      } finally {
        db.close();
      }
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postgresPlace(url: string): Place {
  const schema = `hotpath_links_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const withClient = <T>(body: (client: pg.Client) => Promise<T>): Promise<T> => withPgClient(url, body);
  return {
    backend: 'postgres',
    open: (overrides = {}) => openStore({ DATABASE_URL: url }, { pgSchema: schema, ...overrides }),
    child: { env: { DATABASE_URL: url }, pgSchema: schema },
    checkIntegrity: () => withClient(async (c) => {
      const { rows } = await c.query<{ id: string; bytes: Buffer; base_id: string | null; base_diff: boolean; sources_id: string | null }>(
        `SELECT id, bytes, base_id, base_diff, sources_id FROM ${schema}.hotpath_profiles`);
      for (const r of rows) assert.equal(profileId(r.bytes, r.base_id ?? undefined, r.base_diff, r.sources_id ?? undefined), r.id);
    }),
    cleanup: () => withClient(async (c) => {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }),
  };
}

/** The places every links test runs on: SQLite, and PostgreSQL when DATABASE_URL is set (else `skip` says why). */
export const BACKENDS: { name: Place['backend']; skip: Skip; fresh(): Place }[] = [
  { name: 'sqlite', skip: false, fresh: sqlitePlace },
  { name: 'postgres', skip: postgresSkip(), fresh: () => postgresPlace(DATABASE_URL!) },
];

export interface ChildServer {
  url: string;
  child: ChildProcess;
  /** resolves when the process has exited */
  exited: Promise<void>;
}

/** A server in a process of its own (links-child.js) on the given place. */
export async function startChildServer(config: LinksChildConfig): Promise<ChildServer> {
  const child = spawn(process.execPath, [path.join(ROOT, 'build/test/server/links-child.js'), JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /listening (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code, signal) => reject(new Error(`child server exited (${code ?? signal}) before listening: ${stderr}`)));
  });
  return { url, child, exited };
}
