/**
 * pprof's ShortenFunctionName (spec §9.3): graph labels show `sha256.block`, not `crypto/sha256.block`.
 *
 * pprof applies five fixed regular expressions. They are written out here as scans that give what RE2
 * gives for them (leftmost-first, greedy, Go's `.` excluding only "\n", ASCII `\w`): loading and
 * compiling re2js and warming its matcher cost ~100 ms, most of a small profile's `-svg`. Each scan
 * is linear in the name, and test/dot/shorten.test.ts checks them against RE2 itself on generated names.
 */

const isWord = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isUpper = (c: number) => c >= 65 && c <= 90;
const isLower = (c: number) => c >= 97 && c <= 122;
const isDigit = (c: number) => c >= 48 && c <= 57;
const NEWLINE = 10;

export function shortenFunctionName(f: string): string {
  // ^\(anonymous namespace\)::  (replaced by nothing; anchored, so at most once)
  const anonymous = '(anonymous namespace)::';
  if (f.startsWith(anonymous)) f = f.slice(anonymous.length);
  f = dropGoMajorVersion(f);
  return goShortName(f) ?? javaShortName(f) ?? cppShortName(f) ?? f;
}

/** The end of the run of `\w` characters (plus `$` when asked) from `i`. */
function wordEnd(f: string, i: number, dollar = false): number {
  while (i < f.length && (isWord(f.charCodeAt(i)) || (dollar && f.charCodeAt(i) === 36))) i++;
  return i;
}

/** `.*` from `i`: up to the first newline. */
function lineEnd(f: string, i: number): number {
  const nl = f.indexOf('\n', i);
  return nl < 0 ? f.length : nl;
}

/**
 * `^(.*?)/v(?:[2-9]|[1-9][0-9]+)([./].*)$` → `$1$2`: a Go module's major version leaves the path.
 * Both dots and `$` reach the end of the text, so a name with a newline never matches.
 */
function dropGoMajorVersion(f: string): string {
  if (f.includes('\n')) return f;
  for (let i = f.indexOf('/v'); i >= 0; i = f.indexOf('/v', i + 1)) {
    let j = i + 2;
    while (j < f.length && isDigit(f.charCodeAt(j))) j++;
    const digits = j - i - 2;
    const version = digits === 1 ? f.charCodeAt(i + 2) >= 50 : digits >= 2 && f.charCodeAt(i + 2) !== 48;
    const next = f.charCodeAt(j);
    if (version && (next === 46 || next === 47)) return f.slice(0, i) + f.slice(j);
  }
  return f;
}

/** `^(?:[\w\-\.]+\/)+(.+)`: what follows the last path segment. */
function goShortName(f: string): string | undefined {
  const isSegment = (c: number) => isWord(c) || c === 45 || c === 46;
  const ends: number[] = [];
  let i = 0;
  for (;;) {
    let j = i;
    while (j < f.length && isSegment(f.charCodeAt(j))) j++;
    if (j === i || f.charCodeAt(j) !== 47) break;
    ends.push((i = j + 1));
  }
  if (ends.length === 0) return undefined;
  // (.+) needs one character that is not a newline; else one segment fewer (whose first character is one).
  let start = ends[ends.length - 1]!;
  if (start >= f.length || f.charCodeAt(start) === NEWLINE) {
    if (ends.length < 2) return undefined;
    start = ends[ends.length - 2]!;
  }
  return f.slice(start, lineEnd(f, start));
}

/** `^(?:[a-z]\w*\.)*([A-Z][\w\$]*\.(?:<init>|[a-z][\w\$]*(?:\$\d+)?))(?:(?:\()|$)`: Class.method. */
function javaShortName(f: string): string | undefined {
  // Package segments start lower-case and the class upper-case, so only the longest chain can work.
  let i = 0;
  for (;;) {
    if (!isLower(f.charCodeAt(i))) break;
    const j = wordEnd(f, i + 1);
    if (f.charCodeAt(j) !== 46) break;
    i = j + 1;
  }
  const start = i;
  if (!isUpper(f.charCodeAt(i))) return undefined;
  i = wordEnd(f, i + 1, true);
  if (f.charCodeAt(i) !== 46) return undefined;
  i++;
  if (f.startsWith('<init>', i)) i += '<init>'.length;
  else if (isLower(f.charCodeAt(i))) i = wordEnd(f, i + 1, true); // `(?:\$\d+)?` is inside this run already
  else return undefined;
  return i === f.length || f.charCodeAt(i) === 40 ? f.slice(start, i) : undefined;
}

/** `^(?:[_a-zA-Z]\w*::)+(_*[A-Z]\w*::~?[_a-zA-Z]\w*(?:<.*>)?)`: Class::method<…>. */
function cppShortName(f: string): string | undefined {
  const starts: number[] = [];
  let i = 0;
  for (;;) {
    const c = f.charCodeAt(i);
    if (!(isWord(c) && !isDigit(c))) break;
    const j = wordEnd(f, i + 1);
    if (f.charCodeAt(j) !== 58 || f.charCodeAt(j + 1) !== 58) break;
    starts.push(i);
    i = j + 2;
  }
  // The group starts like a segment, so the greedy chain gives segments back from the end until it
  // fits; at least one segment stays before it (the group cannot start at the chain's end: a
  // `Name::` there would have been one more segment).
  for (let k = starts.length - 1; k >= 1; k--) {
    const group = cppClassMethod(f, starts[k]!);
    if (group !== undefined) return group;
  }
  return undefined;
}

/** `_*[A-Z]\w*::~?[_a-zA-Z]\w*(?:<.*>)?` at `i`, or undefined. */
function cppClassMethod(f: string, start: number): string | undefined {
  let i = start;
  while (f.charCodeAt(i) === 95) i++;
  if (!isUpper(f.charCodeAt(i))) return undefined;
  i = wordEnd(f, i + 1);
  if (f.charCodeAt(i) !== 58 || f.charCodeAt(i + 1) !== 58) return undefined;
  i += 2;
  if (f.charCodeAt(i) === 126) i++;
  const c = f.charCodeAt(i);
  if (!(isWord(c) && !isDigit(c))) return undefined;
  i = wordEnd(f, i + 1);
  if (f.charCodeAt(i) === 60) {
    const close = f.lastIndexOf('>', lineEnd(f, i + 1) - 1);
    if (close > i) i = close + 1;
  }
  return f.slice(start, i);
}
