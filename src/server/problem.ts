/**
 * RFC 7807 problem details: every error the service answers is one of the kinds below, each with
 * a stable `type` (a URN: it names the kind, it is not a page to fetch), a fixed `title`, the
 * status, and a `detail` written for the person who sent the request.
 *
 * The mapping from the pipeline's typed errors is here, in one place, so that docs/http-api.md,
 * the OpenAPI document and the responses cannot drift apart.
 */
import type { ServerResponse } from 'node:http';
import {
  BusyError,
  OptionsError,
  ProfileError,
  RenderError,
  RenderTimeoutError,
  RenderWorkerLostError,
  SourceArchiveError,
  TooLargeError,
  FetchError,
  GraphTooLargeError,
  StoreUnavailableError,
  StorageFullError,
} from '../errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Every kind of problem the service answers with. */
export const PROBLEM_KINDS = {
  'empty-profile': { status: 400, title: 'Empty profile' },
  'malformed-profile': { status: 400, title: 'Malformed profile' },
  'bad-request': { status: 400, title: 'Bad request' },
  unauthorized: { status: 401, title: 'A bearer token is needed' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'too-large': { status: 413, title: 'Profile too large' },
  'unsupported-profile': { status: 415, title: 'Not a profile hotpath reads' },
  'unsupported-sources': { status: 415, title: 'Not a sources archive hotpath reads' },
  'bad-options': { status: 422, title: 'Options do not apply' },
  'bad-sources': { status: 422, title: 'Sources archive refused' },
  'value-overflow': { status: 422, title: 'Values too large to sum exactly' },
  'graph-too-large': { status: 422, title: 'Graph too large to lay out' },
  'render-failed': { status: 422, title: 'Graph could not be laid out' },
  internal: { status: 500, title: 'Internal error' },
  busy: { status: 503, title: 'Server busy' },
  unavailable: { status: 503, title: 'Service unavailable' },
  'render-timeout': { status: 504, title: 'Render deadline passed' },
  forbidden: { status: 403, title: 'Not allowed' },
  'fetch-failed': { status: 502, title: 'The profile could not be fetched' },
  'fetch-timeout': { status: 504, title: 'The profile source did not answer in time' },
  'storage-full': { status: 507, title: 'No room to store the profile' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** ProfileError: the profile.proto field at fault, e.g. "sample.location_id" */
  field?: string;
  /** ProfileError: the offending id or index */
  index?: number;
  /** OptionsError: the query parameter at fault */
  option?: string;
  /** TooLargeError: the cap (bytes, or the count the budget counts) */
  limit?: number;
  /** TooLargeError past a budget: its name (max_samples; the server's variable is HOTPATH_MAX_SAMPLES) */
  limitName?: string;
  /** SourceArchiveError: the archive entry at fault */
  entry?: string;
}

export function problemType(kind: ProblemKind): string {
  return `urn:hotpath:problem:${kind}`;
}

/** An error the request handlers throw to answer with a given problem (and headers). */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly extra: Partial<Pick<Problem, 'field' | 'index' | 'option' | 'limit' | 'limitName' | 'entry'>> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export function makeProblem(kind: ProblemKind, detail: string, extra: HttpProblem['extra'] = {}): Problem {
  const { status, title } = PROBLEM_KINDS[kind];
  const problem: Problem = { type: problemType(kind), title, status, detail };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) (problem as unknown as Record<string, unknown>)[k] = v;
  return problem;
}

export interface MappedError {
  problem: Problem;
  headers: Record<string, string>;
  /** true when the error was not one the service expects: worth a log line, never shown in detail */
  unexpected: boolean;
}

/**
 * The answer for any error a request can raise. Bad input always lands on a 4xx: only errors of no
 * known kind become 500, with a generic detail (the real one goes to the log, not to the client).
 */
export function problemFromError(err: unknown): MappedError {
  const mapped = (kind: ProblemKind, detail: string, extra: HttpProblem['extra'] = {}, headers: Record<string, string> = {}): MappedError => ({
    problem: makeProblem(kind, detail, extra),
    headers,
    unexpected: false,
  });
  if (err instanceof HttpProblem) return mapped(err.kind, err.detail, err.extra, err.headers);
  if (err instanceof ProfileError) {
    const extra = { field: err.field, index: err.index };
    switch (err.code) {
      case 'empty':
        return mapped('empty-profile', err.message, extra);
      case 'truncated':
      case 'malformed':
        return mapped('malformed-profile', err.message, extra);
      case 'unrecognized':
        return mapped('unsupported-profile', err.message, extra);
      case 'overflow':
        return mapped('value-overflow', err.message, extra);
    }
  }
  if (err instanceof TooLargeError) {
    if (err.limitName === undefined) return mapped('too-large', err.message, { limit: err.limit });
    return mapped('too-large', `${err.message}; this server's limit: HOTPATH_${err.limitName.toUpperCase()}`, { limit: err.limit, limitName: err.limitName });
  }
  if (err instanceof GraphTooLargeError) return mapped('graph-too-large', err.message, { option: 'nodecount' });
  if (err instanceof SourceArchiveError) {
    const detail = `sources archive: ${err.message}`;
    const extra = { entry: err.entry };
    if (err.code === 'unsupported') return mapped('unsupported-sources', detail, extra);
    // An archive we read but will not unpack (../ paths, links, past the size or file caps): 422.
    return mapped('bad-sources', detail, extra);
  }
  if (err instanceof OptionsError) return mapped('bad-options', err.message, { option: err.option || undefined });
  if (err instanceof BusyError) {
    return mapped('busy', `${err.message}; retry in ${err.retryAfterSeconds} s`, {}, { 'Retry-After': String(err.retryAfterSeconds) });
  }
  if (err instanceof RenderTimeoutError) {
    return mapped('render-timeout', `${err.message}; ask for fewer nodes (nodecount, nodefraction) or focus the graph`);
  }
  if (err instanceof RenderWorkerLostError) {
    // Not the profile's fault as far as anyone knows: the worker has been replaced, so try again.
    return mapped('unavailable', `the job worker doing this request's work stopped (${err.message}); it has been replaced: retry`, {}, { 'Retry-After': '1' });
  }
  if (err instanceof RenderError) return mapped('render-failed', `Graphviz: ${err.message}`);
  if (err instanceof FetchError) {
    switch (err.kind) {
      case 'forbidden':
        return mapped('forbidden', err.message);
      case 'bad-url':
        return mapped('bad-request', err.message);
      case 'timeout':
        return mapped('fetch-timeout', err.message);
      case 'too-large':
        return mapped('too-large', err.message);
      default:
        return mapped('fetch-failed', err.message);
    }
  }
  if (err instanceof StoreUnavailableError) {
    return mapped('unavailable', `the profile store is unavailable; retry in ${err.retryAfterSeconds} s`, {}, { 'Retry-After': String(err.retryAfterSeconds) });
  }
  if (err instanceof StorageFullError) return mapped('storage-full', 'the profile store is full; nothing was written', {}, { 'Retry-After': '60' });
  return { problem: makeProblem('internal', 'the server failed to answer this request; it has been logged'), headers: {}, unexpected: true };
}

export function sendProblem(res: ServerResponse, { problem, headers }: Pick<MappedError, 'problem' | 'headers'>): void {
  res.statusCode = problem.status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  const body = JSON.stringify(problem) + '\n';
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
