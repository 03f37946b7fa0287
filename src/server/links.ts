/**
 * Shareable links for incident tickets.
 *
 * - `POST /v1/profiles` stores an upload (and its base) under its content address and answers the
 *   links; the same bytes always give the same id.
 * - `GET /p/{id}/meta.json` describes a stored profile (for the viewer page and unfurls).
 * - `GET /p/{id}/{artifact}?<options>` renders one report of it, once per (id, options, artifact):
 *   the result is kept in the store and served from there with the store's strong ETag. The id is a
 *   content address and the options are in the URL, so a URL always means the same bytes:
 *   `Cache-Control: immutable`.
 * - `GET /p/{id}/profile.pb.gz` gives the uploaded bytes back, as they were sent.
 *
 * Reading needs only the link; writing needs a bearer token when HOTPATH_TOKENS is set. Nothing
 * lists profiles.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Counter } from 'prom-client';
import { z } from 'zod';
import { parseOptions, type ReportOptions } from '../options.js';
import { sampleIndexByName, topReport } from '../pipeline.js';
import { formatValue } from '../report/context.js';
import { formatGoTime } from '../report/goformat.js';
import { label } from '../report/units.js';
import { CONTENT_TYPES, produceReport, type ReportName } from '../reports.js';
import { etagOf, isProfileId, type Store, type StoredArtifact, type StoredProfile } from '../store/index.js';
import type { AppDeps } from './app.js';
import { readUpload, type BodyMeter, type Upload } from './body.js';
import type { ServerConfig } from './config.js';
import { HttpProblem, problemFromError } from './problem.js';
import { headerSafe, inRenderWorker, layout, loadInput, parseRenderQuery, SERVICE_TIME_ZONE } from './render.js';

export type LinksDeps = Pick<AppDeps, 'config' | 'pool' | 'metrics' | 'logger' | 'store' | 'admission'>;

// ---------------------------------------------------------------------------------------------
// What can be asked for

interface ArtifactSpec {
  /** the report, as /v1/render's `format` names it */
  report: ReportName;
  /** graph.png: the SVG report's DOT (hot path drawn), rasterised in the render pool */
  png?: true;
}

/** Every artifact of a stored profile, by file name. */
export const ARTIFACTS = {
  'graph.svg': { report: 'svg' },
  'graph.png': { report: 'svg', png: true },
  'graph.dot': { report: 'dot' },
  'top.txt': { report: 'top' },
  'top.json': { report: 'json' },
  'traces.txt': { report: 'traces' },
  'flame.svg': { report: 'flame' },
  'icicle.svg': { report: 'icicle' },
  'folded.txt': { report: 'folded' },
  'tags.txt': { report: 'tags' },
  'peek.txt': { report: 'peek' },
  'list.txt': { report: 'list' },
  'leaks.txt': { report: 'leaks' },
  'leaks.json': { report: 'leaks.json' },
} as const satisfies Record<string, ArtifactSpec>;

export type ArtifactName = keyof typeof ARTIFACTS;
export const ARTIFACT_NAMES = Object.keys(ARTIFACTS) as ArtifactName[];

/** The stored bytes, as uploaded. */
export const RAW_PROFILE = 'profile.pb.gz';
export const META = 'meta.json';

/** The links every answer carries, by name → path under /p/{id} ('' is the viewer page itself). */
const LINKS = {
  view: '',
  svg: 'graph.svg',
  png: 'graph.png',
  dot: 'graph.dot',
  top: 'top.txt',
  top_json: 'top.json',
  traces: 'traces.txt',
  flame: 'flame.svg',
} as const;

export type ProfileLinks = Record<keyof typeof LINKS, string>;

/** Upload TTLs: whole seconds, up to ten years. */
export const MAX_TTL_SECONDS = 10 * 365 * 86_400;
export const MAX_TITLE_LENGTH = 200;
/** graph.png's `scale`: 1 to 4, at most two decimals. */
const SCALE = /^[1-4](?:\.\d{1,2})?$/;

/** Artifacts never change for a URL: the id pins the bytes, the query the options. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Same as /v1/render: an SVG opened directly runs its own pan/zoom script, in an opaque origin. */
const SVG_CSP = "sandbox allow-scripts; default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

// ---------------------------------------------------------------------------------------------
// Schemas: validation here, and the OpenAPI document (openapi.ts) generated from the same ones

