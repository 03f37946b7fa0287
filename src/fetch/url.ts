/**
 * Whether a command-line source is a URL, and how one is shown. Apart from fetch-profile.ts, which
 * loads Node's HTTP, TLS and DNS modules: deciding that a file name is not a URL must not cost a
 * report that reads a file a fifth of its start-up.
 */
import { FetchError } from '../errors.js';

/**
 * A command-line source → the URL to fetch and how long the target will collect, or undefined when
 * the source is not a URL (a file name). pprof's rules (driver/fetch.go adjustURL): a scheme-less
 * `host:port/path` means http; `seconds` ≥ 1 replaces the URL's own `seconds` parameter on any
 * path; otherwise the URL's `seconds` (a whole number) only sets the collection time we wait for.
 */
export function adjustProfileUrl(source: string, seconds?: number): { url: URL; seconds?: number } | undefined {
  let text = source.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    if (name !== 'http' && name !== 'https') {
      throw new FetchError('bad-url', `cannot fetch ${source}: only http and https URLs are supported, not ${name}:`);
    }
  } else if (/^(?:\[[0-9a-f:.]+\]|[^/\s:[\]]+):\d+(?:[/?#]|$)/i.test(text)) {
    text = `http://${text}`;
  } else {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FetchError('bad-url', `cannot fetch ${source}: not a valid URL`);
  }
  if (url.hostname === '') throw new FetchError('bad-url', `cannot fetch ${source}: the URL names no host`);

  const wanted = seconds !== undefined && Number.isFinite(seconds) ? Math.trunc(seconds) : 0;
  if (wanted >= 1) {
    url.searchParams.set('seconds', String(wanted));
    return { url, seconds: wanted };
  }
  const own = url.searchParams.get('seconds');
  // Go's strconv.ParseInt(s, 10, 32): an optional sign and digits, within int32.
  if (own !== null && /^[+-]?\d+$/.test(own)) {
    const n = Number(own);
    if (n >= 1 && n <= 2 ** 31 - 1) return { url, seconds: n };
  }
  return { url };
}

/** The URL as shown in messages: no user:password. */
export function displayUrl(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}
