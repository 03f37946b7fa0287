/**
 * A job worker: loads Graphviz once, says so, then runs one job per message (job.ts). A job
 * blocks this thread for as long as it takes, which is the point: the event loop of the service
 * never does, and the pool can terminate this thread when a deadline passes or let V8 stop it at
 * its heap ceiling (resourceLimits), taking nothing else down.
 */
import { parentPort } from 'node:worker_threads';
import { loadGraphviz } from '../render/graphviz.js';
import { runJob } from './job.js';
import { isInputError, sendError, type JobRequest, type WorkerReply } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('job worker must run in a worker thread (see WorkerPool)');

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

// A load failure is left uncaught on purpose: the pool sees the worker's 'error' event.
await loadGraphviz();

port.on('message', async ({ id, job }: JobRequest) => {
  try {
    const { body, warnings, breaches } = await runJob(job);
    const done: WorkerReply = { kind: 'done', id, body };
    if (warnings.length > 0) done.warnings = warnings;
    if (breaches.length > 0) done.breaches = breaches;
    // Hand the bytes over instead of copying them, when they own their whole buffer.
    const whole = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
    reply(done, whole ? [body.buffer as ArrayBuffer] : []);
  } catch (err) {
    reply({ kind: 'failed', id, error: sendError(err), recycle: !isInputError(err) });
  }
});
reply({ kind: 'ready' });
