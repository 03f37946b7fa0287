/**
 * Budgets for `hotpath report`: limits a CI job sets on its profiles (docs/budget.md), such as
 * "at most 500 goroutines", "no function over 20% flat CPU" or "in-use heap grows less than 10%
 * against the base". A budget file is JSON, validated with zod so that a typo (an unknown key, a
 * unit pprof does not know) is an error naming its JSON path instead of a limit that never fires.
 *
 * Two kinds of limits:
 * - whole-profile limits (max_total, max_growth, max_growth_percent, max_goroutines,
 *   max_goroutine_growth): one check per profile;
 * - function limits (max_flat, max_cum, max_flat_percent, max_cum_percent, max_growth_flat,
 *   max_growth_cum): checked for every function the rule's `function` regexp matches, or every
 *   function when it has none, on the rows of the `-top` report with trimming off (a function
 *   under -nodefraction must not slip past an absolute limit).
 *
 * A rule that names profiles (`profile`) must fit every profile it names: a sample_index the
 * profile lacks or a limit in units it does not count in is a BudgetError, since the rule could
 * never fire. A rule without `profile` applies to every profile it fits and skips the others
 * quietly (a "10MB" rule is not about CPU profiles).
 */
import { z } from 'zod';
import { OptionsError } from '../errors.js';
import { checkLeakBudget, escapeName, leakReport } from '../goroutines/leaks.js';
import type { ReportOptions } from '../options.js';
import { selectSamples } from '../pipeline/select.js';
import { topReport, type TopRow } from '../report/top.js';
import type { Profile } from '../profile/model.js';
import { compileRegex, type Matcher } from '../regex.js';
import { label, recognizeUnit, scale, trimmedPercentage, type UnitFamilyName } from '../format/units.js';

// ---------------------------------------------------------------------------------------------
// Quantities: "10MB", "250ms", 1500

/** A limit as written: a plain number is in the profile's own unit (bytes, nanoseconds, count). */
export interface Quantity {
  text: string;
  value: number;
  /** the unit family of a written unit; undefined for a plain number */
  family?: UnitFamilyName;
  /** value × the unit's factor: bytes, nanoseconds or GCU for a unit, else value */
  baseValue: number;
}

/** A number (sign, digits, optional fraction) and an optional unit after it. Our own fixed pattern. */
const QUANTITY_TEXT = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(\S.*)?$/;

/**
 * Reads a limit such as "10MB", "1.5s", "250ms", "64kb" or "300". Units are pprof's, recognised as
 * pprof recognises them (case-insensitive, one trailing "s" dropped: "megabytes", "msec" fail,
 * "mb", "MB", "megabyte" work); memory units are powers of 1024 as in pprof.
 */
export function parseQuantity(v: number | string): Quantity {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('must be a finite number');
    return { text: String(v), value: v, baseValue: v };
  }
  const m = QUANTITY_TEXT.exec(v.trim());
  if (!m) throw new Error(`"${v}" is not a number with an optional unit, such as "10MB" or "250ms"`);
  const value = Number(m[1]);
  const unit = m[2]?.trim();
  if (unit === undefined) return { text: v, value, baseValue: value };
  const known = recognizeUnit(unit);
  if (!known) {
    throw new Error(`unknown unit "${unit}" in "${v}" (pprof's units: B, kB, MB, GB, TB, PB; ns, us, ms, s, hrs)`);
  }
  return { text: v, value, family: known.family.name, baseValue: value * known.unit.factor };
}

/** The quantity in `sampleUnit`, or undefined when its unit is not of that kind (MB against nanoseconds). */
export function inSampleUnit(q: Quantity, sampleUnit: string): number | undefined {
  if (q.family === undefined) return q.value;
  const sample = recognizeUnit(sampleUnit);
  if (!sample || sample.family.name !== q.family) return undefined;
  return q.baseValue / sample.unit.factor;
}

// ---------------------------------------------------------------------------------------------
// Schema

const quantity = z
  .union([z.number(), z.string().max(64).regex(QUANTITY_TEXT)], { error: 'expected a number in the profile\'s unit or a string such as "10MB" or "250ms"' })
  .describe('a number in the profile\'s sample unit (bytes, nanoseconds, count), or a string with one of pprof\'s units: "10MB", "64kb", "250ms", "1.5s"');
const percent = z.number().min(0).max(100);
const count = z.number().int().min(0);

