import { OptionsError } from '../errors.js';
import { compareBytes } from '../format/go-strings.js';
import { infoString, type NodeInfo } from '../graph/node-info.js';
import type { ReportOptions } from '../options.js';
import { selectSamples, type ReportEnv } from '../pipeline/select.js';
import type { Profile } from '../profile/model.js';
import { compileRegex } from '../regex.js';
import { padLeft } from '../format/goformat.js';
import { formatValue, type ReportContext } from '../pipeline/context.js';
import { reportFileName, splitSourceLines, type SourceReader } from './sources.js';
import { percentage } from '../format/units.js';
import { OutputBudget } from '../pipeline/output.js';

/**
 * pprof's -list (internal/report/source.go printSource): for every function whose name matches the
 * regexp, per source file, a `ROUTINE` header with its flat and cum, then the source lines from the
 * function's start (or 5 lines before its first sample) to 5 lines after its last sample, each with the
 * flat and cum of the samples on that line.
 *
 * One deliberate difference: when a file cannot be found, pprof prints only ` Error: could not find
 * file F on path P` (P being local directories). Here that line names the file without the path, and
 * the costs of every line that has samples are still printed, with empty source text.
 */
export interface ListEnv {
  sources: SourceReader;
  env?: ReportEnv;
}

/** A node of pprof's list graph: one source line of one function (granularity `lines`, binary names kept). */
interface LineNode {
  info: NodeInfo;
  flat: number;
  cum: number;
  /** the last sample that added to cum: counts it once per sample */
  stamp: number;
}

/** Lines shown before the first and after the last sample of a function without a start line. */
const MARGIN = 5;

export function listReport(profile: Profile, regex: string, options: ReportOptions, { sources, env }: ListEnv): { text: string; warnings: string[] } {
  const symbol = compileRegex(regex, 'list');
  // pprof's list forces trimming off and line granularity; -noinlines still applies.
  const o: ReportOptions = { ...options, granularity: 'lines', trim: false, nodecount: 0, nodefraction: 0, edgefraction: 0 };
  const selected = selectSamples(profile, o, env);
  const nodes = lineNodes(selected.profile, selected.valueIndex, o.noinlines, o.drop_negative, sources);

  // Group the nodes of each matching function, functions in name order.
  const byFunction = new Map<string, LineNode[]>();
  for (const n of nodes) {
    if (!symbol.test(n.info.name)) continue;
    let group = byFunction.get(n.info.name);
    if (group === undefined) byFunction.set(n.info.name, (group = []));
    group.push(n);
  }
  if (byFunction.size === 0) throw new OptionsError(`no matches found for regexp: ${regex}`, 'list');
  const functions = [...byFunction.keys()].sort(compareBytes);

  const ctx = selected.ctx;
  const text = new SourceCache(sources);
  const budget = new OutputBudget(env?.maxOutputChars);
  const out = [budget.line(`Total: ${formatValue(ctx, ctx.total)}`)];
  for (const name of functions) {
    const byFile = new Map<string, LineNode[]>();
    for (const n of byFunction.get(name)!) {
      if (n.info.file === '') continue;
      let group = byFile.get(n.info.file);
      if (group === undefined) byFile.set(n.info.file, (group = []));
      group.push(n);
    }
    if (byFile.size === 0) {
      out.push(budget.line(`No source information for ${name}`));
      continue;
    }
    for (const file of [...byFile.keys()].sort(compareBytes)) routine(ctx, name, file, byFile.get(file)!, text, out, budget);
  }
  return { text: out.join('\n') + '\n', warnings: selected.warnings };
}

/** One function in one file: header, then its annotated lines, added to `out`. */
function routine(ctx: ReportContext, name: string, file: string, fns: LineNode[], text: SourceCache, out: string[], budget: OutputBudget): void {
  let flatSum = 0;
  let cumSum = 0;
  for (const n of fns) {
    flatSum += n.flat;
    cumSum += n.cum;
  }
  out.push(
    budget.line(`ROUTINE ======================== ${name} in ${file}`),
    budget.line(`${padLeft(formatValue(ctx, flatSum), 10)} ${padLeft(formatValue(ctx, cumSum), 10)} (flat, cum) ${percentage(cumSum, ctx.total)} of Total`),
  );
  const { start, end, byLine } = lineRange(fns);
  const lines = text.lines(file);
  const line = (lineno: number, source: string) => {
    let flat = 0;
    let cum = 0;
    for (const n of byLine.get(lineno) ?? []) {
      flat += n.flat;
      cum += n.cum;
    }
    out.push(budget.line(`${padLeft(valueOrDot(ctx, flat), 10)} ${padLeft(valueOrDot(ctx, cum), 10)} ${padLeft(String(lineno), 6)}:${source}`));
  };
  if (lines === undefined) {
    // Without the text, lines without samples would be bare numbers: only the sampled ones are printed.
    out.push(budget.line(` Error: could not find file ${file}`));
    const sampled = [...byLine.keys()].filter((l) => l >= start && l <= end).sort((a, b) => a - b);
    for (const lineno of sampled) line(lineno, '');
  } else {
    for (let lineno = start; lineno <= end && lineno < lines.length + 1; lineno++) line(lineno, lines[lineno - 1]!);
  }
}

