/**
 * POST /v1/render: query → options, body → Profile, Profile → report, and for SVG the DOT → a
 * render worker. The same calls as the CLI (parseOptions, loadProfile, produceReport), so the
 * bytes are the CLI's for the same options; only the time zone of the header is fixed to UTC.
 *
 * Decoding and graph building run on the event loop (tens of milliseconds for common profiles);
 * only Graphviz layout, which can take seconds or never end, goes to the worker pool.
 */
import type { Request, Response } from 'express';
import { parseOptions, type ReportOptions } from '../options.js';
import { loadProfile } from '../profile/load.js';
import { CONTENT_TYPES, produceReport, REPORT_FORMATS, type ReportName } from '../reports.js';
import { RenderError } from '../errors.js';
import type { RenderPool } from '../render/pool.js';
import { readUpload, type BodyMeter } from './body.js';
import type { ServerConfig } from './config.js';
import type { ServerMetrics } from './metrics.js';
import { HttpProblem, problemFromError } from './problem.js';

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
  const raw: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string') {
      throw new HttpProblem('bad-options', `option "${name}" is given more than once`, { option: name });
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
      if (upload.base !== undefined) {
        throw new HttpProblem('bad-options', 'diffs against a "base" profile are not supported by this server yet', { option: 'base' });
      }
      const { profile } = loadProfile(upload.profile, { maxInflatedBytes: config.maxInflatedBytes });
      const report = produceReport(profile, request.format, request.options, { timeZone: SERVICE_TIME_ZONE });
      let body = report.text;
      if (report.needsLayout) body = await layout(report.text, { config, pool, metrics });
      res.status(200);
      res.setHeader('Content-Type', CONTENT_TYPES[request.format]);
      for (const w of report.warnings) res.append('X-Hotpath-Warning', headerSafe(w));
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

async function layout(dot: string, { config, pool, metrics }: RenderDeps): Promise<string> {
  const nodes = countDotNodes(dot);
  if (nodes > config.maxSvgNodes) {
    throw new HttpProblem(
      'graph-too-large',
      `the graph has ${nodes} nodes, over this server's SVG limit of ${config.maxSvgNodes}; set nodecount (trim=false lifts it) or ask for format=dot`,
      { option: 'nodecount' },
    );
  }
  const started = performance.now();
  let outcome = 'ok';
  try {
    return await pool.render(dot, { deadlineMs: config.renderDeadlineMs });
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
function headerSafe(s: string): string {
  return s.slice(0, 500).replace(/[^\x20-\x7e]|%/gu, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return '%EF%BF%BD'; // a lone surrogate: U+FFFD
    }
  });
}
