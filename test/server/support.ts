/**
 * Helpers for the server tests: a real server on an ephemeral loopback port with real render
 * workers, and small request helpers over fetch. No mocks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer, type StartOptions } from '../../src/server/app.js';
import { openSqliteStore } from '../../src/store/index.js';
import type { ServerConfig } from '../../src/server/config.js';
import type { Logger } from '../../src/server/log.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CORPUS = path.join(ROOT, 'test/fixtures/corpus');

export function fixture(rel: string): Buffer {
  return readFileSync(path.join(CORPUS, rel));
}

/**
 * A server on an ephemeral loopback port. Its profile store is an SQLite file in a temporary
 * directory of its own, removed at shutdown (never ./data), unless `options.openStore` says otherwise.
 */
export function startTestServer(overrides: Partial<ServerConfig> = {}, logger?: Logger, options: StartOptions = {}): Promise<RunningServer> {
  let dir: string | undefined;
  const openStore = options.openStore ?? (() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-server-'));
    return openSqliteStore({ dir });
  });
  // A render deadline that only guards against a hang (60 s, not the service's 10 s): on a loaded
  // 2-core machine a PNG at scale 2 took longer than 10 s. Tests of the deadline set their own.
  return startServer(
    { port: 0, host: '127.0.0.1', log: false, renderWorkers: 2, shutdownGraceMs: 2000, renderDeadlineMs: 60_000, ...overrides },
    { ...options, ...(logger && { logger }), openStore },
  ).then(async (s) => {
    const shutdown = s.shutdown;
    s.shutdown = async (graceMs) => {
      const result = await shutdown(graceMs);
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      return result;
    };
    await s.ready();
    return s;
  });
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  ms: number;
}

/** POSTs `bytes` to /v1/render as application/octet-stream, or as the `profile` file of a multipart body. */
export async function render(
  server: { url: string },
  bytes: Uint8Array,
  query: Record<string, string> | string = {},
  how: { multipart?: boolean; field?: string } = {},
): Promise<Answer> {
  const qs = typeof query === 'string' ? query : new URLSearchParams(query).toString();
  let body: BodyInit;
  const headers: Record<string, string> = {};
  if (how.multipart) {
    const form = new FormData();
    form.append(how.field ?? 'profile', new Blob([new Uint8Array(bytes)]), 'profile.pb.gz');
    body = form;
  } else {
    body = new Uint8Array(bytes);
    headers['Content-Type'] = 'application/octet-stream';
  }
  const started = performance.now();
  const res = await fetch(`${server.url}/v1/render${qs ? `?${qs}` : ''}`, { method: 'POST', body, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, ms: performance.now() - started };
}

export async function get(server: { url: string }, route: string): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(server.url + route);
  return { status: res.status, headers: res.headers, text: await res.text(), ms: performance.now() - started };
}

/** Parses a problem+json answer, checking its media type and required members. */
export function problemOf(a: Answer): { type: string; title: string; status: number; detail: string; [k: string]: unknown } {
  if (a.headers.get('content-type') !== 'application/problem+json') {
    throw new Error(`expected application/problem+json, got ${a.headers.get('content-type')} (status ${a.status}): ${a.text.slice(0, 200)}`);
  }
  const p = JSON.parse(a.text);
  for (const k of ['type', 'title', 'status', 'detail']) if (!(k in p)) throw new Error(`problem without "${k}": ${a.text}`);
  if (p.status !== a.status) throw new Error(`problem status ${p.status} differs from HTTP status ${a.status}`);
  return p;
}

/** How Graphviz writes a string into SVG text and attributes. */
export function svgEscaped(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/-/g, '&#45;');
}
