/**
 * `GET /p/{id}/{artifact}?<options>`: one report of a stored profile, rendered once per (id, options,
 * artifact), kept in the store and served from there with the store's strong ETag. The id is a
 * content address and the options are in the URL, so a URL always means the same bytes:
 * `Cache-Control: immutable`.
 */
import type { Request, Response } from 'express';
import { Counter } from 'prom-client';
import { parseOptions, type ReportOptions } from '../../options.js';
import { CONTENT_TYPES } from '../../reports.js';
import { etagOf, isProfileId, type Store, type StoredArtifact, type StoredProfile } from '../../store/index.js';
import type { Upload } from '../body.js';
import type { ServerConfig } from '../config.js';
import type { LinksDeps } from '../deps.js';
import { HttpProblem, problemFromError } from '../problem.js';
import { headerSafe, inWorker, jobInput, parseRenderQuery, reportJob, SVG_CSP } from '../render.js';
import { ArtifactMemo, flightsOf } from './cache.js';
import { ARTIFACTS, type ArtifactName, type ArtifactSpec } from './schemas.js';

/** graph.png's `scale`: 1 to 4, at most two decimals. (The card has one size: OpenGraph's.) */
const SCALE = /^[1-4](?:\.\d{1,2})?$/;

/** Artifacts never change for a URL: the id pins the bytes, the query the options. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface ArtifactRequest {
  options: ReportOptions;
  /** the artifact key's options: canonical (sorted, defaults dropped), base and scale included */
  canonical: string;
  /** ?base=/?diff_base=: compare against this stored profile instead of the stored base */
  base?: { id: string; diff: boolean };
  /** graph.png */
  scale: number;
}

const DEFAULT_OPTIONS: Readonly<Record<string, unknown>> = parseOptions({});

/**
 * The query of an artifact link → options, as /v1/render validates them (parseRenderQuery, with
 * the artifact's report as format), plus base/diff_base and (graph.png) scale.
 */
export function parseArtifactQuery(query: Record<string, unknown>, name: ArtifactName, config: Pick<ServerConfig, 'maxSvgNodes'>): ArtifactRequest {
  const spec: ArtifactSpec = ARTIFACTS[name];
  const rest: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const extra: [string, string][] = [];
  let base: ArtifactRequest['base'];
  let scale = 1;
  for (const [key, value] of Object.entries(query)) {
    if (key === 'format') {
      throw new HttpProblem('bad-options', `the report comes from the link's name (${name}); drop "format"`, { option: 'format' });
    }
    if (key !== 'base' && key !== 'diff_base' && key !== 'scale') {
      rest[key] = value;
      continue;
    }
    if (typeof value !== 'string') throw new HttpProblem('bad-options', `option "${key}" is given more than once`, { option: key });
    if (key === 'scale') {
      if (spec.png !== 'dot') throw new HttpProblem('bad-options', 'scale applies to graph.png only', { option: 'scale' });
      if (!SCALE.test(value) || Number(value) > 4) {
        throw new HttpProblem('bad-options', `scale: expected a number from 1 to 4, got ${JSON.stringify(value.slice(0, 20))}`, { option: 'scale' });
      }
      scale = Number(value);
      if (scale !== 1) extra.push(['scale', String(scale)]);
      continue;
    }
    if (base !== undefined) throw new HttpProblem('bad-options', 'give one of base and diff_base, not both', { option: key });
    if (!isProfileId(value)) throw new HttpProblem('bad-options', `${key}: expected the id of a stored profile`, { option: key });
    base = { id: value, diff: key === 'diff_base' };
    extra.push([key, value]);
  }
  const { options } = parseRenderQuery({ ...rest, format: spec.report }, config.maxSvgNodes);
  return { options, canonical: canonicalOptions(options, extra), scale, ...(base !== undefined && { base }) };
}

/**
 * One string per distinct set of options: defaults dropped, names sorted, URL-encoded. So
 * `?nodecount=10&focus=x`, `?focus=x&nodecount=10&trim=true` and `?nodecount=10.0&focus=x` share
 * an artifact.
 */
