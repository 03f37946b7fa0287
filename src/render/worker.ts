/**
 * Render worker: loads Graphviz once, says so, then lays out one DOT graph per message. Layout
 * blocks this thread, which is the point: the pool can terminate it when a deadline passes.
 * PNG jobs also rasterise here; the rasteriser (png.ts) is loaded on the first one, so workers
 * that only ever make SVG do not carry it.
 */
import { parentPort } from 'node:worker_threads';
import { OptionsError } from '../errors.js';
import { loadGraphviz, renderDot } from './graphviz.js';
import { finishSvg } from './svg.js';
import type { RenderRequest, WorkerReply } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('render worker must run in a worker thread (see RenderPool)');

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

async function renderPng({ dot, png }: RenderRequest): Promise<Uint8Array> {
  const { dotToPng, svgToPng } = await import('./png.js');
  return png!.svg !== undefined ? svgToPng(png!.svg, png!.options) : dotToPng(dot, png!.options);
}

// A load failure is left uncaught on purpose: the pool sees the worker's 'error' event.
await loadGraphviz();

port.on('message', async (request: RenderRequest) => {
  const { id } = request;
  try {
    if (request.png) {
      const png = await renderPng(request);
      // Hand the bytes over instead of copying them, when they own their whole buffer.
      const whole = png.byteOffset === 0 && png.byteLength === png.buffer.byteLength && png.buffer instanceof ArrayBuffer;
      reply({ kind: 'png', id, png }, whole ? [png.buffer as ArrayBuffer] : []);
    } else {
      reply({ kind: 'done', id, svg: finishSvg(await renderDot(request.dot, 'svg')) });
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof OptionsError) reply({ kind: 'failed', id, message, option: err.option ?? '' });
    else reply({ kind: 'failed', id, message });
  }
});
reply({ kind: 'ready' });
