/**
 * What the unfurl card says about a profile, in the numbers the page shows: the rows and total are
 * -top's (report/top.ts), the hot path is the one the call graph draws bold (dot's graph, same
 * options), and a goroutine profile's rows are the leak report's groups. So the card never
 * disagrees with the page a click away.
 */
import { goBase } from '../format/go-strings.js';
import { label, scale, trimmedPercentage } from '../format/units.js';
import { findHotPath } from '../graph/hot-path.js';
import { leakReport } from '../goroutines/leaks.js';
import type { ReportOptions } from '../options.js';
import { formatValue, profileTypeName } from '../pipeline/context.js';
import { graphReport } from '../pipeline/graph-report.js';
import { selectSamples, type ReportEnv } from '../pipeline/select.js';
import { subtractBase } from '../profile/base.js';
import type { Profile } from '../profile/model.js';
import { formatGoTime } from '../format/goformat.js';
import { topReport, type TopRow } from '../report/top.js';
import { CARD_ROWS, type CardRow, type CardSummary } from './svg.js';

export interface CardInput {
  profile: Profile;
  /** compared against: the rows become what grew most */
  base?: { profile: Profile; diff: boolean };
  /** the upload's title; else the binary's name */
  title?: string;
  /** goroutine dumps have no period type to say what they are */
  kind?: string;
}

export function cardSummary(input: CardInput, o: ReportOptions, env: ReportEnv = {}): CardSummary {
  const { profile, base } = input;
  const kind = input.kind === 'goroutine-dump' ? 'goroutine' : profileTypeName(profile.periodType.type, profile.sampleTypes.at(-1)?.type ?? 'profile');
  const file = profile.mappings[0]?.file ? goBase(profile.mappings[0].file) : '';
  const title = input.title ?? (file !== '' ? `${kind} profile of ${file}` : `${kind} profile`);
  const compared = base === undefined ? profile : subtractBase(profile, base.profile, base.diff);
  const hotPath = [...findHotPath(graphReport(compared, 'dot', o, env).pruned.graph).nodes].map((n) => n.name);
  const when = [
    ...(profile.durationNanos !== 0 ? [`over ${label(profile.durationNanos, 'nanoseconds')}`] : []),
    ...(profile.timeNanos !== 0n ? [shortTime(profile.timeNanos)] : []),
  ];
  const summary = isGoroutineProfile(profile, input.kind)
    ? goroutineRows(profile, base?.profile)
    : functionRows(compared, kind, o, env, base?.profile);
  return { title, kind, facts: [...summary.facts, ...when], caption: summary.caption, rows: summary.rows, hotPath, diff: base !== undefined };
}

function isGoroutineProfile(p: Profile, kind: string | undefined): boolean {
  return kind === 'goroutine-dump' || (p.sampleTypes.some((t) => t.type === 'goroutine') && p.periodType.type === 'goroutine');
}

/** "2026-11-26 07:02 UTC" from pprof's Time: header, in UTC as the service prints it. */
function shortTime(nanos: bigint): string {
  const d = new Date(Number(nanos / 1_000_000n));
  return Number.isNaN(d.getTime()) ? formatGoTime(nanos, 'UTC') : `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

type Rows = Pick<CardSummary, 'facts' | 'caption' | 'rows'>;

/**
 * -top's rows by flat value, as the Top tab lists them. Compared with a base (`p` is then the
 * difference): the five that grew most (or, when nothing grew, shrank most), signed.
 */
function functionRows(p: Profile, kind: string, o: ReportOptions, env: ReportEnv, base: Profile | undefined): Rows {
  const diff = base !== undefined;
  const top = topReport(p, o, env);
  const { ctx } = top.report.selected;
  const total = formatValue(ctx, ctx.total);
  const row = (r: TopRow): CardRow => ({
    name: r.name,
    value: diff && r.flat > 0 ? `+${r.flatText}` : r.flatText,
    share: trimmedPercentage(r.flat, ctx.total),
    fraction: ctx.total === 0 ? 0 : Math.abs(r.flat / ctx.total),
  });
  if (!diff) {
    // "cpu 4.27s" would repeat the badge; "inuse_space 28.10MB" says which of the heap's four it is.
    return {
      facts: [ctx.sampleType === '' || ctx.sampleType === kind ? `${total} total` : `${ctx.sampleType} ${total}`],
      caption: 'heaviest functions, by their own (flat) value',
      rows: top.rows.filter((r) => r.flat !== 0).slice(0, CARD_ROWS).map(row),
    };
  }
  const grew = top.rows.filter((r) => r.flat > 0).sort((a, b) => b.flat - a.flat);
  const shrank = top.rows.filter((r) => r.flat < 0).sort((a, b) => a.flat - b.flat);
  // The base's own total: the difference's is pprof's percentage base, which only under -diff_base is
  // the base's; under -base it is Σ|new − base| over the stacks.
  const b = selectSamples(base, o, env).ctx;
  const baseTotal = scale(b.total, b.sampleUnit, ctx.sampleUnit)[0];
  return {
    facts: [`${ctx.sampleType} against a base of ${formatValue(ctx, baseTotal)}`],
    caption: grew.length > 0 ? 'grew most against the base (flat)' : 'nothing grew; shrank most against the base (flat)',
    rows: (grew.length > 0 ? grew : shrank).slice(0, CARD_ROWS).map(row),
  };
}

/** The leak report's groups: biggest first, or with a base, fastest growing first. */
function goroutineRows(p: Profile, base: Profile | undefined): Rows {
  const report = leakReport(p, { base });
  const groups = report.groups.filter((g) => (base === undefined ? g.count > 0 : g.delta! > 0));
  const facts = [`${report.total} goroutine${report.total === 1 ? '' : 's'}`];
  if (report.baseTotal !== undefined) facts.push(`${signed(report.total - report.baseTotal)} since the base`);
  else facts.push(`${report.groups.length} group${report.groups.length === 1 ? '' : 's'}`);
  return {
    facts,
    caption: base === undefined ? 'biggest goroutine groups, by stack' : 'goroutine groups that grew most since the base',
    rows: groups.slice(0, CARD_ROWS).map((g) => ({
      name: g.userFunction ?? g.stack[0] ?? '?',
      note: g.waitReason ?? g.status,
      value: base === undefined ? String(g.count) : signed(g.delta!),
      share: trimmedPercentage(g.count, report.total),
      fraction: report.total === 0 ? 0 : g.count / report.total,
    })),
  };
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}
