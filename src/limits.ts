/**
 * ONE table of the budgets a profile's work runs under, for the CLI (flags) and the service
 * (environment variables). Each is checked where the work happens, before what it bounds is
 * allocated: the decoder counts samples, frames, strings and labels as it reads them; the text
 * reports count their output as they write it; the sources archive counts files as it unpacks them.
 * Past a budget the work stops with TooLargeError naming it (the CLI: one line, exit 1; the
 * service: 413 too-large with `limitName`).
 *
 * The service's defaults are sized from real profiles with room to spare (the biggest in the
 * corpus and the 1M-sample bench profile pass); the CLI's are what a laptop can take, because there
 * the user pays for their own input.
 */

export interface Limits {
  /** profile.proto after gunzip (a gzip bomb stops here) */
  maxInflatedBytes: number;
  /** entries of each repeated field (samples and strings have lower limits of their own too) */
  maxEntries: number;
  maxSamples: number;
  /** stack frames summed over all samples (samples × depth) */
  maxFrames: number;
  /** frames in one stack (and lines, i.e. inlined frames, in one location) */
  maxStackDepth: number;
  /** entries of the string table */
  maxStrings: number;
  /** the string table's bytes, summed */
  maxStringBytes: number;
  /** one string (a function, file or label name), in bytes */
  maxNameBytes: number;
  maxLabelsPerSample: number;
  /** one text report (traces, folded, list, …), in characters */
  maxOutputChars: number;
  /** a sources archive (for list), unpacked */
  maxSourcesBytes: number;
  /** one file of a sources archive, unpacked */
  maxSourceFileBytes: number;
  /** entries of a sources archive */
  maxSourceFiles: number;
}

export type LimitName = keyof Limits;

export interface LimitSpec {
  /** the CLI flag (`-max_samples=N`); the service's variable is HOTPATH_ + its upper case */
  flag: string;
  /** what it counts, for docs and messages */
  what: string;
  /** the service's default */
  server: number;
  /** the CLI's default */
  cli: number;
  /** the service's only (sources archives are an upload's; the CLI reads source directories) */
  serviceOnly?: true;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * Why these numbers. The service's: the 1M-sample bench profile (1,000,000 samples, 18.5 M frames,
 * depth 38, 130 k strings) is the largest anything should send and passes every one; real Go
 * profiles are far smaller (large.cpu: 20 k samples, depth 62; pprof merges equal stacks). Go's
 * runtime records at most 128 frames per stack; C++ template names reach a few KiB. The CLI's: up
 * to what V8 itself can hold (strings of at most 2^29 − 24 characters, arrays of 2^32 − 1).
 */
export const LIMITS: Readonly<Record<LimitName, LimitSpec>> = {
  maxInflatedBytes: { flag: 'max_inflated_bytes', what: 'profile bytes after gunzip', server: 512 * MiB, cli: 512 * MiB },
  maxEntries: { flag: 'max_entries', what: 'entries of one repeated field (locations, functions, …)', server: 1 << 21, cli: 1 << 24 },
  maxSamples: { flag: 'max_samples', what: 'samples', server: 1_500_000, cli: 1 << 24 },
  maxFrames: { flag: 'max_frames', what: 'stack frames over all samples', server: 40_000_000, cli: 1 << 28 },
  maxStackDepth: { flag: 'max_stack_depth', what: 'frames in one stack', server: 8_192, cli: 1 << 20 },
  maxStrings: { flag: 'max_strings', what: 'strings in the string table', server: 1 << 21, cli: 1 << 24 },
  maxStringBytes: { flag: 'max_string_bytes', what: 'bytes of all strings', server: 128 * MiB, cli: 1 * GiB },
  maxNameBytes: { flag: 'max_name_bytes', what: 'bytes in one name', server: 64 * KiB, cli: 16 * MiB },
  maxLabelsPerSample: { flag: 'max_labels_per_sample', what: 'labels on one sample', server: 256, cli: 1 << 16 },
  maxOutputChars: { flag: 'max_output_chars', what: 'characters of one text report', server: 64 * MiB, cli: 500_000_000 },
  maxSourcesBytes: { flag: 'max_sources_bytes', what: 'bytes of a sources archive, unpacked', server: 64 * MiB, cli: 1 * GiB, serviceOnly: true },
  maxSourceFileBytes: { flag: 'max_source_file_bytes', what: 'bytes of one file of a sources archive', server: 8 * MiB, cli: 256 * MiB, serviceOnly: true },
  maxSourceFiles: { flag: 'max_source_files', what: 'entries of a sources archive', server: 20_000, cli: 1_000_000, serviceOnly: true },
};

export const LIMIT_NAMES = Object.keys(LIMITS) as LimitName[];

function defaults(which: 'server' | 'cli'): Limits {
  const out = {} as Limits;
  for (const name of LIMIT_NAMES) out[name] = LIMITS[name][which];
  return out;
}

export const SERVER_LIMITS: Readonly<Limits> = Object.freeze(defaults('server'));
export const CLI_LIMITS: Readonly<Limits> = Object.freeze(defaults('cli'));

/** HOTPATH_MAX_SAMPLES for maxSamples. */
export function limitEnvName(name: LimitName): string {
  return `HOTPATH_${LIMITS[name].flag.toUpperCase()}`;
}

/** The limits the CLI takes as flags. */
export const CLI_LIMIT_NAMES = LIMIT_NAMES.filter((name) => LIMITS[name].serviceOnly !== true);

/** The limit a CLI flag (without its dash) sets, if it is one. */
export function limitOfFlag(flag: string): LimitName | undefined {
  return CLI_LIMIT_NAMES.find((name) => LIMITS[name].flag === flag);
}

/**
 * A limit's value from a flag or a variable: a whole number ≥ 1. Returns undefined for anything
 * else, so the caller can say which flag or variable was wrong.
 */
export function parseLimitValue(raw: string): number | undefined {
  if (!/^\d{1,16}$/.test(raw.trim())) return undefined;
  const n = Number(raw.trim());
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}
