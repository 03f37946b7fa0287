import { main } from './main.js';

// `hotpath -svg cpu.pb.gz | head`: a reader that stops early ends the command quietly, as it ends
// any Unix tool (pprof dies of SIGPIPE), instead of an unhandled EPIPE error with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

// No top-level await: the bundle is CommonJS (scripts/bundle.mjs says why).
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
