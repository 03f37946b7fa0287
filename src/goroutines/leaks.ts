/**
 * The goroutine leak report: goroutines grouped by stack, biggest (or fastest growing) first.
 *
 * Input is a goroutine Profile from any of the three forms Go writes: proto (debug=0), debug=1
 * text or debug=2 text (src/profile/goroutine-dump.ts). The forms do not show the same frames,
 * so groups are keyed on the stack as a Go traceback shows it, which all three can produce:
 * unexported `runtime.` frames (runtime.gopark, runtime.chanrecv, runtime.main, runtime.goexit)
 * are left out, and so are the address-only frames a debug=1 dump has where it hid them. What
 * only debug=2 knows (the state and the creating function) splits groups further when known; with
 * a base, only what both profiles know is used, so a proto base and a debug=2 profile still pair
 * up group for group.
 *
 * Everything here is a pure function over values; the result is plain JSON-friendly data
 * (optional fields are left out rather than null).
 */

import { OptionsError } from '../errors.js';
import type { Location, Profile, Sample } from '../profile/model.js';
import { GOROUTINE_LABELS } from '../profile/goroutine-dump.js';

/**
 * - parked: waiting in the scheduler (runtime.gopark) for a channel, lock, timer, network, …
 * - running: on a CPU or ready to be; proto and debug=1 profiles cannot tell running from runnable
 * - runnable: ready to run (debug=2 says so)
 * - syscall: in a system call
 * - unknown: the frames that would tell were hidden (debug=1) and nothing else tells
 */
export type GoroutineStatus = 'parked' | 'running' | 'runnable' | 'syscall' | 'unknown';

/** Wait time in whole minutes, as a debug=2 dump prints it; 0 means under a minute. */
export interface WaitRange {
  min: number;
  max: number;
}

export interface LeakGroup {
  /** function names leaf → root as a Go traceback shows them (hidden runtime frames left out) */
  stack: string[];
  count: number;
  status: GoroutineStatus;
  /** the state as a debug=2 header printed it, e.g. `chan receive`, `running` */
  state?: string;
  /** why a parked group waits: the debug=2 state, else inferred from the frames (same words) */
  waitReason?: string;
  /** the runtime/standard library frame that identifies the blocking operation, e.g. runtime.selectgo */
  primitive?: string;
  /** debug=2 only */
  waitMinutes?: WaitRange;
  /** the function whose `go` statement started these goroutines (debug=2 only) */
  createdBy?: string;
  /** the first frame, from the leaf, that is not runtime or standard library code */
  userFunction?: string;
  /** with a base: goroutines of this group in the base, count - base, and whether the base had none */
  base?: number;
  delta?: number;
  isNew?: boolean;
}

export interface LeakReport {
  total: number;
  /** what the groups are keyed on besides the stack */
  groupedBy: { state: boolean; createdBy: boolean };
  groups: LeakGroup[];
  /** with a base */
  baseTotal?: number;
}

export interface LeakReportOptions {
  base?: Profile;
}

export function leakReport(profile: Profile, options: LeakReportOptions = {}): LeakReport {
  const current = summarize(profile);
  const base = options.base === undefined ? undefined : summarize(options.base);
  const groupedBy = base === undefined ? current.details : current.details && base.details;
  const by = { state: groupedBy, createdBy: groupedBy };

  const groups = groupGoroutines(current, by);
  if (base === undefined) {
    const list = [...groups.values()].map((g) => g.finish());
    list.sort((a, b) => b.count - a.count || compareKeys(a, b));
    return { total: current.total, groupedBy: by, groups: list };
  }

  const baseGroups = groupGoroutines(base, by);
  const list: LeakGroup[] = [];
  for (const [key, g] of groups) {
    const baseCount = baseGroups.get(key)?.count ?? 0;
    list.push({ ...g.finish(), base: baseCount, delta: g.count - baseCount, isNew: !baseGroups.has(key) });
  }
  // Groups that are gone are listed too (count 0, negative delta): they sort last.
  for (const [key, g] of baseGroups) {
    if (groups.has(key)) continue;
    const { waitMinutes: _baseWait, ...gone } = g.finish();
    list.push({ ...gone, count: 0, base: gone.count, delta: -gone.count, isNew: false });
  }
  list.sort((a, b) => b.delta! - a.delta! || b.count - a.count || compareKeys(a, b));
  return { total: current.total, groupedBy: by, groups: list, baseTotal: base.total };
}

