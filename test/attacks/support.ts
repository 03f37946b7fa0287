/**
 * What the attack tests stand on: the service in a process of its own (so "it survived" means its
 * pid is the same and it still answers), and a /healthz poller in a worker thread of the test
 * process (so its timings are the server's, not delays of the test's own event loop while it reads
 * answers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ServerConfig } from '../../src/server/config.js';
import type { LinksChildConfig } from '../server/links-child.js';

const CHILD = new URL('../server/links-child.js', import.meta.url);

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  dataDir: string;
  /** set when the process has exited (it must not) */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** VmHWM of the process: its peak resident set, bytes */
  peakRss(): number;
  stop(): Promise<void>;
}

export async function startServiceProcess(config: Partial<ServerConfig> = {}): Promise<ServiceProcess> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-attacks-'));
  const arg: LinksChildConfig = { env: { HOTPATH_DATA: dataDir }, config: { renderWorkers: 2, ...config } };
  const child = spawn(process.execPath, [CHILD.pathname, JSON.stringify(arg)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once('exit', (code, signal) => (exit = { code, signal }));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the service did not start within 30 s')), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /listening (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited with ${code} before listening`));
    });
  });
  return {
    url,
    child,
    dataDir,
    exited: () => exit,
    peakRss: () => {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    },
    stop: async () => {
      if (exit === undefined) {
        const done = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface HealthReport {
  polls: number;
  /** the slowest answer, ms (an answer that never came counts as its timeout) */
  maxMs: number;
  /** answers that were not 200, or did not come within the timeout */
  failures: string[];
}

/**
 * Polls `${url}/healthz` every `everyMs` from a worker thread, each request on a fresh connection
 * with a `timeoutMs` bound, until stop() is called.
 */
export function pollHealth(url: string, everyMs = 100, timeoutMs = 5000): { stop(): Promise<HealthReport> } {
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    const http = require('node:http');
    const report = { polls: 0, maxMs: 0, failures: [] };
    let stopping = false;
    const once = () => new Promise((resolve) => {
      const started = performance.now();
      const done = (what) => {
        const ms = performance.now() - started;
        report.polls++;
        report.maxMs = Math.max(report.maxMs, ms);
        if (what !== 200) report.failures.push(String(what));
        resolve();
      };
      const req = http.get(workerData.url + '/healthz', { agent: false, timeout: workerData.timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode));
      });
      req.on('timeout', () => { req.destroy(); });
      req.on('error', (e) => done(e.message));
    });
    parentPort.on('message', () => { stopping = true; });
    (async () => {
      while (!stopping) {
        await once();
        await new Promise((r) => setTimeout(r, workerData.everyMs));
      }
      parentPort.postMessage(report);
    })();
    `,
    { eval: true, workerData: { url, everyMs, timeoutMs } },
  );
  return {
    stop: () =>
      new Promise<HealthReport>((resolve, reject) => {
        worker.once('message', (r: HealthReport) => {
          void worker.terminate();
          resolve(r);
        });
        worker.once('error', reject);
        worker.postMessage('stop');
      }),
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

export async function post(url: string, body: Uint8Array | FormData | string, headers: Record<string, string> = {}): Promise<Answer> {
  const sent = body instanceof Uint8Array ? new Uint8Array(body) : body;
  const res = await fetch(url, { method: 'POST', body: sent, headers, signal: AbortSignal.timeout(60_000) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export async function get(url: string): Promise<Answer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A multipart body of files (name → bytes). */
export function form(files: Record<string, Uint8Array>): FormData {
  const f = new FormData();
  for (const [name, bytes] of Object.entries(files)) f.append(name, new Blob([new Uint8Array(bytes)]), name);
  return f;
}

/** The problem+json of an answer. */
export function problem(a: Answer): { type: string; status: number; detail: string; limitName?: string; [k: string]: unknown } {
  if (a.headers.get('content-type') !== 'application/problem+json') {
    throw new Error(`expected application/problem+json, got ${a.headers.get('content-type')} (status ${a.status}): ${a.text.slice(0, 300)}`);
  }
  return JSON.parse(a.text) as ReturnType<typeof problem>;
}
