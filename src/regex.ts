import { RE2JS } from 're2js';
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

export function compileRegex(pattern: string, option: string): Matcher {
  try {
    const re = RE2JS.compile(pattern);
    return { test: (s: string) => re.test(s) };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new OptionsError(`${option}: ${why}`, option);
  }
}