export const titleSchema = z.string().min(1).max(MAX_TITLE_LENGTH)
  // Shown in pages, unfurls and logs of other tools: no control characters.
  .refine((s) => !/[\u0000-\u001f\u007f]/u.test(s), 'must not contain control characters')
  .describe('shown on the viewer page and in unfurls');
export const ttlSchema = z.number().int().min(1).max(MAX_TTL_SECONDS)
  .describe('seconds the profile is kept; absent: kept until removed (retention never evicts a profile before its TTL)');

const linkUrl = z.string().describe('absolute URL');
export const linksSchema = z.object(
  Object.fromEntries(Object.keys(LINKS).map((k) => [k, linkUrl])) as Record<keyof typeof LINKS, typeof linkUrl>,
).describe('view: the viewer page; the others: artifacts with default options (add pprof options to their query)');

export const storedProfileAnswerSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{22}$/).describe('content address: 132 bits of sha256 of the bytes (and the base), base64url'),
  title: z.string().optional(),
  expiresAt: z.string().optional().describe('ISO 8601, UTC; absent: kept until removed'),
  links: linksSchema,
});
export type StoredProfileAnswer = z.infer<typeof storedProfileAnswerSchema>;

const valueTypeSchema = z.object({ type: z.string(), unit: z.string() });
export const profileMetaSchema = z.object({
  id: z.string(),
  title: z.string().nullable(),
  createdAt: z.string().describe('ISO 8601, UTC'),
  expiresAt: z.string().nullable(),
  kind: z.enum(['proto', 'goroutine-dump', 'folded']),
  sampleTypes: z.array(valueTypeSchema),
  defaultSampleIndex: z.string().nullable().describe('the sample type reports use without sample_index'),
  periodType: valueTypeSchema.nullable(),
  time: z.string().nullable().describe("pprof's Time: header, in UTC"),
  duration: z.string().nullable().describe("pprof's Duration: text, e.g. 30s"),
  total: z.string().nullable().describe('the default sample type\'s total, formatted as -top prints it'),
  topFunction: z.string().nullable().describe('the heaviest function by flat value, default options'),
  base: z.object({ id: z.string(), diff: z.boolean() }).nullable().describe('the stored base this profile is compared against'),
  links: linksSchema,
});
export type ProfileMetaAnswer = z.infer<typeof profileMetaSchema>;

// ---------------------------------------------------------------------------------------------
// Routes

export function registerLinkRoutes(app: express.Express, deps: LinksDeps): void {
  const artifacts = artifactMetrics(deps);
  const memo = new ArtifactMemo(deps.config.artifactMemoryBytes);

  app.post('/v1/profiles', route('/v1/profiles'), noStore, requireWriteToken(deps.config), deps.admission.middleware(), async (req, res) => {
    const query = uploadQuery(req.query as Record<string, unknown>);
    const upload = await readUpload(req, deps.config, res.locals['bodyMeter'] as BodyMeter, { fields: ['title', 'ttl'] });
    const meta = uploadMeta(query, upload.fields ?? {});
    if (upload.sources !== undefined) {
      throw new HttpProblem('bad-request', 'a "sources" archive is not stored with a profile; send it with format=list to /v1/render');
    }
    if (upload.base !== undefined && upload.diff_base !== undefined) {
      throw new HttpProblem('bad-request', 'send one of the "base" and "diff_base" fields, not both');
    }
    const baseBytes = upload.base ?? upload.diff_base;
    const stored = await storeProfile(deps, {
      bytes: upload.profile,
      ...(baseBytes !== undefined && { base: { bytes: baseBytes, diff: upload.diff_base !== undefined } }),
      ...meta,
    });
    sendStored(req, res, deps.config, stored);
  });
  app.all('/v1/profiles', route('/v1/profiles'), () => {
    throw new HttpProblem('method-not-allowed', 'POST a profile to /v1/profiles', {}, { Allow: 'POST' });
  });

  app.get('/p/:id/:artifact', async (req: Request, res: Response, next: NextFunction) => {
    const { id, artifact } = req.params as { id: string; artifact: string };
    if (artifact === META) {
      res.locals['route'] = `/p/:id/${META}`;
      await serveMeta(deps, req, res, id);
      return;
    }
    if (artifact === RAW_PROFILE) {
      res.locals['route'] = `/p/:id/${RAW_PROFILE}`;
      await serveRaw(deps, req, res, id);
      return;
    }
    if (!Object.hasOwn(ARTIFACTS, artifact)) {
      next(); // the 404 for unknown routes
      return;
    }
    const name = artifact as ArtifactName;
    res.locals['route'] = `/p/:id/${name}`;
    await serveArtifact(deps, memo, artifacts, req, res, id, name);
  });
}

