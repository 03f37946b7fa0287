/**
 * The store behind shareable links: uploaded profiles under content addresses, and the artifacts
 * rendered from them (SVG, PNG, DOT, top, traces) under (profile id, options, format).
 *
 * Two implementations share this contract and one test suite (test/store/store.test.ts):
 * sqlite.ts, the embedded default (one file under ./data), and postgres.ts, for replicas that
 * share one database. index.ts picks one from the environment.
 *
 * Contract, for both:
 * - Profiles are immutable and content-addressed: the id is a function of the bytes, the base id
 *   and the sources archive only (see profileId), so the same upload twice gives the same id and
 *   one row.
 * - A write is atomic: after any crash, including `kill -9` of the process in the middle of many
 *   writes, a profile is either absent or complete, and one whose put resolved is present.
 * - Retention: a profile lives until its TTL (forever without one) and is never evicted before;
 *   rendered artifacts can be rebuilt, so they are evicted least-recently-used first when their
 *   total size passes the cap. An expired profile reads as absent at once, its artifacts with it,
 *   and so does every artifact made against it as a base (ArtifactKey.baseId); enforceLimits()
 *   deletes their rows. The expiry is set when a profile is stored and never moves while it lives:
 *   storing the same bytes again changes nothing (whoever holds a link can do that, so it must not
 *   make a profile permanent), and a profile never outlives its base.
 * - A sources archive is stored in the same write as the profile that carries it, under a content
 *   address of its own (profiles uploaded with the same tree share one row), and is read only through
 *   a profile (getSources): never addressable as a profile, absent the moment its profile is, and
 *   deleted by enforceLimits() once no profile refers to it.
 * - Times come from the injected clock (StoreOptions.now), never from the database server, so
 *   tests can move time and replicas agree as far as their clocks do.
 * - A database that cannot be reached or is busy throws StoreUnavailableError (→ 503 with
 *   Retry-After), a full disk or database StorageFullError (→ 507); anything else is a bug.
 */
import { createHash } from 'node:crypto';

export interface StoredProfile {
  id: string;
  bytes: Buffer;
  title?: string;
  /** the profile this one is compared against (pprof -base/-diff_base), by id */
  baseId?: string;
  /** with baseId: compared as pprof -diff_base (percentages of the base) rather than -base */
  baseDiff?: true;
  /** the content address of the sources archive stored with it (read with Store.getSources) */
  sourcesId?: string;
  /** when this id was first stored (or stored again after it had expired) */
  createdAt: Date;
  /** absent: kept forever */
  expiresAt?: Date;
  contentType: string;
}

export interface ProfileMeta {
  title?: string;
  /** part of the content address: the same bytes with another base are another profile */
  baseId?: string;
  /**
   * With baseId: compare as pprof -diff_base instead of -base. Also part of the content address:
   * the same pair read the other way is another profile.
   */
  baseDiff?: boolean;
  /**
   * A sources archive (.tar.gz, .tar, .zip) for the list report, kept exactly as long as the profile.
   * Part of the content address: the same bytes with other sources are another profile.
   */
  sources?: Uint8Array;
  /** whole seconds > 0; absent keeps the profile forever */
  ttlSeconds?: number;
  /** how the bytes were sent; defaults to application/octet-stream */
  contentType?: string;
}

export interface PutProfileResult {
  id: string;
  /**
   * false when a live profile with this id already existed: it is kept as it was (title, creation
   * time, expiry), whatever this put asked for.
   */
  created: boolean;
}

/**
 * Where a rendered artifact lives. `options` must be normalized by the caller (one canonical
 * string per distinct set of report options: sorted keys, defaults dropped), or the same graph is
 * stored once per spelling.
 */
export interface ArtifactKey {
  profileId: string;
  options: string;
  /** e.g. "svg", "png", "dot", "top.txt", "top.json", "traces.txt" */
  format: string;
  /**
   * Another stored profile the artifact was made against (`?base=`), when it is not the profile's
   * own base: the artifact is derived from it too, so it goes when that profile expires. Not part
   * of the key's identity (the options name it already).
   */
  baseId?: string;
}

