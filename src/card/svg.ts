/**
 * The unfurl card: a profile's summary as a 1200×630 SVG (Twitter's summary_large_image, OpenGraph's
 * recommended size), rasterised to card.png for og:image. Chat and ticket tools show it about 400 px
 * wide, a third of its size, so nothing on it is smaller than 24 px here (8 px there) and the names
 * that matter are 32 px: the title, the kind of profile and its total, five bars with percentages,
 * and the hot path as a chain.
 *
 * Pure: summary in, SVG out. Every text is fitted to its box here (text.ts) and escaped as XML, so
 * a hostile or endless name is cut, not drawn over its neighbours, and is never markup.
 */
import { escapeXmlText } from '../format/xml.js';
import { ELLIPSIS, fitText, shortName, textWidth, type Font } from './text.js';

export interface CardRow {
  /** the function (or goroutine group) as the report names it; shortened and fitted here */
  name: string;
  /** said after the name, quieter: a goroutine group's wait reason */
  note?: string;
  /** the value as the report prints it: "1.39s", "+9.39MB", "306" */
  value: string;
  /** the share as the report prints it: "32.55%" */
  share: string;
  /** bar length, 0…1 of the track */
  fraction: number;
}

export interface CardSummary {
  /** the upload's title, or what the page calls the profile */
  title: string;
  /** "cpu", "heap", "goroutine": the badge */
  kind: string;
  /** short facts after the badge: "4.27s total", "over 4.54s", "2026-11-26 07:02 UTC" */
  facts: string[];
  /** what the rows are: "heaviest functions (flat)" */
  caption: string;
  rows: CardRow[];
  /** the hot path's functions, caller first */
  hotPath: string[];
  /** the rows are changes against a base: bars in the colours of growth and shrinkage */
  diff: boolean;
}

export const CARD_WIDTH = 1200;
export const CARD_HEIGHT = 630;
export const CARD_ROWS = 5;

const MARGIN = 56;
const INNER = CARD_WIDTH - 2 * MARGIN;
const FAMILY = 'Liberation Sans';
const INK = '#1d1f23';
const MUTED = '#5d626b';
const ACCENT = '#b23a00';
const TRACK = '#efebe5';
const BAR = '#f3c5aa';
const GREW = '#f2b8b5';
const SHRANK = '#b9cdf2';

const BRAND: Font = { size: 28, bold: true };
const FACT: Font = { size: 30 };
const TITLE: Font = { size: 54, bold: true };
const CAPTION: Font = { size: 24 };
const NAME: Font = { size: 32 };
const SHARE: Font = { size: 32, bold: true };
const VALUE: Font = { size: 28 };
const PATH: Font = { size: 30 };

const ROW_TOP = 222;
const ROW_STEP = 62;
const BAR_HEIGHT = 52;
const PAD = 18;
const ARROW = ' \u2192 ';

function text(x: number, y: number, s: string, font: Font, fill: string, anchor: 'start' | 'end' = 'start'): string {
  if (s === '') return '';
  const weight = font.bold ? ' font-weight="bold"' : '';
  const end = anchor === 'end' ? ' text-anchor="end"' : '';
  return `<text x="${x}" y="${y}" font-size="${font.size}"${weight}${end} fill="${fill}" xml:space="preserve">${escapeXmlText(s)}</text>`;
}

function rect(x: number, y: number, w: number, h: number, fill: string, radius = 0): string {
  const r = radius > 0 ? ` rx="${radius}"` : '';
  return `<rect x="${round(x)}" y="${round(y)}" width="${round(w)}" height="${round(h)}"${r} fill="${fill}"/>`;
}

const round = (v: number): number => Math.round(v * 10) / 10;

/** A pill with its text centred: the brand and the kind badge. Returns the markup and its width. */
function pill(x: number, y: number, label: string, font: Font, fill: string, ink: string): [string, number] {
  const w = textWidth(label, font) + 28;
  return [rect(x, y, w, 44, fill, 8) + text(x + 14, y + 32, label, font, ink), w];
}

/** The first row of the card: brand, kind badge, and as many facts as fit. */
function headline(s: CardSummary): string {
  const [brand, bw] = pill(MARGIN, 36, 'hotpath', BRAND, ACCENT, '#ffffff');
  const kind = fitText(s.kind, 360, BRAND);
  const [badge, kw] = pill(MARGIN + bw + 12, 36, kind, BRAND, '#f8e3d6', ACCENT);
  const x = MARGIN + bw + 12 + kw + 20;
  const facts = fitFacts(s.facts, CARD_WIDTH - MARGIN - x);
  return brand + badge + text(x, 68, facts, FACT, MUTED);
}

