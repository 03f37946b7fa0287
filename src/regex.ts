import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';
import { OptionsError } from './errors.js';

/**
 * A regular expression from user input (or from a profile), with Go's RE2 semantics: linear time, so a
 * hostile pattern such as `(a+)+$` cannot hang the process, and Go syntax such as `(?P<name>…)`,
 * `[[:alpha:]]` and `\pL` means what it means to pprof. JS RegExp is never used on these.
 */
export interface Matcher {
  /** true when the pattern matches anywhere in s (pprof's "contains a match") */
  test(s: string): boolean;
}

let engine: typeof RE2JS | undefined;

/**
 * re2js, loaded on first use: 260 kB of JavaScript whose loading was a fifth of a `hotpath -top`'s
 * start-up, for reports that compile no regexp at all (no filter, no drop_frames, no graph labels).
 */
export function re2(): typeof RE2JS {
  return (engine ??= (createRequire(import.meta.url)('re2js') as typeof import('re2js')).RE2JS);
}

/**
 * RE2 runs in time linear in the subject, times the size of the compiled program: a pattern such as
 * `\pL{1000}` written out forty times matches one 20k-character name in seconds, on the event loop.
 * Real filters compile to tens of instructions; this leaves room for long alternations.
 */
export const MAX_REGEX_PROGRAM = 10_000;

export function compileRegex(pattern: string, option: string): Matcher {
  let re = recent.get(pattern);
  if (re === undefined) {
    try {
      re = re2().compile(pattern);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new OptionsError(`${option}: ${why}`, option);
    }
    if (re.programSize() > MAX_REGEX_PROGRAM) {
      throw new OptionsError(`${option}: regexp too complex (${re.programSize()} instructions compiled; the limit is ${MAX_REGEX_PROGRAM})`, option);
    }
    remember(pattern, re);
  }
  const compiled = re;
  return { test: (s: string) => compiled.test(s) };
}

/**
 * Compiled programs by pattern, newest last: a service compiles the same few patterns (a profile's
 * drop_frames, a dashboard's focus) on every request, and compiling one cost more than the whole
 * `top` report of a small profile. Bounded in entries and in the programs' size, since patterns
 * come from users: at most RECENT_ENTRIES programs of at most RECENT_PROGRAM instructions each.
 */
const recent = new Map<string, RE2JS>();
const RECENT_ENTRIES = 64;
const RECENT_PROGRAM = 1_000;

function remember(pattern: string, re: RE2JS): void {
  if (re.programSize() > RECENT_PROGRAM || pattern.length > 4096) return;
  if (recent.size >= RECENT_ENTRIES) recent.delete(recent.keys().next().value!);
  recent.set(pattern, re);
}
