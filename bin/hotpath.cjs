#!/usr/bin/env node
// CommonJS, as is the bundle it loads: Node skips setting up its ES module loader (scripts/bundle.mjs).
// Node ≥ 22 keeps V8's compiled code between runs (in the OS's temp folder): most of a small
// report's time is start-up. Enabled before the CLI is loaded, so that the CLI is cached too.
require('node:module').enableCompileCache?.();
// One file, built from src/cli/run.ts by esbuild (`npm run bundle`).
require('../build/src/bundle/hotpath.cjs');
