/** What the server's routes share, so route modules depend on this and not on the app that wires them. */
import type { WorkerPool } from '../jobs/pool.js';
import type { Admission } from './admission.js';
import type { ServerConfig } from './config.js';
import type { Logger } from './log.js';
import type { ServerMetrics } from './metrics.js';
import type { Page } from './page.js';
import type { StoreHandle } from './store-handle.js';

/** What the routes share; `state` changes as the server starts and stops. */
export interface AppDeps {
  config: ServerConfig;
  pool: WorkerPool;
  metrics: ServerMetrics;
  logger: Logger;
  page: Page;
  state: ServerState;
  /** the profile store behind links; `get()` answers 503 until it is open */
  store: StoreHandle;
  /** how many requests reading a profile may be in progress at once (503 past it) */
  admission: Admission;
}

export interface ServerState {
  /** every job worker loaded Graphviz once */
  workersReady: boolean;
  /** SIGTERM received: finishing in-flight requests, taking no new work */
  draining: boolean;
  inFlight: number;
  /** called whenever inFlight drops */
  onIdle?: () => void;
}

/** What the link routes use of it. */
export type LinksDeps = Pick<AppDeps, 'config' | 'pool' | 'metrics' | 'logger' | 'store' | 'admission'>;