/** Limits on a whole profile: a rule with `function` cannot have them. */
export const PROFILE_LIMITS = ['max_total', 'max_growth', 'max_growth_percent', 'max_goroutines', 'max_goroutine_growth'] as const;
/** Limits checked on every function the rule selects. */
export const FUNCTION_LIMITS = ['max_flat', 'max_cum', 'max_flat_percent', 'max_cum_percent', 'max_growth_flat', 'max_growth_cum'] as const;
const QUANTITY_LIMITS = ['max_total', 'max_growth', 'max_flat', 'max_cum', 'max_growth_flat', 'max_growth_cum'] as const;
/** Limits that compare against the base (`--base`). */
const GROWTH_LIMITS = new Set<string>(['max_growth', 'max_growth_percent', 'max_goroutine_growth', 'max_growth_flat', 'max_growth_cum']);

const ruleShape = z.strictObject({
  name: z.string().max(200).optional().describe('a label for the rule, shown with its breaches'),
  profile: z.string().min(1).max(1000).optional()
    .describe('which profiles the rule is for: a glob (* and ?) matched against the file name (cpu.pb.gz; for a URL its last path segment), or against the path as given when it contains a "/"; default: every profile the rule fits'),
  function: z.string().min(1).max(4096).optional()
    .describe('RE2 regexp: the functions (rows of the -top report) the function limits apply to; matched anywhere in the name, as pprof\'s -focus; default: every function'),
  sample_index: z.union([z.string().min(1).max(200), count]).optional()
    .describe('the value column, as pprof\'s -sample_index (inuse_space, alloc_objects, delay, …); default: the one the report uses'),
  max_total: quantity.optional().describe('whole profile: the total of the sample type is at most this'),
  max_growth: quantity.optional().describe('whole profile: total minus the base\'s total is at most this (needs a base)'),
  max_growth_percent: z.number().min(-100).max(1e9).optional()
    .describe('whole profile: the total grew by at most this percentage of the base\'s total (needs a base)'),
  max_goroutines: count.optional().describe('goroutine profiles: at most this many goroutines'),
  max_goroutine_growth: count.optional()
    .describe('goroutine profiles: no goroutine group (same stack), and not the total, grew by more than this many goroutines (needs a base; as -leaks -fail_on_growth)'),
  max_flat: quantity.optional().describe('per function: flat value at most this'),
  max_cum: quantity.optional().describe('per function: cumulative value at most this'),
  max_flat_percent: percent.optional().describe('per function: flat at most this percentage of the profile total (the flat% column)'),
  max_cum_percent: percent.optional().describe('per function: cum at most this percentage of the profile total (the cum% column)'),
  max_growth_flat: quantity.optional().describe('per function: flat grew by at most this against the base (the -base report\'s flat; needs a base)'),
  max_growth_cum: quantity.optional().describe('per function: cum grew by at most this against the base (needs a base)'),
});

const rule = ruleShape.superRefine((r, ctx) => {
  const limits = [...PROFILE_LIMITS, ...FUNCTION_LIMITS].filter((k) => r[k] !== undefined);
  if (limits.length === 0) ctx.addIssue({ code: 'custom', message: 'sets no limit: add one of ' + [...PROFILE_LIMITS, ...FUNCTION_LIMITS].join(', '), path: [] });
  if (r.function !== undefined) {
    for (const k of PROFILE_LIMITS) {
      if (r[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `limits a whole profile and cannot go with "function" (per function: ${FUNCTION_LIMITS.join(', ')})` });
    }
    try {
      compileRegex(r.function, 'function');
    } catch (e) {
      ctx.addIssue({ code: 'custom', path: ['function'], message: `not an RE2 regexp: ${(e as Error).message.replace(/^function: /, '')}` });
    }
  }
  for (const k of QUANTITY_LIMITS) {
    const v = r[k];
    if (v === undefined) continue;
    try {
      parseQuantity(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', path: [k], message: (e as Error).message });
    }
  }
});

export const budgetFileSchema = z.strictObject({
  $schema: z.string().optional().describe('the JSON Schema this file follows (ignored by hotpath)'),
  budgets: z.array(rule).max(10_000).describe('the rules; every rule applies to every profile it selects'),
}).describe('hotpath report --budget: limits on profiles; any breach makes the command exit 1');

export type BudgetRuleInput = z.input<typeof ruleShape>;
export type BudgetFileInput = z.input<typeof budgetFileSchema>;

/** The budget file's JSON Schema (draft 2020-12), for editors and other tools; docs/budget.schema.json holds a copy. */
export function budgetJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(budgetFileSchema, { io: 'input', target: 'draft-2020-12' }),
    title: 'hotpath budget file',
  };
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** The budget file cannot be used: not JSON, not the schema, or a rule that cannot fit a profile it names. */
export class BudgetError extends Error {
  override name = 'BudgetError';
  constructor(message: string, readonly path: string) {
    super(message);
  }
}

