/**
 * pprof's -raw: profile.String() of the profile as the report sees it (after pprof's merge, symbolizer,
 * drop_frames and the sample filters; spec §1.6, §3). Byte for byte Go's %d, %#x, %v and %.4v.
 */
import type { Location, Mapping, Profile, Sample } from '../profile/model.js';
import { compareBytes } from '../format/go-strings.js';
import { goDurationString, goTimeString } from '../format/gotime.js';

export function rawReport(p: Profile, timeZone?: string): string {
  const out: string[] = [];
  for (const c of p.comments) out.push(`Comment: ${c}`);
  out.push(`PeriodType: ${p.periodType.type} ${p.periodType.unit}`);
  out.push(`Period: ${p.period}`);
  if (p.timeNanos !== 0n) out.push(`Time: ${goTimeString(p.timeNanos, timeZone)}`);
  // %.4v: the Duration's string cut to four characters ("1m30.5s" → "1m30").
  if (p.durationNanos !== 0) out.push(`Duration: ${[...goDurationString(p.durationNanos)].slice(0, 4).join('')}`);
  out.push('Samples:');
  out.push(p.sampleTypes.map((t) => `${t.type}/${t.unit}${t.type === p.defaultSampleType ? '[dflt]' : ''}`).join(' ').trim());
  for (const s of p.samples) out.push(sampleString(s));
  out.push('Locations');
  for (const l of p.locations) out.push(locationString(l));
  out.push('Mappings');
  for (const m of p.mappings) out.push(mappingString(m));
  return out.join('\n') + '\n';
}

const LABEL_HEADER = ' '.repeat(16);

function sampleString(s: Sample): string {
  let line = '';
  for (const v of s.values) line += ' ' + String(v).padStart(10);
  line += ': ';
  for (const l of s.locations) line += `${l.id} `;
  const out = [line];
  if (s.labels !== undefined && Object.keys(s.labels).length > 0) {
    out.push(LABEL_HEADER + sorted(Object.entries(s.labels).map(([k, v]) => `${k}:[${v.join(' ')}]`)));
  }
  if (s.numLabels !== undefined && Object.keys(s.numLabels).length > 0) {
    out.push(LABEL_HEADER + sorted(Object.entries(s.numLabels).map(([k, v]) => {
      const units = s.numUnits?.[k] ?? [];
      return units.length === v.length ? `${k}:[${v.map((x, i) => `${x} ${units[i]}`).join(' ')}]` : `${k}:[${v.join(' ')}]`;
    })));
  }
  return out.join('\n');
}

/** sort.Strings, then joined by spaces. */
function sorted(items: string[]): string {
  return items.sort(compareBytes).join(' ');
}

function locationString(l: Location): string {
  let head = `${String(l.id).padStart(6)}: ${hex(l.address)} `;
  if (l.mapping !== undefined) head += `M=${l.mapping.id} `;
  if (l.isFolded) head += '[F] ';
  if (l.lines.length === 0) return head;
  return l.lines
    .map((ln, i) => {
      const fn = ln.function;
      let s = `${fn.name} ${fn.filename}:${ln.line} s=${fn.startLine}`;
      if (fn.name !== fn.systemName) s += `(${fn.systemName})`;
      // Only the first line shows the location's id and address.
      return (i === 0 ? head : ' '.repeat(13)) + s;
    })
    .join('\n');
}

function mappingString(m: Mapping): string {
  const bits = (m.hasFunctions ? '[FN]' : '') + (m.hasFilenames ? '[FL]' : '') + (m.hasLineNumbers ? '[LN]' : '') + (m.hasInlineFrames ? '[IN]' : '');
  return `${m.id}: ${hex(m.start)}/${hex(m.limit)}/${hex(m.offset)} ${m.file} ${m.buildId} ${bits}`;
}

/** %#x */
function hex(v: bigint): string {
  return '0x' + v.toString(16);
}
