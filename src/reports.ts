import type { ReportOptions } from './options.js';
import type { Profile } from './profile/model.js';
import { dotReport, topReport, tracesReport, type ReportEnv } from './pipeline.js';
import { topJson } from './report/json.js';

/**
 * Every report hotpath produces, by name: the one table the CLI and the HTTP service both dispatch on,
 * so the same options give the same bytes in both.
 */
export const REPORT_FORMATS = ['top', 'json', 'traces', 'dot', 'svg'] as const;
export type ReportName = (typeof REPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ReportName, string> = {
  top: 'text/plain; charset=utf-8',
  json: 'application/json',
  traces: 'text/plain; charset=utf-8',
  dot: 'text/vnd.graphviz; charset=utf-8',
  svg: 'image/svg+xml',
};

export interface ReportOutput {
  /** the report itself, or for `svg` the DOT still to be laid out by Graphviz */
  text: string;
  /** true when `text` is DOT that must be rendered to SVG */
  needsLayout: boolean;
  /** pprof's stderr notes, e.g. "Focus expression matched no samples" */
  warnings: string[];
}

export function produceReport(profile: Profile, name: ReportName, o: ReportOptions, env: ReportEnv = {}): ReportOutput {
  switch (name) {
    case 'top': {
      const r = topReport(profile, o, env);
      return { text: r.text, needsLayout: false, warnings: r.report.selected.warnings };
    }
    case 'json': {
      const r = topReport(profile, o, env);
      return { text: JSON.stringify(topJson(r.report, r.rows), null, 2) + '\n', needsLayout: false, warnings: r.report.selected.warnings };
    }
    case 'traces':
      return { text: tracesReport(profile, o, env), needsLayout: false, warnings: [] };
    case 'dot':
    case 'svg': {
      // The hot path is drawn by default in SVG only, so that -dot stays pprof's DOT.
      const r = dotReport(profile, o, env, name === 'svg');
      return { text: r.text, needsLayout: name === 'svg', warnings: r.report.selected.warnings };
    }
  }
}
