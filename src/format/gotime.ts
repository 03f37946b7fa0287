/**
 * The `Time:` header line: Go's `time.Unix(0, nanos).Format("Jan 2, 2006 at 3:04pm (MST)")` in
 * the process's local zone (spec §8.2 item 5).
 *
 * The zone abbreviation must be the one Go prints, which comes from the system's TZif files
 * (`EST`, `CET`, and `+04` for zones that tzdata gives no letters). `Intl` cannot supply it: in
 * en-US ICU calls Europe/Berlin `GMT+1`. So the zone is resolved the way Go resolves `$TZ`, and
 * the TZif file (including its POSIX TZ footer for times past the last transition) is read here.
 * Only when no TZif file can be read do we fall back to `Intl` (best effort).
 */
import { readFileSync } from 'node:fs';

interface ZoneType {
  /** seconds east of UTC */
  offset: number;
  isDst: boolean;
  abbreviation: string;
}

interface Transition {
  /** unix seconds (kept as number: TZif values fit in ±2^53, the sentinel -2^59 included) */
  when: number;
  type: number;
}

interface TzifZone {
  kind: 'tzif';
  types: ZoneType[];
  transitions: Transition[];
  /** POSIX TZ string from the footer, '' when absent */
  footer: string;
}

interface FixedZone {
  kind: 'fixed';
  abbreviation: string;
  offset: number;
}

interface IntlZone {
  kind: 'intl';
  name: string;
}

type Zone = TzifZone | FixedZone | IntlZone;

const UTC: FixedZone = { kind: 'fixed', abbreviation: 'UTC', offset: 0 };

/** Go's sentinel for "the beginning of time" in a transition list. */
const ALPHA = -(2 ** 63);

const SECONDS_PER_DAY = 86400;
const SECONDS_PER_HOUR = 3600;

// ---------------------------------------------------------------------------------------------
// TZif parsing (RFC 8536), with Go's acceptance rules.

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  take(n: number): Buffer {
    if (n < 0 || this.pos + n > this.buf.length) throw new Error('truncated TZif data');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  u32(): number {
    return this.take(4).readUInt32BE(0);
  }
  rest(): Buffer {
    return this.buf.subarray(this.pos);
  }
}

function parseTzif(data: Buffer): TzifZone {
  const r = new Reader(data);
  if (r.take(4).toString('latin1') !== 'TZif') throw new Error('not a TZif file');
  const versionByte = r.take(16)[0];
  if (versionByte !== 0 && versionByte !== 0x32 && versionByte !== 0x33) throw new Error('bad TZif version');
  const readCounts = (): number[] => [r.u32(), r.u32(), r.u32(), r.u32(), r.u32(), r.u32()];
  let [nUtcLocal, nStdWall, nLeap, nTime, nZone, nChar] = readCounts();
  let timeSize = 4;
  if (versionByte !== 0) {
    // Skip the 32-bit block and the second header; the 64-bit block covers more dates.
    r.take(nTime * 5 + nZone * 6 + nChar + nLeap * 8 + nStdWall + nUtcLocal + 20);
    [nUtcLocal, nStdWall, nLeap, nTime, nZone, nChar] = readCounts();
    timeSize = 8;
  }
  const times = r.take(nTime * timeSize);
  const indices = r.take(nTime);
  const zoneData = r.take(nZone * 6);
  const abbreviations = r.take(nChar);
  r.take(nLeap * (timeSize + 4) + nStdWall + nUtcLocal);
  const rest = r.rest();
  let footer = '';
  if (rest.length > 2 && rest[0] === 0x0a && rest[rest.length - 1] === 0x0a) {
    footer = rest.subarray(1, rest.length - 1).toString('latin1');
  }
  if (nZone === 0) throw new Error('TZif file without zones');
  const types: ZoneType[] = [];
  for (let i = 0; i < nZone; i++) {
    const offset = zoneData.readInt32BE(i * 6);
    const isDst = zoneData[i * 6 + 4] !== 0;
    const at = zoneData[i * 6 + 5];
    if (at >= abbreviations.length) throw new Error('bad abbreviation index');
    let end = abbreviations.indexOf(0, at);
    if (end < 0) end = abbreviations.length;
    types.push({ offset, isDst, abbreviation: abbreviations.subarray(at, end).toString('latin1') });
  }
  const transitions: Transition[] = [];
  for (let i = 0; i < nTime; i++) {
    const when = timeSize === 8 ? Number(times.readBigInt64BE(i * 8)) : times.readInt32BE(i * 4);
    if (indices[i] >= types.length) throw new Error('bad transition type');
    transitions.push({ when, type: indices[i] });
  }
  // Like Go: a fixed zone gets one transition covering all time.
  if (transitions.length === 0) transitions.push({ when: ALPHA, type: 0 });
  return { kind: 'tzif', types, transitions, footer };
}

