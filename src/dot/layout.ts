/**
 * pprof's DOT made safe for Graphviz (WASM) and for the SVG it writes, for layout only: `-dot`
 * stays pprof's. Names are data, so every label is rewritten here in one pass, whatever part of
 * the graph it belongs to (nodes, tag boxes, edges, the legend):
 * - `&` as `&amp;`: Graphviz reads entities in labels, so pprof's SVG shows `a&amp;b` as `a&b`;
 *   written so, names read in the picture as they are. DOT uses `&` nowhere else.
 * - Characters XML forbids (controls, U+FFFE/U+FFFF, lone surrogates) as U+FFFD: Graphviz copies
 *   them into its SVG as they are, and the document would not parse. DOT's syntax uses none.
 * - No label starts with an empty line: @hpcc-js/wasm-graphviz 1.29 crashes ("table index is out
 *   of bounds") on one (names such as `.x` or `::x`, which split into lines at `.` and `::`, or a
 *   name that is a newline), sometimes only after earlier layouts in the same instance. That first
 *   line gets a space. (Empty lines further down lay out fine, and pprof's legend has one.)
 * - No label line longer than MAX_LABEL_LINE characters: a label tag or a filter can be as long as
 *   a name may be (64 KiB in the service), and one such line makes a box Graphviz cannot place.
 */
import { notXmlToReplacement } from '../format/xml.js';

export const MAX_LABEL_LINE = 200;

/**
 * Every DOT string, quotes included (`"…"` with backslash escapes), in order, with the `label =`
 * before it if it is a label's value. Matching every string, not only labels, keeps the scan in
 * step with DOT's tokens: a string's text (a title such as `x label=`, which is the graph's name,
 * the legend's id and its tooltip) is never taken for an attribute. pprof writes `label` for every
 * text drawn in a box or on an edge; `tooltip`, `labeltooltip` and `id` are not drawn.
 */
const STRING = /((?<![\w-])label\s*=\s*)?"((?:[^"\\]|\\[\s\S])*)"/g;

export function dotForLayout(dot: string): string {
  return notXmlToReplacement(dot.replaceAll('&', '&amp;')).replace(STRING, (string: string, attr: string | undefined, value: string) =>
    attr === undefined ? string : `${attr}"${safeLabel(value)}"`,
  );
}

/**
 * A label's text as written in DOT (escapes intact): a first line that is not empty, and no line
 * over MAX_LABEL_LINE characters. Lines end at Graphviz's `\n`, `\l` and `\r`.
 */
export function safeLabel(value: string): string {
  let out = '';
  let lineLength = 0;
  let cut = false;
  for (const token of value.matchAll(/\\[\s\S]|[^\\]/gu)) {
    const t = token[0];
    if (t === '\\n' || t === '\\l' || t === '\\r') {
      if (out === '') out = ' ';
      out += t;
      lineLength = 0;
      cut = false;
      continue;
    }
    if (cut) continue;
    if (lineLength === MAX_LABEL_LINE) {
      out += '…';
      cut = true;
      continue;
    }
    out += t;
    lineLength++;
  }
  return out;
}
