import { isBeyondJsLimits, OptionsError, TooLargeError } from './errors.js';
import { goBase } from './format/go-strings.js';
import { LIMITS } from './limits.js';
import { OutputBudget, withinOutputBudget } from './pipeline/output.js';
import type { ReportOptions } from './options.js';
import type { Profile } from './profile/model.js';
import { asBase, loadProfile, loadProfileWithBase, type InputKind, type LoadOptions } from './profile/load.js';
import { dotReport } from './dot/report.js';
import { selectSamples, type ReportEnv } from './pipeline/select.js';
import { topReport } from './report/top.js';
import { tracesReport } from './report/traces.js';
import { topJson } from './report/json.js';
import { flameTreeOf, renderFlameGraph, type RenderFlameGraphOptions } from './flame/svg.js';
import { flameData } from './flame/json.js';
import { cardSummary } from './card/summary.js';
import { renderCard } from './card/svg.js';
import { toFolded } from './flame/folded.js';
import { checkLeakBudget, formatLeakReportText, leakReport } from './goroutines/leaks.js';
import { peekReport } from './report/peek.js';
import { formatTags } from './report/tags.js';
import { rawReport } from './report/raw.js';
import { listReport } from './report/list.js';
import { memorySources, type SourceReader } from './report/sources.js';

/**
 * Every report hotpath produces, by name: the one table the CLI and the HTTP service both dispatch on,
 * so the same options give the same bytes in both.
 */