// ---------------------------------------------------------------------------------------------
// Lookup, following Go's Location.lookup.

function firstZoneType(z: TzifZone): number {
  // Go: use type 0 unless a transition uses it; else the first non-DST type before the
  // first transition's DST type, else the first non-DST type, else 0.
  if (!z.transitions.some((t) => t.type === 0)) return 0;
  const first = z.transitions[0].type;
  if (z.types[first].isDst) {
    for (let i = first - 1; i >= 0; i--) if (!z.types[i].isDst) return i;
  }
  const i = z.types.findIndex((t) => !t.isDst);
  return i >= 0 ? i : 0;
}

function lookupTzif(z: TzifZone, sec: number): { abbreviation: string; offset: number } {
  const tx = z.transitions;
  if (sec < tx[0].when) {
    const t = z.types[firstZoneType(z)];
    return { abbreviation: t.abbreviation, offset: t.offset };
  }
  let lo = 0;
  let hi = tx.length;
  while (hi - lo > 1) {
    const m = lo + Math.floor((hi - lo) / 2);
    if (sec < tx[m].when) hi = m;
    else lo = m;
  }
  if (lo === tx.length - 1 && z.footer !== '') {
    const rule = evaluatePosixTz(z.footer, sec);
    if (rule) return rule;
  }
  const t = z.types[tx[lo].type];
  return { abbreviation: t.abbreviation, offset: t.offset };
}

// ---------------------------------------------------------------------------------------------
// POSIX TZ strings (the TZif footer), following Go's tzset.

interface Cursor {
  s: string;
}

function parseName(c: Cursor): string | undefined {
  const s = c.s;
  if (s.length === 0) return undefined;
  if (s[0] === '<') {
    const close = s.indexOf('>');
    if (close < 0) return undefined;
    c.s = s.slice(close + 1);
    return s.slice(1, close);
  }
  const m = /[0-9,+-]/.exec(s);
  if (!m) {
    if (s.length < 3) return undefined;
    c.s = '';
    return s;
  }
  if (m.index < 3) return undefined;
  c.s = s.slice(m.index);
  return s.slice(0, m.index);
}

function parseNum(c: Cursor, min: number, max: number): number | undefined {
  const m = /^[0-9]+/.exec(c.s);
  if (!m) return undefined;
  let num = 0;
  for (const ch of m[0]) {
    num = num * 10 + (ch.charCodeAt(0) - 48);
    if (num > max) return undefined;
  }
  if (num < min) return undefined;
  c.s = c.s.slice(m[0].length);
  return num;
}

/** `[+-]hh[:mm[:ss]]` in seconds, as written (POSIX sign: positive is west of UTC). */
function parseOffset(c: Cursor): number | undefined {
  let neg = false;
  if (c.s.startsWith('+')) c.s = c.s.slice(1);
  else if (c.s.startsWith('-')) {
    c.s = c.s.slice(1);
    neg = true;
  }
  const hours = parseNum(c, 0, 24 * 7);
  if (hours === undefined) return undefined;
  let off = hours * SECONDS_PER_HOUR;
  if (c.s.startsWith(':')) {
    c.s = c.s.slice(1);
    const mins = parseNum(c, 0, 59);
    if (mins === undefined) return undefined;
    off += mins * 60;
    if (c.s.startsWith(':')) {
      c.s = c.s.slice(1);
      const secs = parseNum(c, 0, 59);
      if (secs === undefined) return undefined;
      off += secs;
    }
  }
  return neg ? -off : off;
}

type Rule =
  | { kind: 'julian'; day: number; time: number }
  | { kind: 'doy'; day: number; time: number }
  | { kind: 'mwd'; mon: number; week: number; day: number; time: number };

