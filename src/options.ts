import { OptionsError } from './errors.js';

/**
 * ONE schema of report options, with pprof's names and defaults, parsed alike from CLI flags
 * (`-nodecount=10`, `--focus=x`) and from HTTP query strings (`?nodecount=10&focus=x`).
 */

const GRANULARITIES = ['functions', 'filefunctions', 'files', 'lines', 'addresses'] as const;

/** Graphs past a few thousand nodes do not lay out in reasonable time (or at all, in Graphviz WASM). */
export const MAX_NODECOUNT = 100_000;

/**
 * What one option accepts. A table rather than a schema library: the CLI validates its flags on every
 * run, and loading and building a zod schema was a fifth of a small report's start-up. The server's
 * /openapi.json is generated from this same table (`optionJsonSchema`).
 */
export type OptionSpec = { describe?: string } & (
  /** true/false, or their text: '', 'true', '1' / 'false', '0' */
  | { kind: 'flag'; default?: boolean }
  /** a number, or its text; integers are safe integers */
  | { kind: 'int' | 'number'; min?: number; max?: number; default?: number; nonzero?: string }
  /** `check` throws an Error whose message says what is wrong with the value */
  | { kind: 'string'; max: number; default?: string; pattern?: { re: RegExp; message: string }; check?: (v: string) => unknown }
  | { kind: 'enum'; values: readonly string[]; default?: string }
  /** sample_index: a sample type's name, or a 0-based index given as a number */
  | { kind: 'name-or-index' }
);

const regex = (describe: string) => ({ kind: 'string', max: 4096, describe }) as const;

export const OPTION_SPECS = {
  sample_index: { kind: 'name-or-index', describe: 'value column: a sample type name (inuse_space, cpu, …) or a 0-based index; default: the profile\'s default type, else the last' },
  mean: { kind: 'flag', default: false, describe: 'average values over the first column (pprof -mean)' },
  nodecount: { kind: 'int', min: 0, max: MAX_NODECOUNT, describe: 'maximum nodes shown; default 80 for graphs, unlimited (0) for top' },
  nodefraction: { kind: 'number', min: 0, max: 1, default: 0.005, describe: 'hide nodes below this share of the total' },
  edgefraction: { kind: 'number', min: 0, max: 1, default: 0.001, describe: 'hide edges below this share of the total' },
  trim: { kind: 'flag', default: true, describe: 'false turns off nodecount, nodefraction and edgefraction' },
  focus: regex('keep samples with a frame matching this RE2 regexp'),
  ignore: regex('drop samples with a frame matching this RE2 regexp'),
  hide: regex('remove frames matching this RE2 regexp from stacks'),
  show: regex('keep only frames matching this RE2 regexp in stacks'),
  show_from: regex('drop frames above the outermost one matching this RE2 regexp'),
  tagfocus: regex('keep samples whose labels match: [key=]regexp[,regexp] or [key=]range such as 1kb:'),
  tagignore: regex('drop samples whose labels match (same syntax as tagfocus)'),
  tagshow: regex('keep only label keys matching this RE2 regexp'),
  taghide: regex('remove label keys matching this RE2 regexp'),
  prune_from: regex('drop frames below (callees of) the first frame matching this RE2 regexp'),
  tagroot: { kind: 'string', max: 1024, describe: 'label keys (comma-separated) to add as root frames, e.g. tenant' },
  tagleaf: { kind: 'string', max: 1024, describe: 'label keys (comma-separated) to add as leaf frames' },
  granularity: { kind: 'enum', values: GRANULARITIES, default: 'functions' },
  noinlines: { kind: 'flag', default: false, describe: 'attribute inlined functions to the function they were inlined into' },
  cum: { kind: 'flag', default: false, describe: 'sort text reports by cumulative value' },
  unit: { kind: 'string', max: 20, default: 'minimum', describe: 'output unit: minimum, auto, or a unit such as ms, MB' },
  divide_by: { kind: 'number', default: 1, nonzero: 'zero divisor specified' },
  relative_percentages: { kind: 'flag', default: false, describe: 'percentages of the filtered total instead of the whole profile' },
  drop_negative: { kind: 'flag', default: false, describe: 'drop nodes with negative values (diff profiles)' },
  compact_labels: { kind: 'flag', default: false, describe: 'omit the profile header lines from text reports' },
  list: regex('list report: the functions (RE2) whose source lines to annotate'),
  peek: regex('peek report: the functions (RE2) whose callers and callees to show'),
  source_path: { kind: 'string', max: 4096, describe: 'CLI only: directories (":"-separated) to find sources in for list' },
  trim_path: { kind: 'string', max: 4096, describe: 'CLI only: path prefixes to trim from source file names for list' },
  minwidth: {
    kind: 'string', max: 20, pattern: { re: /^\d+(\.\d+)?%?$/, message: 'a width in px (0.1) or a share such as 0.5%' },
    describe: 'flame graphs: leave out frames narrower than this (px, or % of the total); default 0.1 px',
  },
  palette: { kind: 'enum', values: ['package', 'hot'], describe: 'flame graphs: colour by package (default) or flamegraph.pl\'s hot palette' },
  fail_on_growth: { kind: 'int', min: 0, describe: 'leaks: fail when a goroutine group grew by more than N against the base' },
  max_goroutines: { kind: 'int', min: 0, describe: 'leaks: fail when there are more than N goroutines' },
  symbolize: {
    kind: 'string', max: 200, check: (v: string) => parseSymbolize(v),
    describe: 'pprof -symbolize: demangle=default|templates|full|none for C++ and Rust names (default: no parameters, no template arguments); none: names as the profile has them, and a ?debug=1 text without its # symbol lines',
  },
  hot_path: { kind: 'flag', describe: 'highlight the heaviest call path (hotpath only; default on for SVG, off for DOT)' },
} as const satisfies Record<string, OptionSpec>;

