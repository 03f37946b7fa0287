/**
 * POST /v1/render: query → options, body → a job for the worker pool (src/jobs/), its bytes → the
 * answer. The worker makes the same calls as the CLI (loadReportInput, produceReport), so the
 * bytes are the CLI's for the same options; only the time zone of the header is fixed to UTC.
 *
 * The event loop only reads the body, checks the query and sends the answer: decoding, filtering,
 * the graph, the report and its layout all run in a worker with a heap ceiling and a deadline, so
 * a hostile profile costs its own request (413 past a budget or the ceiling, 504 past the
 * deadline) and nobody else's.
 */
import type { IncomingMessage } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import { OPTION_NAMES, parseOptions, type ReportOptions } from '../options.js';
import { CONTENT_TYPES, REPORT_FORMATS, type ReportName } from '../reports.js';
import { RenderError } from '../errors.js';
import { LIMIT_NAMES, type Limits } from '../limits.js';
import type { WorkerPool } from '../jobs/pool.js';
import type { Job, JobInput, JobResult } from '../jobs/protocol.js';
import { readUpload, type BodyMeter, type Upload } from './body.js';
import type { ServerConfig } from './config.js';
import type { Reply } from './exchange.js';
import type { ServerMetrics } from './metrics.js';
import { HttpProblem, problemFromError } from './problem.js';

/** Sandboxed when opened directly: the SVG's own pan/zoom script runs, but in an opaque origin. */
export const SVG_CSP = "sandbox allow-scripts; default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

/** pprof prints local time; a service's local zone means nothing to its clients, so: UTC, always. */
export const SERVICE_TIME_ZONE = 'UTC';

export interface RenderDeps {
  config: ServerConfig;
  pool: WorkerPool;
  metrics: ServerMetrics;
}

export interface RenderRequest {
  format: ReportName;
  options: ReportOptions;
}

/**
 * Validates the query string: `format` plus pprof's option names, each at most once. Throws
 * OptionsError/HttpProblem (422) before any of the body is read.
 */
export function parseRenderQuery(query: Record<string, unknown>, maxSvgNodes: number): RenderRequest {
  // No prototype: `__proto__=x` is then an ordinary (unknown) option name, refused like any other.
  const raw: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string') {
      const shown = name.slice(0, 100);
      throw new HttpProblem('bad-options', `option ${JSON.stringify(shown)} is given more than once`, { option: shown });
    }
    raw[name] = value;
  }
  const format = (raw['format'] ?? 'svg') as string;
  delete raw['format'];
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) {
    throw new HttpProblem('bad-options', `format must be one of ${REPORT_FORMATS.join(', ')}; got ${JSON.stringify(format.slice(0, 50))}`, {
      option: 'format',
    });
  }
  // Checked here against the Set (as the CLI's flag parser does) rather than left to parseOptions,
  // whose shorthand table is a plain object: names such as `constructor` would find its prototype.
  for (const name of Object.keys(raw)) {
    if (!OPTION_NAMES.has(name)) {
      throw new HttpProblem('bad-options', `unknown option ${JSON.stringify(name.slice(0, 100))}; see /openapi.json`, { option: name.slice(0, 100) });
    }
  }
  for (const name of SERVER_REFUSED_OPTIONS) {
    if (name in raw) {
      throw new HttpProblem(
        'bad-options',
        `${name} names directories on the server's disk, which the service never reads; upload the sources as a multipart "sources" archive (.tar.gz, .tar or .zip)`,
        { option: name },
      );
    }
  }
  const options = parseOptions(raw);
  if (format === 'svg' && options.nodecount !== undefined && options.nodecount > maxSvgNodes) {
    throw new HttpProblem(
      'graph-too-large',
      `nodecount=${options.nodecount} is over this server's SVG limit of ${maxSvgNodes} nodes; ask for format=dot to get the graph unlaid`,
      { option: 'nodecount' },
    );
  }
  return { format: format as ReportName, options };
}

/** CLI options that would make the service read its own file system. */
export const SERVER_REFUSED_OPTIONS: readonly string[] = ['source_path', 'trim_path'];

/**
 * The query of a request's URL as express's "simple" parser reads it (node:querystring: a repeated
 * key becomes an array), for the route express does not parse.
 */
export function queryOf(url: string | undefined): Record<string, unknown> {
  const at = url?.indexOf('?') ?? -1;
  return parseQueryString(at < 0 ? '' : url!.slice(at + 1));
}

