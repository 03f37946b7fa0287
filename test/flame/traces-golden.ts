/**
 * Reads pprof's `-traces` goldens back into stacks: an independent source of truth for what a
 * flame graph must add up to. Only values printed exactly are accepted (counts, and times that
 * are whole multiples of the printed precision), so sums derived from them are exact.
 */

import { readFileSync } from 'node:fs';

export interface GoldenTrace {
  /** In the golden's unit: nanoseconds for times, the plain number for counts. */
  value: number;
  /** Frame names, root first (the golden prints them leaf first), without " (inline)". */
  frames: string[];
}

const SEPARATOR = '-----------+-------------------------------------------------------';
const TIME_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9 };

/** "10ms" → 10000000; "42" → 42. Throws on units the test cannot read back exactly. */
export function parseTraceValue(text: string): number {
  const m = /^(-?\d+(?:\.\d+)?)([a-zµ]*)$/.exec(text);
  if (!m) throw new Error(`unreadable trace value ${JSON.stringify(text)}`);
  const factor = m[2] === '' ? 1 : TIME_UNITS[m[2]!];
  if (factor === undefined) throw new Error(`trace value unit ${m[2]} is not exact`);
  return Math.round(Number(m[1]) * factor);
}

export function readTracesGolden(path: string): { traces: GoldenTrace[]; header: string[] } {
  const lines = readFileSync(path, 'utf8').split('\n');
  const header: string[] = [];
  const traces: GoldenTrace[] = [];
  let current: { value: number; leafFirst: string[] } | undefined;
  let inBody = false;
  const flush = (): void => {
    if (current && current.leafFirst.length > 0) traces.push({ value: current.value, frames: current.leafFirst.reverse() });
    current = undefined;
  };
  for (const line of lines) {
    if (line === SEPARATOR) {
      flush();
      inBody = true;
      current = { value: 0, leafFirst: [] };
      continue;
    }
    if (!inBody) {
      header.push(line);
      continue;
    }
    if (current === undefined || line === '') continue;
    // `%10s:  %s`: a label line, key right-aligned in 10 columns.
    if (current.leafFirst.length === 0 && /^ *\S+:  /.test(line)) continue;
    const first = /^ *(\S+)   ([^]*)$/.exec(line); // [^]: names may hold U+2028, which `.` skips
    if (current.leafFirst.length === 0 && first) {
      current.value = parseTraceValue(first[1]!);
      current.leafFirst.push(stripInline(first[2]!));
    } else if (line.startsWith(' '.repeat(13))) {
      current.leafFirst.push(stripInline(line.slice(13)));
    } else {
      // A name with a line break in it continues on the next line, unindented.
      const last = current.leafFirst.length - 1;
      current.leafFirst[last] = current.leafFirst[last] + '\n' + stripInline(line);
    }
  }
  flush();
  return { traces, header };
}

function stripInline(name: string): string {
  return name.endsWith(' (inline)') ? name.slice(0, -' (inline)'.length) : name;
}

/** Path (names joined by NUL) → summed value, for every prefix of every trace: a frame's width. */
export function prefixSums(traces: GoldenTrace[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const t of traces) {
    let key = '';
    for (let i = 0; i < t.frames.length; i++) {
      key = i === 0 ? t.frames[0]! : key + '\u0000' + t.frames[i]!;
      sums.set(key, (sums.get(key) ?? 0) + t.value);
    }
  }
  return sums;
}
