/** Messages between RenderPool (main thread) and its render workers. */

/** Main thread → worker: lay out one DOT graph. */
export interface RenderRequest {
  id: number;
  dot: string;
}

/** Worker → main thread. */
export type WorkerReply =
  /** Graphviz is loaded; the worker takes jobs from now on. */
  | { kind: 'ready' }
  /** The finished (post-processed) SVG for job `id`. */
  | { kind: 'done'; id: number; svg: string }
  /** Graphviz rejected job `id`; the worker should be recycled. */
  | { kind: 'failed'; id: number; message: string };
