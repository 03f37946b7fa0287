/**
 * How wide a line of Liberation Sans is, and the longest text that fits a box: the card is laid out
 * here, before the rasteriser sees it, so no name can run past its box or over another line.
 *
 * The widths are Liberation Sans's own advances (its hmtx table, in 1/2048 em) for printable ASCII,
 * Regular and Bold, read from fonts/LiberationSans-*.ttf. Any other character is counted as wide as
 * the widest Latin capital (or a full em for CJK and beyond): a guess that errs towards cutting.
 */

/** Advances of U+0020 … U+007E in 1/2048 em. */
const REGULAR = [
  569, 569, 727, 1139, 1139, 1821, 1366, 391, 682, 682, 797, 1196, 569, 682, 569, 569, 1139, 1139, 1139, 1139,
  1139, 1139, 1139, 1139, 1139, 1139, 569, 569, 1196, 1196, 1196, 1139, 2079, 1366, 1366, 1479, 1479, 1366, 1251, 1593,
  1479, 569, 1024, 1366, 1139, 1706, 1479, 1593, 1366, 1593, 1479, 1366, 1251, 1479, 1366, 1933, 1366, 1366, 1251, 569,
  569, 569, 961, 1139, 682, 1139, 1139, 1024, 1139, 1139, 569, 1139, 1139, 455, 455, 1024, 455, 1706, 1139, 1139,
  1139, 1139, 682, 1024, 569, 1139, 1024, 1479, 1024, 1024, 1024, 684, 532, 684, 1196,
];
const BOLD = [
  569, 682, 971, 1139, 1139, 1821, 1479, 487, 682, 682, 797, 1196, 569, 682, 569, 569, 1139, 1139, 1139, 1139,
  1139, 1139, 1139, 1139, 1139, 1139, 682, 682, 1196, 1196, 1196, 1251, 1997, 1479, 1479, 1479, 1479, 1366, 1251, 1593,
  1479, 569, 1139, 1479, 1251, 1706, 1479, 1593, 1366, 1593, 1479, 1366, 1251, 1479, 1366, 1933, 1366, 1366, 1251, 682,
  569, 682, 1196, 1139, 682, 1139, 1251, 1139, 1251, 1139, 682, 1251, 1251, 569, 569, 1139, 569, 1821, 1251, 1251,
  1251, 1251, 797, 1139, 682, 1251, 1139, 1593, 1139, 1139, 1024, 797, 573, 797, 1196,
];
const UNITS_PER_EM = 2048;
/** The card's own symbols: … → · − (the font has them, each as wide as this). */
const SYMBOLS: Record<string, number> = { '\u2026': 2048, '\u2192': 2048, '\u00b7': 682, '\u2212': 1196 };
const OTHER = 1593;
const WIDE = 2048;

export interface Font {
  size: number;
  bold?: boolean;
}

export const ELLIPSIS = '\u2026';

function advance(cp: number, bold: boolean): number {
  if (cp >= 0x20 && cp < 0x7f) return (bold ? BOLD : REGULAR)[cp - 0x20]!;
  const symbol = SYMBOLS[String.fromCodePoint(cp)];
  if (symbol !== undefined) return symbol;
  return cp >= 0x2e80 ? WIDE : OTHER;
}

/** Width in px of `s` set in Liberation Sans at `font`. */
export function textWidth(s: string, font: Font): number {
  let units = 0;
  for (const ch of s) units += advance(ch.codePointAt(0)!, font.bold === true);
  return (units * font.size) / UNITS_PER_EM;
}

/**
 * `s` if it fits `width` px, else as much of it as fits with "…" where the rest was: `keep: 'start'`
 * cuts the end off, `keep: 'end'` the start (the end of a Go name says which function it is).
 * Whole code points only; '' when not even "…" fits.
 */
export function fitText(s: string, width: number, font: Font, keep: 'start' | 'end' = 'start'): string {
  if (textWidth(s, font) <= width) return s;
  const room = width - textWidth(ELLIPSIS, font);
  if (room < 0) return '';
  const chars = [...s];
  if (keep === 'end') chars.reverse();
  let used = 0;
  let n = 0;
  for (; n < chars.length; n++) {
    const w = textWidth(chars[n]!, font);
    if (used + w > room) break;
    used += w;
  }
  const kept = chars.slice(0, n);
  if (keep === 'end') return ELLIPSIS + kept.reverse().join('').trimStart();
  return kept.join('').trimEnd() + ELLIPSIS;
}

/**
 * A function name as a thumbnail can show it: the import path before the package's own name is
 * dropped (`github.com/acme/shop/internal/cart.(*Cart).Total` → `cart.(*Cart).Total`), as pprof's
 * web UI and flame graphs shorten names. Only the path part is looked at, before any `(`, `[` or
 * space (receivers, type arguments and the file of a lines-granularity node keep their slashes).
 */
export function shortName(name: string): string {
  const end = name.search(/[([ ]/);
  const head = end < 0 ? name : name.slice(0, end);
  const slash = head.lastIndexOf('/');
  return slash < 0 || slash === name.length - 1 ? name : name.slice(slash + 1);
}
