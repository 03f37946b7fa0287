/**
 * Admission control for the requests that read a profile: POST /v1/render, POST /v1/profiles,
 * POST /v1/captures, and a link whose artifact (or meta.json) must be made. Their work runs in the
 * worker pool, but each holds its body (up to the body cap) and a place in the pool's queue while
 * it waits: under 3× the service's capacity the loadtest (bench/loadtest.ts) saw, before this
 * existed, admitted requests' p99 past 20 s and connections failing. So at most `max` of them are
 * in progress at once; one more is answered 503 with Retry-After at once, before its body is read.
 * That bounds the backlog, and the memory held by bodies in progress, to `max` requests' worth.
 *
 * Cheap requests (cached links, health, metrics, pages) never count: they must keep working when
 * the service is at its limit.
 */
import type { RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

/** Seconds a refused client is asked to wait: the admitted backlog drains within about that. */
const RETRY_AFTER_SECONDS = 1;

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

  /** Middleware: a place for the rest of the request, released when its response is done or aborted. */
  middleware(): RequestHandler {
    return (_req, res, next) => {
      const release = this.enter();
      res.once('close', release);
      next();
    };
  }
}
