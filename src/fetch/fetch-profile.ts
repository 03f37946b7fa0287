/**
 * Pulls a profile from a running service (`/debug/pprof/...`), as `go tool pprof URL` does, with
 * the limits a shared service needs: an overall deadline, a redirect limit with every hop
 * re-checked by a policy hook, a byte cap enforced while streaming, and one typed error per way
 * of failing. Whether the bytes are a profile is the decoder's business, not this module's.
 */
import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FetchError, type FetchErrorKind } from '../errors.js';
import { adjustProfileUrl, displayUrl } from './url.js';

export { adjustProfileUrl, displayUrl } from './url.js';

export interface FetchProgress {
  /** 'collecting': request sent, the target is still profiling; 'downloading': the body is arriving. */
  phase: 'collecting' | 'downloading';
  /** since fetchProfile was called */
  elapsedMs: number;
  /** how long the target collects (the URL's `seconds`), when known */
  seconds?: number;
  /** bytes received so far (downloading) */
  bytes?: number;
  /** Content-Length, when the target sent one (downloading) */
  totalBytes?: number;
}

/** hostname → every address it resolves to. IP literals never reach it. */
export type AddressResolver = (hostname: string) => Promise<string[]>;

export interface FetchOptions {
  /** Sets `?seconds=N` on the URL, overriding the URL's own (pprof's -seconds); ignored unless ≥ 1. */
  seconds?: number;
  /** Added to the collection time to make the deadline. Default 15 s. */
  timeoutMarginMs?: number;
  /** The whole deadline (DNS, connect, collection, download, redirects), replacing seconds + margin. */
  timeoutMs?: number;
  /** Largest body accepted; the download stops past it. Default 512 MiB. */
  maxBytes?: number;
  /** Redirects followed before giving up. Default 3. */
  maxRedirects?: number;
  onProgress?: (p: FetchProgress) => void;
  signal?: AbortSignal;
  /**
   * Policy, before any DNS query, for the first URL and every redirect: false or a throw refuses
   * (kind 'forbidden', the thrown message as the reason).
   */
  allowUrl?: (url: URL) => boolean | void;
  /**
   * Policy, for every address the host resolved to, on every hop: false or a throw refuses. The
   * connection then goes only to the vetted addresses (no second DNS query to rebind).
   */
  allow?: (url: URL, address: string) => boolean | void;
  /** DNS resolution; default: the system resolver (getaddrinfo), all addresses. */
  resolve?: AddressResolver;
}

const MiB = 1024 * 1024;

export const FETCH_DEFAULTS = {
  timeoutMarginMs: 15_000,
  maxBytes: 512 * MiB,
  maxRedirects: 3,
} as const;

/** How often the collecting phase reports while nothing arrives, so a countdown can tick. */
const PROGRESS_TICK_MS = 250;
/** How much of an error answer's body is shown, and how long we wait for it. */
const EXCERPT_BYTES = 512;
const EXCERPT_CHARS = 160;
const EXCERPT_WAIT_MS = 1000;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Fetches `source` (an http(s) URL, or `host:port/path`) and answers the body of its 200 answer.
 * Throws FetchError for every failure; see FetchErrorKind.
 */
