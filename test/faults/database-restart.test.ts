/**
 * PostgreSQL restarted under load. A stream of uploads and reads runs against a server on a
 * PostgreSQL cluster of this test's own; the cluster is stopped the hard way (`pg_ctl -m
 * immediate`, as a crash would), left down for a while, and started again. Meanwhile:
 * - while it is down, every request that needs it answers 503 problem+json with Retry-After, and
 *   quickly (no request hangs waiting for a database that is not there);
 * - no answer is anything but 200/201 or that 503 (no 500s), before, during or after;
 * - once it is back, uploads and reads succeed again without restarting the server;
 * - nothing is half-written: every upload answered 201 is readable, byte for byte, afterwards; an
 *   upload answered 503 is either absent or complete; every stored row hashes to its id.
 *
 * Runs whenever DATABASE_URL is set (CI sets it: then this test must run, never skip), but not on
 * that database: restarting a cluster other tests share would break them, so it starts its own
 * throwaway one (initdb into a temporary directory, a free port, sockets in /tmp), as the
 * PostgreSQL user when run as root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { profileId } from '../../src/store/index.js';
import { postgresPlace } from '../server/links-support.js';
import { startTestServer } from '../server/support.js';
import { postgresSkip } from '../support/requirements.js';

const run = promisify(execFile);

/** A request that needs the database must be answered within this, even with the database gone. */
const ANSWER_BOUND_MS = 6000;
/** While it is down, the 503s come faster than that: a refused connection is refused at once. */
const DOWN_ANSWER_BOUND_MS = 2000;

/** The directory of initdb and pg_ctl: the newest /usr/lib/postgresql/<version>/bin, else the PATH. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(a) - Number(b));
    if (versions.length > 0) return path.join(root, versions[versions.length - 1]!, 'bin');
  }
  const found = execFileSync('sh', ['-c', 'command -v initdb || true'], { encoding: 'utf8' }).trim();
  if (found === '') throw new Error('DATABASE_URL is set but PostgreSQL\'s initdb is not installed: this test cannot run');
  return path.dirname(found);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A cluster of our own: initdb, start, stop -m immediate, start, destroy. Asynchronous, so that the
 * server under test (in this process) keeps answering while pg_ctl works.
 */
class Cluster {
  readonly url: string;
  readonly #bin: string;
  readonly #dir: string;
  readonly #data: string;
  readonly #asPostgres: boolean;

