/**
 * `npm start`: the render service on $PORT (default 8080), configured by environment variables
 * (src/server/config.ts). Prints its URL; on SIGTERM or SIGINT stops accepting connections, lets
 * in-flight requests finish within HOTPATH_SHUTDOWN_GRACE_MS, and exits 0.
 */
import { startServer } from './app.js';
import { configFromEnv, type ServerConfig } from './config.js';

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = configFromEnv();
  } catch (err) {
    process.stderr.write(`hotpath: ${(err as Error).message}\n`);
    process.exit(2);
  }
  let running;
  try {
    running = await startServer(config);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? `port ${config.port} is in use (set PORT)` : e.message;
    process.stderr.write(`hotpath: cannot start the server: ${why}\n`);
    process.exit(1);
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
}

await main();
