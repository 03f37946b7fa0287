/**
 * What the server may capture from (POST /v1/captures): only the exact host:port entries of
 * HOTPATH_FETCH_ALLOW, and never, through a name, an address that reaches the server's own
 * machine or the cloud's metadata service. fetchProfile applies these hooks on every redirect hop
 * and connects only to the addresses they vetted, so a DNS answer cannot change between the check
 * and the connection.
 */
import { BlockList, isIP } from 'node:net';
import { FetchError } from '../errors.js';
import type { AddressResolver, FetchOptions } from './fetch-profile.js';

export const FETCH_ALLOW_ENV = 'HOTPATH_FETCH_ALLOW';

export type SpecialAddressKind = 'loopback' | 'link-local' | 'unspecified' | 'metadata';

/** The hooks to hand to fetchProfile: `fetchProfile(url, { ...policy.hooks, seconds })`. */
export type CaptureHooks = Required<Pick<FetchOptions, 'allowUrl' | 'allow'>> & Pick<FetchOptions, 'resolve'>;

export interface CapturePolicy {
  /** the normalized host:port entries, in the order given */
  readonly entries: readonly string[];
  /** false when the list is empty: every capture is refused */
  readonly enabled: boolean;
  readonly hooks: CaptureHooks;
}

/**
 * Builds the policy from HOTPATH_FETCH_ALLOW's value. A malformed entry throws (naming it): a
 * typo must not silently allow or refuse something else. `resolve` replaces DNS (tests).
 */
export function makeCapturePolicy(envValue: string | undefined, options: { resolve?: AddressResolver } = {}): CapturePolicy {
  const entries = parseAllowList(envValue);
  const listed = new Set(entries);

  const allowUrl = (url: URL): true => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new FetchError('forbidden', `only http and https URLs can be captured, not ${url.protocol}`);
    }
    const key = hostPort(url);
    if (listed.size === 0) throw new FetchError('forbidden', `captures are disabled: ${FETCH_ALLOW_ENV} is empty`);
    if (!listed.has(key)) throw new FetchError('forbidden', `${key} is not in ${FETCH_ALLOW_ENV}`);
    return true;
  };

  const allow = (url: URL, address: string): true => {
    allowUrl(url);
    const kind = classifyAddress(address);
    if (kind === undefined) return true;
    const port = effectivePort(url);
    if (namesExplicitly(url.hostname, address, kind) || listed.has(`${bracketed(address)}:${port}`)) return true;
    throw new FetchError(
      'forbidden',
      `${url.hostname} resolves to ${address}, ${kind === 'unspecified' ? 'an' : 'a'} ${kind} address; only an entry naming it (${bracketed(address)}:${port}) in ${FETCH_ALLOW_ENV} allows that`,
    );
  };

  return { entries, enabled: entries.length > 0, hooks: { allowUrl, allow, resolve: options.resolve } };
}

/** "a:1, [::1]:6060,b.example:80" → ["a:1", "[::1]:6060", "b.example:80"]: hosts as URL.hostname writes them. */
export function parseAllowList(envValue: string | undefined): string[] {
  const entries: string[] = [];
  for (const raw of (envValue ?? '').split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const bad = (why: string) => new Error(`${FETCH_ALLOW_ENV}: ${JSON.stringify(entry)} ${why}`);
    if (entry.includes('/') || entry.includes('@')) throw bad('must be a bare host:port (no scheme, path or user)');
    const m = /^(\[[^\]]+\]|[^:\[\]]+):(\d{1,5})$/.exec(entry);
    if (!m) throw bad('must be host:port, with [brackets] around an IPv6 address');
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw bad('has a port outside 1–65535');
    let hostname: string;
    try {
      hostname = new URL(`http://${m[1]}/`).hostname;
    } catch {
      throw bad('has an invalid host');
    }
    entries.push(`${hostname}:${port}`);
  }
  return entries;
}

/** host:port of a URL as the allowlist writes it (default ports spelled out). */
export function hostPort(url: URL): string {
  return `${url.hostname}:${effectivePort(url)}`;
}

function effectivePort(url: URL): number {
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

function bracketed(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
}

// Metadata services answer instance credentials to whoever asks from inside the instance.
const METADATA_HOSTNAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);
const metadata = new BlockList();
metadata.addAddress('169.254.169.254', 'ipv4'); // AWS, GCP, Azure, OCI, …
metadata.addAddress('169.254.170.2', 'ipv4'); // AWS ECS task metadata
metadata.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud
metadata.addAddress('fd00:ec2::254', 'ipv6'); // AWS over IPv6

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

const linkLocal = new BlockList();
linkLocal.addSubnet('169.254.0.0', 16, 'ipv4');
linkLocal.addSubnet('fe80::', 10, 'ipv6');

// 0.0.0.0/8 and :: are "this host" when connected to.
const unspecified = new BlockList();
unspecified.addSubnet('0.0.0.0', 8, 'ipv4');
unspecified.addAddress('::', 'ipv6');

/**
 * Whether connecting to `address` reaches something a server must not be pointed at by a
 * request: itself, its link, or the metadata service. IPv4-mapped IPv6 counts as its IPv4.
 */
export function classifyAddress(address: string): SpecialAddressKind | undefined {
  const family = isIP(address);
  if (family === 0) return 'unspecified'; // not an address at all: refuse rather than guess
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (metadata.check(address, type)) return 'metadata';
  if (loopback.check(address, type)) return 'loopback';
  if (linkLocal.check(address, type)) return 'link-local';
  if (unspecified.check(address, type)) return 'unspecified';
  return undefined;
}

/**
 * The URL's host itself names this kind of address: the IP literal, `localhost` for loopback, the
 * metadata service's own name for metadata. Any other name that resolves there is refused.
 */
function namesExplicitly(hostname: string, address: string, kind: SpecialAddressKind): boolean {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (isIP(bare)) return bare === address || sameAddress(bare, address);
  if (kind === 'loopback') return bare === 'localhost' || bare.endsWith('.localhost');
  if (kind === 'metadata' || kind === 'link-local') return METADATA_HOSTNAMES.has(bare);
  return false;
}

function sameAddress(a: string, b: string): boolean {
  const list = new BlockList();
  list.addAddress(a, isIP(a) === 4 ? 'ipv4' : 'ipv6');
  return list.check(b, isIP(b) === 4 ? 'ipv4' : 'ipv6');
}
