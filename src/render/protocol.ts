/** Messages between RenderPool (main thread) and its render workers. */
import type { PngOptions } from './png.js';

/** Main thread → worker: lay out one DOT graph (and, for a PNG job, rasterise it). */
export interface RenderRequest {
  id: number;
  /** The DOT to lay out; empty in a PNG job that brings its own `png.svg`. */
  dot: string;
  /**
   * Absent: reply 'done' with the finished interactive SVG. Present: reply 'png' with PNG bytes of
   * Graphviz's raw SVG for `dot`, or of `svg` (e.g. a flame graph) when given.
   */
  png?: { options: PngOptions; svg?: string };
}

/** Worker → main thread. */
export type WorkerReply =
  /** Graphviz is loaded; the worker takes jobs from now on. */
  | { kind: 'ready' }
  /** The finished (post-processed) SVG for job `id`. */
  | { kind: 'done'; id: number; svg: string }
  /** The PNG for job `id` (its buffer is transferred, not copied). */
  | { kind: 'png'; id: number; png: Uint8Array }
  /**
   * Job `id` failed. Without `option`, Graphviz or the rasteriser failed and the worker should be
   * recycled; with it, the job's options were refused (OptionsError for that option) before any work.
   */
  | { kind: 'failed'; id: number; message: string; option?: string };
