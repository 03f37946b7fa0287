import { OptionsError } from '../errors.js';
import { compileRegex, type Matcher } from '../regex.js';
import { scale } from '../format/units.js';
import type { Line, Location, Profile, Sample } from './model.js';
import { simplifyFuncName } from './normalize.js';

/** The sample filters of a report, pprof's names (spec §3). Empty or undefined means "not set". */
export interface FilterOptions {
  focus?: string;
  ignore?: string;
  hide?: string;
  show?: string;
  show_from?: string;
  tagfocus?: string;
  tagignore?: string;
  tagshow?: string;
  taghide?: string;
  prune_from?: string;
}

/** The order pprof lists them in the "Active filters:" header (prune_from is not listed). */
export const LISTED_FILTERS = ['focus', 'ignore', 'hide', 'show', 'show_from', 'tagfocus', 'tagignore', 'tagshow', 'taghide'] as const;

export interface FilterResult {
  profile: Profile;
  /** pprof's stderr lines: "Focus expression matched no samples", "tagfocus:Interpreted '1kb:' as range, not regexp" */
  warnings: string[];
}

/**
 * Applies the filters in pprof's order (spec §3.1): focus/ignore/hide/show, show_from, tagfocus/tagignore,
 * tagshow/taghide, prune_from. Filters see full names, file names and lines whatever the granularity.
 * `numLabelUnits` is the resolved unit of every numeric label key. The input profile is not modified.
 */
export function applyFilters(input: Profile, o: FilterOptions, numLabelUnits: Record<string, string>): FilterResult {
  const warnings: string[] = [];
  const rx = (name: keyof FilterOptions) => (o[name] ? compileRegex(o[name]!, name) : undefined);
  const focus = rx('focus');
  const ignore = rx('ignore');
  const hide = rx('hide');
  const show = rx('show');
  const showFrom = rx('show_from');
  const tagFocus = o.tagfocus ? compileTagFilter('tagfocus', o.tagfocus, numLabelUnits, warnings) : undefined;
  const tagIgnore = o.tagignore ? compileTagFilter('tagignore', o.tagignore, numLabelUnits, warnings) : undefined;
  const tagShow = rx('tagshow');
  const tagHide = rx('taghide');
  const pruneFrom = rx('prune_from');
  if (!focus && !ignore && !hide && !show && !showFrom && !tagFocus && !tagIgnore && !tagShow && !tagHide && !pruneFrom) {
    return { profile: input, warnings };
  }

  const p = copyForFiltering(input);
  const warn = (matched: boolean, what: string) => {
    if (!matched) warnings.push(`${what} expression matched no samples`);
  };
  if (focus || ignore || hide || show) {
    const m = filterByName(p, focus, ignore, hide, show);
    warn(!focus || m.focus, 'Focus');
    warn(!ignore || m.ignore, 'Ignore');
    warn(!hide || m.hide, 'Hide');
    warn(!show || m.show, 'Show');
  }
  if (showFrom) warn(filterShowFrom(p, showFrom), 'ShowFrom');
  if (tagFocus || tagIgnore) {
    let fm = false;
    let im = false;
    p.samples = p.samples.filter((s) => {
      const focused = tagFocus ? tagFocus(s) : true;
      const ignored = tagIgnore ? tagIgnore(s) : false;
      fm ||= focused;
      im ||= ignored;
      return focused && !ignored;
    });
    warn(!tagFocus || fm, 'TagFocus');
    warn(!tagIgnore || im, 'TagIgnore');
  }
  if (tagShow || tagHide) {
    const m = filterTagsByName(p, tagShow, tagHide);
    warn(!tagShow || m.show, 'TagShow');
    warn(!tagHide || m.hide, 'TagHide');
  }
  if (pruneFrom) applyPruneFrom(p, pruneFrom);
  return { profile: p, warnings };
}