export interface BudgetRule {
  index: number;
  /** `budgets[2]`, or `budgets[2] "name"` */
  ref: string;
  profile?: string;
  function?: Matcher;
  functionText?: string;
  sample_index?: string | number;
  limits: { [K in (typeof QUANTITY_LIMITS)[number]]?: Quantity } & {
    max_growth_percent?: number;
    max_goroutines?: number;
    max_goroutine_growth?: number;
    max_flat_percent?: number;
    max_cum_percent?: number;
  };
}

export interface Budget {
  /** the file, for messages */
  source: string;
  rules: BudgetRule[];
}

/** `budgets[1].max_flat_percent` from zod's path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

/** Parses and validates a budget file's text. `source` names the file in messages. Throws BudgetError. */
export function parseBudget(text: string, source = 'budget'): Budget {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BudgetError(`${source}: not valid JSON: ${jsonErrorWhere(text, (e as Error).message)}`, '');
  }
  const r = budgetFileSchema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        const at = formatPath(issue.path);
        return issue.keys.map((k) => `${at === '' ? k : `${at}.${k}`}: unknown key`).join('; ');
      }
      return `${formatPath(issue.path) || '(top level)'}: ${issue.message}`;
    });
    const more = r.error.issues.length > 5 ? `; and ${r.error.issues.length - 5} more` : '';
    const first = r.error.issues[0]!;
    const path = first.code === 'unrecognized_keys' ? formatPath([...first.path, first.keys[0]!]) : formatPath(first.path);
    throw new BudgetError(`${source}: ${issues.join('; ')}${more}`, path);
  }
  return {
    source,
    rules: r.data.budgets.map((raw, index) => {
      const limits: BudgetRule['limits'] = {
        max_growth_percent: raw.max_growth_percent,
        max_goroutines: raw.max_goroutines,
        max_goroutine_growth: raw.max_goroutine_growth,
        max_flat_percent: raw.max_flat_percent,
        max_cum_percent: raw.max_cum_percent,
      };
      for (const k of QUANTITY_LIMITS) if (raw[k] !== undefined) limits[k] = parseQuantity(raw[k]);
      return {
        index,
        ref: `budgets[${index}]${raw.name === undefined ? '' : ` ${JSON.stringify(raw.name)}`}`,
        profile: raw.profile,
        function: raw.function === undefined ? undefined : compileRegex(raw.function, 'function'),
        functionText: raw.function,
        sample_index: raw.sample_index,
        limits,
      };
    }),
  };
}