// ---------------------------------------------------------------------------------------------
// Per-sample facts

interface Goroutines {
  samples: SampleFacts[];
  total: number;
  /** the profile carries debug=2 details (state, creator) */
  details: boolean;
}

interface SampleFacts {
  count: number;
  stack: string[];
  state: string | undefined;
  createdBy: string | undefined;
  waitMinutes: number | undefined;
  status: GoroutineStatus;
  waitReason: string | undefined;
  primitive: string | undefined;
}

interface Frame {
  /** undefined for an address-only frame */
  name: string | undefined;
  address: bigint;
}

function summarize(profile: Profile): Goroutines {
  const valueIndex = profile.sampleTypes.findIndex((t) => t.type === 'goroutine');
  if (valueIndex < 0) {
    const types = profile.sampleTypes.map((t) => t.type).join(', ') || 'none';
    throw new OptionsError(`the leak report needs a goroutine profile; this one has sample types: ${types}`);
  }
  const parkingLeaves = inferParkingLeaves(profile.samples);
  let total = 0;
  let details = false;
  const samples: SampleFacts[] = [];
  for (const s of profile.samples) {
    const count = s.values[valueIndex] ?? 0;
    total += count;
    const frames = framesOf(s.locations);
    const state = firstLabel(s, GOROUTINE_LABELS.state);
    if (state !== undefined) details = true;
    const waitMinutes = s.numLabels?.[GOROUTINE_LABELS.waitMinutes]?.[0];
    const { snapshot, ...how } = classify(frames, state, parkingLeaves);
    const stack = tracebackStack(frames);
    samples.push({
      count,
      stack: snapshot ? withoutSnapshotFrames(stack) : stack,
      state,
      createdBy: firstLabel(s, GOROUTINE_LABELS.createdBy),
      // A debug=2 header prints minutes only from one on; a waiting goroutine without them waited less.
      waitMinutes: state === undefined ? undefined : waitMinutes ?? 0,
      ...how,
    });
  }
  return { samples, total, details };
}

function firstLabel(s: Sample, key: string): string | undefined {
  return s.labels?.[key]?.[0];
}

/** Leaf → root, inlined callees before their callers, as pprof lists a stack. */
function framesOf(locations: Location[]): Frame[] {
  const frames: Frame[] = [];
  for (const loc of locations) {
    if (loc.lines.length === 0) frames.push({ name: undefined, address: loc.address });
    for (const line of loc.lines) frames.push({ name: line.function.name, address: loc.address });
  }
  return frames;
}

/**
 * The stack a Go traceback (and so a debug=2 dump) shows: no unexported runtime frames, gopanic
 * shown as `panic` (as the runtime prints it), and no address-only frames at either end (debug=1
 * hides runtime frames at the leaf and runtime.goexit at the root). Address-only frames between
 * named ones stay, as hex; a stack with no names at all keeps its addresses, so that unsymbolized
 * profiles still group by stack.
 */
function tracebackStack(frames: Frame[]): string[] {
  const named = frames.some((f) => f.name !== undefined);
  let first = 0;
  let last = frames.length - 1;
  if (named) {
    while (frames[first]!.name === undefined) first++;
    while (frames[last]!.name === undefined) last--;
  }
  const stack: string[] = [];
  for (let i = first; i <= last; i++) {
    const f = frames[i]!;
    if (f.name === undefined) {
      stack.push(`0x${f.address.toString(16)}`);
      continue;
    }
    if (f.name === 'runtime.gopanic') stack.push('panic');
    else if (!isHiddenRuntimeFrame(f.name)) stack.push(f.name);
  }
  return stack;
}

/** What the runtime's traceback leaves out: `runtime.` functions that are not exported. */
function isHiddenRuntimeFrame(name: string): boolean {
  if (!name.startsWith('runtime.')) return false;
  const c = name.charCodeAt('runtime.'.length);
  return !(c >= 0x41 && c <= 0x5a);
}