export const REPORT_FORMATS = [
  'top', 'json', 'traces', 'dot', 'svg', 'list', 'peek', 'tags', 'raw', 'flame', 'icicle', 'flame.json', 'folded', 'leaks', 'leaks.json', 'card',
] as const;
export type ReportName = (typeof REPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ReportName, string> = {
  top: 'text/plain; charset=utf-8',
  json: 'application/json',
  traces: 'text/plain; charset=utf-8',
  dot: 'text/vnd.graphviz; charset=utf-8',
  svg: 'image/svg+xml',
  list: 'text/plain; charset=utf-8',
  peek: 'text/plain; charset=utf-8',
  tags: 'text/plain; charset=utf-8',
  raw: 'text/plain; charset=utf-8',
  flame: 'image/svg+xml',
  icicle: 'image/svg+xml',
  'flame.json': 'application/json',
  folded: 'text/plain; charset=utf-8',
  leaks: 'text/plain; charset=utf-8',
  'leaks.json': 'application/json',
  card: 'image/svg+xml',
};

/**
 * What a report reads. pprof's graph reports see one profile with the base subtracted; flame graphs and
 * the leak report compare the two snapshots side by side, so they keep the base apart.
 */
export interface ReportInput {
  profile: Profile;
  base?: Profile;
  kind: InputKind;
  /** where `list` finds source files: directories (CLI) or an uploaded archive (server) */
  sources?: SourceReader;
  /** side by side: compared as -diff_base (percentages of the base) rather than -base */
  baseDiff?: boolean;
  /** the card's heading: a stored profile's title */
  title?: string;
}

const SIDE_BY_SIDE = new Set<ReportName>(['flame', 'icicle', 'flame.json', 'leaks', 'leaks.json', 'card']);

export function loadReportInput(
  name: ReportName, bytes: Uint8Array, base?: { bytes: Uint8Array; diff: boolean }, limits?: LoadOptions,
): ReportInput {
  if (base === undefined) return loadProfile(bytes, limits);
  if (SIDE_BY_SIDE.has(name)) {
    const { profile, kind } = loadProfile(bytes, limits);
    return { profile, kind, base: asBase(base.diff, () => loadProfile(base.bytes, limits)).profile, baseDiff: base.diff };
  }
  if (name === 'folded') throw new OptionsError('folded stacks of a difference are not defined: use -flame with a base', 'base');
  return loadProfileWithBase(bytes, base.bytes, base.diff, limits);
}

export interface ReportOutput {
  /** the report itself, or for `svg` the DOT still to be laid out by Graphviz */
  text: string;
  /** true when `text` is DOT that must be rendered to SVG */
  needsLayout: boolean;
  /** pprof's stderr notes, e.g. "Focus expression matched no samples" */
  warnings: string[];
  /** budget breaches (leak report with fail_on_growth / max_goroutines): the CLI exits 1 on any */
  breaches: string[];
}

export function produceReport(input: ReportInput | Profile, name: ReportName, o: ReportOptions, env: ReportEnv = {}): ReportOutput {
  let report: ReportOutput;
  try {
    report = buildReport(input, name, o, env);
  } catch (err) {
    // What a string or an array cannot hold is a size problem of the input, not a bug: the budgets
    // should stop such work first, and this says so if one did not.
    if (isBeyondJsLimits(err)) {
      throw new TooLargeError(`the ${name} report is larger than this process can hold (${(err as Error).message})`, env.maxOutputChars ?? 0, LIMITS.maxOutputChars.flag);
    }
    throw err;
  }
  withinOutputBudget(report.text, env.maxOutputChars);
  return report;
}

function buildReport(input: ReportInput | Profile, name: ReportName, o: ReportOptions, env: ReportEnv): ReportOutput {
  const given: Partial<ReportInput> & { profile: Profile } = 'samples' in input ? { profile: input } : input;
  const { profile, base, sources } = given;
  const out = (text: string, warnings: string[] = [], needsLayout = false, breaches: string[] = []): ReportOutput =>
    ({ text, needsLayout, warnings, breaches });
  switch (name) {
    case 'top': {
      const r = topReport(profile, o, env);
      return out(r.text, r.report.selected.warnings);
    }
    case 'json': {
      const r = topReport(profile, o, env);
      return out(JSON.stringify(topJson(r.report, r.rows), null, 2) + '\n', r.report.selected.warnings);
    }
    case 'traces': {
      const r = tracesReport(profile, o, env);
      return out(r.text, r.warnings);
    }
    case 'dot':
    case 'svg': {
      // The hot path is drawn by default in SVG only, so that -dot stays pprof's DOT.
      const r = dotReport(profile, o, env, name === 'svg');
      return out(r.text, r.report.selected.warnings, name === 'svg');
    }
    case 'tags': {
      const s = selectSamples(profile, o, env);
      return out(formatTags(s), s.warnings);
    }
    case 'raw': {
      const s = selectSamples(profile, o, env);
      // pprof's FilterSamplesByName runs even without filters, and keeps no sample without a location.
      const samples = s.profile.samples.filter((x) => x.locations.length > 0);
      return out(rawReport({ ...s.profile, samples }, env.timeZone, new OutputBudget(env.maxOutputChars)), s.warnings);
    }
    case 'peek': {
      if (!o.peek) throw new OptionsError('peek needs a regexp: peek=REGEX', 'peek');
      const r = peekReport(profile, o.peek, o, env);
      return out(r.text, r.warnings);
    }
    case 'list': {
      if (!o.list) throw new OptionsError('list needs a regexp: list=REGEX', 'list');
      // Without sources (the service, unless an archive came with the upload) list still prints every line's costs.
      const r = listReport(profile, o.list, o, { sources: sources ?? memorySources({}), env });
      return out(r.text, r.warnings);
    }
    case 'flame':
    case 'icicle':
    case 'flame.json': {
      const s = selectSamples(profile, o, env);
      const b = base ? selectSamples(base, o, env) : undefined;
      const flame: RenderFlameGraphOptions = {
        valueIndex: s.valueIndex, base: b?.profile, inverted: name === 'icicle', palette: o.palette,
        minWidth: o.minwidth === undefined ? undefined : o.minwidth.endsWith('%') ? o.minwidth : Number(o.minwidth),
        title: flameTitle(s.ctx.sampleType, s.ctx.profile, name, b !== undefined), maxOutputChars: env.maxOutputChars,
      };
      if (name === 'flame.json') {
        const data = flameData(flameTreeOf(s.profile, flame), { profile: s.profile, base: b?.profile, valueIndex: s.valueIndex }, o.palette);
        return out(JSON.stringify(data), s.warnings);
      }
      return out(renderFlameGraph(s.profile, flame), s.warnings);
    }
    case 'card': {
      const summary = cardSummary({ profile, base: base && { profile: base, diff: given.baseDiff === true }, title: given.title, kind: given.kind }, o, env);
      return out(renderCard(summary));
    }
    case 'folded': {
      const s = selectSamples(profile, o, env);
      return out(toFolded(s.profile, s.valueIndex, env.maxOutputChars), s.warnings);
    }
    case 'leaks':
    case 'leaks.json': {
      const report = leakReport(profile, { base });
      const breaches = checkLeakBudget(report, { failOnGrowth: o.fail_on_growth, maxGoroutines: o.max_goroutines });
      const text = name === 'leaks' ? formatLeakReportText(report) : JSON.stringify({ ...report, breaches }, null, 2) + '\n';
      return out(text, [], false, breaches);
    }
  }
}

function flameTitle(sampleType: string, p: Profile, name: string, diff: boolean): string {
  const file = p.mappings[0]?.file ? goBase(p.mappings[0].file) : '';
  const what = diff ? 'Differential flame graph' : name === 'icicle' ? 'Icicle graph' : 'Flame graph';
  return `${what}: ${sampleType}${file ? ` — ${file}` : ''}`;
}
