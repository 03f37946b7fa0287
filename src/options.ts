import { z } from 'zod';
import { OptionsError } from './errors.js';

/**
 * ONE schema of report options, with pprof's names and defaults, parsed alike from CLI flags
 * (`-nodecount=10`, `--focus=x`) and from HTTP query strings (`?nodecount=10&focus=x`).
 */

const GRANULARITIES = ['functions', 'filefunctions', 'files', 'lines', 'addresses'] as const;

/** Graphs past a few thousand nodes do not lay out in reasonable time (or at all, in Graphviz WASM). */
export const MAX_NODECOUNT = 100_000;

const flag = z.preprocess((v) => {
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return v;
}, z.boolean());

const number = (schema: z.ZodNumber) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), schema);

const regex = z.string().max(4096).optional();

export const reportOptionsSchema = z.object({
  sample_index: z.union([z.string().min(1).max(200), z.number().int().min(0)]).optional()
    .describe('value column: a sample type name (inuse_space, cpu, …) or a 0-based index; default: the profile\'s default type, else the last'),
  mean: flag.default(false).describe('average values over the first column (pprof -mean)'),
  nodecount: number(z.number().int().min(0).max(MAX_NODECOUNT)).optional()
    .describe('maximum nodes shown; default 80 for graphs, unlimited (0) for top'),
  nodefraction: number(z.number().min(0).max(1)).default(0.005).describe('hide nodes below this share of the total'),
  edgefraction: number(z.number().min(0).max(1)).default(0.001).describe('hide edges below this share of the total'),
  trim: flag.default(true).describe('false turns off nodecount, nodefraction and edgefraction'),
  focus: regex.describe('keep samples with a frame matching this RE2 regexp'),
  ignore: regex.describe('drop samples with a frame matching this RE2 regexp'),
  hide: regex.describe('remove frames matching this RE2 regexp from stacks'),
  show: regex.describe('keep only frames matching this RE2 regexp in stacks'),
  show_from: regex.describe('drop frames above the outermost one matching this RE2 regexp'),
  tagfocus: regex.describe('keep samples whose labels match: [key=]regexp[,regexp] or [key=]range such as 1kb:'),
  tagignore: regex.describe('drop samples whose labels match (same syntax as tagfocus)'),
  tagshow: regex.describe('keep only label keys matching this RE2 regexp'),
  taghide: regex.describe('remove label keys matching this RE2 regexp'),
  prune_from: regex.describe('drop frames below (callees of) the first frame matching this RE2 regexp'),
  tagroot: z.string().max(1024).optional().describe('label keys (comma-separated) to add as root frames, e.g. tenant'),
  tagleaf: z.string().max(1024).optional().describe('label keys (comma-separated) to add as leaf frames'),
  granularity: z.enum(GRANULARITIES).default('functions'),
  noinlines: flag.default(false).describe('attribute inlined functions to the function they were inlined into'),
  cum: flag.default(false).describe('sort text reports by cumulative value'),
  unit: z.string().max(20).default('minimum').describe('output unit: minimum, auto, or a unit such as ms, MB'),
  divide_by: number(z.number().refine((n) => n !== 0, 'zero divisor specified')).default(1),
  relative_percentages: flag.default(false).describe('percentages of the filtered total instead of the whole profile'),
  drop_negative: flag.default(false).describe('drop nodes with negative values (diff profiles)'),
  compact_labels: flag.default(false).describe('omit the profile header lines from text reports'),
  list: regex.describe('list report: the functions (RE2) whose source lines to annotate'),
  peek: regex.describe('peek report: the functions (RE2) whose callers and callees to show'),
  source_path: z.string().max(4096).optional().describe('CLI only: directories (":"-separated) to find sources in for list'),
  trim_path: z.string().max(4096).optional().describe('CLI only: path prefixes to trim from source file names for list'),
  minwidth: z.string().max(20).regex(/^\d+(\.\d+)?%?$/, 'a width in px (0.1) or a share such as 0.5%').optional()
    .describe('flame graphs: leave out frames narrower than this (px, or % of the total); default 0.1 px'),
  palette: z.enum(['package', 'hot']).optional().describe('flame graphs: colour by package (default) or flamegraph.pl\'s hot palette'),
  fail_on_growth: number(z.number().int().min(0)).optional().describe('leaks: fail when a goroutine group grew by more than N against the base'),
  max_goroutines: number(z.number().int().min(0)).optional().describe('leaks: fail when there are more than N goroutines'),
  symbolize: z.string().max(200).optional().superRefine((v, ctx) => {
    try {
      parseSymbolize(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  }).describe('pprof -symbolize: demangle=default|templates|full|none for C++ and Rust names (default: no parameters, no template arguments); none: names as the profile has them, and a ?debug=1 text without its # symbol lines'),
  hot_path: flag.optional().describe('highlight the heaviest call path (hotpath only; default on for SVG, off for DOT)'),
}).strict();

export type ReportOptions = z.infer<typeof reportOptionsSchema>;
export type Granularity = (typeof GRANULARITIES)[number];

/** pprof's boolean shorthands that set another option (`-lines`, `-inuse_space`, …). */
const SHORTHANDS: Record<string, [keyof ReportOptions, string]> = {
  functions: ['granularity', 'functions'],
  filefunctions: ['granularity', 'filefunctions'],
  files: ['granularity', 'files'],
  lines: ['granularity', 'lines'],
  addresses: ['granularity', 'addresses'],
  inuse_space: ['sample_index', 'inuse_space'],
  inuse_objects: ['sample_index', 'inuse_objects'],
  alloc_space: ['sample_index', 'alloc_space'],
  alloc_objects: ['sample_index', 'alloc_objects'],
  total_delay: ['sample_index', 'delay'],
  contentions: ['sample_index', 'contentions'],
};

/** Option names the schema accepts, plus the shorthands: what the CLI and the server recognise. */
export const OPTION_NAMES = new Set<string>([...Object.keys(reportOptionsSchema.shape), ...Object.keys(SHORTHANDS), 'mean_delay']);

/** Validates raw options (strings from flags or a query, or typed values); throws OptionsError naming the option. */
export function parseOptions(raw: Record<string, unknown>): ReportOptions {
  // No prototype: an own key `__proto__` (from JSON.parse or a query parser) must stay a key that
  // the strict schema refuses. On a plain {} it set the prototype instead: a string vanished
  // silently, and an object's properties were read as options (found by fuzzing).
  const input = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    const short = Object.hasOwn(SHORTHANDS, k) ? SHORTHANDS[k] : undefined;
    if (k === 'mean_delay') {
      if (isOn(v)) {
        input['sample_index'] ??= 'delay';
        input['mean'] = true;
      }
    } else if (short) {
      // The first shorthand wins, as in pprof (an explicit option beats them all).
      if (isOn(v) && raw[short[0]] === undefined) input[short[0]] ??= short[1];
    } else {
      input[k] = v;
    }
  }
  const r = reportOptionsSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const name = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '');
    const message = issue.code === 'unrecognized_keys' ? `unknown option ${issue.keys.map((k) => `"${k}"`).join(', ')}` : `${name}: ${issue.message}`;
    throw new OptionsError(message, name);
  }
  return r.data;
}

