import type { GraphReport } from '../pipeline/graph-report.js';
import type { TopRow } from './top.js';

/** `-top -json`: the same rows and numbers as the text, for machines. Values are in the sample unit. */
export function topJson(r: GraphReport, rows: TopRow[]) {
  const ctx = r.selected.ctx;
  return {
    sampleType: ctx.sampleType,
    sampleUnit: ctx.sampleUnit,
    outputUnit: ctx.outputUnit,
    total: ctx.total,
    header: r.labels,
    droppedNodes: r.pruned.droppedNodes,
    rows: rows.map((row) => ({
      name: row.name,
      inline: row.inline || undefined,
      flat: row.flat,
      flatPercent: round(row.flatPercent),
      sumPercent: round(row.sumPercent),
      cum: row.cum,
      cumPercent: round(row.cumPercent),
      flatText: row.flatText,
      cumText: row.cumText,
    })),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
