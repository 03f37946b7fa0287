import type { Profile } from '../profile/model.js';
import { goBase } from '../format/go-strings.js';
import { label, makeValueFormatter, percentage, resolveOutputUnit, scale, smallestNodeValue } from '../format/units.js';
import { formatGoTime } from '../format/goformat.js';
import type { Graph } from '../graph/graph.js';
import { cumValue, flatValue } from '../graph/graph.js';

/**
 * What every report of one profile shares (pprof's report.Report): the total that percentages use, the
 * sample type and unit, and the output unit, which graph reports resolve from their final graph.
 */
export interface ReportContext {
  /** the profile after filters: its header fields name the binary, time and duration */
  profile: Profile;
  sampleType: string;
  sampleUnit: string;
  total: number;
  /** 'minimum' until a graph report resolves it (§2.5); -traces never does */
  outputUnit: string;
  divideBy: number;
  /** `focus=…` etc., in pprof's order */
  activeFilters: string[];
  compactLabels: boolean;
  timeZone?: string;
}

/** pprof's rpt.formatValue: divide_by first (truncating), then scale into the output unit. */
export function formatValue(ctx: ReportContext, v: number): string {
  return makeValueFormatter(ctx.sampleUnit, ctx.outputUnit, ctx.divideBy)(v);
}

/** Picks the unit graph reports print in, from the final graph (spec §2.5). */
export function resolveReportUnit(ctx: ReportContext, g: Graph): void {
  ctx.outputUnit = resolveOutputUnit(ctx.outputUnit, g.nodes.length, {
    sampleUnit: ctx.sampleUnit,
    minValue: smallestNodeValue(g.nodes.map((n) => ({ flat: flatValue(n), cum: cumValue(n) }))),
    maxValue: ctx.total,
    divideBy: ctx.divideBy,
  });
}

/** Header lines 1–6 of spec §8.2: File, Build ID, comments, Type, Time, Duration. */
export function profileLabels(ctx: ReportContext): string[] {
  const p = ctx.profile;
  const out: string[] = [];
  const main = p.mappings[0];
  if (main) {
    if (main.file !== '') out.push(`File: ${goBase(main.file)}`);
    if (main.buildId !== '') out.push(`Build ID: ${main.buildId}`);
  }
  for (const c of p.comments) if (!c.startsWith('#')) out.push(c);
  if (ctx.sampleType !== '') out.push(`Type: ${ctx.sampleType}`);
  if (p.timeNanos !== 0n) out.push(`Time: ${formatGoTime(p.timeNanos, ctx.timeZone)}`);
  if (p.durationNanos !== 0) {
    const duration = label(p.durationNanos, 'nanoseconds');
    const [totalNanos, totalUnit] = scale(ctx.total, ctx.sampleUnit, 'nanoseconds');
    const ratio = totalUnit === 'ns' && totalNanos !== 0 ? `(${percentage(Math.trunc(totalNanos), p.durationNanos)})` : '';
    out.push(`Duration: ${duration}, Total samples = ${formatValue(ctx, ctx.total)} ${ratio}`);
  }
  return out;
}

export interface TrimStats {
  origCount: number;
  droppedNodes: number;
  droppedEdges: number;
  nodeFraction: number;
  edgeFraction: number;
}

/** The full header of graph reports (spec §8.2): profile labels, filters, Showing/Dropped lines. */
export function reportLabels(ctx: ReportContext, g: Graph, t: TrimStats, fullHeaders: boolean): string[] {
  const out = fullHeaders || !ctx.compactLabels ? profileLabels(ctx) : [];
  let flatSum = 0;
  for (const n of g.nodes) flatSum += flatValue(n);
  if (ctx.activeFilters.length > 0) {
    out.push('Active filters:');
    for (const f of ctx.activeFilters) out.push('   ' + cutBytes(f, 80));
  }
  out.push(`Showing nodes accounting for ${formatValue(ctx, flatSum)}, ${percentage(flatSum, ctx.total).trim()} of ${formatValue(ctx, ctx.total)} total`);
  if (ctx.total !== 0) {
    if (t.droppedNodes > 0) {
      out.push(dropped(t.droppedNodes, 'node', 'cum', formatValue(ctx, Math.abs(Math.trunc(ctx.total * t.nodeFraction)))));
    }
    if (t.droppedEdges > 0) {
      out.push(dropped(t.droppedEdges, 'edge', 'freq', formatValue(ctx, Math.abs(Math.trunc(ctx.total * t.edgeFraction)))));
    }
    if (g.nodes.length > 0 && g.nodes.length < t.origCount) {
      out.push(`Showing top ${g.nodes.length} nodes out of ${t.origCount}`);
    }
  }
  if (fullHeaders) out.push('\nSee https://git.io/JfYMW for how to read the graph');
  return out;
}

function dropped(n: number, what: string, by: string, threshold: string): string {
  return `Dropped ${n} ${what}${n > 1 ? 's' : ''} (${by} <= ${threshold})`;
}

/** pprof cuts filter lines at 80 bytes of UTF-8, even inside a character. */
function cutBytes(s: string, max: number): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= max) return s;
  return b.subarray(0, max).toString('utf8') + '…';
}


/** What people call a kind of profile where pprof's period type says it otherwise (/debug/pprof's words). */
const PROFILE_NAMES: Record<string, string> = { space: 'heap', contentions: 'contention' };

/** "cpu", "heap", "goroutine", …: the period type in /debug/pprof's words, else `fallback`. */
export function profileTypeName(periodType: string | undefined, fallback: string): string {
  const t = periodType?.trim() ?? '';
  if (t === '') return fallback;
  return Object.hasOwn(PROFILE_NAMES, t) ? PROFILE_NAMES[t]! : t;
}
