/**
 * pprof's -raw: profile.String() of the profile as the report sees it (after pprof's merge, symbolizer,
 * drop_frames and the sample filters; spec §1.6, §3). Byte for byte Go's %d, %#x, %v and %.4v.
 * Every line is counted against the output budget as it is written, so a refused report costs at most
 * the budget.
 */
import type { Location, Mapping, Profile, Sample } from '../profile/model.js';
import { compareBytes } from '../format/go-strings.js';
import { goDurationString, goTimeString } from '../format/gotime.js';
import { OutputBudget } from '../pipeline/output.js';

export function rawReport(p: Profile, timeZone?: string, budget = new OutputBudget()): string {
  const out: string[] = [];
  const line = (text: string) => out.push(budget.line(text));
  for (const c of p.comments) line(`Comment: ${c}`);
  line(`PeriodType: ${p.periodType.type} ${p.periodType.unit}`);
  line(`Period: ${p.period}`);
  if (p.timeNanos !== 0n) line(`Time: ${goTimeString(p.timeNanos, timeZone)}`);
  // %.4v: the Duration's string cut to four characters ("1m30.5s" → "1m30").
  if (p.durationNanos !== 0) line(`Duration: ${[...goDurationString(p.durationNanos)].slice(0, 4).join('')}`);
  line('Samples:');
  line(p.sampleTypes.map((t) => `${t.type}/${t.unit}${t.type === p.defaultSampleType ? '[dflt]' : ''}`).join(' ').trim());
  for (const s of p.samples) sampleLines(s, line);
  line('Locations');
  for (const l of p.locations) locationLines(l, line);
  line('Mappings');
  for (const m of p.mappings) line(mappingString(m));
  return out.join('\n') + '\n';
}

const LABEL_HEADER = ' '.repeat(16);

function sampleLines(s: Sample, line: (text: string) => void): void {
  let head = '';
  for (const v of s.values) head += ' ' + String(v).padStart(10);
  head += ': ';
  for (const l of s.locations) head += `${l.id} `;
  line(head);
  if (s.labels !== undefined && Object.keys(s.labels).length > 0) {
    line(LABEL_HEADER + sorted(Object.entries(s.labels).map(([k, v]) => `${k}:[${v.join(' ')}]`)));
  }
  if (s.numLabels !== undefined && Object.keys(s.numLabels).length > 0) {
    line(LABEL_HEADER + sorted(Object.entries(s.numLabels).map(([k, v]) => {
      const units = s.numUnits?.[k] ?? [];
      return units.length === v.length ? `${k}:[${v.map((x, i) => `${x} ${units[i]}`).join(' ')}]` : `${k}:[${v.join(' ')}]`;
    })));
  }
}

/** sort.Strings, then joined by spaces. */
function sorted(items: string[]): string {
  return items.sort(compareBytes).join(' ');
}

function locationLines(l: Location, line: (text: string) => void): void {
  let head = `${String(l.id).padStart(6)}: ${hex(l.address)} `;
  if (l.mapping !== undefined) head += `M=${l.mapping.id} `;
  if (l.isFolded) head += '[F] ';
  if (l.lines.length === 0) return line(head);
  l.lines.forEach((ln, i) => {
    const fn = ln.function;
    let s = `${fn.name} ${fn.filename}:${ln.line} s=${fn.startLine}`;
    if (fn.name !== fn.systemName) s += `(${fn.systemName})`;
    // Only the first line shows the location's id and address.
    line((i === 0 ? head : INLINED_INDENT) + s);
  });
}

const INLINED_INDENT = ' '.repeat(13);

function mappingString(m: Mapping): string {
  const bits = (m.hasFunctions ? '[FN]' : '') + (m.hasFilenames ? '[FL]' : '') + (m.hasLineNumbers ? '[LN]' : '') + (m.hasInlineFrames ? '[IN]' : '');
  return `${m.id}: ${hex(m.start)}/${hex(m.limit)}/${hex(m.offset)} ${m.file} ${m.buildId} ${bits}`;
}

/** %#x */
function hex(v: bigint): string {
  return '0x' + v.toString(16);
}
