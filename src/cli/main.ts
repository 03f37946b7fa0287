// Sync reads and writes: a report has nothing to overlap them with, and node:fs/promises would load
// Node's streams and readline first (~2 ms of a small report's start).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseOptions } from '../options.js';
import { loadReportInput, produceReport, type ReportName } from '../reports.js';
import { directorySources } from '../report/sources.js';
import { adjustProfileUrl } from '../fetch/url.js';
import { describeError, UsageError } from '../errors.js';
import { parseArgs, USAGE, type CliArgs } from './args.js';

/** The `hotpath` command: a thin shell over the pipeline. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'report') return (await import('./report-command.js')).reportCommand(argv.slice(1), readInput);
  // The server (express, the store, the render pool) is loaded only for `serve`: a report never pays for it.
  if (argv[0] === 'serve') return (await import('../server/serve.js')).serveCommand(argv.slice(1));
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`hotpath: ${(e as Error).message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.version) {
    process.stdout.write('hotpath 0.1.0\n');
    return 0;
  }
  try {
    if (args.inputs.length !== 1) throw new UsageError(args.inputs.length === 0 ? 'no profile given (see hotpath -help)' : 'give one profile');
    const options = parseOptions(args.options);
    const name: ReportName = args.json ? (args.format === 'leaks' ? 'leaks.json' : 'json') : args.format;
    // Start compiling Graphviz's WASM now: V8 compiles it on a background thread while we decode.
    const graphviz = name === 'svg' ? import('../render/graphviz.js').then((m) => m.loadGraphviz()) : undefined;
    graphviz?.catch(() => {}); // a load failure surfaces from layout(), with its message
    const bytes = await readInput(args.inputs[0]!, args);
    const base = args.base ? { bytes: await readInput(args.base.file, args), diff: args.base.diff } : undefined;
    const input = loadReportInput(name, bytes, base, { ...args.limits, symbolize: options.symbolize });
    if (name === 'list') input.sources = directorySources(options.source_path ?? '', { trimPath: options.trim_path });
    const report = produceReport(input, name, options, { maxOutputChars: args.limits.maxOutputChars });
    const warnings = report.warnings;
    const out = report.needsLayout ? await layout(report.text) : report.text;
    for (const w of warnings) process.stderr.write(`${w}\n`);
    if (args.output !== undefined) writeFileSync(args.output, out);
    else await writeStdout(out);
    for (const b of report.breaches) process.stderr.write(`hotpath: budget exceeded: ${b}\n`);
    return report.breaches.length > 0 ? 1 : 0;
  } catch (e) {
    const { message, code } = describeError(e);
    process.stderr.write(`hotpath: ${message}\n`);
    return code;
  }
}

/** Graphviz (WASM) is loaded only when a report needs a layout: text reports start faster without it. */
async function layout(dot: string): Promise<string> {
  const [{ renderDot }, { finishSvg }] = await Promise.all([import('../render/graphviz.js'), import('../render/svg.js')]);
  return finishSvg(await renderDot(dot, 'svg'));
}

/** A file, `-` for stdin, or a URL fetched as pprof does (with -seconds and a progress line on a TTY). */
async function readInput(name: string, args: CliArgs): Promise<Uint8Array> {
  if (name !== '-' && adjustProfileUrl(name, args.seconds) !== undefined) {
    const [{ fetchProfile }, { progressLine }] = await Promise.all([import('../fetch/fetch-profile.js'), import('../fetch/progress.js')]);
    const progress = progressLine(process.stderr);
    try {
      return await fetchProfile(name, {
        seconds: args.seconds, timeoutMs: args.timeout === undefined ? undefined : args.timeout * 1000, onProgress: progress.update,
      });
    } finally {
      progress.done();
    }
  }
  if (name !== '-') return readFileSync(name);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function writeStdout(s: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(s, (err) => (err ? reject(err) : resolve())));
}