// ---------------------------------------------------------------------------------------------
// Parked or running, and on what

/**
 * Runtime and standard library frames that identify a blocking operation, with the wait reason
 * the runtime gives it (Go 1.19's words: later runtimes name some sync waits more precisely,
 * e.g. `sync.Mutex.Lock`; a debug=2 state, when there is one, is used instead).
 */
const BLOCKING_FRAMES = new Map<string, string>([
  ['runtime.chanrecv', 'chan receive'],
  ['runtime.chanrecv1', 'chan receive'],
  ['runtime.chanrecv2', 'chan receive'],
  ['runtime.chansend', 'chan send'],
  ['runtime.chansend1', 'chan send'],
  ['runtime.selectgo', 'select'],
  ['runtime.block', 'select (no cases)'],
  ['runtime.semacquire', 'semacquire'],
  ['runtime.semacquire1', 'semacquire'],
  ['sync.runtime_Semacquire', 'semacquire'],
  ['sync.runtime_SemacquireMutex', 'semacquire'],
  ['sync.runtime_SemacquireRWMutex', 'semacquire'],
  ['sync.runtime_SemacquireRWMutexR', 'semacquire'],
  ['sync.runtime_SemacquireWaitGroup', 'semacquire'],
  ['internal/sync.runtime_SemacquireMutex', 'semacquire'],
  ['internal/poll.runtime_Semacquire', 'semacquire'],
  ['sync.runtime_notifyListWait', 'sync.Cond.Wait'],
  ['runtime.notifyListWait', 'sync.Cond.Wait'],
  ['time.Sleep', 'sleep'],
  ['runtime.timeSleep', 'sleep'],
  ['runtime.netpollblock', 'IO wait'],
  ['runtime.poll_runtime_pollWait', 'IO wait'],
  ['internal/poll.runtime_pollWait', 'IO wait'],
  ['runtime.gcBgMarkWorker', 'GC worker (idle)'],
  ['runtime.bgsweep', 'GC sweep wait'],
  ['runtime.bgscavenge', 'GC scavenge wait'],
  ['runtime.forcegchelper', 'force gc (idle)'],
  ['runtime.runfinq', 'finalizer wait'],
]);

const PARK_FRAMES = new Set(['runtime.gopark', 'runtime.goparkunlock']);

/**
 * The goroutine that wrote the snapshot: running by definition, even in a debug=1 dump where
 * the runtime frames at its leaf are hidden.
 */
const SNAPSHOT_FRAMES = new Set([
  'runtime.goroutineProfileWithLabels',
  'runtime/pprof.runtime_goroutineProfileWithLabels',
  'runtime/pprof.writeGoroutineStacks',
  'runtime.GoroutineProfile',
  'runtime.Stack',
  'runtime/debug.Stack',
]);

function isSyscallFrame(name: string): boolean {
  return (
    /^syscall\.(Syscall|RawSyscall|syscall|rawSyscall|rawVforkSyscall)/.test(name) ||
    /(^|\/)syscall(\/\w+)?\.Syscall6?$/.test(name) ||
    name === 'runtime.entersyscall' ||
    name === 'runtime.entersyscallblock' ||
    name === 'runtime.cgocall'
  );
}

/** A debug=2 state → status. Every state not listed is a wait reason: the goroutine is parked. */
const STATE_STATUS: Record<string, GoroutineStatus> = {
  running: 'running',
  runnable: 'runnable',
  preempted: 'runnable',
  syscall: 'syscall',
  idle: 'unknown',
  dead: 'unknown',
  copystack: 'unknown',
  moribund_unused: 'unknown',
  enqueue_unused: 'unknown',
  waiting: 'parked',
};

type Classification = Pick<SampleFacts, 'status' | 'waitReason' | 'primitive'> & { snapshot: boolean };