function isOn(v: unknown): boolean {
  return v === true || v === '' || v === 'true' || v === '1';
}

/**
 * pprof's `-symbolize` option: a list of modes separated by `:` (pprof's separator) or `,`, e.g. `none`,
 * `demangle=full`, `local:force`, `none,demangle=none`. Parsed here once, for the loader (which reads the
 * `#` symbol lines of `?debug=1` texts unless `none`) and for name demangling.
 *
 * As in pprof's symbolizer, `none` (or `no`) ends the list: nothing is symbolized and nothing is
 * demangled, whatever comes after it. `local`, `fastlocal`, `remote` and `force` choose where pprof
 * looks for binaries; hotpath has none to look at, so they read like the default.
 */
export type DemangleMode = 'default' | 'none' | 'full' | 'templates';

export interface SymbolizeMode {
  /** `none`: use no symbol information the profile does not carry itself, and demangle nothing */
  none: boolean;
  /** the last `demangle=` other than `default` given before any `none`; undefined when none was */
  demangle: DemangleMode | undefined;
  /**
   * `force`, or any `demangle=` but `default`: functions whose name already differs from their
   * system name are demangled anew from it (pprof's symbolizer sets force for those modes)
   */
  force: boolean;
}

export const DEFAULT_SYMBOLIZE: SymbolizeMode = Object.freeze({ none: false, demangle: undefined, force: false });

const SOURCES = new Set(['local', 'fastlocal', 'remote']);
const DEMANGLE_MODES = new Set<string>(['default', 'none', 'full', 'templates']);

/** The option's value → its meaning; throws an Error naming the part it does not know. */
export function parseSymbolize(value: string | undefined): SymbolizeMode {
  if (value === undefined) return DEFAULT_SYMBOLIZE;
  let demangle: DemangleMode | undefined;
  let force = false;
  for (const part of value.toLowerCase().split(/[:,]/)) {
    if (part === '' || SOURCES.has(part)) continue;
    if (part === 'none' || part === 'no') return { none: true, demangle: undefined, force: false };
    if (part === 'force') {
      force = true;
      continue;
    }
    const mode = part.startsWith('demangle=') ? part.slice('demangle='.length) : undefined;
    if (mode !== undefined && DEMANGLE_MODES.has(mode)) {
      // As in pprof: demangle=default changes nothing, the others also force.
      if (mode !== 'default') {
        demangle = mode as DemangleMode;
        force = true;
      }
      continue;
    }
    throw new Error(
      `unknown mode "${part.slice(0, 40)}": expected [local|fastlocal|remote|none][:force][:demangle=none|full|templates|default]`,
    );
  }
  return { none: false, demangle, force };
}
