/**
 * The HTTP service: its routes (request bookkeeping and problem+json errors in exchange.ts) and
 * graceful shutdown, around one WorkerPool.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { WorkerPool } from '../jobs/pool.js';
import { Admission } from './admission.js';
import { DEFAULT_CONFIG, type ServerConfig } from './config.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { loadPage, type Page } from './page.js';
import { answerError, trackRequest, type Reply } from './exchange.js';
import { HttpProblem } from './problem.js';
import { renderHandler, SVG_CSP } from './render.js';
import { openStore, type Store } from '../store/index.js';
import { StoreHandle } from './store-handle.js';
import { metaLoader, originOf } from './links/profiles.js';
import { registerLinkRoutes } from './links/routes.js';
import type { AppDeps, ServerState } from './deps.js';
import { viewerRoutes } from './viewer.js';
import { registerCaptureRoutes } from './captures.js';


/**
 * The service's request listener. POST /v1/render, the service's API for tools and CI and its one
 * route called in bulk, is served on node:http's own request and response: express's per-request
 * set-up (re-prototyping the request and response, routing) cost it 0.2–0.35 ms of a 2–5 ms answer,
 * as much as the hand-off to a job worker. Every other route is express's. Both go through the same
 * bookkeeping and error answer (exchange.ts).
 */
export function createApp(deps: AppDeps): http.RequestListener {
  const routes = expressApp(deps);
  const render = renderRoute(deps);
  return (req, res) => {
    if (req.method === 'POST' && isRenderPath(req.url)) render(req, res as Reply);
    else routes(req, res);
  };
}

/** The path as express would match `/v1/render`: case-insensitive, a trailing slash allowed. */
function isRenderPath(url: string | undefined): boolean {
  if (url === undefined) return false;
  const q = url.indexOf('?');
  return /^\/v1\/render\/?$/i.test(q < 0 ? url : url.slice(0, q));
}

function renderRoute(deps: AppDeps): (req: http.IncomingMessage, res: Reply) => void {
  const { config, pool, metrics, logger, admission } = deps;
  const handle = admission.admitted<http.IncomingMessage, Reply>(renderHandler({ config, pool, metrics }));
  return (req, res) => {
    res.locals = Object.create(null) as Record<string, unknown>;
    trackRequest(deps, req, res);
    res.locals['route'] = '/v1/render';
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Security-Policy', SVG_CSP);
    handle(req, res).catch((err: unknown) => answerError(err, req, res, logger));
  };
}

function expressApp(deps: AppDeps): express.Express {
  const { config, pool, metrics, logger, page, state, store } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  // Express 5's default "simple" parser: repeated keys become arrays (as queryOf in render.ts).
  app.set('query parser', 'simple');

  app.use((req: Request, res: Response, next: NextFunction) => {
    trackRequest(deps, req, res);
    next();
  });

  const named = (route: string) => (_req: Request, res: Response, next: NextFunction) => {
    res.locals['route'] = route;
    next();
  };

  app.get('/', named('/'), (_req, res) => {
    res.setHeader('Content-Security-Policy', page.csp);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.type('html').send(page.html);
  });

  // Browsers ask for it on every page load; there is none, and a 404 would only add noise.
  app.get('/favicon.ico', named('/favicon.ico'), (_req, res) => {
    res.status(204).end();
  });

  app.get('/healthz', named('/healthz'), (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', named('/readyz'), (_req, res) => {
    const stats = pool.stats();
    const ready = state.workersReady && store.status === 'open' && !state.draining && stats.size > 0;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : state.draining ? 'draining' : 'starting',
      store: store.status,
      workers: stats.size,
      busy: stats.busy,
      queued: stats.queued,
    });
  });

  app.get('/metrics', named('/metrics'), async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  const openapi = JSON.stringify(openApiDocument(config), null, 2) + '\n';
  app.get('/openapi.json', named('/openapi.json'), (_req, res) => {
    res.type('application/json').send(openapi);
  });

  // POST is served before express (createApp); any other method is refused here.
  app.all('/v1/render', named('/v1/render'), () => {
    throw new HttpProblem('method-not-allowed', 'POST the profile to /v1/render', {}, { Allow: 'POST' });
  });

  registerLinkRoutes(app, deps);
  app.use(viewerRoutes({ loadMeta: metaLoader(deps), origin: (req) => originOf(req, config) }));
  registerCaptureRoutes(app, deps);

  app.use(() => {
    throw new HttpProblem('not-found', 'no such route; see /openapi.json');
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    answerError(err, req, res, logger);
  });

  return app;
}

