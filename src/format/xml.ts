/**
 * Text from profiles (function names, file names, titles) into SVG: every view that writes XML escapes
 * through these two, so a name such as `</text><script>` stays text and the document always parses.
 * The graph's DOT is cleaned with notXmlToReplacement before Graphviz copies its labels into the SVG.
 */

/**
 * Characters XML 1.0 forbids even as references (C0 controls but tab/LF/CR, U+FFFE/U+FFFF and
 * unpaired surrogates).
 */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Every character XML forbids as U+FFFD, visibly; otherwise the document would not parse. */
export function notXmlToReplacement(s: string): string {
  return s.replace(NOT_XML, '\uFFFD');
}

/** Text content: markup characters as entities; CR as a reference, since parsers turn a raw CR into LF. */
export function escapeXmlText(s: string): string {
  return notXmlToReplacement(s).replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

const ATTR_ESCAPES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;',
};

/** Attribute values (always double-quoted): also quotes, and whitespace that parsers would normalise away. */
export function escapeXmlAttr(s: string): string {
  return notXmlToReplacement(s).replace(/[&<>"'\n\r\t]/g, (c) => ATTR_ESCAPES[c]!);
}