const route = (name: string): RequestHandler => (_req, res, next) => {
  res.locals['route'] = name;
  next();
};

const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

// ---------------------------------------------------------------------------------------------
// Write access

/**
 * With HOTPATH_TOKENS set, the request must carry `Authorization: Bearer <one of them>`. Checked
 * before any of the body is read. The comparison takes the same time whichever token matches, or
 * how much of one does: fixed-length digests, each compared in constant time, every one of them.
 */
export function requireWriteToken(config: Pick<ServerConfig, 'writeTokens'>): RequestHandler {
  const digests = config.writeTokens.map(sha256);
  return (req, _res, next) => {
    if (digests.length === 0) {
      next();
      return;
    }
    const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(req.headers.authorization ?? '');
    if (!m) {
      throw new HttpProblem('unauthorized', 'storing profiles on this server needs a token: send "Authorization: Bearer <token>"', {}, {
        'WWW-Authenticate': 'Bearer realm="hotpath"',
      });
    }
    const presented = sha256(m[1]!);
    let valid = false;
    for (const d of digests) valid = timingSafeEqual(d, presented) || valid;
    if (!valid) {
      throw new HttpProblem('unauthorized', 'the bearer token is not one this server accepts', {}, {
        'WWW-Authenticate': 'Bearer realm="hotpath", error="invalid_token"',
      });
    }
    next();
  };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

// ---------------------------------------------------------------------------------------------
// Storing

export interface ProfileToStore {
  bytes: Buffer;
  base?: { bytes: Buffer; diff: boolean };
  title?: string;
  ttlSeconds?: number;
}

export interface StoredResult {
  profile: StoredProfile;
  created: boolean;
}

/**
 * Checks that the bytes load (with the base: that the two can be compared), as /v1/render would,
 * then stores the base as a profile of its own and the profile referring to it. The base is
 * stored first, so a profile in the store always has its base; and kept a minute longer, so it
 * never expires while the profile is still readable.
 */
export async function storeProfile(deps: LinksDeps, p: ProfileToStore): Promise<StoredResult> {
  const store = deps.store.get();
  const upload: Upload = {
    profile: p.bytes,
    ...(p.base !== undefined && (p.base.diff ? { diff_base: p.base.bytes } : { base: p.base.bytes })),
  };
  loadInput('top', upload, deps.config);
  let baseId: string | undefined;
  if (p.base !== undefined) {
    const ttl = p.ttlSeconds === undefined ? undefined : p.ttlSeconds + 60;
    baseId = (await store.putProfile(p.base.bytes, { ...(ttl !== undefined && { ttlSeconds: ttl }) })).id;
  }
  const { id, created } = await store.putProfile(p.bytes, {
    ...(p.title !== undefined && { title: p.title }),
    ...(p.ttlSeconds !== undefined && { ttlSeconds: p.ttlSeconds }),
    ...(baseId !== undefined && { baseId, baseDiff: p.base!.diff }),
  });
  deps.store.afterWrite();
  const profile = await store.getProfile(id);
  // Only a TTL shorter than this request could get here; none is.
  if (profile === undefined) throw new Error(`profile ${id} vanished right after it was stored`);
  return { profile, created };
}

/** 201 (or 200 when it was already stored) with the id and the links. */
export function sendStored(req: Request, res: Response, config: ServerConfig, { profile, created }: StoredResult): void {
  const links = profileLinks(originOf(req, config), profile.id);
  const answer: StoredProfileAnswer = {
    id: profile.id,
    ...(profile.title !== undefined && { title: profile.title }),
    ...(profile.expiresAt !== undefined && { expiresAt: profile.expiresAt.toISOString() }),
    links,
  };
  res.status(created ? 201 : 200);
  res.setHeader('Location', links.view);
  res.setHeader('Cache-Control', 'no-store');
  res.json(answer);
}

/** title and ttl from the query string (POST /v1/profiles takes nothing else there). */
function uploadQuery(query: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(query)) {
    const shown = JSON.stringify(name.slice(0, 100));
    if (name !== 'title' && name !== 'ttl') {
      throw new HttpProblem('bad-request', `unknown query parameter ${shown}: POST /v1/profiles takes title and ttl (options go on the links)`);
    }
    if (typeof value !== 'string') throw new HttpProblem('bad-request', `${shown} is given more than once`);
    out[name] = value;
  }
  return out;
}

