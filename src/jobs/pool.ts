/**
 * A pool of worker threads that do all of a profile's work (jobs: decode, filter, graph, report,
 * layout, PNG; job.ts), so none of it runs on the event loop, and no job can take more than its
 * worker: each has a heap ceiling (resourceLimits) and each job a deadline.
 *
 * Why hand-written: the rules we need (deadline counted from enqueue, terminate-and-replace on
 * timeout, a heap ceiling whose breach is the job's answer, recycle after N jobs or any Graphviz
 * error, BusyError with a Retry-After estimate) are a small state machine; piscina measured the
 * same speed and would still need most of this around it.
 *
 * Every worker is in one of three states: starting (loading Graphviz), idle, busy (one job). Jobs
 * wait in a bounded FIFO queue. A worker is never reused after anything went wrong in it: it is
 * terminated and a fresh one is started, which also returns its memory to the system.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { BusyError, RenderError, RenderTimeoutError, RenderWorkerLostError, TooLargeError } from '../errors.js';
import type { PngOptions } from '../render/png.js';
import { receivedError, type Job, type JobRequest, type JobResult, type WorkerReply } from './protocol.js';

/** The heap a worker may use by default: the 1M-sample bench profile needs ~512 MiB for an SVG. */
export const DEFAULT_WORKER_HEAP_MB = 1024;
/**
 * V8's young generation per worker. Reports allocate many short-lived objects; with V8's default a
 * worker scavenged so often that large.cpu's -top took ~15 % longer than on the main thread (64 MiB:
 * on par, measured side by side in one process). Counted apart from the heap ceiling.
 */
const WORKER_YOUNG_GENERATION_MB = 64;

export interface WorkerPoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  size?: number;
  /** Jobs allowed to wait for a worker; one more is rejected with BusyError. Default 64. */
  maxQueue?: number;
  /** Per-job deadline including queue time; default 10 000 ms. */
  deadlineMs?: number;
  /**
   * Replace a worker after this many jobs that ran Graphviz (layouts, PNGs), default 1000, bounding
   * what a long-lived WASM heap can collect (measured: a worker's RSS settles within 200 layouts of
   * the corpus and stays there for 1,200). Text reports do not count: they leave nothing in WASM.
   * Not more often: a replaced worker starts with cold JIT, and every report it serves next pays.
   */
  recycleAfterJobs?: number;
  /**
   * V8 heap ceiling of each worker (maxOldGenerationSizeMb), default DEFAULT_WORKER_HEAP_MB. A job
   * that needs more ends its worker only and rejects with TooLargeError naming `heapLimitName`.
   */
  heapMb?: number;
  /** how the heap ceiling is named to users (the service: worker_heap_mb, i.e. HOTPATH_WORKER_HEAP_MB) */
  heapLimitName?: string;
  /**
   * Worker entry module. Defaults to the compiled worker.js next to this file; tests pass other
   * workers (e.g. one that crashes) to exercise the failure paths.
   */
  workerUrl?: URL;
}

export interface WorkerPoolStats {
  /** Live workers (starting, idle or busy). */
  size: number;
  /** Workers running a job. */
  busy: number;
  /** Jobs waiting for a worker. */
  queued: number;
  /** Workers replaced for any reason: deadline, crash, out of memory, Graphviz error, recycling. */
  restarts: number;
  /** Jobs that gave an answer. */
  rendered: number;
}

interface Queued {
  id: number;
  /** undefined once settled, so a large input can be collected even if the caller keeps the promise */
  job: Job | undefined;
  /** the job's buffers handed to the worker rather than copied (they are unusable here afterwards) */
  transfer: ArrayBuffer[];
  /** the job runs Graphviz (counts toward recycling) */
  usesGraphviz: boolean;
  deadlineMs: number;
  timer: NodeJS.Timeout;
  /** set when a worker takes the job: undefined while it waits in the queue */
  startedAt?: number;
  settled: boolean;
  /** stops listening to the caller's signal */
  unlisten?: () => void;
  resolve(result: JobResult): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Set once the pool has let go of this worker; its later events are ignored. */
  retired: boolean;
  job?: Queued;
  /** jobs that ran Graphviz */
  layoutsDone: number;
}

/** Startup failures in a row (no worker reaching "ready" in between) before the pool gives up. */
const MAX_START_FAILURES = 3;
/** Weight of the newest render time in the moving average used for Retry-After. */
const AVERAGE_WEIGHT = 0.2;

export class WorkerPool {
  readonly #size: number;
  readonly #maxQueue: number;
  readonly #deadlineMs: number;
  readonly #recycleAfterJobs: number;
  readonly #heapMb: number;
  readonly #heapLimitName: string;
  readonly #workerUrl: URL;

