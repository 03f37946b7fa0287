import type { SelectedProfile } from '../pipeline/select.js';
import { goFixed } from '../format/goformat.js';
import { tabwrite } from '../format/tabwriter.js';
import { percentage, scale, scaledLabel } from '../format/units.js';
import { compareBytes } from '../format/go-strings.js';

/**
 * pprof's -tags (Go 1.19 format): for each label key, the total and every value's share, numeric values
 * named by their formatted size, laid out by Go's tabwriter.
 */
export function formatTags(s: SelectedProfile): string {
  const { ctx, profile, valueIndex, numLabelUnits } = s;
  const byKey = new Map<string, Map<string, number>>();
  const add = (key: string, value: string, w: number) => {
    let m = byKey.get(key);
    if (m === undefined) byKey.set(key, (m = new Map()));
    m.set(value, (m.get(value) ?? 0) + w);
  };
  for (const sample of profile.samples) {
    const w = sample.values[valueIndex]!;
    if (sample.labels) for (const k in sample.labels) for (const v of sample.labels[k]!) add(k, v, w);
    if (sample.numLabels) {
      for (const k in sample.numLabels) for (const v of sample.numLabels[k]!) add(k, scaledLabel(v, numLabelUnits[k] ?? k, ctx.outputUnit), w);
    }
  }
  const byWeight = (a: [string, number], b: [string, number]) => (a[1] !== b[1] ? Math.abs(b[1]) - Math.abs(a[1]) : compareBytes(a[0], b[0]));
  let text = '';
  for (const key of [...byKey.keys()].sort(compareBytes)) {
    const values = [...byKey.get(key)!];
    const total = values.reduce((t, [, c]) => t + c, 0);
    const [f, u] = scale(total, ctx.sampleUnit, ctx.outputUnit);
    text += `${key}:\t Total ${goFixed(f, 1)}${u}\n`;
    for (const [name, c] of values.sort(byWeight)) {
      const [vf, vu] = scale(c, ctx.sampleUnit, ctx.outputUnit);
      text += total > 0 ? ` \t${goFixed(vf, 1)}${vu} (${percentage(c, total)}):\t ${name}\n` : ` \t${goFixed(vf, 1)}${vu}:\t ${name}\n`;
    }
    text += '\n';
  }
  return tabwrite(text);
}