/** Filters rewrite location lines and sample stacks: give them their own copies to rewrite. */
function copyForFiltering(p: Profile): Profile {
  const locs = new Map<Location, Location>();
  for (const l of p.locations) locs.set(l, { ...l, lines: l.lines.slice() });
  const loc = (l: Location) => {
    let c = locs.get(l);
    if (c === undefined) locs.set(l, (c = { ...l, lines: l.lines.slice() }));
    return c;
  };
  return {
    ...p,
    locations: [...locs.values()],
    samples: p.samples.map((s) => ({
      ...s,
      locations: s.locations.map(loc),
      labels: s.labels && { ...s.labels },
      numLabels: s.numLabels && { ...s.numLabels },
    })),
  };
}

const lineMatches = (re: Matcher, ln: Line) => re.test(ln.function.name) || re.test(ln.function.filename);

function locationMatches(re: Matcher, l: Location): boolean {
  for (const ln of l.lines) if (lineMatches(re, ln)) return true;
  return l.mapping !== undefined && re.test(l.mapping.file);
}

function filterByName(p: Profile, focus?: Matcher, ignore?: Matcher, hide?: Matcher, show?: Matcher) {
  const m = { focus: false, ignore: false, hide: false, show: false };
  const focusOrIgnore = new Map<Location, boolean>();
  const hidden = new Set<Location>();
  for (const l of p.locations) {
    if (ignore && locationMatches(ignore, l)) {
      m.ignore = true;
      focusOrIgnore.set(l, false);
    } else if (!focus || locationMatches(focus, l)) {
      m.focus = true;
      focusOrIgnore.set(l, true);
    }
    if (hide && locationMatches(hide, l)) {
      m.hide = true;
      l.lines = l.mapping && hide.test(l.mapping.file) ? [] : l.lines.filter((ln) => !lineMatches(hide, ln));
      if (l.lines.length === 0) hidden.add(l);
    }
    if (show) {
      if (!(l.mapping && show.test(l.mapping.file))) l.lines = l.lines.filter((ln) => lineMatches(show, ln));
      if (l.lines.length === 0) hidden.add(l);
      else m.show = true;
    }
  }
  const kept: Sample[] = [];
  for (const s of p.samples) {
    if (!focusedAndNotIgnored(s.locations, focusOrIgnore)) continue;
    if (hidden.size > 0) {
      const locs = s.locations.filter((l) => !hidden.has(l));
      if (locs.length === 0) continue;
      s.locations = locs;
    }
    kept.push(s);
  }
  p.samples = kept;
  return m;
}

function focusedAndNotIgnored(locs: Location[], m: Map<Location, boolean>): boolean {
  let focused = false;
  for (const l of locs) {
    const f = m.get(l);
    if (f === false) return false;
    if (f === true) focused = true;
  }
  return focused;
}

function filterShowFrom(p: Profile, re: Matcher): boolean {
  let matched = false;
  const from = new Set<Location>();
  for (const l of p.locations) {
    let hit = l.mapping !== undefined && re.test(l.mapping.file);
    if (!hit) {
      for (let i = l.lines.length - 1; i >= 0; i--) {
        if (lineMatches(re, l.lines[i]!)) {
          l.lines = l.lines.slice(0, i + 1);
          hit = true;
          break;
        }
      }
    }
    if (hit) {
      from.add(l);
      matched = true;
    }
  }
  const kept: Sample[] = [];
  for (const s of p.samples) {
    for (let i = s.locations.length - 1; i >= 0; i--) {
      if (from.has(s.locations[i]!)) {
        s.locations = s.locations.slice(0, i + 1);
        kept.push(s);
        break;
      }
    }
  }
  p.samples = kept;
  return matched;
}

function filterTagsByName(p: Profile, show?: Matcher, hide?: Matcher) {
  const m = { show: false, hide: false };
  const remove = (name: string) => {
    const s = !show || show.test(name);
    const h = hide !== undefined && hide.test(name);
    if (s) m.show = true;
    if (h) m.hide = true;
    return !s || h;
  };
  for (const s of p.samples) {
    if (s.labels) for (const k of Object.keys(s.labels)) if (remove(k)) delete s.labels[k];
    if (s.numLabels) for (const k of Object.keys(s.numLabels)) if (remove(k)) delete s.numLabels[k];
  }
  return m;
}

