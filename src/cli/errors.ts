import { BusyError, FetchError, OptionsError, ProfileError, RenderTimeoutError, TooLargeError } from '../errors.js';
import { UsageError } from './args.js';

/** One line for a person, and an exit code: 2 usage, 1 bad input or options, 3 render failure, 70 bug. */
export function describeError(e: unknown): { message: string; code: number } {
  if (e instanceof UsageError) return { message: e.message, code: 2 };
  if (e instanceof ProfileError || e instanceof OptionsError || e instanceof TooLargeError || e instanceof FetchError) return { message: oneLine(e.message), code: 1 };
  if (e instanceof Error && e.name === 'SourceArchiveError') return { message: oneLine(e.message), code: 1 };
  if (e instanceof RenderTimeoutError || e instanceof BusyError) return { message: e.message, code: 3 };
  if (e instanceof Error && e.name === 'RenderError') return { message: `render failed: ${oneLine(e.message)}`, code: 3 };
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && err.path !== undefined) {
    const why: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory' };
    return { message: `${err.path}: ${why[err.code] ?? err.code}`, code: 1 };
  }
  return { message: `internal error: ${oneLine(e instanceof Error ? e.message : String(e))}`, code: 70 };
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').slice(0, 500);
}
