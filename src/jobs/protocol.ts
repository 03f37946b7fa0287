/**
 * Messages between the WorkerPool (main thread) and its workers. What crosses is bytes and plain
 * values: the profile as uploaded, options, limits; back come the answer's bytes (transferred, not
 * copied) and pprof's notes. Never a decoded profile: structured-cloning an object graph would cost
 * the main thread what the worker is there to take from it.
 */
import {
  GraphTooLargeError,
  OptionsError,
  ProfileError,
  RenderError,
  SourceArchiveError,
  TooLargeError,
  type ProfileErrorCode,
  type SourceArchiveErrorCode,
} from '../errors.js';
import type { Limits } from '../limits.js';
import type { ReportOptions } from '../options.js';
import type { PngOptions } from '../render/png.js';
import type { ReportName } from '../reports.js';

/** A profile as sent, and what to read it with. */
export interface JobInput {
  profile: Uint8Array;
  /** pprof -base (`diff` false) or -diff_base (`diff` true) */
  base?: { bytes: Uint8Array; diff: boolean };
  /** a sources archive (.tar.gz, .tar, .zip) for the list report */
  sources?: Uint8Array;
  limits: Limits;
  /** pprof's -symbolize as given */
  symbolize?: string;
  /** a stored profile's title: the card's heading */
  title?: string;
}

export type Job =
  /**
   * One report of a profile: decode, filter, build, print, and for `render` lay the DOT out (SVG)
   * or rasterise it (PNG: the graph's layout, or the report itself when it is an SVG, e.g. the card).
   * `maxSvgNodes` bounds what is laid out; `unlaid` names what to ask for instead of a graph over it.
   */
  | {
    kind: 'report'; input: JobInput; report: ReportName; options: ReportOptions; timeZone: string;
    render?: { to: 'svg' } | { to: 'png'; scale: number };
    maxSvgNodes: number; unlaid: string;
  }
  /** Decodes the input as a report would (an upload is checked before it is stored); answers nothing. */
  | { kind: 'check'; input: JobInput }
  /** The description of a stored profile (meta.json): kind, types, totals, the heaviest function; JSON. */
  | { kind: 'facts'; input: JobInput; timeZone: string }
  /** Lays out DOT as it is: the finished interactive SVG. */
  | { kind: 'layout'; dot: string }
  /** A PNG of Graphviz's SVG of `dot`, or of a standalone `svg` (a flame graph). */
  | { kind: 'png'; dot: string; svg?: string; options: PngOptions };

/** Main thread → worker. */
export interface JobRequest {
  id: number;
  job: Job;
}

/** What a job gives back: the answer's bytes (UTF-8 for text) and pprof's notes. */
export interface JobResult {
  body: Uint8Array;
  warnings: string[];
  breaches: string[];
}

/** Worker → main thread. */
export type WorkerReply =
  /** Graphviz is loaded; the worker takes jobs from now on. */
  | { kind: 'ready' }
  /** Notes only when there are some: every field is a cost in each hand-off (the fewer, the faster). */
  | { kind: 'done'; id: number; body: Uint8Array; warnings?: string[]; breaches?: string[] }
  /**
   * Job `id` failed. `recycle`: the worker may be in a bad state (Graphviz failed, or an error of no
   * known kind) and is replaced; a refused input or option leaves it as good as before.
   */
  | { kind: 'failed'; id: number; error: SentError; recycle: boolean };

/** An error as it crosses threads: its class by name and the fields the service maps. */
export interface SentError {
  name: string;
  message: string;
  code?: string;
  field?: string;
  index?: number;
  option?: string;
  limit?: number;
  limitName?: string;
  entry?: string;
  nodes?: number;
  max?: number;
  unlaid?: string;
}

/** The typed errors of errors.ts a job can throw for its input; anything else is a bug or Graphviz. */
export function sendError(err: unknown): SentError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & Partial<Record<keyof SentError, unknown>>;
  const out: SentError = { name: err.name, message: err.message };
  for (const key of ['code', 'field', 'option', 'limitName', 'entry', 'unlaid'] as const) if (typeof e[key] === 'string') out[key] = e[key];
  for (const key of ['index', 'limit', 'nodes', 'max'] as const) if (typeof e[key] === 'number') out[key] = e[key];
  return out;
}

/** The error a SentError stands for, of the same class when it is one of errors.ts's. */
export function receivedError(e: SentError): Error {
  switch (e.name) {
    case 'ProfileError':
      return new ProfileError(e.code as ProfileErrorCode, e.message, e.field, e.index);
    case 'TooLargeError':
      return new TooLargeError(e.message, e.limit ?? 0, e.limitName);
    case 'OptionsError':
      return new OptionsError(e.message, e.option);
    case 'SourceArchiveError':
      return new SourceArchiveError(e.code as SourceArchiveErrorCode, e.message, e.entry);
    case 'GraphTooLargeError':
      return new GraphTooLargeError(e.nodes ?? 0, e.max ?? 0, e.unlaid ?? 'format=dot');
    case 'RenderError':
      return new RenderError(e.message);
    default: {
      const err = new Error(e.message);
      err.name = e.name;
      return err;
    }
  }
}

/** Errors that leave the worker as good as before: the input or the options were refused. */
export function isInputError(err: unknown): boolean {
  return err instanceof ProfileError || err instanceof TooLargeError || err instanceof OptionsError
    || err instanceof SourceArchiveError || err instanceof GraphTooLargeError;
}
