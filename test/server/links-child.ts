/**
 * Child process of the links tests: a hotpath server in a process of its own, on the store the
 * test names (an SQLite directory, or a PostgreSQL schema), for the kill -9 and the two-replica
 * cases. Prints "listening <url>" once it is ready; stops on SIGTERM, dies on SIGKILL.
 *
 * `node --test build/test/` also runs this file as a test; started without its argument it does
 * nothing and exits.
 */
import { startServer } from '../../src/server/app.js';
import type { ServerConfig } from '../../src/server/config.js';
import { openStore } from '../../src/store/index.js';

export interface LinksChildConfig {
  /** DATABASE_URL or HOTPATH_DATA */
  env: Record<string, string>;
  pgSchema?: string;
  config?: Partial<ServerConfig>;
}

const arg = process.argv[2];
if (arg !== undefined) {
  const { env, pgSchema, config } = JSON.parse(arg) as LinksChildConfig;
  const server = await startServer(
    { port: 0, host: '127.0.0.1', log: false, renderWorkers: 1, shutdownGraceMs: 1000, ...config },
    { openStore: () => openStore(env, pgSchema !== undefined ? { pgSchema } : {}) },
  );
  await server.ready();
  process.stdout.write(`listening ${server.url}\n`);
  process.on('SIGTERM', () => void server.shutdown().then(() => process.exit(0)));
}
