/**
 * A stand-in for a Go service's /debug/pprof endpoints on an ephemeral 127.0.0.1 port, serving the
 * fixture profiles, plus endpoints that misbehave in each way a fetch can fail.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SHOPD = path.join(ROOT, 'test/fixtures/corpus/profiles/shopd');

export function shopd(name: string): Buffer {
  return readFileSync(path.join(SHOPD, name));
}

export interface Target {
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  /** every request seen: path with query, and its Host header */
  seen: { url: string; host: string | undefined; authorization: string | undefined }[];
  close(): Promise<void>;
}

export async function startTarget(): Promise<Target> {
  const heap = shopd('heap.a.pb.gz');
  const cpu = shopd('cpu.pb.gz');
  const goroutine = shopd('goroutine.a.pb.gz');
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const seen: Target['seen'] = [];
  let origin = '';

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://target');
    seen.push({ url: req.url ?? '', host: req.headers.host, authorization: req.headers.authorization });
    const seconds = Number(url.searchParams.get('seconds') ?? '0');
    const profile = (bytes: Buffer) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
      res.end(bytes);
    };
    const redirect = (status: number, location: string) => {
      res.writeHead(status, { location });
      res.end();
    };
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if (p === '/debug/pprof/heap') return profile(heap);
    if (p === '/debug/pprof/goroutine') return profile(goroutine);
    // Like Go's pprof.Profile: answers after collecting for `seconds`.
    if (p === '/debug/pprof/profile') return later(seconds * 1000, () => profile(cpu));
    // Collects for a second longer than asked.
    if (p === '/slow/debug/pprof/profile') return later(seconds * 1000 + 1000, () => profile(cpu));
    if ((m = /^\/hop\/(\d+)$/.exec(p))) {
      const n = Number(m[1]);
      return redirect(302, n <= 1 ? '/debug/pprof/heap' : `/hop/${n - 1}`);
    }
    if (p === '/relative/redirect') return redirect(307, '../debug/pprof/heap');
    if (p === '/redirect/absolute') return redirect(301, `${origin}/debug/pprof/heap`);
    if (p === '/redirect/off-list') return redirect(302, `http://elsewhere.test:${url.searchParams.get('port') ?? '80'}/debug/pprof/heap`);
    if (p === '/redirect/ftp') return redirect(302, 'ftp://files.test/heap');
    if (p === '/redirect/no-location') {
      res.writeHead(302);
      return res.end();
    }
    if (p === '/missing') {
      // What Go's http.NotFound answers.
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
      return res.end('404 page not found\n');
    }
    if (p === '/broken') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      return res.end('Could not enable CPU profiling: \x1b[31mcpu profiling already in use\x1b[0m\r\nsecond line');
    }
    if (p === '/no-content') {
      res.writeHead(204);
      return res.end();
    }
    if (p === '/hang') return; // never answers
    if (p === '/hang-body') {
      res.writeHead(200, { 'content-length': 1000 });
      return res.write(Buffer.alloc(100)); // and never the rest
    }
    if (p === '/huge') {
      // 64 KiB chunks, no Content-Length, until the client goes away.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      return pump();
    }
    if (p === '/huge-declared') {
      res.writeHead(200, { 'content-length': String(10 * 1024 ** 3) });
      return res.write(Buffer.alloc(10));
    }
    if (p === '/close') return req.socket.destroy();
    if (p === '/cut') {
      res.writeHead(200, { 'content-length': 1000 });
      res.write(Buffer.alloc(100));
      return later(20, () => req.socket.destroy());
    }
    if (p === '/auth/debug/pprof/heap') {
      if (req.headers.authorization !== `Basic ${Buffer.from('ops:s3cret').toString('base64')}`) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="pprof"' });
        return res.end('unauthorized');
      }
      return profile(heap);
    }
    res.writeHead(404);
    res.end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A resolver from a fixed table; unknown names fail as getaddrinfo does. */
export function tableResolver(table: Record<string, string[]>): (hostname: string) => Promise<string[]> {
  return async (hostname) => {
    const found = table[hostname];
    if (found) return found;
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
  };
}