export function canonicalOptions(options: ReportOptions, extra: [string, string][] = []): string {
  const pairs: [string, string][] = [...extra];
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined || DEFAULT_OPTIONS[k] === v) continue;
    pairs.push([k, String(v)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new URLSearchParams(pairs).toString();
}

export interface ArtifactMetrics {
  /** outcome: memory, hit (from the store), rendered, joined (waited for a render already running) */
  served: Counter<'artifact' | 'outcome'>;
}

export function artifactMetrics({ metrics }: LinksDeps): ArtifactMetrics {
  return {
    served: new Counter({
      name: 'hotpath_artifacts_total',
      help: 'Artifacts of stored profiles answered, by artifact and outcome (memory; hit: from the store; rendered; joined: shared a render in flight)',
      labelNames: ['artifact', 'outcome'] as const,
      registers: [metrics.registry],
    }),
  };
}

export async function serveArtifact(
  deps: LinksDeps, memo: ArtifactMemo, counters: ArtifactMetrics, req: Request, res: Response, id: string, name: ArtifactName,
): Promise<void> {
  if (!isProfileId(id)) throw notFound(id);
  const request = parseArtifactQuery(req.query as Record<string, unknown>, name, deps.config);
  const store = deps.store.get();
  const key = { profileId: id, options: request.canonical, format: name, ...(request.base !== undefined && { baseId: request.base.id }) };
  const memoKey = `${id}\0${name}\0${request.canonical}`;
  let artifact = memo.get(memoKey, deps.store.now());
  let outcome = 'memory';
  if (artifact === undefined) {
    artifact = await store.getArtifact(key);
    outcome = 'hit';
  }
  if (artifact === undefined) {
    const flight = flightsOf(deps).run(memoKey, async () => {
      const rendered = await renderArtifact(deps, store, id, name, request);
      try {
        await store.putArtifact(key, rendered.body, rendered.contentType);
      } catch (err) {
        // Served anyway; the next request renders again.
        deps.logger.error({ id: res.locals['requestId'] as string, msg: 'cannot store the artifact', error: (err as Error).message });
      }
      return rendered;
    });
    artifact = await flight.result;
    outcome = flight.joined ? 'joined' : 'rendered';
  }
  if (outcome !== 'memory') memo.put(memoKey, artifact);
  counters.served.inc({ artifact: name, outcome });
  sendArtifact(req, res, artifact, outcome === 'memory' || outcome === 'hit' ? 'hit' : 'miss');
}

async function renderArtifact(deps: LinksDeps, store: Store, id: string, name: ArtifactName, request: ArtifactRequest): Promise<StoredArtifact> {
  const spec: ArtifactSpec = ARTIFACTS[name];
  const format = spec.png ? 'png' : spec.report;
  // Rendering reads the profile (in a worker) like an upload does; serving a stored artifact does not.
  const release = deps.admission.enter();
  try {
    const profile = await store.getProfile(id);
    if (profile === undefined) throw notFound(id);
    const { upload, expiresAt } = await uploadOf(store, profile, request.base, { sources: spec.report === 'list' });
    const { input, transfer } = jobInput(upload, deps.config, { keep: false, symbolize: request.options.symbolize, title: profile.title });
    // graph.png: the graph's layout at the asked scale; card.png: the card's SVG, at its one size.
    const png = spec.png === undefined ? undefined : { scale: spec.png === 'dot' ? request.scale : 1 };
    const job = reportJob(spec.report, request.options, input, deps.config, png, spec.png ? 'graph.dot' : 'format=dot');
    const result = await inWorker(deps, job, transfer);
    const bytes = Buffer.from(result.body.buffer, result.body.byteOffset, result.body.byteLength);
    const contentType = withNotes(spec.png ? 'image/png' : CONTENT_TYPES[spec.report], result.warnings, result.breaches);
    deps.metrics.renders.inc({ format, outcome: 'ok' });
    return { body: bytes, contentType, etag: etagOf(bytes), ...(expiresAt !== undefined && { profileExpiresAt: expiresAt }) };
  } catch (err) {
    deps.metrics.renders.inc({ format, outcome: problemFromError(err).problem.type.split(':').pop()! });
    throw err;
  } finally {
    release();
  }
}

/**
 * What a job reads for a stored profile: its bytes, the base's (stored, or asked for), and with
 * `sources` (the list report: no other reads them, so no other pays for unpacking them) its sources
 * archive when it has one; and when the first of them expires, which is when anything made from
 * them must be gone.
 */
export async function uploadOf(
  store: Store, profile: StoredProfile, asked?: { id: string; diff: boolean }, { sources = false }: { sources?: boolean } = {},
): Promise<{ upload: Upload; expiresAt?: Date }> {
  const upload: Upload = { profile: profile.bytes };
  if (sources && profile.sourcesId !== undefined) {
    const archive = await store.getSources(profile.id);
    if (archive === undefined) throw notFound(profile.id); // it expired since getProfile
    upload.sources = archive;
  }
  const ref = asked ?? (profile.baseId !== undefined ? { id: profile.baseId, diff: profile.baseDiff === true } : undefined);
  if (ref === undefined) return { upload, ...(profile.expiresAt !== undefined && { expiresAt: profile.expiresAt }) };
  const base = await store.getProfile(ref.id);
  if (base === undefined) {
    throw new HttpProblem('not-found', `the base profile ${ref.id} is not stored here (or has expired)`);
  }
  if (ref.diff) upload.diff_base = base.bytes;
  else upload.base = base.bytes;
  const times = [profile.expiresAt, base.expiresAt].filter((t): t is Date => t !== undefined).map((t) => t.getTime());
  return { upload, ...(times.length > 0 && { expiresAt: new Date(Math.min(...times)) }) };
}

/**
 * pprof's notes (warnings) and budget breaches come back as headers, on every answer, rendered or
 * from the store. The store keeps a body and a content type per artifact; the notes ride along as
 * a parameter of the stored content type, so the body stays exactly the bytes served (and the
 * store's ETag their hash), and reading an artifact stays one lookup.
 */
const NOTES_PARAM = '; x-hotpath-notes=';

function withNotes(contentType: string, warnings: string[], breaches: string[]): string {
  if (warnings.length === 0 && breaches.length === 0) return contentType;
  return contentType + NOTES_PARAM + encodeURIComponent(JSON.stringify({ w: warnings.map(headerSafe), b: breaches.map(headerSafe) }));
}

function splitNotes(stored: string): { contentType: string; warnings: string[]; breaches: string[] } {
  const at = stored.indexOf(NOTES_PARAM);
  if (at < 0) return { contentType: stored, warnings: [], breaches: [] };
  try {
    const notes = JSON.parse(decodeURIComponent(stored.slice(at + NOTES_PARAM.length))) as { w?: string[]; b?: string[] };
    return { contentType: stored.slice(0, at), warnings: notes.w ?? [], breaches: notes.b ?? [] };
  } catch {
    return { contentType: stored.slice(0, at), warnings: [], breaches: [] };
  }
}

export function sendArtifact(req: Request, res: Response, artifact: StoredArtifact, cache: 'hit' | 'miss'): void {
  const { contentType, warnings, breaches } = splitNotes(artifact.contentType);
  res.setHeader('ETag', artifact.etag);
  res.setHeader('Cache-Control', IMMUTABLE);
  res.setHeader('X-Hotpath-Cache', cache);
  for (const w of warnings) res.append('X-Hotpath-Warning', w);
  for (const b of breaches) res.append('X-Hotpath-Budget-Exceeded', b);
  if (notModified(req, artifact.etag)) {
    res.status(304).end();
    return;
  }
  res.status(200);
  res.setHeader('Content-Type', contentType);
  if (contentType.startsWith('image/svg+xml')) res.setHeader('Content-Security-Policy', SVG_CSP);
  res.setHeader('Content-Length', artifact.body.byteLength);
  res.end(artifact.body);
}

/** If-None-Match (RFC 9110 §13.1.2): `*`, or a list of tags one of which is ours (weak comparison). */
function notModified(req: Request, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

export function notFound(id: string): HttpProblem {
  return new HttpProblem('not-found', `no stored profile ${JSON.stringify(id.slice(0, 40))} (it may have expired)`);
}
