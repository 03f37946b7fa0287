/**
 * The server's hold on the profile store: opened (and migrated) when the server starts, retried
 * while the database cannot be reached, retention enforced on a timer and after writes, closed at
 * shutdown. Routes ask it for the store and get a 503 while there is none, so the HTTP side can
 * start (healthz, renders) before the database answers, and /readyz says when links work.
 */
import { StoreUnavailableError } from '../errors.js';
import type { Store } from '../store/index.js';
import type { Logger } from './log.js';
import { HttpProblem } from './problem.js';

export interface StoreHandleOptions {
  /** How often expired profiles are purged and artifacts trimmed to the cap. Default 60 s. */
  limitsEveryMs?: number;
  /** A write runs enforceLimits too, unless one ran this recently. Default 10 s. */
  limitsAfterWriteMs?: number;
  /** First wait before reopening after a failure; doubles up to 30 s. Default 1 s. */
  retryMs?: number;
  /**
   * The store's clock (ms since the epoch), for expiry checks made outside it (the in-memory
   * artifact cache). Default Date.now; tests that move the store's clock pass the same one.
   */
  now?: () => number;
}

export type StoreStatus = 'opening' | 'open' | 'closed';

export class StoreHandle {
  #store: Store | undefined;
  #status: StoreStatus = 'opening';
  #opened: Promise<Store>;
  #retryTimer: NodeJS.Timeout | undefined;
  #limitsTimer: NodeJS.Timeout | undefined;
  #lastLimits = 0;
  #limitsRunning: Promise<void> | undefined;
  #cancelOpen!: (err: Error) => void;
  readonly #limitsAfterWriteMs: number;
  /** the store's clock: see StoreHandleOptions.now */
  readonly now: () => number;

  constructor(open: () => Promise<Store>, private readonly logger: Logger, options: StoreHandleOptions = {}) {
    const limitsEveryMs = options.limitsEveryMs ?? 60_000;
    this.#limitsAfterWriteMs = options.limitsAfterWriteMs ?? 10_000;
    this.now = options.now ?? Date.now;
    let delay = options.retryMs ?? 1000;
    this.#opened = new Promise<Store>((resolve, reject) => {
      this.#cancelOpen = reject;
      const attempt = () => {
        this.#retryTimer = undefined;
        open().then(
          (store) => {
            if (this.#status === 'closed') {
              void store.close();
              return;
            }
            this.#store = store;
            this.#status = 'open';
            logger.info({ msg: 'store open', store: store.kind, location: store.location });
            this.#limitsTimer = setInterval(() => void this.#enforceLimits(), limitsEveryMs);
            this.#limitsTimer.unref();
            resolve(store);
          },
          (err: unknown) => {
            if (this.#status === 'closed') return;
            const e = err instanceof Error ? err : new Error(String(err));
            logger.error({ msg: 'cannot open the store; retrying', error: `${e.name}: ${e.message}`, retry_ms: delay });
            this.#retryTimer = setTimeout(attempt, delay);
            this.#retryTimer.unref();
            delay = Math.min(delay * 2, 30_000);
          },
        );
      };
      attempt();
    });
    this.#opened.catch(() => undefined); // whoever waits on ready() sees it; nobody else must
  }

  get status(): StoreStatus {
    return this.#status;
  }

  /** Resolves once the store is open; rejects if the server shuts down first. */
  ready(): Promise<Store> {
    return this.#opened;
  }

  /** The open store, or a 503 problem for the client while there is none. */
  get(): Store {
    if (this.#store !== undefined && this.#status === 'open') return this.#store;
    const why = this.#status === 'closed' ? 'the server is shutting down' : 'it is still being opened';
    throw new HttpProblem('unavailable', `the profile store is not available: ${why}`, {}, { 'Retry-After': '2' });
  }

  /** After a successful write: reclaim space now and then, without making the writer wait. */
  afterWrite(): void {
    if (Date.now() - this.#lastLimits >= this.#limitsAfterWriteMs) void this.#enforceLimits();
  }

  #enforceLimits(): Promise<void> {
    const store = this.#store;
    if (store === undefined || this.#status !== 'open') return Promise.resolve();
    this.#limitsRunning ??= (async () => {
      this.#lastLimits = Date.now();
      try {
        const r = await store.enforceLimits();
        if (r.expiredProfiles > 0 || r.removedSources > 0 || r.evictedArtifacts > 0) {
          this.logger.info({
            msg: 'store limits enforced', expired_profiles: r.expiredProfiles, removed_sources: r.removedSources, evicted_artifacts: r.evictedArtifacts,
          });
        }
      } catch (err) {
        // Next time, then: a busy or unreachable database is not worth more than a log line here.
        const level = err instanceof StoreUnavailableError ? 'info' : 'error';
        this.logger[level]({ msg: 'cannot enforce the store limits', error: (err as Error).message });
      } finally {
        this.#limitsRunning = undefined;
      }
    })();
    return this.#limitsRunning;
  }

  /** Stops the timers and closes the store (after a running enforceLimits). Idempotent. */
  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    this.#status = 'closed';
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    if (this.#limitsTimer !== undefined) clearInterval(this.#limitsTimer);
    this.#cancelOpen(new Error('the server shut down before the store was open'));
    await this.#limitsRunning;
    const store = this.#store;
    this.#store = undefined;
    await store?.close();
  }
}
