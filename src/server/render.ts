/**
 * POST /v1/render: query → options, body → Profile, Profile → report, and for SVG the DOT → a
 * render worker. The same calls as the CLI (parseOptions, loadProfile, produceReport), so the
 * bytes are the CLI's for the same options; only the time zone of the header is fixed to UTC.
 *
 * Decoding and graph building run on the event loop (tens of milliseconds for common profiles);
 * only Graphviz layout, which can take seconds or never end, goes to the worker pool.
 */
import type { Request, Response } from 'express';
import { OPTION_NAMES, parseOptions, type ReportOptions } from '../options.js';
import { readProfile } from '../profile/load.js';
import { CONTENT_TYPES, loadReportInput, produceReport, REPORT_FORMATS, type ReportInput, type ReportName } from '../reports.js';
import { readSourcesArchive } from '../report/sources-archive.js';
import { ProfileError, RenderError, TooLargeError } from '../errors.js';
import type { RenderPool } from '../render/pool.js';
import { readUpload, type BodyMeter, type Upload } from './body.js';
import type { ServerConfig } from './config.js';
import type { ServerMetrics } from './metrics.js';
import { HttpProblem, problemFromError } from './problem.js';

/** Sandboxed when opened directly: the SVG's own pan/zoom script runs, but in an opaque origin. */
export const SVG_CSP = "sandbox allow-scripts; default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

/** pprof prints local time; a service's local zone means nothing to its clients, so: UTC, always. */
export const SERVICE_TIME_ZONE = 'UTC';

export interface RenderDeps {
  config: ServerConfig;
  pool: RenderPool;
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

/** Nodes in pprof-style DOT: one `N<id> [` line each (labels escape newlines, so none is split). */
export function countDotNodes(dot: string): number {
  const m = dot.match(/^N\d+ \[/gm);
  return m ? m.length : 0;
}

export function renderHandler({ config, pool, metrics }: RenderDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const meter: BodyMeter = res.locals['bodyMeter'] as BodyMeter;
    let format = 'unknown';
    try {
      const request = parseRenderQuery(req.query as Record<string, unknown>, config.maxSvgNodes);
      format = request.format;
      const upload = await readUpload(req, config, meter);
      const input = loadInput(request.format, upload, config, request.options.symbolize);
      const report = produceReport(input, request.format, request.options, { timeZone: SERVICE_TIME_ZONE });
      let body = report.text;
      if (report.needsLayout) body = await layout(report.text, { config, pool, metrics });
      res.status(200);
      res.setHeader('Content-Type', CONTENT_TYPES[request.format]);
      for (const w of report.warnings) res.append('X-Hotpath-Warning', headerSafe(w));
      for (const b of report.breaches) res.append('X-Hotpath-Budget-Exceeded', headerSafe(b));
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(body);
      metrics.renders.inc({ format, outcome: 'ok' });
    } catch (err) {
      const kind = problemFromError(err).problem.type.split(':').pop()!;
      metrics.renders.inc({ format, outcome: kind });
      throw err;
    }
  };
}

/**
 * The upload → what the report reads, as the CLI does it (loadReportInput), plus the sources archive
 * for list. When a base is given and loading fails, the detail says which of the two files is at fault.
 */
export function loadInput(format: ReportName, upload: Upload, config: ServerConfig, symbolize?: string): ReportInput {
  if (upload.base !== undefined && upload.diff_base !== undefined) {
    throw new HttpProblem('bad-request', 'send one of the "base" and "diff_base" fields, not both');
  }
  const limits = { maxInflatedBytes: config.maxInflatedBytes };
  const baseBytes = upload.base ?? upload.diff_base;
  const base = baseBytes === undefined ? undefined : { bytes: baseBytes, diff: upload.diff_base !== undefined };
  let input: ReportInput;
  try {
    input = loadReportInput(format, upload.profile, base, { ...limits, symbolize });
  } catch (err) {
    if (base !== undefined && (err instanceof ProfileError || err instanceof TooLargeError) && profileLoads(upload.profile, limits)) {
      err.message = `${upload.base !== undefined ? 'base' : 'diff_base'}: ${err.message}`;
    }
    throw err;
  }
  if (upload.sources !== undefined) {
    if (format !== 'list') throw new HttpProblem('bad-request', 'a "sources" archive goes with format=list only');
    input.sources = readSourcesArchive(upload.sources);
  }
  return input;
}

function profileLoads(bytes: Uint8Array, limits: { maxInflatedBytes: number }): boolean {
  try {
    readProfile(bytes, limits);
    return true;
  } catch {
    return false;
  }
}

export function layout(dot: string, deps: RenderDeps): Promise<string> {
  return inRenderWorker(dot, deps, 'format=dot', (pool) => pool.render(dot, { deadlineMs: deps.config.renderDeadlineMs }));
}

/**
 * A layout job in the render pool (SVG, or PNG for links), under the server's node cap, timed in the
 * render metrics. `unlaid` names what to ask for instead when the graph is over the cap.
 */
export async function inRenderWorker<T>(dot: string, { config, pool, metrics }: RenderDeps, unlaid: string, job: (pool: RenderPool) => Promise<T>): Promise<T> {
  const nodes = countDotNodes(dot);
  if (nodes > config.maxSvgNodes) {
    throw new HttpProblem(
      'graph-too-large',
      `the graph has ${nodes} nodes, over this server's SVG limit of ${config.maxSvgNodes}; set nodecount (trim=false lifts it) or ask for ${unlaid}`,
      { option: 'nodecount' },
    );
  }
  const started = performance.now();
  let outcome = 'ok';
  try {
    return await job(pool);
  } catch (err) {
    outcome = problemFromError(err).problem.type.split(':').pop()!;
    // A pool that has no workers left (closed, or they cannot start) is the server's state, not the graph's fault.
    if (err instanceof RenderError && pool.stats().size === 0) {
      throw new HttpProblem('unavailable', 'the render workers are not running (the server is shutting down or failed to start them)');
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
