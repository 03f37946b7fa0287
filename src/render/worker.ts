/**
 * Render worker: loads Graphviz once, says so, then lays out one DOT graph per message. Layout
 * blocks this thread, which is the point: the pool can terminate it when a deadline passes.
 */
import { parentPort } from 'node:worker_threads';
import { loadGraphviz, renderDot } from './graphviz.js';
import { finishSvg } from './svg.js';
import type { RenderRequest, WorkerReply } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('render worker must run in a worker thread (see RenderPool)');

function reply(message: WorkerReply): void {
  port!.postMessage(message);
}

// A load failure is left uncaught on purpose: the pool sees the worker's 'error' event.
await loadGraphviz();

port.on('message', async ({ id, dot }: RenderRequest) => {
  try {
    reply({ kind: 'done', id, svg: finishSvg(await renderDot(dot, 'svg')) });
  } catch (err) {
    reply({ kind: 'failed', id, message: err instanceof Error ? err.message : String(err) });
  }
});
reply({ kind: 'ready' });
