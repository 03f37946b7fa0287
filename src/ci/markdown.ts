/**
 * summary.md of `hotpath report`: GitHub-flavoured Markdown for a CI job summary
 * ($GITHUB_STEP_SUMMARY), a PR comment, or the artifact folder itself.
 *
 * Everything that comes from a profile (function names, file names, the binary's name) is text
 * from whoever produced the profile, so it goes through escapeMarkdown: it can never open an HTML
 * tag, a link, an image, a code span or emphasis, nor end a table cell or a line. Only this module's
 * own fixed strings are Markdown. Untrusted text never starts a line, so it cannot open a block
 * (list, heading, quote) either.
 */

/** Longest name shown in a table cell, in code points; the rest is in top.txt. */
const MAX_NAME = 200;

/**
 * Characters a Markdown reader can see as syntax in inline text: `<`, `>` and `&` become entities
 * (an entity can never open a tag); the others get a backslash, which CommonMark allows before any
 * ASCII punctuation and which GFM tables also honour for `|`. `$` opens GitHub's math. Characters
 * that only matter at the start of a line (`-`, `+`, `>`, digits) need nothing, as untrusted text
 * never starts one.
 */
const MARKDOWN_SPECIAL = /[\\`*_[\]#|~$<>&@]/g;
/** `@` is followed by a word joiner (U+2060): `@team` in a name must not notify anyone in a PR comment. */
const ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '@': '@\u2060' };

/**
 * Line breaks, other control characters, bidirectional overrides and zero-width characters:
 * written as visible escapes, so that a name can neither break a table row nor disguise itself.
 */
const INVISIBLE = /\r\n|[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;

function visible(c: string): string {
  switch (c) {
    case '\r\n':
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default: {
      const code = c.charCodeAt(0);
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    }
  }
}

/**
 * Text from a profile, made inert for GitHub Markdown (inline contexts: table cells, headings, list
 * items, link text). Control and invisible characters become `\n`, `\u202e`, …; names longer than
 * `maxLength` code points are cut with "…".
 */
export function escapeMarkdown(text: string, maxLength = Infinity): string {
  let s = text;
  const points = Array.from(s);
  if (points.length > maxLength) s = points.slice(0, maxLength).join('') + '…';
  // Escapes first (their backslashes are then escaped like any other), then Markdown.
  s = s.replace(INVISIBLE, visible);
  return s.replace(MARKDOWN_SPECIAL, (c) => ENTITIES[c] ?? `\\${c}`);
}

/** A relative link target: each path segment percent-encoded, so spaces or `)` cannot end the link. */
export function linkTarget(relativePath: string): string {
  return relativePath.split('/').map(encodeURIComponent).join('/');
}

/** "; all of them in [top.txt](…)" when that file was written; nothing when it could not be (its problem is listed). */
function allIn(p: SummaryProfile, file: string): string {
  const target = `${p.dir}/${file}`;
  return p.files.some((f) => f.path === target) ? `; all of them in [${file}](${linkTarget(target)})` : '';
}

export interface SummaryFile {
  /** path relative to summary.md, e.g. `cpu/graph.svg` */
  path: string;
  /** what to call the link, e.g. `call graph (SVG)` (our own text) */
  label: string;
}

/** One row of a top table, numbers already formatted as -top prints them. */
export interface SummaryRow {
  flat: string;
  flatPercent: string;
  cum: string;
  cumPercent: string;
  name: string;
}

export interface SummaryChange {
  flat: string;
  cum: string;
  name: string;
}

export interface SummaryGoroutineGroup {
  count: number;
  /** with a base: the growth, signed */
  delta?: string;
  waiting: string;
  function: string;
}

export interface SummaryProfile {
  /** the profile as given: its file name, or the URL without credentials */
  title: string;
  /** the folder of its files, relative to summary.md */
  dir: string;
  files: SummaryFile[];
  /** the PNG to show, relative to summary.md */
  image?: string;
  sampleType: string;
  total: string;
  /** what the top table is sorted by (-cum sorts by cum) */
  sortedBy: 'flat' | 'cum';
  rows: SummaryRow[];
  /** how many rows the full top report has (the table shows the first few) */
  totalRows: number;
  changes?: {
    base: string;
    baseTotal: string;
    total: string;
    growth: string;
    rows: SummaryChange[];
  };
  goroutines?: { total: number; baseTotal?: number; groups: SummaryGoroutineGroup[]; totalGroups: number };
  /** files that could not be made, one line each */
  problems: string[];
  warnings: string[];
}

export interface Summary {
  profiles: SummaryProfile[];
  /** budget breaches, one line each (already escaped for a terminal, not yet for Markdown) */
  breaches: string[];
  /** whether a budget file was given (to say that it passed) */
  budgetChecked: boolean;
  budgetRules: number;
  /** budget limits not checked, profiles that failed, … */
  notes: string[];
  failures: { title: string; message: string }[];
}

/** summary.md: breaches first, then failures and notes, then one section per profile. */
export function renderSummary(s: Summary): string {
  const out: string[] = ['# hotpath report', ''];
  if (s.breaches.length > 0) {
    out.push(`**❌ Budget exceeded: ${s.breaches.length} ${s.breaches.length === 1 ? 'breach' : 'breaches'}**`, '');
    for (const b of s.breaches) out.push(`- ❌ ${escapeMarkdown(b)}`);
    out.push('');
  } else if (s.budgetChecked) {
    out.push(`**✅ Within budget** (${s.budgetRules} ${s.budgetRules === 1 ? 'rule' : 'rules'})`, '');
  }
  if (s.failures.length > 0) {
    out.push('**Profiles that could not be read:**', '');
    for (const f of s.failures) out.push(`- **${escapeMarkdown(f.title)}**: ${escapeMarkdown(f.message)}`);
    out.push('');
  }
  if (s.notes.length > 0) {
    out.push('**Notes:**', '');
    for (const n of s.notes) out.push(`- ${escapeMarkdown(n)}`);
    out.push('');
  }
  for (const p of s.profiles) out.push(...profileSection(p));
  return out.join('\n').replace(/\n{3,}/g, '\n\n').replace(/\n*$/, '\n');
}

function profileSection(p: SummaryProfile): string[] {
  const out: string[] = [`## ${escapeMarkdown(p.title, MAX_NAME)}`, ''];
  out.push(`Type: **${escapeMarkdown(p.sampleType)}** · Total: **${escapeMarkdown(p.total)}**`, '');
  if (p.files.length > 0) out.push(p.files.map((f) => `[${f.label}](${linkTarget(f.path)})`).join(' · '), '');
  for (const w of p.warnings) out.push(`> ${escapeMarkdown(w)}`, '');
  for (const problem of p.problems) out.push(`- ⚠️ ${escapeMarkdown(problem)}`);
  if (p.problems.length > 0) out.push('');

  if (p.rows.length > 0) {
    out.push('| flat | flat% | cum | cum% | function |', '|---:|---:|---:|---:|:---|');
    for (const r of p.rows) {
      out.push(`| ${cell(r.flat)} | ${cell(r.flatPercent)} | ${cell(r.cum)} | ${cell(r.cumPercent)} | ${cell(r.name, MAX_NAME)} |`);
    }
    out.push('');
    if (p.totalRows > p.rows.length) out.push(`Top ${p.rows.length} of ${p.totalRows} functions by ${p.sortedBy}${allIn(p, 'top.txt')}.`, '');
  }

  if (p.goroutines) {
    const g = p.goroutines;
    const base = g.baseTotal === undefined ? '' : ` (base ${g.baseTotal}, ${signed(g.total - g.baseTotal)})`;
    out.push(`**Goroutines: ${g.total}**${base}`, '');
    if (g.groups.length > 0) {
      const withDelta = g.groups.some((x) => x.delta !== undefined);
      out.push(withDelta ? '| goroutines | Δ | waiting | function |' : '| goroutines | waiting | function |');
      out.push(withDelta ? '|---:|---:|:---|:---|' : '|---:|:---|:---|');
      for (const x of g.groups) {
        const delta = withDelta ? ` ${cell(x.delta ?? '')} |` : '';
        out.push(`| ${x.count} |${delta} ${cell(x.waiting)} | ${cell(x.function, MAX_NAME)} |`);
      }
      out.push('');
      if (g.totalGroups > g.groups.length) out.push(`${g.groups.length} of ${g.totalGroups} groups${allIn(p, 'leaks.txt')}.`, '');
    }
  }

  if (p.changes) {
    const c = p.changes;
    out.push(`### Biggest changes against ${escapeMarkdown(c.base, MAX_NAME)}`, '');
    out.push(`Total: ${escapeMarkdown(c.baseTotal)} → ${escapeMarkdown(c.total)} (${escapeMarkdown(c.growth)})`, '');
    if (c.rows.length === 0) {
      out.push('No function changed.', '');
    } else {
      out.push('| Δ flat | Δ cum | function |', '|---:|---:|:---|');
      for (const r of c.rows) out.push(`| ${cell(r.flat)} | ${cell(r.cum)} | ${cell(r.name, MAX_NAME)} |`);
      out.push('');
    }
  }

  if (p.image !== undefined) out.push(`![Call graph of ${escapeMarkdown(p.title, MAX_NAME)}](${linkTarget(p.image)})`, '');
  return out;
}

/** A table cell: escaped, never empty (an empty cell is fine, but a blank one reads as missing). */
function cell(text: string, maxLength = Infinity): string {
  const s = escapeMarkdown(text, maxLength);
  return s === '' ? ' ' : s;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}
