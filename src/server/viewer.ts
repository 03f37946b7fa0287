/**
 * GET /p/{id}: the viewer page of a shared profile, and the static files it loads (its scripts and
 * stylesheet).
 *
 * The HTML is filled in on the server (title, the header facts, OpenGraph and Twitter card tags for
 * unfurls), every value HTML-escaped: profile names are attacker-controlled and carry `<script>`.
 * Everything else the page shows it fetches from the /p/{id}/… artifact routes (src/server/links/)
 * and builds with createElement/textContent (templates/viewer.js).
 *
 * The scripts and the stylesheet are served from content-hashed paths (/assets/viewer.<hash>.js)
 * with a year-long immutable cache and Subresource Integrity, so the page's CSP can be strict:
 * script-src 'self', no inline code at all, and Trusted Types enforced — no innerHTML anywhere; the
 * single place markup is parsed (the call graph SVG, into an inert document that the page then
 * rebuilds from an allowlist) goes through one named policy. One of the scripts is re2js itself
 * (from node_modules, as the server runs it), so the page's search means what focus= means.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import express, { type Request, type Response, type Router } from 'express';
import { profileTypeName } from '../pipeline/context.js';
import { isProfileId } from '../store/index.js';
import { HttpProblem } from './problem.js';

/** The part of `GET /p/{id}/meta.json` the page's <head> and header need. */
export interface ViewerMeta {
  id: string;
  title?: string | null;
  createdAt?: string | null;
  expiresAt?: string | null;
  kind?: string | null;
  sampleTypes: { type: string; unit: string }[];
  /** the sample type reports use without sample_index: its name (or its index) */
  defaultSampleIndex?: string | number | null;
  periodType?: { type: string; unit: string } | null;
  time?: string | number | null;
  duration?: string | number | null;
  total?: string | number | null;
  topFunction?: string | null;
  base?: { id: string; diff: boolean } | null;
  /** the upload carried a sources archive: the Source tab shows code */
  hasSources?: boolean;
}

/** Looks a stored profile up; undefined when there is none (never uploaded, or expired). */
export type MetaLoader = (id: string) => Promise<ViewerMeta | undefined>;

interface Asset {
  /** URL path, with the content hash in the file name */
  path: string;
  body: Buffer;
  contentType: string;
  /** Subresource Integrity value */
  integrity: string;
}

export interface Viewer {
  template: string;
  /** in the order the page runs them: each puts its part on window.hotpath for the next */
  scripts: Asset[];
  css: Asset;
}

export const TEMPLATES_DIR = new URL('../../../templates/', import.meta.url);

/**
 * The page's policy. `trusted-types hotpath-svg` names the one policy viewer-graph.js creates (for
 * DOMParser on the graph SVG); `require-trusted-types-for 'script'` makes every other HTML sink
 * (innerHTML, outerHTML, insertAdjacentHTML, document.write) throw instead of parsing.
 */
export const VIEWER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  'trusted-types hotpath-svg',
].join('; ');

/** Report options the page keeps in its URL and hands on to the artifacts (the rest is page state). */
export const VIEWER_OPTION_NAMES = ['sample_index', 'nodecount', 'focus', 'ignore', 'hide', 'show', 'show_from', 'granularity', 'minwidth', 'base', 'diff_base'] as const;

function asset(name: string, contentType: string, body: Buffer): Asset {
  const digest = createHash('sha256').update(body).digest();
  const [stem, ext] = name.split('.') as [string, string];
  return {
    path: `/assets/${stem}.${digest.toString('hex').slice(0, 16)}.${ext}`,
    body,
    contentType,
    integrity: `sha256-${digest.toString('base64')}`,
  };
}

/** The page's scripts, in order: RE2 first (the search), then helpers, then the views, then the page. */
const SCRIPTS = ['viewer-format.js', 'viewer-graph.js', 'viewer-flame.js', 'viewer.js'];
const JS = 'text/javascript; charset=utf-8';

/** re2js's browser build (a UMD bundle that sets window.RE2JS), beside the module Node resolves. */
function re2jsBundle(): Buffer {
  const main = createRequire(import.meta.url).resolve('re2js');
  return readFileSync(new URL('index.umd.js', pathToFileURL(main)));
}