/** Facts joined by " · ", dropping whole facts from the end before cutting one. */
function fitFacts(facts: string[], width: number): string {
  for (let n = facts.length; n > 0; n--) {
    const line = facts.slice(0, n).join(' \u00b7 ');
    if (textWidth(line, FACT) <= width) return line;
  }
  return fitText(facts[0] ?? '', width, FACT);
}

function row(r: CardRow, i: number, diff: boolean): string {
  const top = ROW_TOP + i * ROW_STEP;
  const baseline = top + 36;
  const growth = diff && (r.value.startsWith('-') || r.value.startsWith('\u2212')) ? SHRANK : diff ? GREW : BAR;
  const fraction = Math.min(Math.max(Number.isFinite(r.fraction) ? r.fraction : 0, 0), 1);
  const share = text(CARD_WIDTH - MARGIN - PAD, baseline, r.share, SHARE, INK, 'end');
  const valueRight = CARD_WIDTH - MARGIN - PAD - textWidth(r.share, SHARE) - 14;
  const value = text(valueRight, baseline, r.value, VALUE, MUTED, 'end');
  const nameRoom = valueRight - textWidth(r.value, VALUE) - 28 - (MARGIN + PAD);
  const name = shortName(r.name);
  let label = text(MARGIN + PAD, baseline, fitText(name, nameRoom, NAME, 'end'), NAME, INK);
  if (r.note !== undefined && r.note !== '') {
    const note = ` \u00b7 ${r.note}`;
    const w = textWidth(name, NAME);
    if (w + textWidth(note, VALUE) <= nameRoom) label += text(MARGIN + PAD + w, baseline, note, VALUE, MUTED);
  }
  return rect(MARGIN, top, INNER, BAR_HEIGHT, TRACK, 8) +
    (fraction > 0 ? rect(MARGIN, top, Math.max(fraction * INNER, 10), BAR_HEIGHT, growth, 8) : '') +
    label + value + share;
}

/**
 * The hot path in one line: all of it when it fits, else its first function, "…" and as many of its
 * last ones as fit (where the cost is), names cut only when even the last one alone is too long.
 * Linear in the path: widths add up name by name (text widths are sums of advances), and a name is
 * shortened and measured only when reached, so a path thousands of frames deep (-trim=false) costs
 * what the line shows, not the square of its length.
 */
export function hotPathLine(names: string[], width: number, font: Font = PATH): string {
  if (names.length === 0) return '';
  const short: string[] = [];
  const nameAt = (i: number) => (short[i] ??= shortName(names[i]!));
  const arrow = textWidth(ARROW, font);
  const first = nameAt(0);
  let used = textWidth(first, font);
  let whole = 1;
  while (whole < names.length && used <= width) used += arrow + textWidth(nameAt(whole++), font);
  if (used <= width) return short.join(ARROW);
  // The first, "…", then the last functions, added from the end while the line still fits.
  used = textWidth(first, font) + arrow + textWidth(ELLIPSIS, font);
  let tail = 0;
  while (tail < names.length - 2) {
    const next = used + arrow + textWidth(nameAt(names.length - 1 - tail), font);
    if (next > width) break;
    used = next;
    tail++;
  }
  if (tail >= 1) return [first, ELLIPSIS, ...short.slice(names.length - tail)].join(ARROW);
  const head = fitText(first, width / 3, font, 'end');
  const lead = `${head}${ARROW}${ELLIPSIS}${ARROW}`;
  return lead + fitText(nameAt(names.length - 1), width - textWidth(lead, font), font, 'end');
}

export function renderCard(s: CardSummary): string {
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CARD_WIDTH}" height="${CARD_HEIGHT}" viewBox="0 0 ${CARD_WIDTH} ${CARD_HEIGHT}" font-family="${FAMILY}">`,
    rect(0, 0, CARD_WIDTH, CARD_HEIGHT, '#fbfaf8'),
    rect(0, 0, CARD_WIDTH, 10, ACCENT),
    headline(s),
    text(MARGIN, 150, fitText(s.title, INNER, TITLE), TITLE, INK),
    text(MARGIN, 204, fitText(s.caption, INNER, CAPTION), CAPTION, MUTED),
  ];
  s.rows.slice(0, CARD_ROWS).forEach((r, i) => out.push(row(r, i, s.diff)));
  if (s.hotPath.length > 0) {
    const label = 'hot path';
    const lw = textWidth(label, CAPTION) + 16;
    out.push(
      text(MARGIN, 588, label, CAPTION, MUTED),
      text(MARGIN + lw, 588, hotPathLine(s.hotPath, INNER - lw), PATH, INK),
    );
  }
  out.push('</svg>\n');
  return out.join('\n');
}