/** POST /v1/render's handler, on node:http's request and response (app.ts: it does without express). */
export function renderHandler(deps: RenderDeps) {
  const { config, metrics } = deps;
  return async (req: IncomingMessage, res: Reply, gone?: AbortSignal): Promise<void> => {
    const meter: BodyMeter = res.locals['bodyMeter'] as BodyMeter;
    let format = 'unknown';
    try {
      const request = parseRenderQuery(queryOf(req.url), config.maxSvgNodes);
      format = request.format;
      const upload = await readUpload(req, config, meter);
      if (upload.sources !== undefined && request.format !== 'list') {
        throw new HttpProblem('bad-request', 'a "sources" archive goes with format=list only');
      }
      // The body is this request's alone: handed to the worker, not copied.
      const { input, transfer } = jobInput(upload, config, { keep: false, symbolize: request.options.symbolize });
      const result = await inWorker(deps, reportJob(request.format, request.options, input, config), transfer, gone);
      res.statusCode = 200;
      res.setHeader('Content-Type', CONTENT_TYPES[request.format]);
      for (const w of result.warnings) res.appendHeader('X-Hotpath-Warning', headerSafe(w));
      for (const b of result.breaches) res.appendHeader('X-Hotpath-Budget-Exceeded', headerSafe(b));
      res.setHeader('Content-Length', result.body.byteLength);
      res.end(result.body);
      metrics.renders.inc({ format, outcome: 'ok' });
    } catch (err) {
      const kind = problemFromError(err).problem.type.split(':').pop()!;
      metrics.renders.inc({ format, outcome: kind });
      throw err;
    }
  };
}

/** The budgets a job runs under: this server's (src/limits.ts, from the environment). */
export function limitsOf(config: ServerConfig): Limits {
  const out = {} as Limits;
  for (const name of LIMIT_NAMES) out[name] = config[name];
  return out;
}

/**
 * An upload as a job's input, and the buffers to hand to the worker. `keep`: the caller still needs
 * the bytes (to store them), so the worker gets copies; otherwise a buffer that is wholly the
 * upload's moves to the worker without a copy. `symbolize` is pprof's option as given (how to read
 * the bytes); `title`, a stored profile's, heads the card.
 */
export function jobInput(
  upload: Upload, config: ServerConfig, { keep, symbolize, title }: { keep: boolean; symbolize?: string | undefined; title?: string | undefined },
): { input: JobInput; transfer: ArrayBuffer[] } {
  if (upload.base !== undefined && upload.diff_base !== undefined) {
    throw new HttpProblem('bad-request', 'send one of the "base" and "diff_base" fields, not both');
  }
  const transfer: ArrayBuffer[] = [];
  const handOver = (bytes: Uint8Array): Uint8Array => {
    const own = !keep && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const out = own ? bytes : new Uint8Array(bytes);
    transfer.push(out.buffer as ArrayBuffer);
    return out;
  };
  const baseBytes = upload.base ?? upload.diff_base;
  const input: JobInput = {
    profile: handOver(upload.profile),
    ...(baseBytes !== undefined && { base: { bytes: handOver(baseBytes), diff: upload.diff_base !== undefined } }),
    ...(upload.sources !== undefined && { sources: handOver(upload.sources) }),
    limits: limitsOf(config),
    ...(symbolize !== undefined && { symbolize }),
    ...(title !== undefined && { title }),
  };
  return { input, transfer };
}

/**
 * One report as a job. SVG is laid out in the worker; with `png`, the report (the graph's layout, or
 * an SVG report such as the card) is rasterised there at that scale. `unlaid` names what to ask for
 * instead of a graph over the node cap.
 */
export function reportJob(
  report: ReportName, options: ReportOptions, input: JobInput, config: ServerConfig, png?: { scale: number }, unlaid = 'format=dot',
): Job {
  const render = png !== undefined ? { to: 'png' as const, scale: png.scale } : report === 'svg' ? { to: 'svg' as const } : undefined;
  return {
    kind: 'report', input, report, options, timeZone: SERVICE_TIME_ZONE, maxSvgNodes: config.maxSvgNodes, unlaid,
    ...(render !== undefined && { render }),
  };
}

/**
 * A job in the worker pool, under the server's deadline, timed in the render metrics. Its error is
 * the job's own (a typed error, mapped by problem.ts), or the pool's. `gone`: the client has left,
 * so a job still queued is dropped (pool.run's signal).
 */
export async function inWorker({ config, pool, metrics }: RenderDeps, job: Job, transfer: ArrayBuffer[] = [], gone?: AbortSignal): Promise<JobResult> {
  const started = performance.now();
  let outcome = 'ok';
  try {
    return await pool.run(job, { deadlineMs: config.renderDeadlineMs, transfer, ...(gone !== undefined && { signal: gone }) });
  } catch (err) {
    outcome = problemFromError(err).problem.type.split(':').pop()!;
    // A pool that has no workers left (closed, or they cannot start) is the server's state, not the profile's fault.
    if (err instanceof RenderError && pool.stats().size === 0) {
      throw new HttpProblem('unavailable', 'the job workers are not running (the server is shutting down or failed to start them)');
    }
    throw err;
  } finally {
    metrics.renderSeconds.observe({ outcome }, (performance.now() - started) / 1000);
  }
}

/** Header values must be Latin-1 without control characters: percent-encode anything else. */
export function headerSafe(s: string): string {
  return s.slice(0, 500).replace(/[^\x20-\x7e]|%/gu, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return '%EF%BF%BD'; // a lone surrogate: U+FFFD
    }
  });
}