function parseRule(c: Cursor): Rule | undefined {
  let rule: Rule;
  if (c.s.startsWith('J')) {
    c.s = c.s.slice(1);
    const day = parseNum(c, 1, 365);
    if (day === undefined) return undefined;
    rule = { kind: 'julian', day, time: 0 };
  } else if (c.s.startsWith('M')) {
    c.s = c.s.slice(1);
    const mon = parseNum(c, 1, 12);
    if (mon === undefined || !c.s.startsWith('.')) return undefined;
    c.s = c.s.slice(1);
    const week = parseNum(c, 1, 5);
    if (week === undefined || !c.s.startsWith('.')) return undefined;
    c.s = c.s.slice(1);
    const day = parseNum(c, 0, 6);
    if (day === undefined) return undefined;
    rule = { kind: 'mwd', mon, week, day, time: 0 };
  } else {
    const day = parseNum(c, 0, 365);
    if (day === undefined) return undefined;
    rule = { kind: 'doy', day, time: 0 };
  }
  if (!c.s.startsWith('/')) {
    rule.time = 2 * SECONDS_PER_HOUR;
    return rule;
  }
  c.s = c.s.slice(1);
  const time = parseOffset(c);
  if (time === undefined) return undefined;
  rule.time = time;
  return rule;
}

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

const DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

function daysIn(month: number, year: number): number {
  if (month === 2 && isLeap(year)) return 29;
  return DAYS_BEFORE[month] - DAYS_BEFORE[month - 1];
}

/** Seconds after the start of `year` (UTC) at which `rule` takes effect, given the offset in force. */
function ruleTime(year: number, rule: Rule, offset: number): number {
  let s: number;
  switch (rule.kind) {
    case 'julian':
      s = (rule.day - 1) * SECONDS_PER_DAY;
      if (isLeap(year) && rule.day >= 60) s += SECONDS_PER_DAY;
      break;
    case 'doy':
      s = rule.day * SECONDS_PER_DAY;
      break;
    case 'mwd': {
      // Zeller's congruence: day of week of the first of the month.
      const m1 = ((rule.mon + 9) % 12) + 1;
      const yy0 = rule.mon <= 2 ? year - 1 : year;
      const yy1 = Math.trunc(yy0 / 100);
      const yy2 = yy0 % 100;
      let dow =
        (Math.trunc((26 * m1 - 2) / 10) + 1 + yy2 + Math.trunc(yy2 / 4) + Math.trunc(yy1 / 4) - 2 * yy1) % 7;
      if (dow < 0) dow += 7;
      let d = rule.day - dow;
      if (d < 0) d += 7;
      for (let i = 1; i < rule.week; i++) {
        if (d + 7 >= daysIn(rule.mon, year)) break;
        d += 7;
      }
      d += DAYS_BEFORE[rule.mon - 1];
      if (isLeap(year) && rule.mon > 2) d++;
      s = d * SECONDS_PER_DAY;
      break;
    }
  }
  return s + rule.time - offset;
}

/** The zone in force at `sec` according to a POSIX TZ string, or undefined if it does not parse. */
function evaluatePosixTz(tz: string, sec: number): { abbreviation: string; offset: number } | undefined {
  const c: Cursor = { s: tz };
  const stdName = parseName(c);
  if (stdName === undefined) return undefined;
  const stdWest = parseOffset(c);
  if (stdWest === undefined) return undefined;
  const stdOffset = -stdWest;
  if (c.s.length === 0 || c.s[0] === ',') return { abbreviation: stdName, offset: stdOffset };
  const dstName = parseName(c);
  if (dstName === undefined) return undefined;
  let dstOffset: number;
  if (c.s.length === 0 || c.s[0] === ',') {
    dstOffset = stdOffset + SECONDS_PER_HOUR;
  } else {
    const west = parseOffset(c);
    if (west === undefined) return undefined;
    dstOffset = -west;
  }
  if (c.s.length === 0) c.s = ',M3.2.0,M11.1.0'; // tzcode's default rules
  if (c.s[0] !== ',' && c.s[0] !== ';') return undefined;
  c.s = c.s.slice(1);
  const startRule = parseRule(c);
  if (!startRule || !c.s.startsWith(',')) return undefined;
  c.s = c.s.slice(1);
  const endRule = parseRule(c);
  if (!endRule || c.s.length > 0) return undefined;

  const date = new Date(sec * 1000);
  const year = date.getUTCFullYear();
  const yearStart = Date.UTC(year, 0, 1) / 1000;
  // Go: yday·86400 + sec % 86400 (a truncated remainder, as here).
  const yday = Math.round((Date.UTC(year, date.getUTCMonth(), date.getUTCDate()) / 1000 - yearStart) / SECONDS_PER_DAY);
  const ysec = yday * SECONDS_PER_DAY + (sec % SECONDS_PER_DAY);
  let startSec = ruleTime(year, startRule, stdOffset);
  let endSec = ruleTime(year, endRule, dstOffset);
  let std = { abbreviation: stdName, offset: stdOffset };
  let dst = { abbreviation: dstName, offset: dstOffset };
  if (endSec < startSec) {
    // Southern hemisphere: the labels swap.
    [startSec, endSec] = [endSec, startSec];
    [std, dst] = [dst, std];
  }
  return ysec < startSec || ysec >= endSec ? std : dst;
}