function classify(frames: Frame[], state: string | undefined, parkingLeaves: Set<bigint>): Classification {
  // Only the runtime and library frames below the user's code say how it blocks.
  const firstUser = frames.findIndex((f) => f.name !== undefined && isUserFunction(f.name));
  const below = firstUser < 0 ? frames : frames.slice(0, firstUser);
  let primitive: string | undefined;
  let inferred: string | undefined;
  let parkFrame: string | undefined;
  let parks = false;
  let syscall = false;
  let snapshot = false;
  for (const f of below) {
    if (f.name === undefined) continue;
    if (SNAPSHOT_FRAMES.has(f.name)) snapshot = true;
    const reason = BLOCKING_FRAMES.get(f.name);
    // The frame closest to the user's code: the one all three forms show alike (sync.runtime_SemacquireMutex
    // rather than runtime.semacquire1, which debug=1 and debug=2 hide).
    if (reason !== undefined) {
      primitive = f.name;
      inferred = reason;
      parks = true;
    } else if (PARK_FRAMES.has(f.name)) {
      parkFrame = f.name;
      parks = true;
    } else if (isSyscallFrame(f.name)) {
      syscall = true;
    }
  }

  const notWaiting = (status: GoroutineStatus): Classification => ({ status, waitReason: undefined, primitive: undefined, snapshot });
  if (state !== undefined) {
    const status = STATE_STATUS[state] ?? 'parked';
    if (status !== 'parked') return notWaiting(status);
    return { status, waitReason: state === 'waiting' ? inferred : state, primitive: primitive ?? parkFrame, snapshot };
  }
  if (snapshot) return notWaiting('running');
  const leaf = frames[0];
  if (!parks && leaf !== undefined && leaf.name === undefined && parkingLeaves.has(leaf.address)) parks = true;
  if (parks) return { status: 'parked', waitReason: inferred, primitive: primitive ?? parkFrame, snapshot };
  if (syscall) return notWaiting('syscall');
  if (leaf === undefined || leaf.name === undefined) return notWaiting('unknown');
  return notWaiting('running');
}

/**
 * The snapshot writer's own frames differ between the formats (proto and debug=1 are written by
 * runtime/pprof.writeRuntimeProfile, debug=2 by writeGoroutineStacks): key its group from the
 * first frame outside them, so that the writer pairs up with itself across formats.
 */
function withoutSnapshotFrames(stack: string[]): string[] {
  let i = 0;
  while (i < stack.length && (stack[i]!.startsWith('runtime/pprof.') || SNAPSHOT_FRAMES.has(stack[i]!))) i++;
  return i < stack.length ? stack.slice(i) : stack;
}

/**
 * debug=1 hides the runtime frames at the leaf, runtime.gopark among them, but keeps their
 * addresses. A stack whose visible frames show a blocking operation (time.Sleep,
 * sync.runtime_SemacquireMutex, …) is parked, so its hidden leaf address is gopark's; any other
 * stack of the same dump with that leaf address is parked too.
 */
function inferParkingLeaves(samples: Sample[]): Set<bigint> {
  const leaves = new Set<bigint>();
  for (const s of samples) {
    const leaf = s.locations[0];
    if (leaf === undefined || leaf.lines.length > 0 || leaf.address === 0n) continue;
    const frames = framesOf(s.locations);
    if (frames.some((f) => f.name !== undefined && BLOCKING_FRAMES.has(f.name))) leaves.add(leaf.address);
  }
  return leaves;
}

// ---------------------------------------------------------------------------------------------
// User code or standard library

/**
 * Top-level import path elements of the standard library. A function is standard library when
 * the first element of its package path is one of these; `main`, a path whose first element
 * has a dot (`github.com/…`) or any other name (a module such as `shopd/…`) is the user's code.
 * (Go's own rule, "no dot in the first element", would call dotless modules like `shopd`
 * standard library.)
 */
const STD_ROOTS = new Set([
  'archive', 'bufio', 'builtin', 'bytes', 'cmp', 'compress', 'container', 'context', 'crypto',
  'database', 'debug', 'embed', 'encoding', 'errors', 'expvar', 'flag', 'fmt', 'go', 'hash',
  'html', 'image', 'index', 'internal', 'io', 'iter', 'log', 'maps', 'math', 'mime', 'net', 'os',
  'path', 'plugin', 'reflect', 'regexp', 'runtime', 'slices', 'sort', 'strconv', 'strings',
  'structs', 'sync', 'syscall', 'testing', 'text', 'time', 'unicode', 'unique', 'unsafe', 'vendor',
  'weak',
]);

