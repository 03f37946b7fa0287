import { UsageError } from '../errors.js';
import { OPTION_NAMES } from '../options.js';
import { CLI_LIMITS, CLI_LIMIT_NAMES, LIMITS, limitOfFlag, parseLimitValue, type Limits } from '../limits.js';

/** What `hotpath` writes. pprof's report flags, plus hotpath's own. */
export const OUTPUT_FORMATS = ['top', 'traces', 'dot', 'svg', 'list', 'peek', 'tags', 'raw', 'flame', 'icicle', 'folded', 'leaks'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface CliArgs {
  format: OutputFormat;
  json: boolean;
  output?: string;
  /** -seconds N: how long a /debug/pprof/profile URL collects (pprof's flag) */
  seconds?: number;
  /** -timeout N: seconds to wait for a URL, overriding seconds + margin */
  timeout?: number;
  /** -base FILE / -diff_base FILE: the snapshot to subtract */
  base?: { file: string; diff: boolean };
  /** raw option values keyed by pprof name, validated later by parseOptions */
  options: Record<string, string | boolean>;
  /** the budgets (src/limits.ts): the CLI's defaults, with -max_samples=N and the like */
  limits: Limits;
  inputs: string[];
  help: boolean;
  version: boolean;
}

/** Options that take no value when written bare (`-cum`, `-lines`). */
const BOOLEAN_OPTIONS = new Set([
  'mean', 'mean_delay', 'trim', 'noinlines', 'cum', 'relative_percentages', 'drop_negative', 'compact_labels', 'hot_path',
  'functions', 'filefunctions', 'files', 'lines', 'addresses',
  'inuse_space', 'inuse_objects', 'alloc_space', 'alloc_objects', 'total_delay', 'contentions',
]);

/**
 * pprof's command line: `-flag`, `-flag=value`, `-flag value`, and `--flag` alike; the report is chosen by
 * a bare `-top`, `-svg`, …; `-` alone is stdin.
 */
export function parseArgs(argv: string[]): CliArgs {
  const out: CliArgs = { format: 'top', json: false, options: {}, limits: { ...CLI_LIMITS }, inputs: [], help: false, version: false };
  let formatSet: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-' || !arg.startsWith('-')) {
      out.inputs.push(arg);
      continue;
    }
    if (arg === '--') {
      out.inputs.push(...argv.slice(i + 1));
      break;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`flag -${name} needs a value`);
      return next;
    };
    if (name === 'list' || name === 'peek') {
      // pprof's -list=REGEX and -peek=REGEX name the report and its argument at once.
      if (formatSet !== undefined && formatSet !== name) throw new UsageError(`choose one report: -${formatSet} or -${name}`);
      formatSet = name;
      out.format = name;
      out.options[name] = value();
    } else if ((OUTPUT_FORMATS as readonly string[]).includes(name) || name === 'text') {
      const f = name === 'text' ? 'top' : name;
      if (formatSet !== undefined && formatSet !== f) throw new UsageError(`choose one report: -${formatSet} or -${f}`);
      formatSet = f;
      out.format = f as OutputFormat;
    } else if (name === 'json') {
      out.json = inline === undefined ? true : inline !== 'false';
    } else if (name === 'base' || name === 'diff_base') {
      if (out.base) throw new UsageError('give one of -base and -diff_base');
      out.base = { file: value(), diff: name === 'diff_base' };
    } else if (name === 'seconds' || name === 'timeout') {
      const v = value();
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < 1 || n > 24 * 3600) throw new UsageError(`-${name} takes a whole number of seconds (1 to 86400), not "${v}"`);
      out[name] = n;
    } else if (name === 'output' || name === 'o') {
      out.output = value();
    } else if (name === 'help' || name === 'h') {
      out.help = true;
    } else if (name === 'version') {
      out.version = true;
    } else if (limitOfFlag(name) !== undefined) {
      const v = value();
      const n = parseLimitValue(v);
      if (n === undefined) throw new UsageError(`-${name} takes a whole number ≥ 1, not "${v}"`);
      out.limits[limitOfFlag(name)!] = n;
    } else if (OPTION_NAMES.has(name)) {
      out.options[name] = BOOLEAN_OPTIONS.has(name) ? (inline ?? true) : value();
    } else {
      throw new UsageError(`unknown flag -${name} (see hotpath -help)`);
    }
  }
  if (out.json && out.format !== 'top' && out.format !== 'leaks') throw new UsageError('-json goes with -top or -leaks');
  return out;
}

export const USAGE = `usage: hotpath [report] [options] profile
       hotpath report --out DIR [--base FILE|DIR] [--budget budget.json] profiles…   (CI artifacts; -help for more)
       hotpath serve [--port N] [--host ADDRESS]                                   (the HTTP service; -help for more)

Reports (pprof's names; default -top):
  -top       text table of the heaviest functions        (-json for JSON)
  -traces    every sample's stack
  -dot       call graph in Graphviz DOT, as go tool pprof -dot
  -svg       call graph rendered to SVG (Graphviz WASM, no dot binary)
  -list=RE   source lines of the matching functions, with their costs (-source_path=DIR[:DIR…])
  -peek=RE   callers and callees of the matching functions
  -tags      label keys and values with their totals
  -raw       the parsed profile as text (pprof -raw)
  -flame     interactive flame graph SVG (-icicle: upside down); with -base, a differential one
  -folded    folded stacks (a;b;c 42), for flamegraph.pl, speedscope, …
  -leaks     goroutine leak report: goroutines grouped by stack, biggest first; with -base, what grew
             (-json for JSON; -fail_on_growth=N, -max_goroutines=N exit 1 on a breach)

Options (pprof's names and defaults; -name=value, -name value or --name=value):
  -sample_index=NAME|N  -mean  -nodecount=N  -nodefraction=F  -edgefraction=F  -trim=false
  -focus=RE  -ignore=RE  -hide=RE  -show=RE  -show_from=RE  -prune_from=RE
  -tagfocus=[KEY=]RE|RANGE  -tagignore=…  -tagshow=RE  -taghide=RE
  -functions -filefunctions -files -lines -addresses   (or -granularity=NAME)
  -noinlines  -cum  -unit=U  -divide_by=N  -relative_percentages  -drop_negative  -compact_labels
  -inuse_space -inuse_objects -alloc_space -alloc_objects -total_delay -mean_delay -contentions
  -symbolize=none      ignore the # symbol lines of ?debug=1 texts and demangle nothing, as pprof -symbolize=none
  -hot_path[=false]   bold the heaviest call path (default on for -svg, off for -dot)
  -minwidth=PX|N%     flame graphs: hide narrower frames (default 0.1 px)   -palette=package|hot
  -base=FILE          subtract this earlier snapshot (what grew since)
  -diff_base=FILE     the same, with percentages of the base (pprof -diff_base)
  -output=FILE        write there instead of stdout
  -seconds=N          collect N seconds when profile is a /debug/pprof URL   -timeout=N  wait at most N s
Limits (what a profile may make hotpath do; past one it stops and names the flag):
${CLI_LIMIT_NAMES.map((n) => `  -${LIMITS[n].flag}=N`.padEnd(30) + `${LIMITS[n].what} (default ${CLI_LIMITS[n]})`).join('\n')}
Regular expressions use Go's RE2 syntax. profile: a file (gzip'd or raw profile.proto, pprof's legacy
formats such as the ?debug=1 texts and gperftools CPU profiles, goroutine dump, folded stacks), - for stdin, or a URL such as http://host:6060/debug/pprof/heap.
`;
