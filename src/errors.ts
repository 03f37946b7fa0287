/**
 * Errors are values with codes. The pipeline throws these; the CLI turns them into one line on
 * stderr and a non-zero exit, the server into RFC 7807 problem+json with the status below.
 */

export type ProfileErrorCode =
  | 'empty'            // 0 bytes
  | 'unrecognized'     // neither gzip nor profile.proto, nor a legacy format pprof reads
  | 'truncated'        // gzip stream or protobuf message cut short
  | 'malformed'        // protobuf decodes but references are broken
  | 'overflow';        // values beyond the exact range of a double

export class ProfileError extends Error {
  override name = 'ProfileError';
  constructor(
    readonly code: ProfileErrorCode,
    message: string,
    /** the profile.proto field at fault, when one is, e.g. "sample.location_id" */
    readonly field?: string,
    /** the offending id or index */
    readonly index?: number,
  ) {
    super(message);
  }
}

/**
 * Input, or the work it asks for, past a configured cap: request body, inflated size, a budget of
 * src/limits.ts (then `limitName` is its flag name, e.g. `max_samples`), a worker's memory.
 */
export class TooLargeError extends Error {
  override name = 'TooLargeError';
  constructor(message: string, readonly limit: number, readonly limitName?: string) {
    super(message);
  }
}

/**
 * A graph with more nodes than the server lays out. `unlaid` names what to ask for instead (the
 * same graph as DOT).
 */
export class GraphTooLargeError extends Error {
  override name = 'GraphTooLargeError';
  constructor(readonly nodes: number, readonly max: number, readonly unlaid: string) {
    super(`the graph has ${nodes} nodes, over this server's SVG limit of ${max}; set nodecount (trim=false lifts it) or ask for ${unlaid}`);
  }
}

/** A valid profile with options that cannot apply to it: unknown sample_index, bad regex, … */
export class OptionsError extends Error {
  override name = 'OptionsError';
  constructor(message: string, readonly option?: string) {
    super(message);
  }
}

/** A job (decoding, the report, its layout) that passed its deadline, queue time included. */
export class RenderTimeoutError extends Error {
  override name = 'RenderTimeoutError';
  constructor(readonly deadlineMs: number) {
    super(`the profile's job (decoding, report, layout) did not finish within ${deadlineMs} ms`);
  }
}

/** The render queue is full: retry later. */
export class BusyError extends Error {
  override name = 'BusyError';
  constructor(readonly retryAfterSeconds: number) {
    super('render queue is full');
  }
}

/**
 * Graphviz could not lay out a graph (syntax error, internal failure, empty output) or the worker
 * rendering it died. The message is Graphviz's own error text when it gave one.
 */
export class RenderError extends Error {
  override name = 'RenderError';
  constructor(message: string) {
    super(message);
  }
}

/**
 * The job worker running the job died (killed, crashed) rather than Graphviz refusing the
 * graph. The pool has started a replacement, so the same request sent again is likely to succeed:
 * the server answers 503 with Retry-After, not a 4xx about the graph.
 */
export class RenderWorkerLostError extends RenderError {
  override name = 'RenderWorkerLostError';
}

export type SourceArchiveErrorCode =
  | 'unsupported'      // not a .tar.gz, .tar or .zip, or a feature we do not read (zip64, encryption, sparse files)
  | 'malformed'        // a broken header, checksum, size or compressed stream
  | 'unsafe_path'      // an entry named with `../`, an absolute path or a NUL
  | 'link'             // a symlink or hardlink entry
  | 'special_file'     // a device, fifo or socket entry
  | 'too_large'        // unpacked contents over the size cap
  | 'too_many_files';  // more entries than the count cap

/** An uploaded sources archive (for -list) that is refused; nothing of it is used. */
export class SourceArchiveError extends Error {
  override name = 'SourceArchiveError';
  constructor(
    readonly code: SourceArchiveErrorCode,
    message: string,
    /** the entry at fault, as the archive names it */
    readonly entry?: string,
  ) {
    super(message);
  }
}