export interface StoredArtifact {
  body: Buffer;
  contentType: string;
  /** a strong HTTP entity tag, quotes included: `"…"`, derived from the body */
  etag: string;
  /**
   * When the first of the profiles it was made from expires (absent: never). Until then the same
   * key always means these bytes, so a cache in front of the store may keep them that long.
   */
  profileExpiresAt?: Date;
}

export interface LimitsReport {
  /** artifacts removed to bring their total under the byte cap */
  evictedArtifacts: number;
  /** profiles past their TTL removed, with their artifacts */
  expiredProfiles: number;
  /** sources archives removed because no profile refers to them any more */
  removedSources: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** where the data lives, for a startup log line (no credentials) */
  readonly location: string;
  putProfile(bytes: Uint8Array, meta?: ProfileMeta): Promise<PutProfileResult>;
  /** undefined when absent or expired (also for a string that is not a well-formed id) */
  getProfile(id: string): Promise<StoredProfile | undefined>;
  /** The sources archive stored with a profile; undefined when it has none, or is absent or expired. */
  getSources(profileId: string): Promise<Buffer | undefined>;
  /**
   * Stores or replaces the artifact under key. Nothing is stored when the profile is absent (it
   * expired between render and put): artifacts never outlive their profile. May evict older
   * artifacts to stay under the byte cap; an artifact larger than the whole cap is not kept.
   */
  putArtifact(key: ArtifactKey, body: Uint8Array | string, contentType: string): Promise<void>;
  /** undefined when absent, evicted, or its profile is absent or expired */
  getArtifact(key: ArtifactKey): Promise<StoredArtifact | undefined>;
  /**
   * Removes expired profiles (and their artifacts), then the sources archives no profile refers to,
   * then evicts artifacts over the byte cap.
   */
  enforceLimits(): Promise<LimitsReport>;
  /** Idempotent. Operations after close reject. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Cap on the total size of artifact bodies, in bytes; Infinity for none. */
  maxArtifactBytes?: number;
  /** Clock in milliseconds since the epoch; tests move it. */
  now?: () => number;
}

export const MiB = 1024 * 1024;
export const DEFAULT_MAX_ARTIFACT_BYTES = 1024 * MiB;

/**
 * How stale an artifact's last-access time may get before a read refreshes it. Recording every
 * read would turn each cached GET into a database write (an fsync on SQLite, a row lock shared by
 * every replica on PostgreSQL); at this resolution a hot artifact costs one write a minute, and
 * least-recently-used order is exact to within a minute.
 */
export const ACCESS_RESOLUTION_MS = 60_000;

export const DEFAULT_PROFILE_CONTENT_TYPE = 'application/octet-stream';

/** 22 base64url characters = 132 bits of sha256: far past any chance of collision, short in a URL. */
export const PROFILE_ID_LENGTH = 22;
const PROFILE_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * The content address of a profile: base64url(sha256(frame))[0:22] where frame =
 * "hotpath/profile/v1\0" ‖ byte length as u64 big-endian ‖ bytes ‖ ("\x01" ‖ baseId with a base,
 * "\x02" ‖ baseId with a diff base) ‖ ("\x03" ‖ sourcesId with sources). The length prefix makes
 * the framing unambiguous (and the ids after it are all 22 characters), so no upload can be crafted
 * whose id equals that of another (bytes, base, diff, sources) combination; without sources the id
 * is what it was before archives were stored.
 */
export function profileId(bytes: Uint8Array, baseId?: string, baseDiff = false, sourcesId?: string): string {
  const hash = createHash('sha256');
  hash.update('hotpath/profile/v1\0');
  const length = Buffer.alloc(8);
  length.writeBigUInt64BE(BigInt(bytes.byteLength));
  hash.update(length);
  hash.update(bytes);
  if (baseId !== undefined) {
    hash.update(baseDiff ? '\x02' : '\x01');
    hash.update(baseId, 'utf8');
  }
  if (sourcesId !== undefined) {
    hash.update('\x03');
    hash.update(sourcesId, 'utf8');
  }
  return hash.digest('base64url').slice(0, PROFILE_ID_LENGTH);
}

/** The content address of a sources archive: base64url(sha256("hotpath/sources/v1\0" ‖ bytes))[0:22]. */
export function sourcesArchiveId(bytes: Uint8Array): string {
  return createHash('sha256').update('hotpath/sources/v1\0').update(bytes).digest('base64url').slice(0, PROFILE_ID_LENGTH);
}

