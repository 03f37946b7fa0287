/**
 * Child process of the store test's kill -9 case: opens the store it is given and writes
 * crashBlob(0), crashBlob(1), … with `concurrency` puts always in flight, printing "<i> <id>" only
 * after a put resolved, until it is killed.
 *
 * `node --test build/test/` also runs this file as a test; started without its argument it does
 * nothing and exits.
 */
import { openStore } from '../../src/store/index.js';
import type { OpenStoreOverrides } from '../../src/store/index.js';
import { crashBlob } from './blobs.js';

export interface CrashWriterConfig {
  env: Record<string, string>;
  overrides: Pick<OpenStoreOverrides, 'pgSchema' | 'synchronous' | 'sqliteDriver'>;
  concurrency: number;
}

const arg = process.argv[2];
if (arg !== undefined) {
  const config = JSON.parse(arg) as CrashWriterConfig;
  const store = await openStore(config.env, config.overrides);
  let next = 0;
  const writer = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const { id } = await store.putProfile(crashBlob(i), { title: `blob ${i}`, ...(i % 3 === 0 && { ttlSeconds: 86_400 }) });
      process.stdout.write(`${i} ${id}\n`);
    }
  };
  process.stdout.write('ready\n');
  await Promise.all(Array.from({ length: config.concurrency }, writer));
}
