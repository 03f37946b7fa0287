/**
 * A pool of worker threads running Graphviz, so layouts never block the event loop. PNG jobs
 * (renderPng: layout and/or rasterising) share the same workers, queue, deadlines and recycling.
 *
 * Why hand-written: the rules we need (deadline counted from enqueue, terminate-and-replace on
 * timeout, recycle after N jobs or any Graphviz error, BusyError with a Retry-After estimate) are a
 * small state machine; piscina measured the same speed and would still need most of this around it.
 *
 * Every worker is in one of three states: starting (loading Graphviz), idle, busy (one job). Jobs
 * wait in a bounded FIFO queue. A worker is never reused after anything went wrong in it: it is
 * terminated and a fresh one is started, which also returns its WASM memory to the system.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { BusyError, OptionsError, RenderError, RenderTimeoutError, RenderWorkerLostError } from '../errors.js';
import type { PngOptions } from './png.js';
import type { RenderRequest, WorkerReply } from './protocol.js';

export interface RenderPoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  size?: number;
  /** Jobs allowed to wait for a worker; one more is rejected with BusyError. Default 64. */
  maxQueue?: number;
  /** Per-job deadline including queue time; default 10 000 ms. */
  deadlineMs?: number;
  /** Replace a worker after this many jobs, bounding what a long-lived WASM heap can collect. */
  recycleAfterJobs?: number;
  /**
   * Worker entry module. Defaults to the compiled worker.js next to this file; tests pass other
   * workers (e.g. one that crashes) to exercise the failure paths.
   */
  workerUrl?: URL;
}

export interface RenderPoolStats {
  /** Live workers (starting, idle or busy). */
  size: number;
  /** Workers running a job. */
  busy: number;
  /** Jobs waiting for a worker. */
  queued: number;
  /** Workers replaced for any reason: deadline, crash, Graphviz error, recycling. */
  restarts: number;
  /** Jobs that produced an SVG or a PNG. */
  rendered: number;
}

interface Job {
  id: number;
  dot: string;
  /** Set for a PNG job (see RenderRequest.png). */
  png?: RenderRequest['png'];
  deadlineMs: number;
  timer: NodeJS.Timeout;
  startedAt?: number;
  settled: boolean;
  /** An SVG string for a layout job, PNG bytes for a PNG job. */
  resolve(result: string | Uint8Array): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Set once the pool has let go of this worker; its later events are ignored. */
  retired: boolean;
  job?: Job;
  jobsDone: number;
}

/** Startup failures in a row (no worker reaching "ready" in between) before the pool gives up. */
const MAX_START_FAILURES = 3;
/** Weight of the newest render time in the moving average used for Retry-After. */
const AVERAGE_WEIGHT = 0.2;

export class RenderPool {
  readonly #size: number;
  readonly #maxQueue: number;
  readonly #deadlineMs: number;
  readonly #recycleAfterJobs: number;
  readonly #workerUrl: URL;

  readonly #slots = new Set<Slot>();
  readonly #queue: Job[] = [];
  #readyWaiters: { resolve(): void; reject(err: Error): void }[] = [];
  #nextJobId = 1;
  #restarts = 0;
  #rendered = 0;
  #averageRenderMs = 100;
  #startFailures = 0;
  /** Set when the pool can no longer serve: closed, or workers cannot start. */
  #failure?: RenderError;