export async function fetchProfile(source: string | URL, opts: FetchOptions = {}): Promise<Uint8Array> {
  const target = adjustProfileUrl(String(source), opts.seconds);
  if (!target) throw new FetchError('bad-url', `cannot fetch ${String(source)}: not an http(s) URL`);
  const marginMs = opts.timeoutMarginMs ?? FETCH_DEFAULTS.timeoutMarginMs;
  const timeoutMs = opts.timeoutMs ?? (target.seconds ?? 0) * 1000 + marginMs;
  const maxBytes = opts.maxBytes ?? FETCH_DEFAULTS.maxBytes;
  const maxRedirects = opts.maxRedirects ?? FETCH_DEFAULTS.maxRedirects;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);

  // One controller for everything in flight: the deadline and the caller's signal both abort it.
  const inFlight = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    inFlight.abort();
  }, timeoutMs);
  const onCallerAbort = () => inFlight.abort();
  opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
  if (opts.signal?.aborted) inFlight.abort();

  const first = target.url;
  let url = first;
  const fail = (kind: FetchErrorKind, reason: string, status?: number): FetchError => {
    const where = url === first ? displayUrl(first) : `${displayUrl(first)} (redirected to ${displayUrl(url)})`;
    return new FetchError(kind, `cannot fetch ${where}: ${reason}`, displayUrl(url), status);
  };

  try {
    for (let hop = 0; ; hop++) {
      if (inFlight.signal.aborted) throw inFlight.signal.reason;
      const refusal = hop === 0 ? '' : 'redirect refused: ';
      vet(() => opts.allowUrl?.(url), (why) => fail('forbidden', refusal + why));
      const addresses = await resolveHost(url, opts.resolve, inFlight.signal, fail);
      for (const address of addresses) {
        vet(() => opts.allow?.(url, address), (why) => fail('forbidden', refusal + why));
      }

      const res = await send(url, addresses, first, inFlight.signal, (p) => opts.onProgress?.({ ...p, elapsedMs: elapsed(), seconds: target.seconds }));
      const status = res.statusCode ?? 0;

      if (REDIRECT_STATUSES.has(status)) {
        res.destroy();
        const location = res.headers.location;
        if (location === undefined) throw fail('http', `${statusLine(res)} without a Location header`, status);
        if (hop >= maxRedirects) throw fail('redirects', `more than ${maxRedirects} redirect${maxRedirects === 1 ? '' : 's'}`);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw fail('redirects', `redirect to an invalid URL ${JSON.stringify(location.slice(0, 200))}`);
        }
        if (next.protocol !== 'http:' && next.protocol !== 'https:') {
          throw fail('redirects', `redirect to a ${next.protocol} URL, only http and https are followed`);
        }
        url = next;
        continue;
      }
      if (status !== 200) {
        const excerpt = await readExcerpt(res);
        throw fail('http', `server answered ${statusLine(res)}${excerpt ? `: ${excerpt}` : ''}`, status);
      }

      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        res.destroy();
        throw fail('too-large', `the answer is ${formatBytes(declared)}, more than the ${formatLimit(maxBytes)} limit`);
      }
      const totalBytes = Number.isFinite(declared) && res.headers['content-length'] !== undefined ? declared : undefined;
      opts.onProgress?.({ phase: 'downloading', elapsedMs: elapsed(), seconds: target.seconds, bytes: 0, totalBytes });
      return await readBody(res, maxBytes, fail, (bytes) =>
        opts.onProgress?.({ phase: 'downloading', elapsedMs: elapsed(), seconds: target.seconds, bytes, totalBytes }),
      );
    }
  } catch (e) {
    if (e instanceof FetchError) throw e;
    if (opts.signal?.aborted) throw fail('aborted', 'cancelled');
    if (timedOut) {
      const budget = opts.timeoutMs !== undefined
        ? formatSeconds(timeoutMs)
        : target.seconds !== undefined
          ? `${formatSeconds(timeoutMs)} (seconds=${target.seconds} plus a ${formatSeconds(marginMs)} margin)`
          : formatSeconds(timeoutMs);
      throw fail('timeout', `no complete answer within ${budget}`);
    }
    throw describeNetworkError(e, url, fail);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onCallerAbort);
  }
}

/** Runs a policy hook; `false` or a throw becomes the refusal built by `refuse`. */
function vet(hook: () => boolean | void, refuse: (why: string) => FetchError): void {
  let verdict: boolean | void;
  try {
    verdict = hook();
  } catch (e) {
    throw refuse(e instanceof Error ? stripPrefix(e.message) : String(e));
  }
  if (verdict === false) throw refuse('not allowed by the capture policy');
}

/** A hook may throw a FetchError already worded "cannot fetch X: why"; keep only the why. */
function stripPrefix(message: string): string {
  return message.replace(/^cannot fetch \S+: /, '');
}

async function resolveHost(url: URL, resolver: AddressResolver | undefined, signal: AbortSignal, fail: (kind: FetchErrorKind, reason: string) => FetchError): Promise<string[]> {
  const host = bareHostname(url);
  if (isIP(host)) return [host];
  const lookup = resolver ?? systemResolve;
  let addresses: string[];
  try {
    // getaddrinfo cannot be cancelled: race it against the deadline instead.
    addresses = await raceAbort(lookup(host), signal);
  } catch (e) {
    if (signal.aborted) throw e;
    const code = (e as NodeJS.ErrnoException)?.code;
    const why = code === 'EAI_AGAIN' ? 'a temporary DNS failure' : code === 'ENOTFOUND' || code === 'ENODATA' ? 'no such host' : code ?? (e instanceof Error ? e.message : String(e));
    throw fail('dns', `cannot resolve ${JSON.stringify(host)}: ${why}`);
  }
  if (addresses.length === 0) throw fail('dns', `cannot resolve ${JSON.stringify(host)}: no addresses`);
  return addresses;
}

async function systemResolve(hostname: string): Promise<string[]> {
  const entries = await dnsLookup(hostname, { all: true, verbatim: true });
  return entries.map((e) => e.address);
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

/** URL.hostname keeps IPv6 brackets; sockets and resolvers want them off. */
function bareHostname(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * The socket may only go to the addresses the policy saw: Node asks this instead of DNS (all of
 * them when it races address families, one otherwise).
 */
function pinnedLookup(addresses: readonly string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: isIP(address) }));
  return ((_hostname: string, options: { family?: number | string; all?: boolean }, callback: (...args: unknown[]) => void) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
    const fitting = family === 4 || family === 6 ? entries.filter((e) => e.family === family) : entries;
    if (fitting.length === 0) {
      callback(Object.assign(new Error(`no IPv${family} address among ${addresses.join(', ')}`), { code: 'ENOTFOUND' }));
    } else if (options.all) {
      callback(null, fitting);
    } else {
      callback(null, fitting[0]!.address, fitting[0]!.family);
    }
  }) as unknown as LookupFunction;
}