  readonly #slots = new Set<Slot>();
  readonly #queue: Queued[] = [];
  #readyWaiters: { resolve(): void; reject(err: Error): void }[] = [];
  #nextJobId = 1;
  #restarts = 0;
  #rendered = 0;
  #averageRenderMs = 100;
  #startFailures = 0;
  /** Set when the pool can no longer serve: closed, or workers cannot start. */
  #failure?: RenderError;

  constructor(opts: WorkerPoolOptions = {}) {
    this.#size = positiveInt(opts.size ?? os.availableParallelism(), 'size');
    this.#maxQueue = nonNegativeInt(opts.maxQueue ?? 64, 'maxQueue');
    this.#deadlineMs = positiveInt(opts.deadlineMs ?? 10_000, 'deadlineMs');
    this.#recycleAfterJobs = positiveInt(opts.recycleAfterJobs ?? 1000, 'recycleAfterJobs');
    this.#heapMb = positiveInt(opts.heapMb ?? DEFAULT_WORKER_HEAP_MB, 'heapMb');
    this.#heapLimitName = opts.heapLimitName ?? 'worker_heap_mb';
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
   * Runs `job` in a worker. Rejects with BusyError when the queue is full, RenderTimeoutError past
   * the deadline (queue time included), TooLargeError when the job needed more than the worker's
   * heap, RenderWorkerLostError when the worker died otherwise, and with the job's own error (a
   * typed error of errors.ts, the same class as thrown in the worker) when it failed.
   *
   * `signal`: the caller no longer wants the answer (its client has gone). A job still waiting
   * leaves the queue at once, rejecting with the signal's reason, so that it holds neither a place
   * in the queue nor its input; a job already running finishes (stopping it would cost its worker).
   */
  run(job: Job, opts: { deadlineMs?: number; transfer?: ArrayBuffer[]; signal?: AbortSignal } = {}): Promise<JobResult> {
    return this.#enqueue(job, opts.deadlineMs, opts.transfer ?? [], opts.signal);
  }

  /** Lays out `dot` in a worker and returns the finished interactive SVG (same errors as run). */
  async render(dot: string, opts: { deadlineMs?: number } = {}): Promise<string> {
    const { body } = await this.run({ kind: 'layout', dot }, opts);
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  }

  /**
   * Makes a PNG in a worker (svgToPng in png.ts): of Graphviz's raw SVG for `{ dot }`, or of a
   * standalone SVG such as a flame graph for `{ svg }`. Same queue, deadline and errors as run;
   * also OptionsError for options svgToPng refuses.
   */
  async renderPng(
    source: { dot: string } | { svg: string },
    opts: PngOptions & { deadlineMs?: number } = {},
  ): Promise<Uint8Array> {
    const { deadlineMs, ...options } = opts;
    const job: Job = 'svg' in source ? { kind: 'png', dot: '', svg: source.svg, options } : { kind: 'png', dot: source.dot, options };
    return (await this.run(job, { ...(deadlineMs !== undefined && { deadlineMs }) })).body;
  }

