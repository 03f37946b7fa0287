/**
 * Admission control for the requests that read a profile: POST /v1/render, POST /v1/profiles,
 * POST /v1/captures, and a link whose artifact (or meta.json) must be made. Their work runs in the
 * worker pool, but each holds its body (up to the body cap) and a place in the pool's queue while
 * it waits: under 3× the service's capacity the loadtest (bench/loadtest.ts) saw, before this
 * existed, admitted requests' p99 past 20 s and connections failing. So at most `max` of them are
 * in progress at once; one more is answered 503 with Retry-After at once, before its body is read.
 * That bounds the backlog, and the memory held by bodies in progress, to `max` requests' worth.
 *
 * A place is held until the request's work ends, not until its client hangs up: a client that
 * uploads 64 MiB and goes would otherwise free its place while its body and its job, still in the
 * pool's queue, are held until the deadline, and the bound would be the queue's length instead.
 * The client's going is still worth knowing: jobs given the handler's `gone` signal leave the
 * queue then, which ends the work (and frees the place) at once unless a job is already running.
 *
 * Cheap requests (cached links, health, metrics, pages) never count: they must keep working when
 * the service is at its limit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import { HttpProblem } from './problem.js';

/** Seconds a refused client is asked to wait: the admitted backlog drains within about that. */
const RETRY_AFTER_SECONDS = 1;

/** What admission looks at of a response: its per-request values, its close event, whether it was sent. */
export type AdmittedResponse = Pick<ServerResponse, 'once' | 'writableFinished'> & { locals: Record<string, unknown> };

/** An admitted request's handler: `gone` aborts when the client leaves before its answer is sent. */
export type AdmittedHandler<Q, S> = (req: Q, res: S, gone: AbortSignal) => Promise<void>;

/** Where an admitted request's work is kept in res.locals, for the in-flight count (admittedWork). */
const WORK = 'admittedWork';

/**
 * An admitted request's work, settled (never rejected) when its handler's promise settles; undefined
 * for a request that took no place. The request is in flight until then, even after its client left.
 */
export function admittedWork(res: Pick<AdmittedResponse, 'locals'>): Promise<void> | undefined {
  return res.locals[WORK] as Promise<void> | undefined;
}

export class Admission {
  #active = 0;
  #refused = 0;

  constructor(readonly max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`Admission max must be a whole number ≥ 1, got ${max}`);
  }

  /** Requests in progress now. */
  get active(): number {
    return this.#active;
  }

  /** Requests refused since the start. */
  get refused(): number {
    return this.#refused;
  }

  /**
   * Takes a place, or throws the 503 problem (kind `busy`, with Retry-After) when all are taken.
   * Returns the release, which may be called more than once.
   */
  enter(): () => void {
    if (this.#active >= this.max) {
      this.#refused++;
      throw new HttpProblem(
        'busy',
        `the server is at its limit of ${this.max} profiles in progress; retry in ${RETRY_AFTER_SECONDS} s`,
        {},
        { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      );
    }
    this.#active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
    };
  }

  /**
   * `handler` in a place of its own, released when the handler's promise settles (see the top of
   * this file). The work cut short by the client's going answers nobody; it rejects with the
   * `bad-request` problem, the client's doing (logged with status 499). No place free: rejects
   * with the `busy` problem. An express handler, or called as it is (POST /v1/render).
   */
  admitted<Q extends IncomingMessage = Request, S extends AdmittedResponse = Response>(handler: AdmittedHandler<Q, S>): (req: Q, res: S) => Promise<void> {
    return (req, res) => {
      let release: () => void;
      try {
        release = this.enter();
      } catch (err) {
        return Promise.reject(err);
      }
      const gone = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) gone.abort(new HttpProblem('bad-request', 'the client closed the connection before its answer was ready'));
      });
      const work = handler(req, res, gone.signal).finally(release);
      res.locals[WORK] = work.then(
        () => undefined,
        () => undefined,
      );
      return work;
    };
  }
}
