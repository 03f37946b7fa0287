/**
 * `hotpath report --out DIR [--base FILE|DIR] [--budget budget.json] [pprof options…] profiles…`:
 * the CI command. For every profile (file or URL) it writes a folder of reports, and one summary.md
 * for a job summary or a PR comment; with a budget file, any breach exits 1 (docs/ci.md,
 * docs/budget.md).
 *
 * Exit codes, as the rest of the CLI: 0 all written and within budget, 1 a budget breach or a profile
 * that could not be read, 2 usage (flags, the budget file), 3 a graph that could not be rendered.
 * A profile or a file that fails does not stop the others: the summary says what is missing.
 */
import { readFile } from 'node:fs/promises';
import { parseOptions, type ReportOptions } from '../options.js';
import { parseBudget, BudgetError, type Budget } from '../ci/budget.js';
import { runReport, type ReportSettings } from '../ci/run.js';
import { describeError, oneLine, UsageError } from '../errors.js';
import { OUTPUT_FORMATS, parseArgs, type CliArgs } from './args.js';

/** Reads a profile argument: a file, `-` for stdin, or a URL (main.ts's reader, with -seconds and progress). */
export type CliInputReader = (name: string, args: CliArgs) => Promise<Uint8Array>;

export const REPORT_USAGE = `usage: hotpath report --out DIR [--base FILE|DIR] [--budget FILE] [options] profile…

Writes, for every profile (a file or a /debug/pprof URL), DIR/<name>/ with
  graph.svg  graph.png  flame.svg  top.txt  top.json   (and leaks.txt for goroutine profiles)
and with a base also graph.diff.svg, flame.diff.svg, top.diff.txt, top.diff.json (as -base);
plus DIR/summary.md: per profile its top functions, links to its files, the call graph and
the biggest changes against the base. Fit for $GITHUB_STEP_SUMMARY or a PR comment.

  --out DIR         where to write (created if missing; files there are overwritten)
  --base FILE|DIR   the earlier snapshot to compare with: a file (or URL) for one profile,
                    or a folder holding snapshots with the same file names as the profiles
  --diff_base ...   the same, with percentages of the base (pprof -diff_base)
  --budget FILE     limits (docs/budget.md); a breach exits 1 and is listed first in summary.md
  --rows N          functions per table in summary.md (default 10)

Options: pprof's report options, as for hotpath -top (-sample_index, -focus, -nodecount, …),
-symbolize, -seconds and -timeout for URLs, and the limits of hotpath -help (-max_samples=N, …)
for every profile and base read; -max_output_chars=N holds each file written.
Exit: 0 ok, 1 breach or unreadable profile, 2 usage, 3 render failure.
`;

export interface ReportArgs {
  out: string;
  base?: { path: string; diff: boolean };
  budget?: string;
  rows: number;
  /** the pprof options, the profiles, -seconds and -timeout */
  cli: CliArgs;
}

const OWN_FLAGS = new Set(['out', 'base', 'diff_base', 'budget', 'rows']);
/** Flags that choose one report or where it goes: report writes them all itself. */
const REFUSED_FLAGS = new Set<string>([...OUTPUT_FORMATS, 'text', 'json', 'output', 'o']);
const DEFAULT_ROWS = 10;
const MAX_ROWS = 1000;

/** Splits report's own flags from pprof's, which go through the CLI's parser. Throws UsageError. */
export function parseReportArgs(argv: string[]): ReportArgs | 'help' {
  const rest: string[] = [];
  let out: string | undefined;
  let base: ReportArgs['base'];
  let budget: string | undefined;
  let rows = DEFAULT_ROWS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      rest.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (REFUSED_FLAGS.has(name)) throw new UsageError(`hotpath report writes every report itself: drop -${name} (see hotpath report -help)`);
    if (!OWN_FLAGS.has(name)) {
      rest.push(arg);
      continue;
    }
    const value = eq >= 0 ? body.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new UsageError(`flag --${name} needs a value`);
    if (name === 'out') out = value;
    else if (name === 'budget') budget = value;
    else if (name === 'rows') {
      if (!/^\d+$/.test(value) || Number(value) > MAX_ROWS) throw new UsageError(`--rows takes a whole number from 0 to ${MAX_ROWS}, not "${value}"`);
      rows = Number(value);
    } else {
      if (base) throw new UsageError('give one of --base and --diff_base');
      base = { path: value, diff: name === 'diff_base' };
    }
  }
  const cli = parseArgs(rest);
  if (cli.help) return 'help';
  if (out === undefined) throw new UsageError('hotpath report needs --out DIR (see hotpath report -help)');
  if (cli.inputs.length === 0) throw new UsageError('no profile given (see hotpath report -help)');
  if (cli.inputs.filter((x) => x === '-').length > 1) throw new UsageError('stdin (-) can be read once');
  return { out, base, budget, rows, cli };
}

/** The `hotpath report` command. Returns the exit code. */
export async function reportCommand(argv: string[], readInput: CliInputReader): Promise<number> {
  let args: ReportArgs;
  let options: ReportOptions;
  let budget: Budget | undefined;
  try {
    const parsed = parseReportArgs(argv);
    if (parsed === 'help') {
      process.stdout.write(REPORT_USAGE);
      return 0;
    }
    args = parsed;
    options = parseOptions(args.cli.options);
    if (args.budget !== undefined) budget = parseBudget(await readBudgetFile(args.budget), args.budget);
  } catch (e) {
    return fail(e);
  }
  try {
    const settings: ReportSettings = { out: args.out, inputs: args.cli.inputs, base: args.base, rows: args.rows, limits: args.cli.limits };
    const cli = args.cli;
    return await runReport(settings, options, budget, (source) => readInput(source, cli));
  } catch (e) {
    return fail(e);
  }
}

function fail(e: unknown): number {
  if (e instanceof BudgetError) {
    process.stderr.write(`hotpath: ${oneLine(e.message)}\n`);
    return 2;
  }
  const { message, code } = describeError(e);
  process.stderr.write(`hotpath: ${message}\n`);
  return code;
}

/** The budget file's text; not finding it is a usage error like a bad flag. */
async function readBudgetFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--budget: ${describeError(e).message}`);
  }
}