export interface RunningServer {
  /** e.g. http://localhost:8080 */
  url: string;
  port: number;
  config: ServerConfig;
  server: http.Server;
  pool: WorkerPool;
  metrics: ServerMetrics;
  state: ServerState;
  /** the profile store (opened in the background at start) */
  store: StoreHandle;
  /** Resolves once every job worker has loaded Graphviz and the store is open. */
  ready(): Promise<void>;
  /**
   * Stops accepting connections, lets in-flight requests finish for up to `graceMs` (then cuts
   * them), stops the job workers. Idempotent. Resolves to whether the grace period ran out.
   */
  shutdown(graceMs?: number): Promise<{ timedOut: boolean }>;
}

export interface StartOptions {
  logger?: Logger;
  /** the page template, for tests that do not run from the repository layout */
  page?: Page;
  /** Opens the profile store; default: openStore(process.env) (SQLite under ./data or $HOTPATH_DATA, PostgreSQL with DATABASE_URL). */
  openStore?: () => Promise<Store>;
  /** The clock the store runs on, when a test moves it (see StoreHandleOptions.now). */
  now?: () => number;
}

export async function startServer(overrides: Partial<ServerConfig> = {}, opts: StartOptions = {}): Promise<RunningServer> {
  const config: ServerConfig = { ...DEFAULT_CONFIG, ...overrides };
  const logger = opts.logger ?? createLogger(config.log);
  const page = opts.page ?? loadPage();
  const pool = new WorkerPool({
    size: config.renderWorkers, maxQueue: config.renderQueue, deadlineMs: config.renderDeadlineMs, heapMb: config.workerHeapMb,
  });
  const state: ServerState = { workersReady: false, draining: false, inFlight: 0 };
  const workersReady = pool.ready().then(
    () => {
      state.workersReady = true;
    },
    (err: Error) => {
      logger.error({ msg: 'job workers failed to start', error: err.message });
      throw err;
    },
  );
  workersReady.catch(() => undefined); // reported above; /readyz keeps answering 503
  const metrics = createMetrics(pool);
  // Opened (and migrated) in the background: /readyz says 503 until it is, links answer 503.
  const store = new StoreHandle(opts.openStore ?? (() => openStore(process.env)), logger, { ...(opts.now && { now: opts.now }) });
  const admission = new Admission(config.maxActiveRequests);
  const app = createApp({ config, pool, metrics, logger, page, state, store, admission });
  const server = http.createServer(app);

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await pool.close();
    await store.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const shownHost = config.host === undefined || config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;

  let stopping: Promise<{ timedOut: boolean }> | undefined;
  const shutdown = (graceMs = config.shutdownGraceMs) => {
    stopping ??= (async () => {
      state.draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timedOut = await waitForIdle(state, graceMs);
      server.closeAllConnections();
      await closed;
      await pool.close();
      await store.close();
      return { timedOut };
    })();
    return stopping;
  };

  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    port,
    config,
    server,
    pool,
    metrics,
    state,
    store,
    ready: () => Promise.all([workersReady, store.ready()]).then(() => undefined),
    shutdown,
  };
}

/** Resolves when no request is in flight (false) or when `graceMs` has passed (true). */
function waitForIdle(state: ServerState, graceMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (state.inFlight === 0) {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => {
      state.onIdle = undefined;
      resolve(true);
    }, graceMs);
    state.onIdle = () => {
      if (state.inFlight > 0) return;
      clearTimeout(timer);
      state.onIdle = undefined;
      resolve(false);
    };
  });
}