/** True for the user's own code (including third-party modules), false for runtime and std. */
export function isUserFunction(name: string): boolean {
  // Compiler-generated (type equality/hash) and runtime assembly names are nobody's code.
  if (name.startsWith('type:.') || name.startsWith('type..') || !name.includes('.')) return false;
  if (name.startsWith('0x')) return false;
  // The package path ends at the first '.' after its last '/', but receivers and type arguments
  // may hold '/' and '.' too: look only before the first '(' or '['.
  const cut = name.search(/[([]/);
  const head = cut < 0 ? name : name.slice(0, cut);
  const slash = head.indexOf('/');
  const root = slash >= 0 ? head.slice(0, slash) : head.slice(0, head.indexOf('.'));
  if (root.includes('.')) return true;
  return !STD_ROOTS.has(root);
}

// ---------------------------------------------------------------------------------------------
// Grouping

class GroupBuilder {
  count = 0;
  private wait: WaitRange | undefined;
  constructor(private readonly first: SampleFacts) {}

  add(s: SampleFacts): void {
    this.count += s.count;
    const m = s.waitMinutes;
    if (m === undefined) return;
    if (this.wait === undefined) this.wait = { min: m, max: m };
    else this.wait = { min: Math.min(this.wait.min, m), max: Math.max(this.wait.max, m) };
  }

  finish(): LeakGroup {
    const s = this.first;
    const g: LeakGroup = { stack: s.stack, count: this.count, status: s.status };
    if (s.state !== undefined) g.state = s.state;
    if (s.waitReason !== undefined) g.waitReason = s.waitReason;
    if (s.primitive !== undefined) g.primitive = s.primitive;
    if (this.wait !== undefined && s.status !== 'running' && s.status !== 'runnable') g.waitMinutes = this.wait;
    if (s.createdBy !== undefined) g.createdBy = s.createdBy;
    const user = s.stack.find(isUserFunction);
    if (user !== undefined) g.userFunction = user;
    return g;
  }
}

function groupGoroutines(gs: Goroutines, by: { state: boolean; createdBy: boolean }): Map<string, GroupBuilder> {
  const groups = new Map<string, GroupBuilder>();
  for (const s of gs.samples) {
    const key = groupKey(s.stack, by.state ? s.state : undefined, by.createdBy ? s.createdBy : undefined);
    let g = groups.get(key);
    if (!g) {
      // When state and creator are not keys, they must not show as if the whole group shared them.
      g = new GroupBuilder(by.state ? s : { ...s, state: undefined, createdBy: undefined });
      groups.set(key, g);
    }
    g.add(s);
  }
  return groups;
}

function groupKey(stack: string[], state: string | undefined, createdBy: string | undefined): string {
  return JSON.stringify([stack, state ?? null, createdBy ?? null]);
}

function compareKeys(a: LeakGroup, b: LeakGroup): number {
  const ka = groupKey(a.stack, a.state, a.createdBy);
  const kb = groupKey(b.stack, b.state, b.createdBy);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Budget

export interface LeakBudget {
  /** a breach when any group, or the total, grew by more than this many goroutines (needs a base) */
  failOnGrowth?: number;
  /** a breach when the profile holds more goroutines than this */
  maxGoroutines?: number;
}

/** The budget's breaches, one sentence each; empty when the report is within budget. */
export function checkLeakBudget(report: LeakReport, budget: LeakBudget): string[] {
  const breaches: string[] = [];
  if (budget.maxGoroutines !== undefined) {
    const max = checkCount(budget.maxGoroutines, 'maxGoroutines');
    if (report.total > max) breaches.push(`${report.total} goroutines, more than the maximum of ${max}`);
  }
  if (budget.failOnGrowth !== undefined) {
    const limit = checkCount(budget.failOnGrowth, 'failOnGrowth');
    if (report.baseTotal === undefined) {
      throw new OptionsError('a growth limit needs a base profile to compare with', 'failOnGrowth');
    }
    for (const g of report.groups) {
      if (g.delta !== undefined && g.delta > limit) {
        breaches.push(`${describeGroup(g)} grew by ${g.delta} goroutines (${g.base} → ${g.count}), more than ${limit}`);
      }
    }
    const growth = report.total - report.baseTotal;
    if (breaches.length === 0 && growth > limit) {
      breaches.push(`goroutines grew by ${growth} (${report.baseTotal} → ${report.total}), more than ${limit}`);
    }
  }
  return breaches;
}

function checkCount(n: number, option: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new OptionsError(`${option} must be a whole number ≥ 0, got ${n}`, option);
  return n;
}

function describeGroup(g: LeakGroup): string {
  const where = g.userFunction ?? g.stack[0] ?? '(empty stack)';
  const how = [g.waitReason ?? g.status, g.createdBy === undefined ? undefined : `created by ${g.createdBy}`]
    .filter((x) => x !== undefined)
    .join(', ');
  return `${escapeName(where)} (${escapeName(how)})`;
}

// ---------------------------------------------------------------------------------------------
// Text

const MAX_CELL = 60;
const MAX_STACK_NAME = 300;

/** A fixed-width table of the groups, then each group's stack. */
export function formatLeakReportText(report: LeakReport): string {
  const withBase = report.baseTotal !== undefined;
  const out: string[] = [];
  if (withBase) {
    const d = report.total - report.baseTotal!;
    out.push(`Goroutines: ${report.total} (base ${report.baseTotal}, ${signed(d)})`);
  } else {
    out.push(`Goroutines: ${report.total}`);
  }
  const keys = ['stack', report.groupedBy.state ? 'state' : '', report.groupedBy.createdBy ? 'creator' : ''].filter(Boolean);
  out.push(`Groups: ${report.groups.length}, by ${keys.join(', ')}${withBase ? '; biggest growth first' : '; biggest first'}`);
  out.push('');

  const header = ['#', 'COUNT', ...(withBase ? ['BASE', 'DELTA'] : []), 'STATUS', 'WAIT REASON', 'WAITED', 'BLOCKED IN', 'USER FUNCTION', 'CREATED BY'];
  const right = new Set(['#', 'COUNT', 'BASE', 'DELTA']);
  const rows = report.groups.map((g, i) => [
    String(i + 1),
    String(g.count),
    ...(withBase ? [String(g.base ?? 0), `${signed(g.delta ?? 0)}${g.isNew ? ' new' : ''}`] : []),
    g.status,
    cell(g.waitReason),
    formatWait(g.waitMinutes),
    cell(g.primitive),
    cell(g.userFunction),
    cell(g.createdBy),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r
      .map((v, c) => (right.has(header[c]!) ? v.padStart(widths[c]!) : v.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  out.push(line(header));
  for (const r of rows) out.push(line(r));

  if (report.groups.length > 0) {
    out.push('');
    out.push('Stacks (leaf first):');
    report.groups.forEach((g, i) => {
      out.push(`#${i + 1}  ${g.count} goroutine${g.count === 1 ? '' : 's'}`);
      if (g.stack.length === 0) out.push('    (no frames)');
      for (const name of g.stack) out.push(`    ${shorten(escapeName(name), MAX_STACK_NAME)}`);
      if (g.createdBy !== undefined) out.push(`    created by ${shorten(escapeName(g.createdBy), MAX_STACK_NAME)}`);
    });
  }
  return `${out.join('\n')}\n`;
}

function cell(v: string | undefined): string {
  return v === undefined ? '-' : shorten(escapeName(v), MAX_CELL);
}

function formatWait(w: WaitRange | undefined): string {
  if (w === undefined) return '-';
  const one = (m: number) => (m === 0 ? '<1' : String(m));
  return w.min === w.max ? `${one(w.min)} min` : `${one(w.min)}-${w.max} min`;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function shorten(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}

/**
 * Names come from the profile, i.e. from whoever sent it: control characters (which could move
 * the cursor or fake lines in a terminal), line and paragraph separators and bidirectional
 * overrides are written as escapes.
 */
export function escapeName(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\\]/g, (c) => {
    switch (c) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      case '\\':
        return '\\\\';
      default: {
        const code = c.charCodeAt(0);
        return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
      }
    }
  });
}
