/**
 * What every request goes through, whether express routes it or not (POST /v1/render does not; see
 * app.ts): its id, security headers, the in-flight count, one log line and the metrics at its end,
 * and an error answered as problem+json. Written on node:http's own request and response, which
 * express's extend.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { admittedWork } from './admission.js';
import type { BodyMeter } from './body.js';
import type { AppDeps } from './deps.js';
import type { Logger } from './log.js';
import { problemFromError, sendProblem } from './problem.js';

/** A response with the per-request values handlers share (express's `res.locals`). */
export type Reply = ServerResponse & { locals: Record<string, unknown> };

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Starts a request's bookkeeping: `res.locals` gets requestId, bodyMeter and route (named by the
 * route's handler); at the end (sent, or the client gone) it is logged and counted, and it leaves
 * the in-flight count once its admitted work, if any, has ended too.
 */
export function trackRequest({ metrics, logger, state }: Pick<AppDeps, 'metrics' | 'logger' | 'state'>, req: IncomingMessage, res: Reply): void {
  const started = performance.now();
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  const meter: BodyMeter = { bytes: 0 };
  res.locals['requestId'] = id;
  res.locals['bodyMeter'] = meter;
  res.locals['route'] = 'unmatched';
  res.setHeader('X-Request-Id', id);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (state.draining) res.setHeader('Connection', 'close');
  state.inFlight++;
  let done = false;
  const leave = () => {
    state.inFlight--;
    state.onIdle?.();
  };
  const finish = () => {
    if (done) return;
    done = true;
    const route = res.locals['route'] as string;
    const status = res.writableFinished ? res.statusCode : 499; // 499: the client went away first
    const seconds = (performance.now() - started) / 1000;
    metrics.requests.inc({ route, method: req.method ?? '', status: String(status) });
    metrics.requestSeconds.observe({ route }, seconds);
    if (meter.bytes > 0) metrics.bytesIn.inc({ route }, meter.bytes);
    logger.info({
      id,
      method: req.method,
      route,
      status,
      ms: Math.round(seconds * 10_000) / 10,
      bytes_in: meter.bytes,
      bytes_out: Number(res.getHeader('content-length')) || 0,
    });
    // A request that reads a profile is in flight until its work ends, which may be after its
    // client has gone (a job running, a profile being stored): shutdown waits for it.
    const work = admittedWork(res);
    if (work === undefined) leave();
    else void work.then(leave);
  };
  res.on('finish', finish);
  res.on('close', finish);
}

/** A request's error as problem+json (problem.ts maps it); an unexpected one is logged with its stack. */
export function answerError(err: unknown, req: IncomingMessage, res: Reply, logger: Logger): void {
  const mapped = problemFromError(err);
  if (mapped.unexpected) {
    const e = err instanceof Error ? err : new Error(String(err));
    logger.error({ id: res.locals['requestId'] as string, msg: 'unexpected error', error: `${e.name}: ${e.message}`, stack: e.stack });
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.removeHeader('Content-Security-Policy');
  // A body we stopped reading (over the cap, or refused before reading) must not be parsed as the next request.
  if (!req.complete) res.setHeader('Connection', 'close');
  sendProblem(res, mapped);
}