  #enqueue(job: Job, deadline: number | undefined, transfer: ArrayBuffer[], signal: AbortSignal | undefined): Promise<JobResult> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const deadlineMs = positiveInt(deadline ?? this.#deadlineMs, 'deadlineMs');
    if (this.#queue.length >= this.#maxQueue && !this.#idleSlot()) {
      return Promise.reject(new BusyError(this.#retryAfterSeconds()));
    }
    return new Promise<JobResult>((resolve, reject) => {
      const queued: Queued = {
        id: this.#nextJobId++,
        job,
        transfer,
        usesGraphviz: job.kind === 'layout' || job.kind === 'png' || (job.kind === 'report' && job.render !== undefined),
        deadlineMs,
        settled: false,
        timer: setTimeout(() => this.#onDeadline(queued), deadlineMs),
        resolve,
        reject,
      };
      this.#queue.push(queued);
      this.#dispatch();
      // Only a job left waiting can be withdrawn: one that went straight to a worker needs no
      // listener (adding and removing one cost more than the rest of the hand-off's bookkeeping).
      if (signal !== undefined && queued.startedAt === undefined) {
        const onAbort = () => this.#withdraw(queued, abortReason(signal));
        signal.addEventListener('abort', onAbort, { once: true });
        queued.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
    });
  }

  /** Takes a job that has not started out of the queue, rejecting it with `err`; a running job is left alone. */
  #withdraw(job: Queued, err: Error): void {
    if (this.#unqueue(job)) this.#settle(job, err);
  }

  /** Takes the job out of the queue; false when it is not there (running, or done). */
  #unqueue(job: Queued): boolean {
    const i = this.#queue.indexOf(job);
    if (i >= 0) this.#queue.splice(i, 1);
    return i >= 0;
  }

  stats(): WorkerPoolStats {
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
      // No flag of the parent's: a job worker needs none, and a Worker refuses many (the process-wide
      // ones, which Node 24's test runner spells out for every test file, and --input-type of `node -e`).
      worker: new Worker(this.#workerUrl, { execArgv: [], resourceLimits: { maxOldGenerationSizeMb: this.#heapMb, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } }),
      ready: false,
      retired: false,
      layoutsDone: 0,
    };
    this.#slots.add(slot);
    slot.worker.on('message', (reply: WorkerReply) => this.#onReply(slot, reply));
    // 'error' (uncaught exception in the worker, or its heap ceiling reached) is always followed by
    // 'exit'; handle the first.
    slot.worker.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') this.#onWorkerDeath(slot, 'out of memory', this.#outOfMemory());
      else this.#onWorkerDeath(slot, `job worker failed: ${err.message}`);
    });
    slot.worker.on('exit', (code: number) => this.#onWorkerDeath(slot, `job worker exited with code ${code}`));
  }

  /** Stops using a worker and terminates it; resolves when it has exited. */
  async #retire(slot: Slot): Promise<void> {
    if (slot.retired) return;
    slot.retired = true;
    this.#slots.delete(slot);
    const job = slot.job;
    slot.job = undefined;
    if (job) this.#settle(job, this.#failure ?? new RenderError('job worker stopped'));
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
    if (job.usesGraphviz) slot.layoutsDone++;
    this.#recordDuration(job);
    if (reply.kind === 'done') {
      this.#rendered++;
      this.#settle(job, undefined, { body: reply.body, warnings: reply.warnings ?? [], breaches: reply.breaches ?? [] });
      if (slot.layoutsDone >= this.#recycleAfterJobs) this.#replace(slot);
    } else {
      this.#settle(job, receivedError(reply.error));
      // Graphviz may have left its WASM heap in a bad state; a refused input left nothing behind.
      if (reply.recycle || slot.layoutsDone >= this.#recycleAfterJobs) this.#replace(slot);
    }
    this.#dispatch();
  }

  /** What a job that hit its worker's heap ceiling answers: the input asked for too much. */
  #outOfMemory(): TooLargeError {
    return new TooLargeError(
      `the job needed more memory than a worker has (${this.#heapMb} MiB, ${this.#heapLimitName}); narrow it with focus, show or tagfocus, or send a smaller profile`,
      this.#heapMb * 1024 * 1024,
      this.#heapLimitName,
    );
  }

  #onWorkerDeath(slot: Slot, message: string, jobError: Error = new RenderWorkerLostError(message)): void {
    if (slot.retired) return;
    const wasReady = slot.ready;
    const job = slot.job;
    slot.job = undefined;
    if (job) this.#settle(job, jobError);
    if (!wasReady && ++this.#startFailures >= MAX_START_FAILURES) {
      // Workers die before loading Graphviz: a broken install, not a bad graph. Stop retrying.
      void this.#retire(slot);
      this.#fail(new RenderError(`job workers cannot start: ${message}`));
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
      const queued = this.#queue.shift()!;
      queued.unlisten?.(); // running now: it finishes even if its caller goes (see run)
      queued.unlisten = undefined;
      slot.job = queued;
      queued.startedAt = performance.now();
      const request: JobRequest = { id: queued.id, job: queued.job! };
      slot.worker.postMessage(request, queued.transfer);
      queued.job = undefined; // the worker has it now
      queued.transfer = [];
    }
  }

  #onDeadline(job: Queued): void {
    if (job.settled) return;
    this.#unqueue(job);
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

  #settle(job: Queued, err: Error | undefined, result?: JobResult): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.timer);
    job.unlisten?.();
    job.job = undefined; // let a large input be collected even if the caller keeps the promise
    job.transfer = [];
    if (err) job.reject(err);
    else job.resolve(result!);
  }

  /** Makes the pool refuse all work from now on, failing whatever is waiting. */
  #fail(err: RenderError): void {
    this.#failure = err;
    for (const job of this.#queue.splice(0)) this.#settle(job, err);
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(err);
  }

  #recordDuration(job: Queued): void {
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

/** Why a signal was aborted, as an Error (`abort()` without a reason gives a DOMException, also an Error). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new RenderError(`job cancelled: ${String(reason)}`);
}

function positiveInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`WorkerPool ${name} must be a positive integer, got ${n}`);
  return n;
}

function nonNegativeInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`WorkerPool ${name} must be a non-negative integer, got ${n}`);
  return n;
}