/** title and ttl, from the query or the multipart fields (not both). */
export function uploadMeta(query: Record<string, string>, fields: Record<string, string>): { title?: string; ttlSeconds?: number } {
  const pick = (name: string): string | undefined => {
    const q = query[name];
    const f = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (q !== undefined && f !== undefined) throw new HttpProblem('bad-request', `"${name}" is both in the query and in the form; send it once`);
    return q ?? f;
  };
  const title = pick('title');
  const ttl = pick('ttl');
  const out: { title?: string; ttlSeconds?: number } = {};
  if (title !== undefined) out.title = checked(titleSchema, title, 'title');
  if (ttl !== undefined) {
    if (!/^\d{1,10}$/.test(ttl)) throw new HttpProblem('bad-request', `ttl: expected whole seconds, got ${JSON.stringify(ttl.slice(0, 30))}`);
    out.ttlSeconds = checked(ttlSchema, Number(ttl), 'ttl');
  }
  return out;
}

export function checked<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = [name, ...issue.path.map(String)].filter((s) => s !== '').join('.');
    throw new HttpProblem('bad-request', `${where}: ${issue.message}`);
  }
  return r.data;
}

// ---------------------------------------------------------------------------------------------
// Links

/**
 * Where links point: HOTPATH_PUBLIC_URL, else the Host this request came to (what the client
 * itself used to reach us). A Host that is not a plain host[:port] is refused, not echoed into
 * URLs other people will open.
 */
export function originOf(req: Request, config: Pick<ServerConfig, 'publicUrl'>): string {
  if (config.publicUrl !== undefined) return config.publicUrl;
  const host = req.headers.host ?? '';
  if (!/^(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host)) {
    throw new HttpProblem('bad-request', 'the Host header is missing or not a host[:port]; the server needs it to make links (or set HOTPATH_PUBLIC_URL)');
  }
  return `http://${host.toLowerCase()}`;
}

