#!/usr/bin/env node
// `hotpath`: runs the CLI, one CommonJS file that esbuild builds from src/cli/run.ts (scripts/bundle.mjs).
// CommonJS, as is this file: Node then skips setting up its ES module loader (~7 ms).
//
// A small report's time is mostly start-up, and much of that is V8 compiling each function the
// command calls, on its first call. Node's compile cache keeps only what V8 compiled before the
// file ran (its top level), so the bundle is compiled here with a code cache of V8's own, made at
// the end of a first run: it holds every function that run compiled (a -top on a small profile,
// Node 22: ~77 → ~60 ms). One cache per kind of command (text reports, -svg, `report`), in the
// user's cache folder (XDG_CACHE_HOME or ~/.cache: hotpath/v8/), named by the bundle's build and
// the Node that made it. NODE_DISABLE_COMPILE_CACHE=1 (Node's own switch) turns it off.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

// Node's compile cache (22+) still serves what the bundle loads at run time: re2js, the server.
Module.enableCompileCache?.();

const bundle = path.join(__dirname, '../build/src/bundle/hotpath.cjs');
if (process.argv[2] === 'serve') {
  // The server's ES modules are imported from the bundle: loaded as Node loads it, where import() works.
  require(bundle);
} else {
  runCached(bundle, process.argv.slice(2));
}

function runCached(file, argv) {
  const source = fs.readFileSync(file, 'utf8');
  const cacheFile = codeCacheFile(source, argv);
  const cachedData = cacheFile && readOwn(cacheFile);
  const script = new vm.Script(Module.wrap(source), { filename: file, ...(cachedData && { cachedData }) });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    // At exit, so that the cache holds what this run compiled; only after a command that did its
    // work (not -help, not an error), or a first run that stopped early would make a thin cache
    // that later runs keep using.
    process.once('exit', (code) => {
      if (code === 0) saveCodeCache(cacheFile, script);
    });
  }
  const bundleModule = { exports: {} };
  script.runInThisContext()(bundleModule.exports, Module.createRequire(file), bundleModule, file, path.dirname(file));
}

/** Where this build's cache for this kind of command lives; undefined for none. */
function codeCacheFile(code, argv) {
  if (process.env.NODE_DISABLE_COMPILE_CACHE || argv.some((a) => /^--?(help|h|version)$/.test(a))) return undefined;
  const build = /^\/\/ hotpath bundle (\w+)\n/.exec(code)?.[1];
  if (build === undefined) return undefined;
  const kind = argv[0] === 'report' ? 'report' : argv.some((a) => a === '-svg' || a === '--svg') ? 'svg' : 'text';
  const home = process.env.XDG_CACHE_HOME || (process.platform === 'win32' ? process.env.LOCALAPPDATA : undefined) || path.join(os.homedir(), '.cache');
  return path.join(home, 'hotpath', 'v8', `${build}-${process.version}-${process.arch}-${kind}.bin`);
}

/**
 * The file, if it sits in a folder only this user can write: V8 trusts a code cache as compiled
 * code, so one that someone else could have written is never read.
 */
function readOwn(file) {
  try {
    const dir = fs.statSync(path.dirname(file));
    if (process.getuid && (dir.uid !== process.getuid() || (dir.mode & 0o022) !== 0)) return undefined;
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Writes the cache (whole, or not at all), and drops the caches of other builds. */
function saveCodeCache(file, compiled) {
  try {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, compiled.createCachedData(), { mode: 0o600 });
    fs.renameSync(temp, file);
    const build = `${path.basename(file).split('-')[0]}-`;
    for (const f of fs.readdirSync(dir)) if (!f.startsWith(build) && f.endsWith('.bin')) fs.rmSync(path.join(dir, f), { force: true });
  } catch {
    // A cache is an optimisation: a read-only or full disk only means the next run compiles again.
  }
}