function applyPruneFrom(p: Profile, re: Matcher): void {
  const beneath = new Set<Location>();
  for (const l of p.locations) {
    for (let i = 0; i < l.lines.length; i++) {
      const name = l.lines[i]!.function.name;
      if (name !== '' && re.test(simplifyFuncName(name))) {
        beneath.add(l);
        l.lines = l.lines.slice(i);
        break;
      }
    }
  }
  for (const s of p.samples) {
    const i = s.locations.findIndex((l) => beneath.has(l));
    if (i >= 0) s.locations = s.locations.slice(i);
  }
}

type SampleMatch = (s: Sample) => boolean;

/**
 * tagfocus/tagignore values (spec §3.6): `[key=]` then a numeric range (`1kb:`, `:64mb`, `10ms:1s`, `42`)
 * or a comma-separated list of regexps.
 */
function compileTagFilter(name: string, raw: string, units: Record<string, string>, warnings: string[]): SampleMatch {
  let value = raw;
  let wantKey = '';
  const eq = raw.indexOf('=');
  if (eq >= 0) {
    wantKey = raw.slice(0, eq);
    value = raw.slice(eq + 1);
  }
  const numeric = parseTagRange(value);
  if (numeric) {
    warnings.push(`${name}:Interpreted '${value}' as range, not regexp`);
    const any = (vals: number[], unit: string) => vals.some((v) => numeric(v, unit));
    if (wantKey === '') {
      return (s) => {
        if (!s.numLabels) return false;
        for (const k in s.numLabels) if (any(s.numLabels[k]!, units[k] ?? '')) return true;
        return false;
      };
    }
    return (s) => {
      const vals = s.numLabels?.[wantKey];
      return vals !== undefined && any(vals, units[wantKey] ?? '');
    };
  }
  const res = value.split(',').map((r) => compileRegex(r, name));
  if (wantKey === '') {
    // Without a key every regexp must match some key:value of the sample.
    return (s) => res.every((re) => {
      if (!s.labels) return false;
      for (const k in s.labels) for (const v of s.labels[k]!) if (re.test(`${k}:${v}`)) return true;
      return false;
    });
  }
  // With a key any regexp matching any value of that key will do.
  return (s) => {
    const vals = s.labels?.[wantKey];
    return vals !== undefined && res.some((re) => vals.some((v) => re.test(v)));
  };
}

/** Our own fixed pattern (not user input): signed integers with an optional unit, as pprof reads ranges. */
const RANGE_TERM = /([+-]?[0-9]+)([A-Za-z]+)?/g;

function parseTagRange(filter: string): ((v: number, unit: string) => boolean) | undefined {
  const terms = [...filter.matchAll(RANGE_TERM)].slice(0, 2);
  if (terms.length === 0) return undefined;
  const first = terms[0]!;
  const n1 = parseBound(first[1]!);
  const [v1, unit] = scale(n1, first[2] ?? '', first[2] ?? '');
  const inUnit = (v: number, u: string): number | undefined => {
    const [sv, su] = scale(v, u, unit);
    return su === unit ? sv : undefined;
  };
  if (terms.length === 1) {
    const m = first[0];
    if (filter === m) return (v, u) => inUnit(v, u) === v1;
    if (filter === m + ':') return (v, u) => { const x = inUnit(v, u); return x !== undefined && x >= v1; };
    if (filter === ':' + m) return (v, u) => { const x = inUnit(v, u); return x !== undefined && x <= v1; };
    return undefined;
  }
  const second = terms[1]!;
  if (filter !== `${first[0]}:${second[0]}`) return undefined;
  const [v2, unit2] = scale(parseBound(second[1]!), second[2] ?? '', unit);
  if (unit2 !== unit) return undefined;
  return (v, u) => { const x = inUnit(v, u); return x !== undefined && x >= v1 && x <= v2; };
}

function parseBound(digits: string): number {
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) throw new OptionsError(`tag filter bound ${digits} is out of range`, 'tagfocus');
  return n;
}
