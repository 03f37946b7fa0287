/**
 * The work of `hotpath report` (cli/report-command.ts parses its flags): for every profile a folder of
 * reports — graph.svg/png, flame.svg, top.txt/json, leaks.txt, and the diffs against a base — checked
 * against the budget, then one summary.md (markdown.ts) for a job summary or a PR comment.
 * A profile or a file that fails does not stop the others: the summary says what is missing.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeError, UsageError } from '../errors.js';
import { adjustProfileUrl, displayUrl } from '../fetch/url.js';
import { percentage } from '../format/units.js';
import { escapeName, leakReport } from '../goroutines/leaks.js';
import type { Limits } from '../limits.js';
import type { ReportOptions } from '../options.js';
import { formatValue } from '../pipeline/context.js';
import { withinOutputBudget } from '../pipeline/output.js';
import { selectSamples, type ReportEnv } from '../pipeline/select.js';
import type { LoadOptions } from '../profile/load.js';
import type { Profile } from '../profile/model.js';
import { topJson } from '../report/json.js';
import { topReport, type TopRow } from '../report/top.js';
import { loadReportInput, produceReport, type ReportInput } from '../reports.js';
import { BudgetError, checkBudget, type Budget, type RuleOutcome } from './budget.js';
import { renderSummary, type SummaryChange, type SummaryFile, type SummaryProfile } from './markdown.js';

/** What one run writes and compares: the profiles (files, URLs or - for stdin) and where the results go. */
export interface ReportSettings {
  out: string;
  inputs: string[];
  base?: { path: string; diff: boolean };
  /** functions per table in summary.md */
  rows: number;
  /** the budgets (-max_samples=N and the like), as for every other hotpath command */
  limits: Limits;
}

/** Reads a profile argument: a file, `-` for stdin, or a URL. */
export type InputReader = (source: string) => Promise<Uint8Array>;

/** How many goroutine groups the summary lists; leaks.txt has all of them. */
const GOROUTINE_GROUPS = 5;

/** Writes every profile's folder and summary.md. Returns the exit code (0, 1 breach or unreadable, 3 render). */
export async function runReport(settings: ReportSettings, options: ReportOptions, budget: Budget | undefined, readInput: InputReader): Promise<number> {
  const jobs = await planJobs(settings);
  await mkdir(settings.out, { recursive: true });
  const run = new Run(settings, options, budget, readInput);
  for (const job of jobs) await run.profile(job);
  return run.finish();
}

// ---------------------------------------------------------------------------------------------
// Naming

interface Job {
  /** the argument: file, URL or - */
  source: string;
  /** what budget globs match: the file name, a URL's last path segment, or "stdin" */
  name: string;
  /** the profile's folder in DIR */
  dir: string;
  /** the heading in summary.md */
  title: string;
  base?: { source: string; title: string };
}

/** The name of a profile argument, as budgets match it: `cpu.pb.gz`, `heap` for …/debug/pprof/heap. */
export function profileName(source: string): string {
  if (source === '-') return 'stdin';
  const url = urlOf(source);
  if (url) return url.pathname.split('/').filter((s) => s !== '').pop() ?? url.hostname;
  return path.basename(source);
}

function urlOf(source: string): URL | undefined {
  try {
    return adjustProfileUrl(source)?.url;
  } catch {
    return undefined;
  }
}

const PROFILE_EXTENSIONS = /\.(gz|pb|pprof|prof|proto|txt|folded)$/i;

/**
 * A folder name for a profile: its name without profile extensions, reduced to [A-Za-z0-9._-] (safe
 * in a URL, a zip and every file system, never hidden, never `..`), unique among `taken` ignoring
 * case (macOS and Windows file systems do). Adds the name it returns to `taken`.
 */
