/**
 * What a worker does with one job: bytes and options in, bytes out. The same calls as the CLI
 * (loadReportInput, produceReport), so a request's bytes are the CLI's for the same options; only
 * where they run differs. Pure but for Graphviz's WASM instance, so tests can run it in-process.
 */
import { GraphTooLargeError } from '../errors.js';
import { countDotNodes } from '../dot/dot.js';
import { formatGoTime } from '../format/goformat.js';
import { label } from '../format/units.js';
import { parseOptions } from '../options.js';
import { formatValue } from '../pipeline/context.js';
import { sampleIndexByName } from '../pipeline/select.js';
import type { InputKind } from '../profile/load.js';
import { renderDot } from '../render/graphviz.js';
import { finishSvg } from '../render/svg.js';
import { readSourcesArchive, sourceArchiveLimits } from '../report/sources-archive.js';
import { topReport } from '../report/top.js';
import { loadReportInput, produceReport, type ReportInput, type ReportName } from '../reports.js';
import type { Job, JobInput, JobResult } from './protocol.js';

const utf8 = new TextEncoder();

export async function runJob(job: Job): Promise<JobResult> {
  switch (job.kind) {
    case 'report':
      return reportJob(job);
    case 'check':
      loadInput('top', job.input);
      return result(new Uint8Array(0));
    case 'facts':
      return result(utf8.encode(JSON.stringify(profileFacts(job.input, job.timeZone))));
    case 'layout':
      return result(utf8.encode(finishSvg(await renderDot(job.dot, 'svg'))));
    case 'png': {
      const { dotToPng, svgToPng } = await import('../render/png.js');
      return result(job.svg !== undefined ? await svgToPng(job.svg, job.options) : await dotToPng(job.dot, job.options));
    }
  }
}

function result(body: Uint8Array, warnings: string[] = [], breaches: string[] = []): JobResult {
  return { body, warnings, breaches };
}

async function reportJob(job: Extract<Job, { kind: 'report' }>): Promise<JobResult> {
  const input = loadInput(job.report, job.input);
  const report = produceReport(input, job.report, job.options, { timeZone: job.timeZone, maxOutputChars: job.input.limits.maxOutputChars });
  let body: Uint8Array;
  const render = job.render;
  if (render === undefined || (!report.needsLayout && render.to === 'svg')) {
    body = utf8.encode(report.text);
  } else if (!report.needsLayout && render.to === 'png') {
    // An SVG report (the card) as a PNG.
    const { svgToPng } = await import('../render/png.js');
    body = await svgToPng(report.text, { scale: render.scale });
  } else {
    const nodes = countDotNodes(report.text);
    if (nodes > job.maxSvgNodes) throw new GraphTooLargeError(nodes, job.maxSvgNodes, job.unlaid);
    if (render.to === 'svg') {
      body = utf8.encode(finishSvg(await renderDot(report.text, 'svg')));
    } else {
      const { dotToPng } = await import('../render/png.js');
      body = await dotToPng(report.text, { scale: render.scale });
    }
  }
  return result(body, report.warnings, report.breaches);
}

/**
 * The input → what the report reads, as the CLI does it (loadReportInput: a base's errors name the
 * base), plus the sources archive for list.
 */
export function loadInput(report: ReportName, { profile, base, sources, limits, symbolize, title }: JobInput): ReportInput {
  const input = loadReportInput(report, profile, base, { ...limits, symbolize });
  if (sources !== undefined) input.sources = readSourcesArchive(sources, sourceArchiveLimits(limits));
  if (title !== undefined) input.title = title;
  return input;
}

/** What meta.json says of a stored profile, from its bytes: what -top with default options shows. */
export interface ProfileFacts {
  kind: InputKind;
  sampleTypes: { type: string; unit: string }[];
  defaultSampleIndex: string | null;
  periodType: { type: string; unit: string } | null;
  time: string | null;
  duration: string | null;
  total: string | null;
  topFunction: string | null;
}

export function profileFacts(job: JobInput, timeZone: string): ProfileFacts {
  const { profile: p, kind } = loadInput('top', job);
  const nonEmpty = p.sampleTypes.length > 0;
  let total: string | null = null;
  let topFunction: string | null = null;
  if (nonEmpty) {
    const top = topReport(p, parseOptions({}), { timeZone });
    total = formatValue(top.report.selected.ctx, top.report.selected.ctx.total);
    topFunction = top.rows[0]?.name ?? null;
  }
  return {
    kind,
    sampleTypes: p.sampleTypes.map(({ type, unit }) => ({ type, unit })),
    defaultSampleIndex: nonEmpty ? p.sampleTypes[sampleIndexByName(p, undefined)]!.type : null,
    periodType: p.periodType.type !== '' || p.periodType.unit !== '' ? { type: p.periodType.type, unit: p.periodType.unit } : null,
    time: p.timeNanos !== 0n ? formatGoTime(p.timeNanos, timeZone) : null,
    duration: p.durationNanos !== 0 ? label(p.durationNanos, 'nanoseconds') : null,
    total,
    topFunction,
  };
}