/** What a put writes: the profile's bytes under their content address, and its sources archive under its own. */
export interface AddressedPut {
  id: string;
  bytes: Buffer;
  sources?: { id: string; bytes: Buffer };
}

export function addressedPut(bytes: Uint8Array, meta: ProfileMeta): AddressedPut {
  const sources = meta.sources === undefined ? undefined : { id: sourcesArchiveId(meta.sources), bytes: toBuffer(meta.sources) };
  const buffer = toBuffer(bytes);
  return { id: profileId(buffer, meta.baseId, meta.baseDiff, sources?.id), bytes: buffer, ...(sources !== undefined && { sources }) };
}

export function isProfileId(s: string): boolean {
  return PROFILE_ID.test(s);
}

/** A strong ETag for a body: the same bytes always give the same tag, on every replica. */
export function etagOf(body: Uint8Array): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, PROFILE_ID_LENGTH)}"`;
}

/** Arguments checked the same way by both implementations; violations are caller bugs. */
export function checkProfileMeta(meta: ProfileMeta): void {
  if (meta.baseId !== undefined && !isProfileId(meta.baseId)) {
    throw new TypeError(`baseId ${JSON.stringify(meta.baseId)} is not a profile id`);
  }
  if (meta.baseDiff === true && meta.baseId === undefined) throw new TypeError('baseDiff without a baseId');
  if (meta.ttlSeconds !== undefined && !(Number.isSafeInteger(meta.ttlSeconds) && meta.ttlSeconds > 0)) {
    throw new RangeError(`ttlSeconds must be a whole number > 0, got ${meta.ttlSeconds}`);
  }
}

export function checkArtifactKey(key: ArtifactKey): void {
  if (!isProfileId(key.profileId)) throw new TypeError(`artifact key: ${JSON.stringify(key.profileId)} is not a profile id`);
  if (key.format === '') throw new TypeError('artifact key: empty format');
  if (key.baseId !== undefined && !isProfileId(key.baseId)) throw new TypeError(`artifact key: ${JSON.stringify(key.baseId)} is not a profile id`);
}

export function toBuffer(body: Uint8Array | string): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** Earlier of two expiries, where null means "never". */
export function earlierExpiry(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

/** What a put asks for: its TTL from now, but never past its base's expiry (a profile never outlives its base). */
export function requestedExpiry(meta: ProfileMeta, now: number, baseExpiresAt: number | null): number | null {
  const own = meta.ttlSeconds === undefined ? null : now + meta.ttlSeconds * 1000;
  return meta.baseId === undefined ? own : earlierExpiry(own, baseExpiresAt);
}

export function resolvedOptions(options: StoreOptions): Required<StoreOptions> {
  const maxArtifactBytes = options.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_BYTES;
  if (!(maxArtifactBytes === Infinity || (Number.isSafeInteger(maxArtifactBytes) && maxArtifactBytes >= 0))) {
    throw new RangeError(`maxArtifactBytes must be a whole number ≥ 0 or Infinity, got ${maxArtifactBytes}`);
  }
  return { maxArtifactBytes, now: options.now ?? Date.now };
}

/** A profile row as either backend returns it (times in epoch ms, as numbers or numeric strings). */
export interface ProfileRowFields {
  bytes: Buffer;
  title: string | null;
  base_id: string | null;
  base_diff: boolean | number;
  sources_id: string | null;
  content_type: string;
  created_at: number | string;
  expires_at: number | string | null;
}

/** Row → StoredProfile, the same for SQLite and PostgreSQL. */
export function storedProfileFromRow(id: string, row: ProfileRowFields): StoredProfile {
  return {
    id,
    bytes: row.bytes,
    ...(row.title !== null && { title: row.title }),
    ...(row.base_id !== null && { baseId: row.base_id }),
    ...(Boolean(row.base_diff) && { baseDiff: true as const }),
    ...(row.sources_id !== null && { sourcesId: row.sources_id }),
    createdAt: new Date(Number(row.created_at)),
    ...(row.expires_at !== null && { expiresAt: new Date(Number(row.expires_at)) }),
    contentType: row.content_type,
  };
}