// ---------------------------------------------------------------------------------------------
// Resolving $TZ the way Go's time package does on Unix.

const ZONEINFO_DIRS = ['/usr/share/zoneinfo/', '/usr/share/lib/zoneinfo/', '/usr/lib/locale/TZ/'];

function tryLoad(path: string): TzifZone | undefined {
  try {
    return parseTzif(readFileSync(path));
  } catch {
    return undefined;
  }
}

function intlZoneIfValid(name: string): IntlZone | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return { kind: 'intl', name };
  } catch {
    return undefined;
  }
}

/**
 * `setting` has `$TZ` semantics: undefined = unset (/etc/localtime), '' or 'UTC' = UTC,
 * ':name' = 'name', '/path' = that TZif file, otherwise a zoneinfo name. Anything that
 * cannot be loaded is UTC, as in Go. Treat it as trusted configuration (it names a file).
 */
function resolveZone(setting: string | undefined): Zone {
  if (setting === undefined) return tryLoad('/etc/localtime') ?? UTC;
  const tz = setting.startsWith(':') ? setting.slice(1) : setting;
  if (tz === '' || tz === 'UTC') return UTC;
  if (tz.startsWith('/')) return tryLoad(tz) ?? UTC;
  if (tz.split('/').includes('..')) return UTC;
  for (const dir of ZONEINFO_DIRS) {
    const z = tryLoad(dir + tz);
    if (z) return z;
  }
  // No tzdata on this machine (slim containers): ask ICU rather than silently print UTC.
  return intlZoneIfValid(tz) ?? UTC;
}

const zoneCache = new Map<string, Zone>();

function zoneFor(setting: string | undefined): Zone {
  const key = setting === undefined ? '\u0000unset' : setting;
  let z = zoneCache.get(key);
  if (!z) {
    z = resolveZone(setting);
    zoneCache.set(key, z);
  }
  return z;
}

/** tzdata-style numeric abbreviation: +04, -03, +0530. */
function numericAbbreviation(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const minutes = Math.floor(Math.abs(offset) / 60);
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = minutes % 60;
  return sign + hh + (mm === 0 ? '' : String(mm).padStart(2, '0'));
}

function lookupIntl(z: IntlZone, sec: number): { abbreviation: string; offset: number } {
  const at = new Date(sec * 1000);
  const part = (locale: string, style: 'short' | 'longOffset'): string =>
    new Intl.DateTimeFormat(locale, { timeZone: z.name, timeZoneName: style })
      .formatToParts(at)
      .find((p) => p.type === 'timeZoneName')?.value ?? '';
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(part('en-US', 'longOffset'));
  const offset = m && m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
  // en-US short names (EST, PDT, UTC…) agree with tzdata; other locales invent some that
  // tzdata dropped (en-GB calls Asia/Dubai 'GST' where tzdata says '+04'), so numeric otherwise.
  const name = part('en-US', 'short');
  if (/^[A-Z]{3,5}$/.test(name)) return { abbreviation: name, offset };
  return { abbreviation: numericAbbreviation(offset), offset };
}