  constructor(opts: RenderPoolOptions = {}) {
    this.#size = positiveInt(opts.size ?? os.availableParallelism(), 'size');
    this.#maxQueue = nonNegativeInt(opts.maxQueue ?? 64, 'maxQueue');
    this.#deadlineMs = positiveInt(opts.deadlineMs ?? 10_000, 'deadlineMs');
    this.#recycleAfterJobs = positiveInt(opts.recycleAfterJobs ?? 200, 'recycleAfterJobs');
    this.#workerUrl = opts.workerUrl ?? new URL('./worker.js', import.meta.url);
    for (let i = 0; i < this.#size; i++) this.#spawn();
  }

  /** Resolves once every worker has loaded Graphviz; rejects if workers cannot start. */
  ready(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#readyCount() === this.#size) return Promise.resolve();
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /**
   * Lays out `dot` in a worker and returns the finished interactive SVG. Rejects with BusyError
   * when the queue is full, RenderTimeoutError past the deadline (queue time included), and
   * RenderError when Graphviz fails or the worker dies.
   */
  render(dot: string, opts: { deadlineMs?: number } = {}): Promise<string> {
    return this.#enqueue(dot, undefined, opts.deadlineMs) as Promise<string>;
  }

  /**
   * Makes a PNG in a worker (svgToPng in png.ts): of Graphviz's raw SVG for `{ dot }`, or of a
   * standalone SVG such as a flame graph for `{ svg }`. Same queue, deadline and errors as render;
   * also OptionsError for options svgToPng refuses.
   */
  renderPng(
    source: { dot: string } | { svg: string },
    opts: PngOptions & { deadlineMs?: number } = {},
  ): Promise<Uint8Array> {
    const { deadlineMs, ...options } = opts;
    const png = 'svg' in source ? { options, svg: source.svg } : { options };
    return this.#enqueue('dot' in source ? source.dot : '', png, deadlineMs) as Promise<Uint8Array>;
  }

  #enqueue(dot: string, png: Job['png'], deadline: number | undefined): Promise<string | Uint8Array> {
    if (this.#failure) return Promise.reject(this.#failure);
    const deadlineMs = positiveInt(deadline ?? this.#deadlineMs, 'deadlineMs');
    if (this.#queue.length >= this.#maxQueue && !this.#idleSlot()) {
      return Promise.reject(new BusyError(this.#retryAfterSeconds()));
    }
    return new Promise<string | Uint8Array>((resolve, reject) => {
      const job: Job = {
        id: this.#nextJobId++,
        dot,
        png,
        deadlineMs,
        settled: false,
        timer: setTimeout(() => this.#onDeadline(job), deadlineMs),
        resolve,
        reject,
      };
      this.#queue.push(job);
      this.#dispatch();
    });
  }

  stats(): RenderPoolStats {
    let busy = 0;
    for (const slot of this.#slots) if (slot.job) busy++;
    return {
      size: this.#slots.size,
      busy,
      queued: this.#queue.length,
      restarts: this.#restarts,
      rendered: this.#rendered,
    };
  }

  /**
   * Fault injection, for tests: terminates the worker running a job the way a crash would end it,
   * outside the pool's own bookkeeping (the pool learns of it from the worker's exit, as it would
   * of a real crash). Returns that worker's threadId, or undefined when no job is running.
   */
  killBusyWorkerForTesting(): number | undefined {
    for (const slot of this.#slots) {
      if (slot.job === undefined || slot.retired) continue;
      const threadId = slot.worker.threadId; // -1 once the thread has stopped
      void slot.worker.terminate();
      return threadId;
    }
    return undefined;
  }

  /** Rejects queued and running jobs, terminates every worker and waits for them to exit. */
  async close(): Promise<void> {
    if (!this.#failure) this.#fail(new RenderError('render pool is closed'));
    const exits = [...this.#slots].map((slot) => this.#retire(slot));
    await Promise.all(exits);
  }

  // ---- workers -------------------------------------------------------------------------------

  #spawn(): void {
    const slot: Slot = {
      // No flag of the parent's: a render worker needs none, and a Worker refuses many (the process-wide
      // ones, which Node 24's test runner spells out for every test file, and --input-type of `node -e`).
      worker: new Worker(this.#workerUrl, { execArgv: [] }),
      ready: false,
      retired: false,
      jobsDone: 0,
    };
    this.#slots.add(slot);
    slot.worker.on('message', (reply: WorkerReply) => this.#onReply(slot, reply));
    // 'error' (uncaught exception in the worker) is always followed by 'exit'; handle the first.
    slot.worker.on('error', (err: Error) => this.#onWorkerDeath(slot, `render worker failed: ${err.message}`));
    slot.worker.on('exit', (code: number) => this.#onWorkerDeath(slot, `render worker exited with code ${code}`));
  }

  /** Stops using a worker and terminates it; resolves when it has exited. */
  async #retire(slot: Slot): Promise<void> {
    if (slot.retired) return;
    slot.retired = true;
    this.#slots.delete(slot);
    const job = slot.job;
    slot.job = undefined;
    if (job) this.#settle(job, this.#failure ?? new RenderError('render worker stopped'));
    await slot.worker.terminate().catch(() => undefined);
  }

  /** Retires a worker and starts a fresh one in its place (which loads Graphviz again). */
  #replace(slot: Slot): void {
    if (slot.retired) return;
    void this.#retire(slot);
    if (this.#failure) return;
    this.#restarts++;
    this.#spawn();
  }

  #onReply(slot: Slot, reply: WorkerReply): void {
    if (slot.retired) return;
    if (reply.kind === 'ready') {
      slot.ready = true;
      this.#startFailures = 0;
      if (this.#readyCount() === this.#size) {
        for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
      }
      this.#dispatch();
      return;
    }
    const job = slot.job;
    if (!job || job.id !== reply.id) return; // a job we already gave up on
    slot.job = undefined;
    slot.jobsDone++;
    this.#recordDuration(job);
    if (reply.kind === 'done' || reply.kind === 'png') {
      this.#rendered++;
      this.#settle(job, undefined, reply.kind === 'done' ? reply.svg : reply.png);
      if (slot.jobsDone >= this.#recycleAfterJobs) this.#replace(slot);
    } else if (reply.option !== undefined) {
      // Refused options: nothing ran, so the worker is as good as before.
      this.#settle(job, new OptionsError(reply.message, reply.option || undefined));
      if (slot.jobsDone >= this.#recycleAfterJobs) this.#replace(slot);
    } else {
      this.#settle(job, new RenderError(reply.message));
      this.#replace(slot); // Graphviz may have left its WASM heap in a bad state
    }
    this.#dispatch();
  }

  #onWorkerDeath(slot: Slot, message: string): void {
    if (slot.retired) return;
    const wasReady = slot.ready;
    const job = slot.job;
    slot.job = undefined;
    if (job) this.#settle(job, new RenderWorkerLostError(message));
    if (!wasReady && ++this.#startFailures >= MAX_START_FAILURES) {
      // Workers die before loading Graphviz: a broken install, not a bad graph. Stop retrying.
      void this.#retire(slot);
      this.#fail(new RenderError(`render workers cannot start: ${message}`));
      for (const other of [...this.#slots]) void this.#retire(other);
      return;
    }
    this.#replace(slot);
    this.#dispatch();
  }

  // ---- jobs ----------------------------------------------------------------------------------

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const slot = this.#idleSlot();
      if (!slot) return;
      const job = this.#queue.shift()!;
      slot.job = job;
      job.startedAt = performance.now();
      const request: RenderRequest = job.png ? { id: job.id, dot: job.dot, png: job.png } : { id: job.id, dot: job.dot };
      slot.worker.postMessage(request);
    }
  }

  #onDeadline(job: Job): void {
    if (job.settled) return;
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) this.#queue.splice(queued, 1);
    this.#settle(job, new RenderTimeoutError(job.deadlineMs));
    for (const slot of this.#slots) {
      if (slot.job === job) {
        // The layout may never end; terminating the thread is the only way to stop it.
        slot.job = undefined;
        this.#replace(slot);
        break;
      }
    }
    this.#dispatch();
  }

  #settle(job: Job, err: Error | undefined, result?: string | Uint8Array): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.timer);
    job.dot = ''; // let a large DOT string be collected even if the caller keeps the promise
    job.png = undefined;
    if (err) job.reject(err);
    else job.resolve(result!);
  }

  /** Makes the pool refuse all work from now on, failing whatever is waiting. */
  #fail(err: RenderError): void {
    this.#failure = err;
    for (const job of this.#queue.splice(0)) this.#settle(job, err);
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(err);
  }

  #recordDuration(job: Job): void {
    if (job.startedAt === undefined) return;
    const ms = performance.now() - job.startedAt;
    this.#averageRenderMs += AVERAGE_WEIGHT * (ms - this.#averageRenderMs);
  }

  /** How long until the backlog has drained, by the recent average render time: 1–5 s. */
  #retryAfterSeconds(): number {
    const backlog = this.#queue.length + this.stats().busy;
    const seconds = (backlog * this.#averageRenderMs) / this.#size / 1000;
    return Math.min(5, Math.max(1, Math.ceil(seconds)));
  }

  #idleSlot(): Slot | undefined {
    for (const slot of this.#slots) if (slot.ready && !slot.job) return slot;
    return undefined;
  }

  #readyCount(): number {
    let n = 0;
    for (const slot of this.#slots) if (slot.ready) n++;
    return n;
  }
}

function positiveInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`RenderPool ${name} must be a positive integer, got ${n}`);
  return n;
}

function nonNegativeInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`RenderPool ${name} must be a non-negative integer, got ${n}`);
  return n;
}