/** pprof's range: from the function's start line (else 5 before the first sample) to 5 after the last. */
function lineRange(fns: LineNode[]): { start: number; end: number; byLine: Map<number, LineNode[]> } {
  const first = fns[0]!.info;
  let start = first.startLine !== 0 ? first.startLine : first.lineno - MARGIN;
  let end = first.lineno + MARGIN;
  const byLine = new Map<number, LineNode[]>();
  for (const n of fns) {
    const { lineno } = n.info;
    const nodeStart = n.info.startLine !== 0 ? n.info.startLine : lineno - MARGIN;
    const nodeEnd = lineno + MARGIN;
    // pprof's `else if`: a node that lowers the start does not also raise the end.
    if (nodeStart < start) start = nodeStart;
    else if (nodeEnd > end) end = nodeEnd;
    let group = byLine.get(lineno);
    if (group === undefined) byLine.set(lineno, (group = []));
    group.push(n);
  }
  return { start: Math.max(start, 1), end, byLine };
}

function valueOrDot(ctx: ReportContext, v: number): string {
  return v === 0 ? '.' : formatValue(ctx, v);
}

/**
 * Each file read once per report, as pprof's sourceReader caches them: by where it is found, so
 * that names aliasing one file (a hostile profile's way to make a large file count many times)
 * share its lines.
 */
class SourceCache {
  private readonly files = new Map<string, string[] | undefined>();
  constructor(private readonly sources: SourceReader) {}

  lines(file: string): string[] | undefined {
    const where = this.sources.resolve(file);
    if (where === undefined) return undefined;
    if (!this.files.has(where)) {
      const text = this.sources.read(file);
      this.files.set(where, text === undefined ? undefined : splitSourceLines(text));
    }
    return this.files.get(where);
  }
}

/**
 * pprof's graph.New for the list report, without edges: per sample, cum once per node and flat to the
 * leaf frame. Nodes are per source line of a function (addresses aggregated away) and, since list keeps
 * binary names, per function start line and mapping file too. Ordered by name and identity, so that the
 * first node of a function (which seeds pprof's line range) does not depend on map order.
 */
function lineNodes(p: Profile, valueIndex: number, noInlines: boolean, dropNegative: boolean, sources: SourceReader): LineNode[] {
  const nodes = new Map<string, LineNode>();
  const fileNames = new Map<string, string>();
  const byLocation = new Map<number, LineNode[]>();
  const nodeOf = (info: NodeInfo): LineNode => {
    const key = infoString(info);
    let n = nodes.get(key);
    if (n === undefined) nodes.set(key, (n = { info, flat: 0, cum: 0, stamp: -1 }));
    return n;
  };
  const fileName = (file: string): string => {
    let name = fileNames.get(file);
    if (name === undefined) fileNames.set(file, (name = reportFileName(file, sources)));
    return name;
  };

  p.samples.forEach((sample, si) => {
    const w = sample.values[valueIndex]!;
    if (w === 0) return; // adds nothing; a node left at zero is dropped anyway
    let leaf: LineNode | undefined;
    for (let li = sample.locations.length - 1; li >= 0; li--) {
      const loc = sample.locations[li]!;
      let frames = byLocation.get(loc.id);
      if (frames === undefined) {
        const objfile = loc.mapping?.file ?? '';
        const lines = noInlines && loc.lines.length > 1 ? loc.lines.slice(-1) : loc.lines;
        frames = lines.length === 0
          ? [nodeOf({ name: '', address: 0n, file: '', startLine: 0, lineno: 0, objfile })]
          : lines.map((l) => nodeOf({
            name: l.function.name, address: 0n, file: fileName(l.function.filename),
            startLine: l.function.startLine, lineno: l.line, objfile,
          }));
        byLocation.set(loc.id, frames);
      }
      for (let fi = frames.length - 1; fi >= 0; fi--) {
        const n = frames[fi]!;
        if (n.stamp !== si) {
          n.stamp = si;
          n.cum += w;
        }
        leaf = n;
      }
    }
    if (leaf !== undefined) leaf.flat += w;
  });

  const kept = [...nodes.values()].filter((n) => {
    if (n.flat === 0 && n.cum === 0) return false;
    return !(dropNegative && (n.flat < 0 || (n.flat === 0 && n.cum < 0)));
  });
  return kept.sort((a, b) => compareBytes(a.info.name, b.info.name) || compareBytes(infoString(a.info), infoString(b.info)));
}
