import type { RE2JS } from 're2js';
import { goBase } from '../format/go-strings.js';
import { nameComponents, type NodeInfo } from '../graph/node-info.js';
import { re2 } from '../regex.js';

// pprof's ShortenFunctionName patterns. RE2 rather than JS RegExp: names come from untrusted profiles
// (10,000-character names exist in the corpus) and Go's `.` excludes only "\n", as RE2's does.
// Compiled on first use: the first RE2 compile of a process costs tens of ms, which text reports,
// which never shorten a name, should not pay at start-up.
let patterns: { cppAnonymousPrefix: RE2JS; goVersion: RE2JS; shorteners: RE2JS[] } | undefined;
function shortenPatterns() {
  const compile = (pattern: string) => re2().compile(pattern);
  return (patterns ??= {
    cppAnonymousPrefix: compile('^\\(anonymous namespace\\)::'),
    goVersion: compile('^(.*?)/v(?:[2-9]|[1-9][0-9]+)([./].*)$'),
    shorteners: [
      compile('^(?:[\\w\\-\\.]+\\/)+(.+)'),                                                       // Go
      compile('^(?:[a-z]\\w*\\.)*([A-Z][\\w\\$]*\\.(?:<init>|[a-z][\\w\\$]*(?:\\$\\d+)?))(?:(?:\\()|$)'), // Java
      compile('^(?:[_a-zA-Z]\\w*::)+(_*[A-Z]\\w*::~?[_a-zA-Z]\\w*(?:<.*>)?)'),                      // C++
    ],
  });
}

/** Graph labels show `sha256.block`, not `crypto/sha256.block` (spec §9.3); tooltips keep the full name. */
export function shortenFunctionName(f: string): string {
  const { cppAnonymousPrefix, goVersion, shorteners } = shortenPatterns();
  f = cppAnonymousPrefix.matcher(f).replaceAll('');
  f = goVersion.matcher(f).replaceAll('$1$2');
  for (const re of shorteners) {
    const m = re.matcher(f);
    if (m.find()) return m.group(1) ?? '';
  }
  return f;
}

/**
 * pprof's escapeForDot: inside a DOT "…" string. Newlines become left-justified line breaks. A NUL
 * (which pprof copies raw, ending Graphviz's input there) becomes U+2400 ␀, visibly.
 */
export function escapeForDot(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\l').replace(/\u0000/g, '\u2400');
}

/**
 * The node's label name part (spec §9.2): shortened, escaped, split into lines at `::` and `.`, file
 * reduced to its base name.
 */
export function multilineName(info: NodeInfo, maxName = Infinity): string {
  let short = shortenFunctionName(info.name);
  if (short.length > maxName) short = cutAt(short, maxName) + '…';
  let name = escapeForDot(short);
  name = name.replaceAll('::', '\\n').replaceAll('[...]', '[…]').replaceAll('.', '\\n');
  // pprof leaves the file and [binary] parts unescaped (invalid DOT for a path with a quote); we escape them.
  const file = info.file !== '' ? escapeForDot(goBase(info.file)) : '';
  const parts = nameComponents({ ...info, objfile: escapeForDot(info.objfile) }, name, file);
  return parts.join('\\n') + '\\n';
}

/** The first `n` UTF-16 units, not splitting a surrogate pair. */
function cutAt(s: string, n: number): string {
  const c = s.charCodeAt(n - 1);
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? n - 1 : n);
}
