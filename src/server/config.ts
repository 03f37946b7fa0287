import os from 'node:os';
import { parseAllowList } from '../fetch/policy.js';
import { DEFAULT_WORKER_HEAP_MB } from '../jobs/pool.js';
import { LIMIT_NAMES, SERVER_LIMITS, limitEnvName, type LimitName, type Limits } from '../limits.js';

/**
 * Everything the service can be tuned with, and where each value comes from: environment variables
 * for `npm start` and the Dockerfile, plain overrides for tests and benchmarks.
 */
export interface ServerConfig extends Limits {
  /** TCP port; 0 picks a free one (tests). */
  port: number;
  /** Interface to bind; undefined binds every interface (what a container needs). */
  host?: string;
  /** Largest request body accepted, before any decompression. */
  maxBodyBytes: number;
  /** Per-job deadline (decoding, the report, layout), queue time included; past it the answer is 504. */
  renderDeadlineMs: number;
  /** Most nodes an SVG may have: Graphviz layout time grows steeply and very large graphs crash it. */
  maxSvgNodes: number;
  /** Job worker threads: every profile's work runs in one (src/jobs/). */
  renderWorkers: number;
  /** Heap ceiling of each worker, MiB; a job that needs more answers 413 and ends its worker only. */
  workerHeapMb: number;
  /** Jobs allowed to wait for a worker; one more answers 503. */
  renderQueue: number;
  /**
   * Requests reading a profile (renders, uploads, links being rendered) in progress at once; one
   * more answers 503 before its body is read (admission.ts). Bounds the event loop's backlog.
   */
  maxActiveRequests: number;
  /** On SIGTERM, how long in-flight requests may take before connections are cut. */
  shutdownGraceMs: number;
  /** Most bytes of stored artifacts (rendered links) kept in memory, hottest first; 0 keeps none. */
  artifactMemoryBytes: number;
  /** One JSON line per request on stdout. */
  log: boolean;
  /**
   * Bearer tokens that may store profiles (POST /v1/profiles, /v1/captures); empty: anyone may.
   * Reading a stored profile needs only its link.
   */
  writeTokens: string[];
  /** Origin the links in answers start with (e.g. https://hotpath.example.com); unset: the request's Host. */
  publicUrl?: string;
  /** HOTPATH_FETCH_ALLOW as given: the host:port entries POST /v1/captures may fetch from. */
  fetchAllow?: string;
}

const MiB = 1024 * 1024;

export const DEFAULT_CONFIG: ServerConfig = {
  ...SERVER_LIMITS,
  port: 8080,
  maxBodyBytes: 64 * MiB,
  renderDeadlineMs: 10_000,
  maxSvgNodes: 2000,
  renderWorkers: os.availableParallelism(),
  workerHeapMb: DEFAULT_WORKER_HEAP_MB,
  renderQueue: 64,
  maxActiveRequests: 16,
  shutdownGraceMs: 10_000,
  artifactMemoryBytes: 64 * MiB,
  log: true,
  writeTokens: [],
};

type NumericSetting = Exclude<keyof ServerConfig, 'log' | 'host' | 'writeTokens' | 'publicUrl' | 'fetchAllow'>;

/** The budgets' variables (HOTPATH_MAX_SAMPLES, …), from the one table in src/limits.ts. */
const LIMIT_ENV_NAMES = Object.fromEntries(LIMIT_NAMES.map((name) => [name, limitEnvName(name)])) as Record<LimitName, string>;

/** The numeric variables read by configFromEnv, for the docs and error messages. */
export const ENV_NAMES: Record<NumericSetting, string> = {
  ...LIMIT_ENV_NAMES,
  port: 'PORT',
  maxBodyBytes: 'HOTPATH_MAX_BODY_BYTES',
  renderDeadlineMs: 'HOTPATH_RENDER_DEADLINE_MS',
  maxSvgNodes: 'HOTPATH_MAX_SVG_NODES',
  renderWorkers: 'HOTPATH_RENDER_WORKERS',
  workerHeapMb: 'HOTPATH_WORKER_HEAP_MB',
  renderQueue: 'HOTPATH_RENDER_QUEUE',
  maxActiveRequests: 'HOTPATH_MAX_ACTIVE_REQUESTS',
  shutdownGraceMs: 'HOTPATH_SHUTDOWN_GRACE_MS',
  artifactMemoryBytes: 'HOTPATH_ARTIFACT_MEMORY_BYTES',
};

/** Minimum accepted value of each numeric setting (port 0 means "any free port"). */
const MINIMUM: Record<keyof typeof ENV_NAMES, number> = {
  ...(Object.fromEntries(LIMIT_NAMES.map((name) => [name, 1])) as Record<LimitName, number>),
  port: 0,
  maxBodyBytes: 1,
  renderDeadlineMs: 1,
  maxSvgNodes: 1,
  renderWorkers: 1,
  workerHeapMb: 16,
  renderQueue: 0,
  maxActiveRequests: 1,
  shutdownGraceMs: 0,
  artifactMemoryBytes: 0,
};

/**
 * Reads the configuration from environment variables, defaults for the unset ones. A value that is
 * not a whole number in range throws, naming the variable: a typo must not silently become a default.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const config: ServerConfig = { ...DEFAULT_CONFIG };
  for (const key of Object.keys(ENV_NAMES) as (keyof typeof ENV_NAMES)[]) {
    const name = ENV_NAMES[key];
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < MINIMUM[key] || (key === 'port' && n > 65535)) {
      throw new Error(`${name}=${JSON.stringify(raw)}: expected a whole number ≥ ${MINIMUM[key]}${key === 'port' ? ' and ≤ 65535' : ''}`);
    }
    config[key] = n;
  }
  if (env['HOST'] !== undefined && env['HOST'] !== '') config.host = env['HOST'];
  config.log = env['HOTPATH_LOG'] !== '0' && env['HOTPATH_LOG'] !== 'false';
  const tokens = env['HOTPATH_TOKENS'];
  if (tokens !== undefined && tokens.trim() !== '') config.writeTokens = parseWriteTokens(tokens);
  const publicUrl = env['HOTPATH_PUBLIC_URL']?.trim();
  if (publicUrl) config.publicUrl = parsePublicUrl(publicUrl);
  const allow = env['HOTPATH_FETCH_ALLOW'];
  if (allow !== undefined && allow.trim() !== '') {
    parseAllowList(allow); // throws, naming the variable and the entry, on a malformed one
    config.fetchAllow = allow;
  }
  return config;
}

/**
 * "t1,t2" → tokens. Set but naming none (",") is an error rather than "no tokens": that would
 * open writes to anyone because of a typo.
 */
export function parseWriteTokens(value: string): string[] {
  const tokens = value.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (tokens.length === 0) throw new Error('HOTPATH_TOKENS is set but names no token');
  for (const t of tokens) {
    // RFC 6750's b64token characters: what fits in an Authorization header unquoted.
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(t)) {
      throw new Error('HOTPATH_TOKENS: a token may hold only letters, digits and -._~+/ (then = padding)');
    }
  }
  return tokens;
}

/** An http(s) origin, optionally with a path prefix; no query, fragment or credentials. Trailing "/" dropped. */
export function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`HOTPATH_PUBLIC_URL=${JSON.stringify(value)}: not a URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new Error(`HOTPATH_PUBLIC_URL=${JSON.stringify(value)}: expected http(s)://host[:port][/prefix]`);
  }
  return url.href.replace(/\/+$/, '');
}