/** JSON.parse's message, with the line and column of "at position N" when it gives one. */
function jsonErrorWhere(text: string, message: string): string {
  const m = /at position (\d+)/.exec(message);
  if (!m || /line \d+/.test(message)) return message;
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message} (line ${line}, column ${column})`;
}

// ---------------------------------------------------------------------------------------------
// Matching profiles

/** `*` any run of characters, `?` one character; everything else literal. The whole name must match. */
export function globMatch(pattern: string, name: string): boolean {
  const p = Array.from(pattern);
  const n = Array.from(name);
  let i = 0, j = 0, star = -1, resume = 0;
  while (j < n.length) {
    if (i < p.length && (p[i] === '?' || (p[i] !== '*' && p[i] === n[j]))) {
      i++;
      j++;
    } else if (i < p.length && p[i] === '*') {
      star = i++;
      resume = j;
    } else if (star >= 0) {
      i = star + 1;
      j = ++resume;
    } else {
      return false;
    }
  }
  while (p[i] === '*') i++;
  return i === p.length;
}

/** Whether a rule selects the profile: no `profile` selects all; one with "/" matches the path given. */
export function ruleSelects(rule: Pick<BudgetRule, 'profile'>, subject: Pick<BudgetSubject, 'name' | 'path'>): boolean {
  if (rule.profile === undefined) return true;
  return globMatch(rule.profile, rule.profile.includes('/') ? subject.path : subject.name);
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export interface BudgetSubject {
  /** what `profile` globs match: the file name (cpu.pb.gz), for a URL its last path segment */
  name: string;
  /** the file or URL as given, for globs with a "/" */
  path: string;
  profile: Profile;
  /** the base snapshot: growth limits need it */
  base?: Profile;
  /** the profile with the base subtracted, as -base reads it: per-function growth comes from it */
  delta?: Profile;
  /** the report's options: filters such as -focus apply to budgets too */
  options: ReportOptions;
}

export interface BudgetBreach {
  /** the index of the rule in `budgets` */
  rule: number;
  /** one line, names escaped: `cpu.pb.gz: regexp.(*Regexp).doExecute flat 23.44%, more than 20% (budgets[1])` */
  message: string;
}

export interface RuleOutcome {
  /** the rule selected the profile and fitted it */
  applied: boolean;
  /** with `function`: some function matched */
  functionMatched: boolean;
}

export interface BudgetCheck {
  breaches: BudgetBreach[];
  /** limits that could not be checked (growth without a base) */
  notes: string[];
  /** per rule, in order */
  outcomes: RuleOutcome[];
}

interface Rows {
  rows: TopRow[];
  total: number;
  unit: string;
}

/**
 * Checks every rule of `budget` that selects `subject`. Throws BudgetError when a rule names this
 * profile but cannot fit it (see the module comment).
 */
export function checkBudget(budget: Budget, subject: BudgetSubject): BudgetCheck {
  const breaches: BudgetBreach[] = [];
  const notes: string[] = [];
  const outcomes: RuleOutcome[] = [];
  const cache = new Map<string, Rows>();
  const isGoroutine = subject.profile.sampleTypes.some((t) => t.type === 'goroutine');
  const rows = (which: 'profile' | 'delta', sampleIndex: string | number | undefined): Rows => {
    const key = `${which}\0${String(sampleIndex)}`;
    let r = cache.get(key);
    if (!r) {
      const o = { ...subject.options, trim: false, sample_index: sampleIndex ?? subject.options.sample_index };
      const top = topReport(which === 'profile' ? subject.profile : subject.delta!, o);
      r = { rows: top.rows, total: top.report.selected.ctx.total, unit: top.report.selected.ctx.sampleUnit };
      cache.set(key, r);
    }
    return r;
  };

  for (const rule of budget.rules) {
    const outcome: RuleOutcome = { applied: false, functionMatched: false };
    outcomes.push(outcome);
    if (!ruleSelects(rule, subject)) continue;
    const explicit = rule.profile !== undefined;
    /** A rule that does not fit: an error when it named this profile, else it just does not apply. */
    const misfit = (key: string, why: string): false => {
      const at = `budgets[${rule.index}].${key}`;
      if (explicit) throw new BudgetError(`${budget.source}: ${at}: ${why} in ${escapeName(subject.name)}`, at);
      return false;
    };
    const breach = (what: string) =>
      breaches.push({ rule: rule.index, message: `${escapeName(subject.name)}: ${what} (${rule.ref})` });

    const L = rule.limits;
    if ((L.max_goroutines !== undefined || L.max_goroutine_growth !== undefined) && !isGoroutine) {
      misfit(L.max_goroutines !== undefined ? 'max_goroutines' : 'max_goroutine_growth', 'is for goroutine profiles, and this is not one');
      continue;
    }
    let own: Rows;
    try {
      own = rows('profile', rule.sample_index);
    } catch (e) {
      if (!(e instanceof OptionsError) || e.option !== 'sample_index') throw e;
      misfit('sample_index', e.message);
      continue;
    }
    // Every quantity must be in a unit this profile counts in.
    const limitIn: Partial<Record<(typeof QUANTITY_LIMITS)[number], number>> = {};
    let fits = true;
    for (const k of QUANTITY_LIMITS) {
      const q = L[k];
      if (q === undefined) continue;
      const v = inSampleUnit(q, own.unit);
      if (v === undefined) fits = misfit(k, `"${q.text}" is not in ${own.unit || 'the profile\'s unit'}, the unit of ${sampleTypeName(subject.profile, rule.sample_index, subject.options)}`);
      else limitIn[k] = v;
    }
    if (!fits) continue;
    outcome.applied = true;
    const fmt = (v: number) => label(v, own.unit);
    const hasBase = subject.base !== undefined;
    for (const k of GROWTH_LIMITS) {
      if ((L as Record<string, unknown>)[k] !== undefined && !hasBase) {
        notes.push(`${escapeName(subject.name)}: ${k} of ${rule.ref} not checked: no base profile to compare with`);
      }
    }

    // Whole profile.
    if (limitIn.max_total !== undefined && own.total > limitIn.max_total) {
      breach(`total ${fmt(own.total)}, more than ${fmt(limitIn.max_total)}`);
    }
    if (hasBase && (limitIn.max_growth !== undefined || L.max_growth_percent !== undefined)) {
      const o = { ...subject.options, sample_index: rule.sample_index ?? subject.options.sample_index };
      const baseCtx = selectSamples(subject.base!, o).ctx;
      const ownTotal = selectSamples(subject.profile, o).ctx.total;
      const baseTotal = scale(baseCtx.total, baseCtx.sampleUnit, own.unit)[0];
      const growth = ownTotal - baseTotal;
      const span = `(${fmt(baseTotal)} → ${fmt(ownTotal)})`;
      if (limitIn.max_growth !== undefined && growth > limitIn.max_growth) {
        breach(`total grew by ${fmt(growth)} ${span}, more than ${fmt(limitIn.max_growth)}`);
      }
      if (L.max_growth_percent !== undefined) {
        const pct = baseTotal === 0 ? (growth > 0 ? Infinity : 0) : (growth / baseTotal) * 100;
        if (pct > L.max_growth_percent) {
          breach(`total grew by ${Number.isFinite(pct) ? `${pct.toFixed(1)}%` : 'from nothing'} ${span}, more than ${L.max_growth_percent}%`);
        }
      }
    }
    if (L.max_goroutines !== undefined || (L.max_goroutine_growth !== undefined && hasBase)) {
      const report = leakReport(subject.profile, { base: L.max_goroutine_growth !== undefined ? subject.base : undefined });
      const found = checkLeakBudget(report, {
        maxGoroutines: L.max_goroutines, failOnGrowth: hasBase ? L.max_goroutine_growth : undefined,
      });
      for (const b of found) breach(b);
    }

    // Per function.
    const perFunction = FUNCTION_LIMITS.some((k) => L[k] !== undefined);
    if (!perFunction) continue;
    const selected = (r: TopRow) => rule.function === undefined || rule.function.test(r.name);
    const fname = (r: TopRow) => escapeName(r.name);
    for (const r of own.rows) {
      if (!selected(r)) continue;
      outcome.functionMatched = true;
      if (limitIn.max_flat !== undefined && r.flat > limitIn.max_flat) breach(`${fname(r)}: flat ${fmt(r.flat)}, more than ${fmt(limitIn.max_flat)}`);
      if (limitIn.max_cum !== undefined && r.cum > limitIn.max_cum) breach(`${fname(r)}: cum ${fmt(r.cum)}, more than ${fmt(limitIn.max_cum)}`);
      if (L.max_flat_percent !== undefined && r.flatPercent > L.max_flat_percent) {
        breach(`${fname(r)}: flat ${trimmedPercentage(r.flat, own.total)} of ${fmt(own.total)}, more than ${L.max_flat_percent}%`);
      }
      if (L.max_cum_percent !== undefined && r.cumPercent > L.max_cum_percent) {
        breach(`${fname(r)}: cum ${trimmedPercentage(r.cum, own.total)} of ${fmt(own.total)}, more than ${L.max_cum_percent}%`);
      }
    }
    if (hasBase && subject.delta !== undefined && (limitIn.max_growth_flat !== undefined || limitIn.max_growth_cum !== undefined)) {
      for (const r of rows('delta', rule.sample_index).rows) {
        if (!selected(r)) continue;
        outcome.functionMatched = true;
        if (limitIn.max_growth_flat !== undefined && r.flat > limitIn.max_growth_flat) {
          breach(`${fname(r)}: flat grew by ${fmt(r.flat)}, more than ${fmt(limitIn.max_growth_flat)}`);
        }
        if (limitIn.max_growth_cum !== undefined && r.cum > limitIn.max_growth_cum) {
          breach(`${fname(r)}: cum grew by ${fmt(r.cum)}, more than ${fmt(limitIn.max_growth_cum)}`);
        }
      }
    }
  }
  return { breaches, notes, outcomes };
}

function sampleTypeName(p: Profile, sampleIndex: string | number | undefined, o: ReportOptions): string {
  try {
    return selectSamples(p, { ...o, sample_index: sampleIndex ?? o.sample_index }).ctx.sampleType;
  } catch {
    return 'the sample type';
  }
}
