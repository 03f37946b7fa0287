import { FrameTable } from '../graph/build.js';
import type { Granularity } from '../graph/node-info.js';
import type { Profile } from '../profile/model.js';
import { formatValue, profileLabels, type ReportContext } from '../pipeline/context.js';
import { label } from '../format/units.js';
import { padLeft } from '../format/goformat.js';
import { compareBytes } from '../format/go-strings.js';
import type { ReportOptions } from '../options.js';
import { selectSamples, type ReportEnv } from '../pipeline/select.js';
import { OutputBudget } from '../pipeline/output.js';

const SEPARATOR = '-----------+-------------------------------------------------------';

/**
 * pprof's -traces (spec §10.1): every sample's labels and stack, leaf first, values scaled one by one
 * (no output unit is resolved). File paths are not trimmed here, unlike in graph reports.
 */
export function formatTraces(
  ctx: ReportContext, p: Profile, valueIndex: number, meanIndex: number | undefined,
  granularity: Granularity, noInlines: boolean, numLabelUnits: Record<string, string>, budget = new OutputBudget(),
): string {
  const table = new FrameTable(p, granularity, noInlines, false);
  const out: string[] = [budget.line(profileLabels(ctx).join('\n'))];
  for (const s of p.samples) {
    const frames: string[] = [];
    for (const loc of s.locations) {
      const ids = table.byLocation.get(loc.id)!;
      for (let i = 0; i < ids.length; i++) frames.push(table.names[ids[i]!]! + (i !== ids.length - 1 ? ' (inline)' : ''));
    }
    if (frames.length === 0) continue;
    out.push(budget.line(SEPARATOR));
    const labelLines: string[] = [];
    if (s.labels) for (const k in s.labels) labelLines.push(`${padLeft(k, 10)}:  ${s.labels[k]!.join(' ')}`);
    for (const l of labelLines.sort(compareBytes)) out.push(budget.line(l));
    const numLines: string[] = [];
    if (s.numLabels) {
      for (const k in s.numLabels) {
        const unit = numLabelUnits[k] ?? k;
        numLines.push(`${padLeft(k, 10)}:  ${s.numLabels[k]!.map((v) => label(v, unit)).join(' ')}`);
      }
    }
    for (const l of numLines.sort(compareBytes)) out.push(budget.line(l));
    let v = s.values[valueIndex]!;
    const d = meanIndex === undefined ? 0 : s.values[meanIndex]!;
    if (d !== 0) v = Math.trunc(v / d);
    frames.forEach((f, i) => out.push(budget.line(`${padLeft(i === 0 ? formatValue(ctx, v) : '', 10)}   ${f}`)));
  }
  out.push(SEPARATOR);
  return out.join('\n') + '\n';
}

export function tracesReport(profile: Profile, o: ReportOptions, env: ReportEnv = {}): { text: string; warnings: string[] } {
  const s = selectSamples(profile, o, env);
  const text = formatTraces(s.ctx, s.profile, s.valueIndex, s.meanIndex, o.granularity, o.noinlines, s.numLabelUnits, new OutputBudget(env.maxOutputChars));
  return { text, warnings: s.warnings };
}
