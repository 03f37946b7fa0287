#!/usr/bin/env node
// The compiled CLI lives in build/ (npm's `prepare` script builds it on `npm ci`).
import '../build/src/cli/run.js';
