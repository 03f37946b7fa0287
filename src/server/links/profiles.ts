/**
 * Stored profiles: storing an upload (and its base) under its content address, the links that
 * answer it, the raw bytes back (`GET /p/{id}/profile.pb.gz`) and the description
 * (`GET /p/{id}/meta.json`) the viewer page and unfurls use.
 */
import type { Request, Response } from 'express';
import { etagOf, isProfileId, type StoredProfile } from '../../store/index.js';
import type { Upload } from '../body.js';
import type { ServerConfig } from '../config.js';
import type { LinksDeps } from '../deps.js';
import { HttpProblem } from '../problem.js';
import { inWorker, jobInput, SERVICE_TIME_ZONE } from '../render.js';
import { notFound, sendArtifact, uploadOf } from './artifacts.js';
import { flightsOf } from './cache.js';
import { checked, LINKS, META, titleSchema, ttlSchema, type ProfileLinks, type ProfileMetaAnswer, type StoredProfileAnswer } from './schemas.js';

export interface ProfileToStore {
  bytes: Buffer;
  base?: { bytes: Buffer; diff: boolean };
  /** a sources archive for list.txt, stored with the profile (and part of its id) */
  sources?: Buffer;
  title?: string;
  ttlSeconds?: number;
}

export interface StoredResult {
  profile: StoredProfile;
  created: boolean;
  /** why the expiry is not the one asked for (sent as X-Hotpath-Warning) */
  note?: string;
}

/**
 * Checks that the bytes load (with the base: that the two can be compared; with sources: that the
 * archive unpacks within its caps), as /v1/render would, in a worker, then stores the base as a
 * profile of its own and the profile referring to it. The base is stored first, so a profile in the
 * store always has its base; a new base is kept a minute longer than the profile, and a profile
 * never outlives a base stored before it (the store caps its expiry), so neither expires while the
 * other is still readable. A sources archive is written with the profile, in the same put: it lives
 * exactly as long as the profile and is read only through it.
 */
export async function storeProfile(deps: LinksDeps, p: ProfileToStore, gone?: AbortSignal): Promise<StoredResult> {
  const store = deps.store.get();
  const upload: Upload = {
    profile: p.bytes,
    ...(p.base !== undefined && (p.base.diff ? { diff_base: p.base.bytes } : { base: p.base.bytes })),
    ...(p.sources !== undefined && { sources: p.sources }),
  };
  // The bytes are stored afterwards: the worker gets copies.
  const { input, transfer } = jobInput(upload, deps.config, { keep: true });
  await inWorker(deps, { kind: 'check', input }, transfer, gone); // a client gone takes its waiting check off the queue
  let baseId: string | undefined;
  if (p.base !== undefined) {
    const ttl = p.ttlSeconds === undefined ? undefined : p.ttlSeconds + 60;
    baseId = (await store.putProfile(p.base.bytes, { ...(ttl !== undefined && { ttlSeconds: ttl }) })).id;
  }
  const { id, created } = await store.putProfile(p.bytes, {
    ...(p.title !== undefined && { title: p.title }),
    ...(p.ttlSeconds !== undefined && { ttlSeconds: p.ttlSeconds }),
    ...(baseId !== undefined && { baseId, baseDiff: p.base!.diff }),
    ...(p.sources !== undefined && { sources: p.sources }),
  });
  deps.store.afterWrite();
  const profile = await store.getProfile(id);
  // Only a TTL shorter than this request could get here; none is.
  if (profile === undefined) throw new Error(`profile ${id} vanished right after it was stored`);
  return { profile, created, ...keptNote(profile, p.ttlSeconds, created) };
}

/**
 * Why the answer's expiry is not the one asked for, if it is not: the profile was already stored
 * (its expiry never moves while it lives: anyone with the bytes could otherwise make it
 * permanent), or its base expires sooner. Said in a header rather than silently.
 */
function keptNote(profile: StoredProfile, ttlSeconds: number | undefined, created: boolean): { note?: string } {
  const asked = ttlSeconds === undefined ? undefined : ttlSeconds * 1000;
  const got = profile.expiresAt === undefined ? undefined : profile.expiresAt.getTime() - profile.createdAt.getTime();
  if (asked === got) return {}; // the ttl asked for, counted from when it was first stored
  const kept = profile.expiresAt === undefined ? 'kept until removed' : `expires at ${profile.expiresAt.toISOString()}`;
  return {
    note: created
      ? `the profile ${kept}: its base expires sooner than the ttl asked for`
      : `the profile was already stored and ${kept}; its expiry does not change while it lives`,
  };
}

/** 201 (or 200 when it was already stored) with the id and the links. */
export function sendStored(req: Request, res: Response, config: ServerConfig, { profile, created, note }: StoredResult): void {
  const links = profileLinks(originOf(req, config), profile.id);
  const answer: StoredProfileAnswer = {
    id: profile.id,
    ...(profile.title !== undefined && { title: profile.title }),
    ...(profile.expiresAt !== undefined && { expiresAt: profile.expiresAt.toISOString() }),
    links,
  };
  res.status(created ? 201 : 200);
  if (note !== undefined) res.setHeader('X-Hotpath-Warning', note);
  res.setHeader('Location', links.view);
  res.setHeader('Cache-Control', 'no-store');
  res.json(answer);
}

/** title and ttl from the query string (POST /v1/profiles takes nothing else there). */
export function uploadQuery(query: Record<string, unknown>): Record<string, string> {
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

export async function serveRaw(deps: LinksDeps, req: Request, res: Response, id: string): Promise<void> {
  if (!isProfileId(id)) throw notFound(id);
  const profile = await deps.store.get().getProfile(id);
  if (profile === undefined) throw notFound(id);
  sendArtifact(req, res, { body: profile.bytes, contentType: 'application/octet-stream', etag: etagOf(profile.bytes) }, 'hit');
}

type ProfileFacts = Omit<ProfileMetaAnswer, 'id' | 'title' | 'createdAt' | 'expiresAt' | 'base' | 'hasSources' | 'links'>;

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
      const body = await profileFacts(deps, (await uploadOf(store, profile)).upload);
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
    hasSources: profile.sourcesId !== undefined,
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

export async function serveMeta(deps: LinksDeps, req: Request, res: Response, id: string): Promise<void> {
  const meta = await describeProfile(deps, id, originOf(req, deps.config));
  if (meta === undefined) throw notFound(id);
  // Revalidated rather than cached for long: the profile may expire (or be stored anew after it has).
  res.setHeader('Cache-Control', 'no-cache');
  res.json(meta);
}

/**
 * What -top with default options shows of the profile (with its stored base applied), as JSON, from
 * a worker; it reads the profile like a render, so it takes an admission place like one.
 */
async function profileFacts(deps: LinksDeps, upload: Upload): Promise<Buffer> {
  const release = deps.admission.enter();
  try {
    const { input, transfer } = jobInput(upload, deps.config, { keep: false });
    const { body } = await inWorker(deps, { kind: 'facts', input, timeZone: SERVICE_TIME_ZONE }, transfer);
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  } finally {
    release();
  }
}