/** One GET, resolved with the answer's head; reports 'collecting' until the head arrives. */
function send(url: URL, addresses: readonly string[], first: URL, signal: AbortSignal, onProgress: (p: Pick<FetchProgress, 'phase'>) => void): Promise<http.IncomingMessage> {
  // Basic auth from the URL (as Go's client does), carried over redirects only within one origin.
  const credentials = url.username !== '' ? url : first.origin === url.origin && first.username !== '' ? first : undefined;
  const auth = credentials ? `${decodeURIComponent(credentials.username)}:${decodeURIComponent(credentials.password)}` : undefined;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    onProgress({ phase: 'collecting' });
    const ticker = setInterval(() => onProgress({ phase: 'collecting' }), PROGRESS_TICK_MS);
    ticker.unref();
    const req = client.request(
      {
        protocol: url.protocol,
        hostname: bareHostname(url),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { 'user-agent': 'hotpath', accept: '*/*' },
        auth,
        // A fresh agent: no pooled socket from another lookup, and the pinned lookup applies.
        agent: false,
        lookup: pinnedLookup(addresses),
        signal,
      },
      (res) => {
        clearInterval(ticker);
        resolve(res);
      },
    );
    req.on('error', (e) => {
      clearInterval(ticker);
      reject(e);
    });
    req.end();
  });
}

function statusLine(res: http.IncomingMessage): string {
  const code = res.statusCode ?? 0;
  return `${code} ${res.statusMessage || http.STATUS_CODES[code] || ''}`.trim();
}

/** The start of an error answer's body, on one printable line (it ends up on a terminal). */
function readExcerpt(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      clearTimeout(timer);
      res.destroy();
      const text = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
      resolve(oneLine(text));
    };
    const timer = setTimeout(finish, EXCERPT_WAIT_MS);
    res.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size >= EXCERPT_BYTES) finish();
    });
    res.on('end', finish);
    res.on('error', finish);
  });
}

function oneLine(text: string): string {
  // Terminal escape sequences go, other control characters become spaces, runs of space collapse.
  const flat = text.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS - 1)}…` : flat;
}

function readBody(res: http.IncomingMessage, maxBytes: number, fail: (kind: FetchErrorKind, reason: string) => FetchError, onBytes: (n: number) => void): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const settle = (e: unknown, value?: Uint8Array) => {
      if (settled) return;
      settled = true;
      if (e === undefined) resolve(value!);
      else reject(e);
    };
    res.on('data', (c: Buffer) => {
      total += c.length;
      if (total > maxBytes) {
        res.destroy();
        settle(fail('too-large', `the answer is larger than the ${formatLimit(maxBytes)} limit; download stopped`));
        return;
      }
      chunks.push(c);
      onBytes(total);
    });
    res.on('end', () => {
      const body = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) {
        body.set(c, at);
        at += c.length;
      }
      settle(undefined, body);
    });
    res.on('error', (e) => settle(e));
    // A cut-short body ends in 'close' without 'end' (and sometimes without 'error').
    res.on('close', () => {
      if (!res.complete) settle(Object.assign(new Error('aborted'), { code: 'ECONNRESET', bytes: total }));
    });
  });
}

function describeNetworkError(e: unknown, url: URL, fail: (kind: FetchErrorKind, reason: string) => FetchError): FetchError {
  const err = e as NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] };
  // With several addresses Node races them and reports an AggregateError of each attempt.
  const codes = [err?.code, ...(err?.errors ?? []).map((x) => x.code)].filter((c): c is string => typeof c === 'string');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (codes.length > 0 && codes.every((c) => c === 'ECONNREFUSED')) {
    return fail('refused', `connection refused by ${url.hostname}:${port} (is the service listening there?)`);
  }
  if (codes.includes('ECONNRESET') || codes.includes('EPIPE')) {
    return fail('connection', 'the connection closed before the answer was complete');
  }
  for (const code of ['EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL']) {
    if (codes.includes(code)) return fail('connection', `cannot connect to ${url.hostname}:${port} (${code})`);
  }
  const message = err instanceof Error ? err.message : String(e);
  if (codes.some((c) => c.startsWith('ERR_TLS') || /CERT|SSL|SIGNATURE/.test(c))) {
    return fail('connection', `TLS: ${oneLine(message)}`);
  }
  return fail('connection', oneLine(message || (codes[0] ?? 'network error')));
}

/** A configured limit: in MiB when it is a whole number of them (the defaults are), else like formatBytes. */
function formatLimit(n: number): string {
  return n >= MiB && n % MiB === 0 ? `${n / MiB} MiB` : formatBytes(n);
}

/** Decimal units, as progress lines show sizes: 950 B, 1.2 kB, 34 MB. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