export function loadViewer(dir: URL = TEMPLATES_DIR): Viewer {
  return {
    template: readFileSync(new URL('viewer.html', dir), 'utf8'),
    scripts: [asset('re2js.js', JS, re2jsBundle()), ...SCRIPTS.map((name) => asset(name, JS, readFileSync(new URL(name, dir))))],
    css: asset('viewer.css', 'text/css; charset=utf-8', readFileSync(new URL('viewer.css', dir))),
  };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text → HTML text or attribute value (quoted with " or '). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

function shown(v: string | number | null | undefined): string | undefined {
  if (v === null || v === undefined) return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

/** "cpu", "inuse_space", …: the sample type reports use without sample_index (pprof's default). */
export function defaultSampleType(meta: ViewerMeta): string | undefined {
  const d = meta.defaultSampleIndex;
  if (typeof d === 'string' && d !== '') return d;
  if (typeof d === 'number') return meta.sampleTypes[d]?.type;
  return meta.sampleTypes.at(-1)?.type;
}

/** What people call the profile: pprof's period type, in the words of /debug/pprof where they differ. */
export function profileTypeOf(meta: ViewerMeta): string {
  if (meta.kind === 'goroutine-dump') return 'goroutine';
  return profileTypeName(shown(meta.periodType?.type), defaultSampleType(meta) ?? 'profile');
}

/** "2026-11-26T07:02:14.712Z" → "2026-11-26 07:02 UTC"; anything else as it is. */
function shortDate(iso: string | null | undefined): string | undefined {
  const s = shown(iso);
  if (s === undefined) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(s);
  return m ? `${m[1]} ${m[2]} UTC` : s;
}

/** The artifact query of a page URL: its report options only, in a stable order. */
export function artifactQuery(query: URLSearchParams): string {
  const out = new URLSearchParams();
  for (const name of VIEWER_OPTION_NAMES) {
    const v = query.get(name);
    if (v !== null && v !== '') out.set(name, v);
  }
  const s = out.toString();
  return s === '' ? '' : `?${s}`;
}

export interface PageContext {
  /** scheme://host the page was asked for, used for absolute OpenGraph URLs */
  origin: string;
  /** the page's own query string */
  query: URLSearchParams;
}

/** Fills templates/viewer.html. Every substituted value is escaped here, once, and nowhere else. */
export function renderViewerPage(viewer: Viewer, meta: ViewerMeta, ctx: PageContext): string {
  const id = meta.id;
  const type = profileTypeOf(meta);
  const sample = defaultSampleType(meta);
  const top = shown(meta.topFunction);
  const title = shown(meta.title);
  const opts = artifactQuery(ctx.query);
  const base = `${ctx.origin}/p/${encodeURIComponent(id)}`;
  const pageQuery = ctx.query.toString();

  // [key, label, value]: the total is the default sample type's, so the label says which.
  const facts: [string, string, string | undefined][] = [
    ['type', 'type', type],
    ['total', sample ? `${sample} total` : 'total', shown(meta.total)],
    ['duration', 'duration', shown(meta.duration)],
    ['time', 'time', shown(meta.time)],
    ['top', 'heaviest', top],
    ['expires', 'expires', shortDate(meta.expiresAt)],
  ];
  const factsHtml = facts
    .filter((f): f is [string, string, string] => f[2] !== undefined)
    .map(([key, name, v]) => `<div class="fact" data-fact="${key}"><dt>${escapeHtml(name)}</dt><dd>${escapeHtml(v)}</dd></div>`)
    .join('');

  const ogTitle = top ? `${type} profile: ${top}` : `${type} profile`;
  const description = [title, sample && shown(meta.total) ? `${sample} total ${shown(meta.total)}` : undefined, shown(meta.duration) && `over ${shown(meta.duration)}`, shown(meta.time)]
    .filter((s): s is string => !!s)
    .join(' · ');

  const values: Record<string, string> = {
    page_title: escapeHtml(`${title ?? ogTitle} · hotpath`),
    heading: escapeHtml(title ?? ogTitle),
    og_title: escapeHtml(title ? `${title} — ${ogTitle}` : ogTitle),
    og_description: escapeHtml(description || 'pprof call graph, flame graph, top and traces'),
    // The card (1200×630) reads as a 400 px thumbnail; the whole call graph as a PNG does not.
    og_image: escapeHtml(`${base}/card.png${opts}`),
    og_image_alt: escapeHtml(`${ogTitle}: the heaviest functions and the hot path`),
    og_url: escapeHtml(pageQuery === '' ? base : `${base}?${pageQuery}`),
    profile_id: escapeHtml(id),
    has_sources: meta.hasSources === true ? 'true' : 'false',
    facts: factsHtml,
    scripts: viewer.scripts
      .map((a) => `<script src="${escapeHtml(a.path)}" integrity="${escapeHtml(a.integrity)}" defer></script>`)
      .join('\n'),
    css_href: escapeHtml(viewer.css.path),
    css_integrity: escapeHtml(viewer.css.integrity),
  };
  // One pass: a value that happens to contain "{{x}}" is not expanded again.
  return viewer.template.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`templates/viewer.html: unknown placeholder {{${name}}}`);
    return v;
  });
}

export interface ViewerDeps {
  loadMeta: MetaLoader;
  /**
   * scheme://host[/prefix] for the absolute URLs unfurls need (og:image, og:url); the same origin
   * the links in API answers use (links/profiles.ts originOf: HOTPATH_PUBLIC_URL, else the Host).
   */
  origin: (req: Request) => string;
  viewer?: Viewer;
}

/** The routes: GET /p/:id and the hashed assets (every script and the stylesheet). Mount at the application's root. */
export function viewerRoutes(deps: ViewerDeps): Router {
  const viewer = deps.viewer ?? loadViewer();
  const router = express.Router({ strict: true });

  for (const a of [...viewer.scripts, viewer.css]) {
    router.get(a.path, (_req: Request, res: Response) => {
      res.locals['route'] = '/assets/viewer';
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      res.type(a.contentType).send(a.body);
    });
  }

  router.get('/p/:id', async (req: Request, res: Response) => {
    res.locals['route'] = '/p/{id}';
    const id = String(req.params['id']);
    const meta = isProfileId(id) ? await deps.loadMeta(id) : undefined;
    if (!meta) throw new HttpProblem('not-found', 'no profile under this link: it never existed or its time to live has passed');
    const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
    const html = renderViewerPage(viewer, meta, { origin: deps.origin(req), query });
    res.setHeader('Content-Security-Policy', VIEWER_CSP);
    // The page's own URL carries the options (focus=…); it is nobody else's business.
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(html);
  });

  return router;
}
