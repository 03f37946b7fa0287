/**
 * The service in this process: `npm start` (main.ts) and `hotpath serve` from an installed package.
 * Configured by environment variables (config.ts; the store by DATABASE_URL or HOTPATH_DATA); `hotpath
 * serve --port N --host H` only sets PORT and HOST. Prints its URL; on SIGTERM or SIGINT stops
 * accepting connections, lets in-flight requests finish within HOTPATH_SHUTDOWN_GRACE_MS, and exits 0.
 */
import { checkStoreDriver } from '../store/index.js';
import { startServer } from './app.js';
import { configFromEnv, type ServerConfig } from './config.js';

export const SERVE_USAGE = `usage: hotpath serve [--port N] [--host ADDRESS]
  The HTTP service (as npm start in a clone), on PORT (default 8080) and HOST (default all
  addresses). Every other setting is an environment variable: HOTPATH_DATA (the SQLite store's
  folder, default ./data) or DATABASE_URL (PostgreSQL), HOTPATH_TOKENS, HOTPATH_RENDER_WORKERS, …
  (see the README's HTTP API and SECURITY.md).
`;

/** `hotpath serve`'s flags as the environment variables they stand for; throws a usage message. */
export function serveEnv(argv: string[], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv | 'help' {
  const out = { ...env };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.replace(/^--?/, '').split(/=(.*)/s, 2) as [string, string | undefined];
    if (flag === 'help' || flag === 'h') return 'help';
    const name = flag === 'port' ? 'PORT' : flag === 'host' ? 'HOST' : undefined;
    if (name === undefined || !argv[i]!.startsWith('-')) throw new Error(`unknown argument ${argv[i]} (see hotpath serve -help)`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`flag -${flag} needs a value`);
    out[name] = value;
  }
  return out;
}

/** Runs until a signal stops it; returns only when it could not start (the exit code). */
export async function serve(env: NodeJS.ProcessEnv): Promise<number> {
  let config: ServerConfig;
  try {
    config = configFromEnv(env);
  } catch (err) {
    process.stderr.write(`hotpath: ${(err as Error).message}\n`);
    return 2;
  }
  let running;
  try {
    await checkStoreDriver(env);
    running = await startServer(config);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? `port ${config.port} is in use (set PORT)` : e.message;
    process.stderr.write(`hotpath: cannot start the server: ${why}\n`);
    return 1;
  }
  process.stdout.write(`hotpath listening on ${running.url}\n`);

  let signalled = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    const { timedOut } = await running.shutdown();
    if (config.log) {
      process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'stopped', signal, timedOut }) + '\n');
    }
    process.exit(0);
  };
  process.on('SIGTERM', (s) => void stop(s));
  process.on('SIGINT', (s) => void stop(s));
  return new Promise<number>(() => {}); // the signal handlers end the process
}

/** `hotpath serve [--port N] [--host H]`. */
export async function serveCommand(argv: string[]): Promise<number> {
  let env;
  try {
    env = serveEnv(argv, process.env);
  } catch (e) {
    process.stderr.write(`hotpath: ${(e as Error).message}\n`);
    return 2;
  }
  if (env === 'help') {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  return serve(env);
}