function lookup(z: Zone, sec: number): { abbreviation: string; offset: number } {
  switch (z.kind) {
    case 'fixed':
      return z;
    case 'tzif':
      return lookupTzif(z, sec);
    case 'intl':
      return lookupIntl(z, sec);
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's stdTZ fallback when a zone has no abbreviation: -0700 form. */
function goOffsetName(offset: number): string {
  let zone = Math.trunc(offset / 60);
  const sign = zone < 0 ? '-' : '+';
  zone = Math.abs(zone);
  return sign + String(Math.trunc(zone / 60)).padStart(2, '0') + String(zone % 60).padStart(2, '0');
}

function floorSeconds(nanos: number | bigint): number {
  if (typeof nanos === 'bigint') {
    const q = nanos / 1_000_000_000n;
    return Number(nanos < 0n && q * 1_000_000_000n !== nanos ? q - 1n : q);
  }
  return Math.floor(nanos / 1e9);
}

/**
 * Formats a profile's time_nanos like pprof's `Time:` line: `Nov 26, 2026 at 6:40am (UTC)`.
 * `timeZone` takes a `$TZ` value (e.g. 'UTC', 'America/New_York'); by default the process's TZ.
 */
export function formatGoTime(nanos: number | bigint, timeZone?: string): string {
  const setting = timeZone ?? process.env.TZ;
  const sec = floorSeconds(nanos);
  const { abbreviation, offset } = lookup(zoneFor(setting), sec);
  const local = new Date((sec + offset) * 1000);
  const hour = local.getUTCHours();
  const hour12 = hour % 12 === 0 ? 12 : hour % 12;
  const minute = String(local.getUTCMinutes()).padStart(2, '0');
  const year = String(local.getUTCFullYear()).padStart(4, '0');
  const zone = abbreviation !== '' ? abbreviation : goOffsetName(offset);
  return (
    `${MONTHS[local.getUTCMonth()]} ${local.getUTCDate()}, ${year} at ` +
    `${hour12}:${minute}${hour >= 12 ? 'pm' : 'am'} (${zone})`
  );
}

/**
 * Go's time.Time.String() of time.Unix(0, nanos) in `timeZone` (default $TZ), as pprof's -raw prints
 * `Time:`: `2026-11-26 07:02:19.644831623 +0000 UTC`, trailing zeros of the fraction dropped.
 */
export function goTimeString(nanos: bigint, timeZone?: string): string {
  const sec = floorSeconds(nanos);
  const frac = Number(nanos - BigInt(sec) * 1_000_000_000n);
  const { abbreviation, offset } = lookup(zoneFor(timeZone ?? process.env.TZ), sec);
  const t = new Date((sec + offset) * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  const fraction = frac === 0 ? '' : '.' + String(frac).padStart(9, '0').replace(/0+$/, '');
  const zone = abbreviation !== '' ? abbreviation : goOffsetName(offset);
  return (
    `${String(t.getUTCFullYear()).padStart(4, '0')}-${two(t.getUTCMonth() + 1)}-${two(t.getUTCDate())} ` +
    `${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}${fraction} ${goOffsetName(offset)} ${zone}`
  );
}

/** Go's time.Duration.String(): `1h2m3.5s`, `1.5ms`, `0s`. */
export function goDurationString(nanos: number): string {
  if (nanos === 0) return '0s';
  const neg = nanos < 0;
  let u = BigInt(Math.abs(nanos));
  const fmtFrac = (v: bigint, prec: number): [string, bigint] => {
    let digits = '';
    let print = false;
    for (let i = 0; i < prec; i++) {
      const digit = v % 10n;
      print ||= digit !== 0n;
      if (print) digits = String(digit) + digits;
      v /= 10n;
    }
    return [print ? '.' + digits : '', v];
  };
  let s: string;
  if (u < 1_000_000_000n) {
    // Below a second: the largest unit that keeps a non-zero integer part.
    const [prec, unit] = u < 1000n ? [0, 'ns'] : u < 1_000_000n ? [3, 'µs'] : [6, 'ms'];
    const [frac, whole] = fmtFrac(u, prec);
    s = `${whole}${frac}${unit}`;
  } else {
    const [frac, secs] = fmtFrac(u, 9);
    u = secs;
    s = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      s = `${u % 60n}m${s}`;
      u /= 60n;
      if (u > 0n) s = `${u}h${s}`;
    }
  }
  return neg ? '-' + s : s;
}
