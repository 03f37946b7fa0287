import { goBase } from '../format/go-strings.js';
import { nameComponents, type NodeInfo } from '../graph/node-info.js';
import { shortenFunctionName } from './shorten.js';

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