export type FetchErrorKind =
  | 'bad-url'          // not an http(s) URL we can fetch
  | 'dns'              // the host name does not resolve
  | 'refused'          // nothing listens at host:port
  | 'connection'       // the connection failed or closed before the answer was complete
  | 'timeout'          // no complete answer within seconds + margin
  | 'http'             // an answer other than 200 OK
  | 'too-large'        // the body passed the byte cap; the download was stopped
  | 'redirects'        // too many redirects, or one we cannot follow
  | 'forbidden'        // refused by the capture policy (server: HOTPATH_FETCH_ALLOW)
  | 'aborted';         // the caller's AbortSignal fired

/**
 * Pulling a profile over HTTP failed. Whether the bytes are a profile is decided later by the
 * decoder (ProfileError). Server: forbidden → 403, bad-url → 400, timeout → 504, the rest → 502.
 */
export class FetchError extends Error {
  override name = 'FetchError';
  constructor(
    readonly kind: FetchErrorKind,
    message: string,
    /** the URL at fault (the redirect target for a hop), without user:password */
    readonly url?: string,
    /** kind 'http': the status answered */
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * The store cannot serve the request now: the database is unreachable, restarting, out of
 * connections or locked. Nothing was written. The server answers 503 with Retry-After.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  constructor(message: string, readonly retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The store has no room for a write (disk full, database size cap). Nothing was written: 507. */
export class StorageFullError extends Error {
  override name = 'StorageFullError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A command line that cannot be run as written (unknown flag, missing value): exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * What a JavaScript string or array cannot hold (Node's ERR_STRING_TOO_LONG, V8's "Invalid string
 * length"): a size problem of the input that no budget stopped first, to be reported as TooLargeError.
 */
export function isBeyondJsLimits(err: unknown): boolean {
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'ERR_STRING_TOO_LONG') return true;
  return err instanceof RangeError && /^Invalid (string|array|typed array) length/.test(err.message);
}

/** One line for a person, and an exit code: 2 usage, 1 bad input or options, 3 render failure, 70 bug. */
export function describeError(e: unknown): { message: string; code: number } {
  if (e instanceof UsageError) return { message: e.message, code: 2 };
  if (e instanceof TooLargeError && e.limitName !== undefined) return { message: `${oneLine(e.message)}; raise the limit with -${e.limitName}=N`, code: 1 };
  if (e instanceof ProfileError || e instanceof OptionsError || e instanceof TooLargeError || e instanceof FetchError) return { message: oneLine(e.message), code: 1 };
  if (e instanceof Error && e.name === 'SourceArchiveError') return { message: oneLine(e.message), code: 1 };
  if (e instanceof RenderTimeoutError || e instanceof BusyError) return { message: e.message, code: 3 };
  if (e instanceof Error && e.name === 'RenderError') return { message: `render failed: ${oneLine(e.message)}`, code: 3 };
  const err = e as NodeJS.ErrnoException;
  // A system call that failed on an input: a file that is not there, not readable, or a directory.
  // Opening names the path; a read does not (readFileSync of a directory fails in read(), EISDIR).
  if (err && typeof err.code === 'string' && (err.path !== undefined || READS.has(err.syscall ?? ''))) {
    const why = ERRNO_WHY[err.code] ?? err.code;
    return { message: err.path !== undefined ? `${err.path}: ${why}` : `cannot read an input: ${why}`, code: 1 };
  }
  return { message: `internal error: ${oneLine(e instanceof Error ? e.message : String(e))}`, code: 70 };
}

/** The system calls reading an input makes (not writing stdout: a closed pipe is no bad input). */
const READS = new Set(['open', 'read', 'stat', 'lstat', 'fstat', 'scandir', 'opendir']);

const ERRNO_WHY: Record<string, string> = {
  ENOENT: 'no such file', EACCES: 'permission denied', EPERM: 'permission denied', EISDIR: 'is a directory',
  ENOTDIR: 'not a directory', ELOOP: 'too many symbolic links', ENAMETOOLONG: 'name too long', EMFILE: 'too many open files',
};

/** A message as one line of at most 500 characters: a profile's names can be long and hold newlines. */
export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').slice(0, 500);
}
