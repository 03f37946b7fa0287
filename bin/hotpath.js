#!/usr/bin/env node
// Node ≥ 22 keeps V8's compiled code between runs (in the OS's temp folder): most of a small
// report's time is start-up. Enabled before the CLI is imported, so that the CLI is cached too.
import module from 'node:module';

module.enableCompileCache?.();
// One file and its lazily loaded chunks (esbuild, `npm run bundle`), built from src/cli/run.ts.
await import('../build/src/bundle/hotpath.js');