export function folderName(name: string, taken: Set<string>): string {
  let stem = name;
  while (PROFILE_EXTENSIONS.test(stem) && stem.replace(PROFILE_EXTENSIONS, '') !== '') stem = stem.replace(PROFILE_EXTENSIONS, '');
  stem = stem.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80).replace(/^[._-]+|[._-]+$/g, '');
  if (stem === '') stem = 'profile';
  // Names Windows keeps for devices, whatever the extension: the artifact may be unzipped there.
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(stem)) stem = `profile-${stem}`;
  let candidate = stem;
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${stem}-${n}`;
  taken.add(candidate.toLowerCase());
  return candidate;
}

function titleOf(source: string): string {
  if (source === '-') return 'stdin';
  const url = urlOf(source);
  return url ? displayUrl(url) : source;
}

async function planJobs(args: ReportSettings): Promise<Job[]> {
  const inputs = args.inputs;
  const baseFor = await baseMatcher(args.base?.path, inputs.length);
  // summary.md sits beside the folders; no folder may take its name.
  const taken = new Set<string>(['summary.md']);
  const names = inputs.map(profileName);
  return inputs.map((source, i) => {
    const name = names[i]!;
    const unique = names.filter((n) => n === name).length === 1;
    const base = baseFor(source, name);
    return {
      source, name, dir: folderName(name, taken),
      title: unique && source !== '-' && !urlOf(source) ? name : titleOf(source),
      base: base === undefined ? undefined : { source: base, title: titleOf(base) },
    };
  });
}

/** --base FILE (or URL) for one profile; --base DIR pairs each profile with DIR/<its name> when that exists. */
async function baseMatcher(base: string | undefined, count: number): Promise<(source: string, name: string) => string | undefined> {
  if (base === undefined) return () => undefined;
  const isDir = !urlOf(base) && base !== '-' && (await stat(base)).isDirectory();
  if (!isDir) {
    if (count > 1) throw new UsageError('--base FILE goes with one profile: give a folder to pair several profiles with their bases by file name');
    return () => base;
  }
  const present = new Set<string>();
  for (const name of await readdir(base)) present.add(name);
  return (_source, name) => (present.has(name) ? path.join(base, name) : undefined);
}

// ---------------------------------------------------------------------------------------------
// The run

class Run {
  private readonly summaries: SummaryProfile[] = [];
  private readonly breaches: string[] = [];
  private readonly notes: string[] = [];
  private readonly failures: { title: string; message: string }[] = [];
  private readonly outcomes: RuleOutcome[][] = [];
  private code = 0;
  /** What reading a profile may cost, and how it is symbolized: as `hotpath -top` reads it. */
  private readonly load: LoadOptions;
  /** The output budget every file is held to, as `hotpath -top` holds its one report. */
  private readonly env: ReportEnv;

  constructor(
    private readonly args: ReportSettings,
    private readonly options: ReportOptions,
    private readonly budget: Budget | undefined,
    private readonly readInput: InputReader,
  ) {
    this.load = { ...args.limits, symbolize: options.symbolize };
    this.env = { maxOutputChars: args.limits.maxOutputChars };
  }

  /** The first failure decides the exit code; a breach alone exits 1. */
  private failed(code: number): void {
    if (this.code === 0) this.code = code;
  }

  private note(text: string): void {
    this.notes.push(text);
    process.stderr.write(`hotpath: note: ${text}\n`);
  }

  async profile(job: Job): Promise<void> {
    let bytes: Uint8Array;
    let baseBytes: Uint8Array | undefined;
    let own: ReportInput;
    let base: Profile | undefined;
    let delta: ReportInput | undefined;
    try {
      bytes = await this.readInput(job.source);
      baseBytes = job.base ? await this.readInput(job.base.source) : undefined;
      own = loadReportInput('top', bytes, undefined, this.load);
      if (baseBytes) {
        base = loadReportInput('top', baseBytes, undefined, this.load).profile;
        delta = loadReportInput('top', bytes, { bytes: baseBytes, diff: this.args.base!.diff }, this.load);
      }
    } catch (e) {
      return this.profileFailed(job, e);
    }
    if (this.args.base && !job.base) this.note(`${escapeName(job.title)}: no base with the same name in ${escapeName(this.args.base.path)}`);

    // Budgets first: a rule that cannot fit this profile stops the command (exit 2) before any work.
    if (this.budget) {
      const check = checkBudget(this.budget, {
        name: job.name, path: job.source, profile: own.profile, base, delta: delta?.profile, options: this.options,
      });
      this.outcomes.push(check.outcomes);
      this.breaches.push(...check.breaches.map((b) => b.message));
      for (const n of check.notes) this.note(n);
    }

    try {
      this.summaries.push(await this.writeProfile(job, own, base, delta));
    } catch (e) {
      this.profileFailed(job, e);
    }
  }

  private profileFailed(job: Job, e: unknown): void {
    if (e instanceof BudgetError) throw e;
    const { message, code } = describeError(e);
    this.failures.push({ title: job.title, message });
    process.stderr.write(`hotpath: ${escapeName(job.title)}: ${message}\n`);
    this.failed(code);
  }

  private async writeProfile(job: Job, own: ReportInput, base: Profile | undefined, delta: ReportInput | undefined): Promise<SummaryProfile> {
    const o = this.options;
    const env = this.env;
    const folder = path.join(this.args.out, job.dir);
    await mkdir(folder, { recursive: true });
    const files: SummaryFile[] = [];
    const problems: string[] = [];
    const warnings = new Set<string>();
    const write = async (file: string, data: string | Uint8Array, label: string) => {
      await writeFile(path.join(folder, file), data);
      files.push({ path: `${job.dir}/${file}`, label });
    };
    /** One file that fails is reported and the others are still written. */
    const attempt = async (file: string, make: () => Promise<void>) => {
      try {
        await make();
      } catch (e) {
        const { message, code } = describeError(e);
        problems.push(`${file}: ${message}`);
        process.stderr.write(`hotpath: ${escapeName(job.title)}: ${file}: ${message}\n`);
        this.failed(code);
      }
    };

    // The table and top.txt come from one -top report: its bytes equal `hotpath -top`'s.
    const top = topReport(own.profile, o, env);
    const ctx = top.report.selected.ctx;
    for (const w of top.report.selected.warnings) warnings.add(w);
    await attempt('top.txt', () => write('top.txt', withinOutputBudget(top.text, env.maxOutputChars), 'top.txt'));
    await attempt('top.json', () => write('top.json', withinOutputBudget(JSON.stringify(topJson(top.report, top.rows), null, 2) + '\n', env.maxOutputChars), 'top.json'));

    let image: string | undefined;
    let raw: string | undefined;
    await attempt('graph.svg', async () => {
      const graph = await layoutGraph(produceReport(own, 'svg', o, env).text);
      raw = graph.raw;
      await write('graph.svg', graph.svg, 'call graph');
    });
    if (raw !== undefined) {
      const layout = raw;
      await attempt('graph.png', async () => {
        await write('graph.png', await rasterise(layout), 'PNG');
        image = `${job.dir}/graph.png`;
      });
    }
    await attempt('flame.svg', () => write('flame.svg', produceReport(own, 'flame', o, env).text, 'flame graph'));

    const isGoroutine = own.profile.sampleTypes.some((t) => t.type === 'goroutine');
    let goroutines: SummaryProfile['goroutines'];
    if (isGoroutine) {
      await attempt('leaks.txt', async () => {
        const leaks = produceReport({ ...own, base }, 'leaks', o, env);
        // -max_goroutines and -fail_on_growth on the command line are budgets too, as for -leaks.
        this.breaches.push(...leaks.breaches.map((b) => `${escapeName(job.name)}: ${b} (-leaks budget flags)`));
        await write('leaks.txt', leaks.text, 'leaks.txt');
      });
      const report = leakReport(own.profile, { base });
      goroutines = {
        total: report.total,
        baseTotal: report.baseTotal,
        totalGroups: report.groups.length,
        groups: report.groups.slice(0, GOROUTINE_GROUPS).map((g) => ({
          count: g.count,
          delta: g.delta === undefined ? undefined : signed(String(g.delta), g.delta),
          waiting: g.waitReason ?? g.status,
          function: g.userFunction ?? g.stack[0] ?? '(no frames)',
        })),
      };
    }

    let changes: SummaryProfile['changes'];
    if (base && delta) {
      const diffTop = topReport(delta.profile, o, env);
      for (const w of diffTop.report.selected.warnings) warnings.add(w);
      await attempt('top.diff.txt', () => write('top.diff.txt', withinOutputBudget(diffTop.text, env.maxOutputChars), 'top.diff.txt'));
      await attempt('top.diff.json', () => write('top.diff.json', withinOutputBudget(JSON.stringify(topJson(diffTop.report, diffTop.rows), null, 2) + '\n', env.maxOutputChars), 'top.diff.json'));
      await attempt('graph.diff.svg', async () => {
        const { svg } = await layoutGraph(produceReport(delta, 'svg', o, env).text);
        await write('graph.diff.svg', svg, 'call graph against the base');
      });
      await attempt('flame.diff.svg', () => write('flame.diff.svg', produceReport({ ...own, base }, 'flame', o, env).text, 'flame graph against the base'));
      // In the units of the -base report, like the rows below.
      const unit = diffTop.report.selected.ctx;
      const baseTotal = selectSamples(base, o, env).ctx.total;
      const growth = ctx.total - baseTotal;
      const pct = baseTotal === 0 ? '' : `, ${signed(`${((growth / baseTotal) * 100).toFixed(1)}%`, growth)}`;
      changes = {
        base: job.base!.title,
        baseTotal: formatValue(unit, baseTotal),
        total: formatValue(unit, ctx.total),
        growth: signed(formatValue(unit, growth), growth) + pct,
        rows: biggestChanges(diffTop.rows, this.args.rows),
      };
    }

    for (const w of warnings) process.stderr.write(`hotpath: ${escapeName(job.title)}: ${w}\n`);
    return {
      title: job.title,
      dir: job.dir,
      files: orderFiles(files),
      image,
      sampleType: ctx.sampleType,
      total: formatValue(ctx, ctx.total),
      sortedBy: o.cum ? 'cum' : 'flat',
      rows: top.rows.slice(0, this.args.rows).map((r) => ({
        flat: r.flatText,
        flatPercent: percentage(r.flat, ctx.total).trim(),
        cum: r.cumText,
        cumPercent: percentage(r.cum, ctx.total).trim(),
        name: r.inline ? `${r.name} ${r.inline}` : r.name,
      })),
      totalRows: top.rows.length,
      changes,
      goroutines,
      problems,
      warnings: [...warnings],
    };
  }

  /** Writes summary.md, says what a budget could not check, lists breaches on stderr; the exit code. */
  async finish(): Promise<number> {
    if (this.budget) {
      for (const rule of this.budget.rules) {
        const outcomes = this.outcomes.map((o) => o[rule.index]!);
        if (!outcomes.some((o) => o.applied)) {
          this.note(`${rule.ref} applied to no profile${rule.profile === undefined ? '' : ` (profile ${JSON.stringify(rule.profile)})`}`);
        } else if (rule.function !== undefined && !outcomes.some((o) => o.functionMatched)) {
          this.note(`${rule.ref}: function ${escapeName(JSON.stringify(rule.functionText))} matched no function`);
        }
      }
    }
    const summary = renderSummary({
      profiles: this.summaries,
      breaches: this.breaches,
      budgetChecked: this.budget !== undefined,
      budgetRules: this.budget?.rules.length ?? 0,
      notes: this.notes,
      failures: this.failures,
    });
    await writeFile(path.join(this.args.out, 'summary.md'), summary);
    for (const b of this.breaches) process.stderr.write(`hotpath: budget exceeded: ${b}\n`);
    if (this.breaches.length > 0) this.failed(1);
    return this.code;
  }
}

/** The links in a fixed order, whatever order the files were written in. */
const FILE_ORDER = ['graph.svg', 'graph.png', 'flame.svg', 'top.txt', 'top.json', 'leaks.txt', 'graph.diff.svg', 'flame.diff.svg', 'top.diff.txt', 'top.diff.json'];
function orderFiles(files: SummaryFile[]): SummaryFile[] {
  const rank = (f: SummaryFile) => FILE_ORDER.indexOf(path.basename(f.path));
  return [...files].sort((a, b) => rank(a) - rank(b));
}

/** The -base report's rows, largest |flat| change first (then |cum|), unchanged ones left out. */
export function biggestChanges(rows: TopRow[], count: number): SummaryChange[] {
  return rows
    .filter((r) => r.flat !== 0 || r.cum !== 0)
    .map((r, i) => ({ r, i }))
    .sort((a, b) => Math.abs(b.r.flat) - Math.abs(a.r.flat) || Math.abs(b.r.cum) - Math.abs(a.r.cum) || a.i - b.i)
    .slice(0, count)
    .map(({ r }) => ({
      flat: signed(r.flatText, r.flat),
      cum: signed(r.cumText, r.cum),
      name: r.inline ? `${r.name} ${r.inline}` : r.name,
    }));
}

/** A change as text: "+1.50MB" for growth (pprof prints negatives with their "-" already). */
function signed(text: string, value: number): string {
  return value > 0 ? `+${text}` : text;
}

/**
 * Lays out DOT once: the interactive SVG (finishSvg) for graph.svg, and Graphviz's own SVG, which has
 * the intrinsic size the rasteriser needs, for graph.png (dotToPng would lay the graph out again).
 */
async function layoutGraph(dot: string): Promise<{ svg: string; raw: string }> {
  const [{ renderDot }, { finishSvg }] = await Promise.all([import('../render/graphviz.js'), import('../render/svg.js')]);
  const raw = await renderDot(dot, 'svg');
  return { svg: finishSvg(raw), raw };
}

async function rasterise(graphvizSvg: string): Promise<Uint8Array> {
  const { svgToPng } = await import('../render/png.js');
  // The same fix-up finishSvg and dotToPng apply: some Graphviz versions emit "&;", which is not XML.
  return svgToPng(graphvizSvg.replaceAll('&;', '&amp;;'));
}
