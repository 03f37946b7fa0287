/**
 * better-sqlite3 is a native addon: installing hotpath compiles it (prebuild-install's download of a
 * prebuilt one cannot reach GitHub here), which takes minutes. An install in a test instead finds it
 * through prebuild-install's documented local-prebuilds folder
 * (npm_config_better_sqlite3_local_prebuilds), packed from this checkout's compiled addon, which is
 * the same package version built for the same Node: the install still runs the package's real
 * install script, only the compile is not repeated.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Fills `dir` with the addon of `nodeModules`/better-sqlite3 for the running Node; answers the env to pass npm. */
export function localPrebuilds(nodeModules: string, dir: string): NodeJS.ProcessEnv {
  const pkg = path.join(nodeModules, 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-czf', path.join(dir, name), '-C', pkg, 'build/Release/better_sqlite3.node']);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}
