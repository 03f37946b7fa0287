/**
 * In-process Graphviz (WASM) layout. Layout is synchronous and blocks the calling thread for as
 * long as it takes (seconds for ~1000 nodes, forever for some larger graphs), so servers go through
 * the job workers (src/jobs/), which run it in worker threads with deadlines. The CLI, which renders
 * one graph and exits, can call it directly.
 */
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import { RenderError } from '../errors.js';

export type { Graphviz };

/** Output formats we ask Graphviz for. PNG is made from SVG elsewhere, not by Graphviz. */
export type RenderFormat = 'svg';

let loading: Promise<Graphviz> | undefined;

/**
 * Loads the WASM module once per thread (~130 ms, ~67 MB) and memoises it. A failed load is not
 * memoised, so a later call retries.
 */
export function loadGraphviz(): Promise<Graphviz> {
  if (!loading) {
    loading = Graphviz.load().catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
  }
  return loading;
}

/**
 * Drops the WASM instance so the next load starts from fresh memory. Upstream has seen "memory
 * access out of bounds" on later layouts after a failure; unloading is the known cure. The library
 * already unloads itself when layout throws; this also covers the "empty output, no error" case.
 */
function discardInstance(): void {
  loading = undefined;
  Graphviz.unload();
}

/**
 * Lays out `dot` with the dot engine and returns Graphviz's raw output (for SVG: not yet passed
 * through finishSvg). Throws RenderError when Graphviz reports an error or returns nothing, which
 * is how it answers garbage input.
 */
export async function renderDot(dot: string, format: RenderFormat): Promise<string> {
  const graphviz = await loadGraphviz();
  let output: string;
  try {
    output = graphviz.layout(dot, format, 'dot');
  } catch (err) {
    discardInstance();
    const text = err instanceof Error ? err.message.trim() : String(err).trim();
    throw new RenderError(text === '' ? 'Graphviz failed without a message' : text);
  }
  if (output === '') {
    discardInstance();
    throw new RenderError('Graphviz produced no output (invalid or empty DOT?)');
  }
  return output;
}
