/**
 * Merging samples that share one stack but each carry their own label (a span or request id, as
 * pprof labels often do): every load merges a profile's equal samples (compactProfile), so this
 * must grow with the samples, not with their square. Doubling them should double the time.
 */
import type { Location, Profile, ProfileFunction, Sample } from '../src/profile/model.js';
import { compactProfile } from '../src/profile/merge.js';

export interface MergeRow {
  samples: number;
  ms: number;
}

export function benchLabelledMerge(sizes: readonly number[] = [25_000, 50_000, 100_000, 200_000]): MergeRow[] {
  return sizes.map((n) => {
    let best = Infinity;
    for (let run = 0; run < 3; run++) {
      const p = oneStackDistinctLabels(n);
      const t = performance.now();
      const merged = compactProfile(p);
      best = Math.min(best, performance.now() - t);
      if (merged.samples.length !== n) throw new Error(`merged ${n} samples of distinct labels into ${merged.samples.length}`);
    }
    return { samples: n, ms: best };
  });
}

export function formatLabelledMerge(rows: MergeRow[]): string {
  const lines = ['| samples (one stack, a label each) | compactProfile ms | ms per 1k samples |', '|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.samples} | ${r.ms.toFixed(1)} | ${((r.ms / r.samples) * 1000).toFixed(2)} |`);
  return lines.join('\n');
}

function oneStackDistinctLabels(n: number): Profile {
  const fn: ProfileFunction = { id: 1, name: 'main.handle', systemName: 'main.handle', filename: 'main.go', startLine: 1 };
  const loc: Location = { id: 1, mapping: undefined, address: 0x1000n, lines: [{ function: fn, line: 10 }], isFolded: false };
  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) samples.push({ locations: [loc], values: [1], labels: Object.freeze({ span: [String(i)] }), numLabels: undefined, numUnits: undefined });
  return {
    sampleTypes: [{ type: 'samples', unit: 'count' }], samples, mappings: [], locations: [loc], functions: [fn], dropFrames: '', keepFrames: '',
    timeNanos: 0n, durationNanos: 0, periodType: { type: 'cpu', unit: 'nanoseconds' }, period: 1, comments: [], defaultSampleType: '',
  };
}