type Specs = typeof OPTION_SPECS;
type ValueOf<S> = S extends { kind: 'flag' } ? boolean
  : S extends { kind: 'int' | 'number' } ? number
  : S extends { kind: 'enum'; values: readonly (infer V)[] } ? V
  : S extends { kind: 'name-or-index' } ? string | number
  : string;
type WithDefault = { [K in keyof Specs]: Specs[K] extends { default: unknown } ? K : never }[keyof Specs];

/** Parsed options: every option with a default is present. */
export type ReportOptions =
  & { [K in WithDefault]: ValueOf<Specs[K]> }
  & { [K in Exclude<keyof Specs, WithDefault>]?: ValueOf<Specs[K]> };
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
export const OPTION_NAMES = new Set<string>([...Object.keys(OPTION_SPECS), ...Object.keys(SHORTHANDS), 'mean_delay']);

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
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(input)) {
    if (!Object.hasOwn(OPTION_SPECS, name)) throw new OptionsError(`unknown option ${JSON.stringify(name)}`, name);
  }
  for (const [name, spec] of Object.entries(OPTION_SPECS) as [string, OptionSpec][]) {
    const v = input[name];
    if (v !== undefined) out[name] = parseValue(name, spec, v);
    else if ('default' in spec && spec.default !== undefined) out[name] = spec.default;
  }
  return out as ReportOptions;
}

function parseValue(name: string, spec: OptionSpec, v: unknown): unknown {
  const fail = (expected: string): never => {
    const got = typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : typeof v;
    throw new OptionsError(`${name}: expected ${expected}, got ${got}`, name);
  };
  switch (spec.kind) {
    case 'flag':
      if (v === true || v === '' || v === 'true' || v === '1') return true;
      if (v === false || v === 'false' || v === '0') return false;
      return fail('true or false');
    case 'int':
    case 'number': {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      const what = `${spec.kind === 'int' ? 'a whole number' : 'a number'}${range(spec.min, spec.max)}`;
      if (typeof n !== 'number' || !Number.isFinite(n) || (spec.kind === 'int' && !Number.isSafeInteger(n))) return fail(what);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) return fail(what);
      if (spec.nonzero !== undefined && n === 0) throw new OptionsError(`${name}: ${spec.nonzero}`, name);
      return n;
    }
    case 'string':
      if (typeof v !== 'string' || v.length > spec.max) return fail(`text of at most ${spec.max} characters`);
      if (spec.pattern && !spec.pattern.re.test(v)) return fail(spec.pattern.message);
      if (spec.check) {
        try {
          spec.check(v);
        } catch (e) {
          throw new OptionsError(`${name}: ${(e as Error).message}`, name);
        }
      }
      return v;
    case 'enum':
      if (typeof v !== 'string' || !spec.values.includes(v)) return fail(`one of ${spec.values.join(', ')}`);
      return v;
    case 'name-or-index':
      if (typeof v === 'string' && v.length >= 1 && v.length <= 200) return v;
      if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
      return fail('a sample type name or a 0-based index');
  }
}

/** One option as JSON Schema (for /openapi.json): the type after parsing, with its bounds and default. */
export function optionJsonSchema(spec: OptionSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if ('default' in spec && spec.default !== undefined) out['default'] = spec.default;
  if (spec.describe !== undefined) out['description'] = spec.describe;
  switch (spec.kind) {
    case 'flag':
      return { ...out, type: 'boolean' };
    case 'int':
    case 'number':
      return {
        ...out, type: spec.kind === 'int' ? 'integer' : 'number',
        ...(spec.min !== undefined ? { minimum: spec.min } : {}),
        ...(spec.max !== undefined ? { maximum: spec.max } : spec.kind === 'int' ? { maximum: Number.MAX_SAFE_INTEGER } : {}),
        ...(spec.nonzero !== undefined ? { not: { const: 0 } } : {}),
      };
    case 'string':
      return { ...out, type: 'string', maxLength: spec.max, ...(spec.pattern ? { pattern: spec.pattern.re.source } : {}) };
    case 'enum':
      return { ...out, type: 'string', enum: [...spec.values] };
    case 'name-or-index':
      return { ...out, anyOf: [{ type: 'string', minLength: 1, maxLength: 200 }, { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }] };
  }
}

function range(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` ≥ ${min}`;
  return max !== undefined ? ` ≤ ${max}` : '';
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