  private constructor(bin: string, dir: string, readonly port: number) {
    this.#bin = bin;
    this.#dir = dir;
    this.#data = path.join(dir, 'data');
    this.#asPostgres = process.getuid?.() === 0;
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  static async create(): Promise<Cluster> {
    const bin = postgresBin();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hotpath-pgfault-'));
    const cluster = new Cluster(bin, dir, await freePort());
    try {
      if (cluster.#asPostgres) {
        // initdb refuses to run as root; the cluster belongs to the postgres user.
        const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
        const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
        chownSync(dir, uid, gid);
      }
      mkdirSync(cluster.#data, { mode: 0o700 });
      if (cluster.#asPostgres) execFileSync('chown', ['postgres:', cluster.#data]);
      await cluster.#run('initdb', ['-D', cluster.#data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
      await cluster.start();
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  async #run(tool: string, args: string[]): Promise<void> {
    const command = path.join(this.#bin, tool);
    const [file, argv] = this.#asPostgres ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    await run(file, argv, { cwd: this.#dir, timeout: 60_000 });
  }

  start(): Promise<void> {
    return this.#run('pg_ctl', [
      '-D', this.#data, '-l', path.join(this.#dir, 'log'), '-w', '-t', '30',
      '-o', `-p ${this.port} -k /tmp -c listen_addresses=127.0.0.1`, 'start',
    ]);
  }

  /** As a crash would: no shutdown checkpoint, connections cut; the next start replays the WAL. */
  crash(): Promise<void> {
    return this.#run('pg_ctl', ['-D', this.#data, '-m', 'immediate', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.crash().catch(() => undefined); // already stopped
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** A small valid profile (folded stacks), distinct for each i. */
function profile(i: number): Buffer {
  const lines: string[] = [];
  for (let j = 0; j < 40; j++) lines.push(`main;restart${i}.handler${j % 7};work.step${j};leaf${(i * 31 + j) % 101} ${1 + ((i * 7 + j) % 50)}`);
  return Buffer.from(lines.join('\n') + '\n');
}

/** The database: up; being stopped; down; being started; back up. */
type Phase = 'up' | 'crashing' | 'down' | 'starting' | 'back';

interface Observed {
  kind: 'upload' | 'read';
  /** the database's state when the request was sent, and when its answer came */
  sentIn: Phase;
  answeredIn: Phase;
  status: number;
  ms: number;
  retryAfter: string | null;
  contentType: string | null;
  index: number;
}

const TITLE = 'PostgreSQL restarted under load: 503 + Retry-After fast while down, recovery after, every 201 readable';
const skip = postgresSkip();
if (skip !== false) {
  test(TITLE, { skip }, () => {});
} else {
  test(TITLE, async () => {
    const cluster = await Cluster.create();
    const place = postgresPlace(cluster.url);
    const server = await startTestServer({ renderWorkers: 1 }, undefined, { openStore: () => place.open() });
    let phase: Phase = 'up';
    const observed: Observed[] = [];
    const acknowledged = new Map<number, Buffer>();
    const refused = new Map<number, Buffer>();
    let next = 0;
    let stop = false;

    const request = async (kind: Observed['kind'], index: number, bytes: Buffer): Promise<Observed> => {
      const sentIn = phase;
      const started = performance.now();
      const res = kind === 'upload'
        ? await fetch(`${server.url}/v1/profiles`, { method: 'POST', body: new Uint8Array(bytes), headers: { 'Content-Type': 'application/octet-stream' } })
        : await fetch(`${server.url}/p/${profileId(bytes)}/profile.pb.gz`);
      const body = Buffer.from(await res.arrayBuffer());
      if (kind === 'read' && res.status === 200) assert.ok(body.equals(bytes), `read of upload ${index}: other bytes`);
      const o: Observed = {
        kind, index, sentIn, answeredIn: phase, status: res.status, ms: performance.now() - started,
        retryAfter: res.headers.get('retry-after'), contentType: res.headers.get('content-type'),
      };
      observed.push(o);
      return o;
    };

    // Four clients: each uploads a new profile, then reads back one acknowledged earlier.
    const client = async () => {
      while (!stop) {
        const i = next++;
        const bytes = profile(i);
        const up = await request('upload', i, bytes);
        if (up.status === 201) acknowledged.set(i, bytes);
        else if (up.status === 503) refused.set(i, bytes);
        const known = [...acknowledged.keys()];
        if (known.length > 0) {
          const j = known[(i * 7919) % known.length]!;
          await request('read', j, acknowledged.get(j)!);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    try {
      const clients = Array.from({ length: 4 }, client);
      await sleep(1000);
      const beforeCrash = acknowledged.size;
      phase = 'crashing';
      await cluster.crash();
      phase = 'down';
      await sleep(2500);
      phase = 'starting';
      await cluster.start();
      phase = 'back';
      const backAt = performance.now();
      // Recovered once uploads succeed again; give it a little longer to show it stays that way.
      let recoveredMs: number | undefined;
      while (performance.now() - backAt < 15_000) {
        const late = observed.filter((o) => o.sentIn === 'back' && o.kind === 'upload');
        if (recoveredMs === undefined && late.some((o) => o.status === 201)) recoveredMs = performance.now() - backAt;
        if (recoveredMs !== undefined && late.filter((o) => o.status === 201).length >= 10) break;
        await sleep(50);
      }
      stop = true;
      await Promise.all(clients);

      const count = (p: (o: Observed) => boolean) => observed.filter(p).length;
      console.log(`database restart: ${observed.length} requests; ${beforeCrash} uploads acknowledged before the crash, ` +
        `${count((o) => o.sentIn === 'down' && o.answeredIn === 'down')} answered while down ` +
        `(slowest ${Math.max(0, ...observed.filter((o) => o.sentIn === 'down' && o.answeredIn === 'down').map((o) => o.ms)).toFixed(0)} ms), ` +
        `uploads succeed again ${recoveredMs?.toFixed(0)} ms after the start; ${acknowledged.size} acknowledged in all, ${refused.size} refused`);

      assert.ok(beforeCrash >= 5, `${beforeCrash} uploads before the crash`);
      assert.ok(recoveredMs !== undefined, 'uploads never succeeded again after the database came back');
      for (const o of observed) {
        assert.ok([200, 201, 503].includes(o.status), `${o.kind} ${o.index} (sent ${o.sentIn}) answered ${o.status}`);
        assert.ok(o.ms < ANSWER_BOUND_MS, `${o.kind} ${o.index} (sent ${o.sentIn}) took ${o.ms.toFixed(0)} ms`);
        if (o.status === 503) {
          assert.equal(o.contentType, 'application/problem+json');
          assert.match(o.retryAfter ?? '', /^[1-9]\d*$/, `${o.kind} ${o.index}: 503 without Retry-After`);
        }
        if (o.sentIn === 'up' && o.answeredIn === 'up') assert.notEqual(o.status, 503, `${o.kind} ${o.index} failed before the crash`);
      }
      const whileDown = observed.filter((o) => o.sentIn === 'down' && o.answeredIn === 'down');
      assert.ok(whileDown.length >= 10, `only ${whileDown.length} requests while the database was down`);
      for (const o of whileDown) {
        assert.equal(o.status, 503, `${o.kind} ${o.index} answered ${o.status} while the database was down`);
        assert.ok(o.ms < DOWN_ANSWER_BOUND_MS, `${o.kind} ${o.index}: 503 after ${o.ms.toFixed(0)} ms while down`);
      }
      assert.ok(observed.some((o) => o.sentIn === 'back' && o.kind === 'read' && o.status === 200), 'reads work again');

      // Nothing lost, nothing half-written.
      for (const [i, bytes] of acknowledged) {
        const res = await fetch(`${server.url}/p/${profileId(bytes)}/profile.pb.gz`);
        assert.equal(res.status, 200, `acknowledged upload ${i} is gone`);
        assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes), `acknowledged upload ${i} is not byte-identical`);
      }
      for (const [i, bytes] of refused) {
        const res = await fetch(`${server.url}/p/${profileId(bytes)}/profile.pb.gz`);
        const body = Buffer.from(await res.arrayBuffer());
        assert.ok(res.status === 404 || (res.status === 200 && body.equals(bytes)), `refused upload ${i}: ${res.status}`);
      }
      await place.checkIntegrity();
    } finally {
      stop = true;
      await server.shutdown();
      await cluster.destroy();
    }
  });
}