export function profileLinks(origin: string, id: string): ProfileLinks {
  const out = {} as ProfileLinks;
  for (const [name, file] of Object.entries(LINKS) as [keyof typeof LINKS, string][]) {
    out[name] = `${origin}/p/${id}${file === '' ? '' : `/${file}`}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Artifacts

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
      if (!spec.png) throw new HttpProblem('bad-options', 'scale applies to graph.png only', { option: 'scale' });
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

interface ArtifactMetrics {
  /** outcome: memory, hit (from the store), rendered, joined (waited for a render already running) */
  served: Counter<'artifact' | 'outcome'>;
}

function artifactMetrics({ metrics }: LinksDeps): ArtifactMetrics {
  return {
    served: new Counter({
      name: 'hotpath_artifacts_total',
      help: 'Artifacts of stored profiles answered, by artifact and outcome (memory; hit: from the store; rendered; joined: shared a render in flight)',
      labelNames: ['artifact', 'outcome'] as const,
      registers: [metrics.registry],
    }),
  };
}

async function serveArtifact(
  deps: LinksDeps, memo: ArtifactMemo, counters: ArtifactMetrics, req: Request, res: Response, id: string, name: ArtifactName,
): Promise<void> {
  if (!isProfileId(id)) throw notFound(id);
  const request = parseArtifactQuery(req.query as Record<string, unknown>, name, deps.config);
  const store = deps.store.get();
  const key = { profileId: id, options: request.canonical, format: name };
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
  // Rendering reads the profile on the event loop like an upload does; serving a stored artifact does not.
  const release = deps.admission.enter();
  try {
    const profile = await store.getProfile(id);
    if (profile === undefined) throw notFound(id);
    const upload = await uploadOf(store, profile, request.base);
    const input = loadInput(spec.report, upload, deps.config);
    const report = produceReport(input, spec.report, request.options, { timeZone: SERVICE_TIME_ZONE });
    let body: string | Uint8Array = report.text;
    if (spec.png) body = await rasterise(report.text, request.scale, deps);
    else if (report.needsLayout) body = await layout(report.text, deps);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const contentType = withNotes(spec.png ? 'image/png' : CONTENT_TYPES[spec.report], report.warnings, report.breaches);
    deps.metrics.renders.inc({ format, outcome: 'ok' });
    return { body: bytes, contentType, etag: etagOf(bytes), ...(profile.expiresAt !== undefined && { profileExpiresAt: profile.expiresAt }) };
  } catch (err) {
    deps.metrics.renders.inc({ format, outcome: problemFromError(err).problem.type.split(':').pop()! });
    throw err;
  } finally {
    release();
  }
}

/** What loadInput reads for a stored profile: its bytes, and the base's (stored, or asked for). */
async function uploadOf(store: Store, profile: StoredProfile, asked?: { id: string; diff: boolean }): Promise<Upload> {
  const ref = asked ?? (profile.baseId !== undefined ? { id: profile.baseId, diff: profile.baseDiff === true } : undefined);
  if (ref === undefined) return { profile: profile.bytes };
  const base = await store.getProfile(ref.id);
  if (base === undefined) {
    throw new HttpProblem('not-found', `the base profile ${ref.id} is not stored here (or has expired)`);
  }
  return ref.diff ? { profile: profile.bytes, diff_base: base.bytes } : { profile: profile.bytes, base: base.bytes };
}

/** Graphviz's own SVG of the DOT, as a PNG, in a render worker: same node cap and errors as SVG. */
function rasterise(dot: string, scale: number, deps: LinksDeps): Promise<Uint8Array> {
  return inRenderWorker(dot, deps, 'graph.dot', (pool) => pool.renderPng({ dot }, { scale, deadlineMs: deps.config.renderDeadlineMs }));
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

function sendArtifact(req: Request, res: Response, artifact: StoredArtifact, cache: 'hit' | 'miss'): void {
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

function notFound(id: string): HttpProblem {
  return new HttpProblem('not-found', `no stored profile ${JSON.stringify(id.slice(0, 40))} (it may have expired)`);
}

// ---------------------------------------------------------------------------------------------
// The raw bytes and the description

async function serveRaw(deps: LinksDeps, req: Request, res: Response, id: string): Promise<void> {
  if (!isProfileId(id)) throw notFound(id);
  const profile = await deps.store.get().getProfile(id);
  if (profile === undefined) throw notFound(id);
  sendArtifact(req, res, { body: profile.bytes, contentType: 'application/octet-stream', etag: etagOf(profile.bytes) }, 'hit');
}

type ProfileFacts = Omit<ProfileMetaAnswer, 'id' | 'title' | 'createdAt' | 'expiresAt' | 'base' | 'links'>;

/**
 * The description of a stored profile (GET /p/{id}/meta.json; the viewer page may call it directly).
 * What comes from its bytes (types, totals, the heaviest function) is computed once and kept as an
 * artifact; what can change (expiry) or depends on the request (links) is added each time.
 */
export async function describeProfile(deps: LinksDeps, id: string, origin: string): Promise<ProfileMetaAnswer | undefined> {
  if (!isProfileId(id)) return undefined;
  const store = deps.store.get();
  const profile = await store.getProfile(id);
  if (profile === undefined) return undefined;
  const key = { profileId: id, options: '', format: META };
  let facts = await store.getArtifact(key);
  if (facts === undefined) {
    facts = await flightsOf(deps).run(`${id}\0${META}`, async () => {
      const body = Buffer.from(JSON.stringify(profileFacts(deps.config, await uploadOf(store, profile))), 'utf8');
      await store.putArtifact(key, body, 'application/json').catch((err: Error) => {
        deps.logger.error({ msg: 'cannot store the profile facts', error: err.message });
      });
      return { body, contentType: 'application/json', etag: etagOf(body) };
    }).result;
  }
  return {
    id,
    title: profile.title ?? null,
    createdAt: profile.createdAt.toISOString(),
    expiresAt: profile.expiresAt?.toISOString() ?? null,
    ...(JSON.parse(facts.body.toString('utf8')) as ProfileFacts),
    base: profile.baseId !== undefined ? { id: profile.baseId, diff: profile.baseDiff === true } : null,
    links: profileLinks(origin, id),
  };
}

/**
 * describeProfile for the viewer page: links under HOTPATH_PUBLIC_URL when set, else relative to
 * the server's root (/p/{id}/…).
 */
export function metaLoader(deps: LinksDeps): (id: string) => Promise<ProfileMetaAnswer | undefined> {
  return (id) => describeProfile(deps, id, deps.config.publicUrl ?? '');
}

async function serveMeta(deps: LinksDeps, req: Request, res: Response, id: string): Promise<void> {
  const meta = await describeProfile(deps, id, originOf(req, deps.config));
  if (meta === undefined) throw notFound(id);
  // The expiry can move (a re-upload extends it): revalidate rather than cache for long.
  res.setHeader('Cache-Control', 'no-cache');
  res.json(meta);
}

/** What -top with default options shows of the profile (with its stored base applied). */
function profileFacts(config: ServerConfig, upload: Upload): ProfileFacts {
  const { profile: p, kind } = loadInput('top', upload, config);
  const nonEmpty = p.sampleTypes.length > 0;
  let total: string | null = null;
  let topFunction: string | null = null;
  if (nonEmpty) {
    const top = topReport(p, parseOptions({}), { timeZone: SERVICE_TIME_ZONE });
    total = formatValue(top.report.selected.ctx, top.report.selected.ctx.total);
    topFunction = top.rows[0]?.name ?? null;
  }
  return {
    kind,
    sampleTypes: p.sampleTypes.map(({ type, unit }) => ({ type, unit })),
    defaultSampleIndex: nonEmpty ? p.sampleTypes[sampleIndexByName(p, undefined)]!.type : null,
    periodType: p.periodType.type !== '' || p.periodType.unit !== '' ? { type: p.periodType.type, unit: p.periodType.unit } : null,
    time: p.timeNanos !== 0 ? formatGoTime(p.timeNanos, SERVICE_TIME_ZONE) : null,
    duration: p.durationNanos !== 0 ? label(p.durationNanos, 'nanoseconds') : null,
    total,
    topFunction,
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * Concurrent requests for the same uncached artifact render it once: the first starts the work,
 * the others wait for its result (or its error). In-process only; replicas may each render once.
 */
export class SingleFlight<T> {
  readonly #running = new Map<string, Promise<T>>();

  run(key: string, work: () => Promise<T>): { result: Promise<T>; joined: boolean } {
    const running = this.#running.get(key);
    if (running !== undefined) return { result: running, joined: true };
    const result = work().finally(() => this.#running.delete(key));
    this.#running.set(key, result);
    return { result, joined: false };
  }
}

/**
 * The hottest artifacts in memory, in front of the store: a cached link then costs no database
 * read (on PostgreSQL a round trip, and the decoding of the body from hex). An entry holds until
 * its profile expires — until then its key (a content address and options) always means the same
 * bytes — and past the byte cap the least recently used go first.
 */
export class ArtifactMemo {
  /** in use order: least recently used first */
  readonly #entries = new Map<string, { artifact: StoredArtifact; until: number }>();
  #bytes = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string, now: number): StoredArtifact | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (now >= entry.until) {
      this.#bytes -= entry.artifact.body.byteLength;
      return undefined;
    }
    this.#entries.set(key, entry);
    return entry.artifact;
  }

  put(key: string, artifact: StoredArtifact): void {
    const size = artifact.body.byteLength;
    // One large graph must not push out everything else.
    if (size > this.maxBytes / 8) return;
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#entries.delete(key);
      this.#bytes -= old.artifact.body.byteLength;
    }
    this.#entries.set(key, { artifact, until: artifact.profileExpiresAt?.getTime() ?? Infinity });
    this.#bytes += size;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= e.artifact.body.byteLength;
    }
  }

  get bytes(): number {
    return this.#bytes;
  }
}

/** One map of renders in flight per server (its store handle), whoever asks. */
const flightsByStore = new WeakMap<object, SingleFlight<StoredArtifact>>();

function flightsOf(deps: LinksDeps): SingleFlight<StoredArtifact> {
  let flights = flightsByStore.get(deps.store);
  if (flights === undefined) flightsByStore.set(deps.store, (flights = new SingleFlight<StoredArtifact>()));
  return flights;
}
