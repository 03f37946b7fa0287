/**
 * Go goroutine text dumps → Profile.
 *
 * Two formats, both written by runtime/pprof's goroutine profile (and /debug/pprof/goroutine):
 *
 * - debug=1: `goroutine profile: total N`, then one block per distinct (stack, labels):
 *   `COUNT @ 0xPC 0xPC ...`, an optional `# labels: {"k":"v", ...}` line and `#\tPC\tfunc+0xOFF\tfile:line`
 *   frame lines. The `@` line lists every return address of the stack; the `#` lines leave out
 *   the runtime frames at the leaf (runtime.gopark, runtime.chanrecv, …) and runtime.goexit at the
 *   root, and add one line per inlined caller.
 * - debug=2: one block per goroutine, in the format of a panic traceback:
 *   `goroutine 7 [chan receive, 5 minutes]:`, then `pkg.func(args)` / `\tfile:line +0xOFF` pairs,
 *   optionally `created by pkg.func [in goroutine N]` and its file line, a blank line between
 *   goroutines. Runtime-internal frames are not shown at all.
 *
 * The Profile mirrors what a proto goroutine profile of the same moment holds: sample type
 * goroutine/count, locations leaf first, function and file names as the runtime names them,
 * inlined frames as extra lines of one location. What the text cannot tell is left out rather
 * than invented: debug=1 frames the runtime hid become address-only locations, debug=2 locations
 * have no addresses. There are no mappings (the normaliser adds a fake one).
 *
 * debug=2 keeps what only it knows as labels, so -tagfocus works on them (see GOROUTINE_LABELS).
 * Each debug=2 goroutine is its own sample, even when stacks are identical: merging identical
 * stacks and labels is the job of the merge step.
 */

import { ProfileError } from '../errors.js';
import type { Line, Location, Profile, ProfileFunction, Sample } from './model.js';
import { SampleBudget } from './budgets.js';

/**
 * Label keys set on samples parsed from debug=2 dumps.
 * - `state`: the wait reason or status in the header, e.g. `chan receive`, `select`, `running`
 *   (the transient ` (scan)` marker dropped): `-tagfocus=state=chan receive`.
 * - `wait_minutes`: numeric, unit `minutes`, present only when the dump printed `, N minutes`
 *   (the runtime prints it from one minute on): `-tagfocus=wait_minutes=10:`. pprof knows no
 *   minutes unit, so a bare number compares with it as is.
 * - `created_by`: the function that ran the `go` statement, e.g. `main.leak`.
 * - `locked_to_thread`: `true` when the header says `locked to thread`.
 */
export const GOROUTINE_LABELS = {
  state: 'state',
  waitMinutes: 'wait_minutes',
  createdBy: 'created_by',
  lockedToThread: 'locked_to_thread',
} as const;

export const WAIT_MINUTES_UNIT = 'minutes';

export type GoroutineDumpFormat = 'debug1' | 'debug2';

const DEBUG1_HEADER = /^goroutine profile: total (\d+)$/;
/** `goroutine 7 [chan receive]:`; newer runtimes may add `gp=0x… m=… mp=0x…` before the bracket. */
const DEBUG2_HEADER = /^goroutine (\d+)((?: [a-z]+=\S+)*) \[([^\]]*)\]:$/;
/** Lines a crash dump starts with before its goroutines: accepted as a prelude and skipped. */
const CRASH_PRELUDE = /^(panic: |fatal error: |SIGQUIT: )/;

/** How much of the input the sniffer looks at. */
const SNIFF_BYTES = 64 * 1024;

/**
 * True when the bytes look like a goroutine text dump (debug=1 or debug=2, or a Go crash dump
 * with goroutine stacks). Looks only at the start of the input.
 */
export function isGoroutineDump(bytes: Uint8Array): boolean {
  return goroutineDumpFormat(bytes) !== undefined;
}

/** The format of the goroutine dump the bytes start with, from their first 64 KiB; undefined when they are none. */
export function goroutineDumpFormat(bytes: Uint8Array): GoroutineDumpFormat | undefined {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return undefined;
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, SNIFF_BYTES));
  return sniffFormat(splitLines(head), true);
}

/**
 * The format of a dump, or undefined when the text is not one. `partial` allows the last line
 * to be cut (the sniffer sees only a prefix).
 */
function sniffFormat(lines: string[], partial: boolean): GoroutineDumpFormat | undefined {
  let i = firstNonBlank(lines, 0);
  if (i >= lines.length) return undefined;
  if (partial && i === lines.length - 1) return undefined; // a header must be a whole line
  const first = stripBom(lines[i]!);
  if (DEBUG1_HEADER.test(first)) return 'debug1';
  if (DEBUG2_HEADER.test(first)) return 'debug2';
  if (CRASH_PRELUDE.test(first)) {
    const last = partial ? lines.length - 1 : lines.length;
    for (i += 1; i < last; i++) if (DEBUG2_HEADER.test(lines[i]!)) return 'debug2';
  }
  return undefined;
}

/**
 * Parses a debug=1 or debug=2 goroutine dump. Throws ProfileError('malformed') naming the
 * 1-based line when the text is not one, or is cut short or garbled, and TooLargeError past a
 * budget (counted as the stacks are read).
 */
export function parseGoroutineDump(text: string, budget = new SampleBudget()): Profile {
  const lines = splitLines(text);
  const format = sniffFormat(lines, false);
  if (format === undefined) {
    const at = firstNonBlank(lines, 0);
    if (at >= lines.length) throw dumpError(1, 'the input is empty');
    throw dumpError(at + 1, `expected "goroutine profile: total N" or "goroutine N [state]:", got ${quote(lines[at]!)}`);
  }
  const builder = new ProfileBuilder(budget);
  if (format === 'debug1') parseDebug1(lines, builder);
  else parseDebug2(lines, builder);
  return builder.build();
}

// ---------------------------------------------------------------------------------------------
// debug=1

const DEBUG1_STACK = /^(\d+) @((?: 0x[0-9a-fA-F]+)*)$/;
const DEBUG1_LABELS = /^# labels: (\{.*\})$/;
const DEBUG1_FRAME_PREFIX = /^#\t/;

function parseDebug1(lines: string[], b: ProfileBuilder): void {
  let i = firstNonBlank(lines, 0);
  const total = Number(DEBUG1_HEADER.exec(stripBom(lines[i]!))![1]);
  let sum = 0;
  i++;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i++;
      continue;
    }
    const stack = DEBUG1_STACK.exec(line);
    if (!stack) throw dumpError(i + 1, `expected "COUNT @ 0x..." starting a stack, got ${quote(line)}`);
    const count = exactNumber(stack[1]!, i + 1, 'goroutine count');
    if (!Number.isSafeInteger(sum + count)) {
      throw dumpError(i + 1, 'the goroutine counts add up beyond 2^53', 'overflow');
    }
    const addresses = stack[2]!.trim() === '' ? [] : stack[2]!.trim().split(' ').map((a) => exactAddress(a, i + 1));
    const stackLine = i + 1;
    i++;
    let labels: Record<string, string[]> | undefined;
    if (i < lines.length) {
      const m = DEBUG1_LABELS.exec(lines[i]!);
      if (m) {
        labels = parseLabelMap(m[1]!, i + 1);
        i++;
      }
    }
    const frames: Debug1Frame[] = [];
    while (i < lines.length && DEBUG1_FRAME_PREFIX.test(lines[i]!)) {
      b.budget.frameLine();
      frames.push(parseDebug1Frame(lines[i]!, i + 1));
      i++;
    }
    const locations = debug1Locations(addresses, frames, stackLine, b);
    b.addSample(locations, count, labels);
    sum += count;
  }
  // The runtime prints the number of goroutines it recorded; the counts below it add up to that
  // same number. A shortfall means whole stacks are missing from the end.
  if (sum !== total) {
    throw dumpError(lines.length, `the stacks count ${sum} goroutines but the header says total ${total}: the dump is incomplete`);
  }
}

export interface Debug1Frame {
  pc: bigint;
  /** undefined for an unsymbolized frame (`#\t0x…` alone) */
  name: string | undefined;
  file: string;
  line: number;
  /** pc - offset: the entry of the physical function holding the pc; undefined when unsymbolized */
  entry: bigint | undefined;
  lineNumber: number;
}

export function parseDebug1Frame(text: string, lineNumber: number): Debug1Frame {
  // tabwriter pads the columns with extra tabs.
  const fields = text.slice(2).split('\t').filter((f) => f !== '');
  const pcText = fields[0];
  if (pcText === undefined || !/^0x[0-9a-fA-F]+$/.test(pcText)) {
    throw dumpError(lineNumber, `expected "#\\t0xPC\\tfunc+0xOFF\\tfile:line", got ${quote(text)}`);
  }
  const pc = exactAddress(pcText, lineNumber);
  if (fields.length === 1) return { pc, name: undefined, file: '', line: 0, entry: undefined, lineNumber };
  const nameOff = fields.length >= 2 ? /^(.+)\+(0x[0-9a-fA-F]+)$/.exec(fields[1]!) : null;
  // A file name may itself hold tabs only in theory; rejoin whatever follows the function.
  const fileLine = fields.length >= 3 ? /^(.*):(\d+)$/.exec(fields.slice(2).join('\t')) : null;
  if (!nameOff || !fileLine) {
    throw dumpError(lineNumber, `expected "#\\t0xPC\\tfunc+0xOFF\\tfile:line", got ${quote(text)}`);
  }
  const line = exactNumber(fileLine[2]!, lineNumber, 'line number');
  return { pc, name: nameOff[1]!, file: fileLine[1]!, line, entry: pc - BigInt(nameOff[2]!), lineNumber };
}

/**
 * Pairs the `#` frame lines with the `@` return addresses. The innermost frame at a return
 * address R is printed with pc R-1 (the call instruction, which is also the address a proto
 * profile gives the location). Addresses before the first printed frame are the runtime frames
 * the writer hid; they stay as address-only locations, as they are real frames. Addresses after
 * the last printed frame are runtime.goexit, which proto profiles leave out too.
 *
 * Inlined callers: the runtime lists them as extra "fake" PCs (their inline marks) in the `@`
 * line, each printed as its own `#` line. The proto writer folds them into one location with
 * several lines, and so do we: a frame and the next one are one physical function when their
 * entries (pc - offset) are equal, and the callee was inlined when the names differ (a function
 * calling itself is never inlined into itself). A hidden runtime frame inlined into a shown one
 * (runtime.goparkunlock into sync.runtime_notifyListWait) cannot be recognised: the shown frame
 * gets a location of its own, at its inline mark's address, after the address-only one.
 */
export function debug1Locations(addresses: bigint[], frames: Debug1Frame[], stackLine: number, b: ProfileBuilder): Location[] {
  const callPcs = addresses.map((a) => (a > 0n ? a - 1n : a));
  if (frames.length === 0) return callPcs.map((pc) => b.location(pc, []));
  const positions = new AddressPositions(addresses, callPcs);

  const groups: { index: number; frames: Debug1Frame[] }[] = [];
  /** addresses that are inline marks folded into the location before them */
  const folded = new Set<number>();
  let cursor = 0;
  for (const frame of frames) {
    const current = groups[groups.length - 1];
    const calleeInCurrent = current?.frames[current.frames.length - 1];
    const inlinedInto = calleeInCurrent !== undefined && isInlineCaller(calleeInCurrent, frame);
    const at = positions.find(frame.pc, cursor);
    if (current && (at < 0 || (inlinedInto && at === cursor))) {
      // An inlined caller: without a PC of its own (older writers), or with its inline mark's PC.
      if (at >= 0) {
        folded.add(at);
        cursor = at + 1;
      }
      current.frames.push(frame);
      continue;
    }
    if (at >= 0) {
      groups.push({ index: at, frames: [frame] });
      cursor = at + 1;
      continue;
    }
    // The first printed frame is an inlined caller whose runtime callee was hidden: it belongs
    // to the nearest return address above it (functions are contiguous in the text segment).
    const near = nearestAbove(callPcs, frame.pc);
    if (near < 0) {
      throw dumpError(frame.lineNumber, `frame pc ${hex(frame.pc)} is not in the stack on line ${stackLine}`);
    }
    groups.push({ index: near, frames: [frame] });
    cursor = near + 1;
  }

  // A loop, not Math.max(...folded): a stack of ~150 K inline marks overflowed the call stack
  // with that many arguments (RangeError; found by fuzzing large dumps).
  let lastIndex = groups[groups.length - 1]!.index;
  for (const a of folded) if (a > lastIndex) lastIndex = a;
  const byIndex = new Map(groups.map((g) => [g.index, g]));
  const locations: Location[] = [];
  for (let a = 0; a <= lastIndex; a++) {
    if (folded.has(a)) continue;
    const group = byIndex.get(a);
    const named = group ? group.frames.filter((f) => f.name !== undefined) : [];
    locations.push(b.location(callPcs[a]!, named.map((f) => b.line(f.name!, f.file, f.line))));
  }
  return locations;
}

/** Frames are one physical function (same entry) and the callee differs from the caller. */
function isInlineCaller(callee: Debug1Frame, caller: Debug1Frame): boolean {
  return (
    callee.entry !== undefined &&
    callee.entry === caller.entry &&
    callee.name !== caller.name
  );
}

/**
 * Where each pc sits in a stack's `@` line, looked up in O(log n): scanning the rest of the line
 * for every `#` frame made a dump whose frames match none of its addresses quadratic (10 K frames
 * took 0.7 s, 1 MB seconds; found by fuzzing).
 */
class AddressPositions {
  private readonly at = new Map<bigint, number[]>();

  constructor(addresses: bigint[], callPcs: bigint[]) {
    for (let a = 0; a < addresses.length; a++) {
      // Older writers printed the return address itself; accept both.
      this.add(callPcs[a]!, a);
      if (addresses[a] !== callPcs[a]) this.add(addresses[a]!, a);
    }
  }

  private add(pc: bigint, a: number): void {
    const list = this.at.get(pc);
    if (list === undefined) this.at.set(pc, [a]);
    else if (list[list.length - 1] !== a) list.push(a);
  }

  /** The first position ≥ `from` holding `pc`, or -1. */
  find(pc: bigint, from: number): number {
    const list = this.at.get(pc);
    if (list === undefined) return -1;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]! < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length ? list[lo]! : -1;
  }
}

function nearestAbove(callPcs: bigint[], pc: bigint): number {
  let best = -1;
  for (let a = 0; a < callPcs.length; a++) {
    const d = callPcs[a]! - pc;
    if (d >= 0n && (best < 0 || d < callPcs[best]! - pc)) best = a;
  }
  return best;
}

/** `{"tenant":"acme", "worker":"payment"}`: Go-quoted keys and values, comma separated. */
function parseLabelMap(text: string, lineNumber: number): Record<string, string[]> | undefined {
  const labels: Record<string, string[]> = {};
  let pos = 1;
  const fail = (): never => {
    throw dumpError(lineNumber, `expected labels as {"key":"value", ...}, got ${quote(text)}`);
  };
  const skipSpaces = () => {
    while (text[pos] === ' ') pos++;
  };
  skipSpaces();
  if (text[pos] === '}') return undefined;
  for (;;) {
    skipSpaces();
    const key = readGoQuoted(text, pos) ?? fail();
    pos = key.end;
    if (text[pos] !== ':') fail();
    pos++;
    const value = readGoQuoted(text, pos) ?? fail();
    pos = value.end;
    (labels[key.value] ??= []).push(value.value);
    skipSpaces();
    if (text[pos] === ',') {
      pos++;
      continue;
    }
    if (text[pos] === '}' && pos === text.length - 1) return labels;
    fail();
  }
}

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, "'": 39,
};

/** Reads a Go %q string at `start`; undefined when there is none. */
function readGoQuoted(text: string, start: number): { value: string; end: number } | undefined {
  if (text[start] !== '"') return undefined;
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      return { value: new TextDecoder().decode(Uint8Array.from(bytes)), end: i + 1 };
    }
    if (c !== '\\') {
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...encoder.encode(ch));
      i += ch.length;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) return undefined;
    if (e in SIMPLE_ESCAPES) {
      bytes.push(SIMPLE_ESCAPES[e]!);
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const digits = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const h = text.slice(i + 2, i + 2 + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(h)) return undefined;
      const n = parseInt(h, 16);
      if (e === 'x') bytes.push(n);
      else if (n > 0x10ffff) return undefined;
      else bytes.push(...encoder.encode(String.fromCodePoint(n)));
      i += 2 + digits;
    } else if (e >= '0' && e <= '7') {
      const o = text.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) return undefined;
      bytes.push(parseInt(o, 8));
      i += 4;
    } else {
      return undefined;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// debug=2

/** `\tfile:line`, then ` +0xOFF` unless inlined, and `fp= sp= pc=` under GOTRACEBACK=system. */
const DEBUG2_FILE_LINE = /^\t(.+?):(\d+)((?: (?:\+0x[0-9a-fA-F]+|fp=0x[0-9a-fA-F]+|sp=0x[0-9a-fA-F]+|pc=0x[0-9a-fA-F]+))*)$/;
const DEBUG2_CREATED_BY = /^created by (.+?)(?: in goroutine (\d+))?$/;
const DEBUG2_ELIDED = /^\.\.\.(?:additional frames|\d+ frames) elided\.\.\.$/;
const DEBUG2_NO_STACK = /^\tgoroutine running on other thread; stack unavailable$/;
/** GODEBUG=tracebackancestors: the stacks of the goroutines that created this one. */
const DEBUG2_ANCESTOR = /^\[originating from goroutine \d+\]:$/;

interface Debug2Frame {
  name: string;
  file: string;
  line: number;
  /** `(...)` and no offset: the frame is inlined into the next one (its caller) */
  inlined: boolean;
}

interface Goroutine {
  id: number;
  headerLine: number;
  state: string;
  waitMinutes: number | undefined;
  lockedToThread: boolean;
  frames: Debug2Frame[];
  createdBy: string | undefined;
}

function parseDebug2(lines: string[], b: ProfileBuilder): void {
  let i = firstNonBlank(lines, 0);
  if (CRASH_PRELUDE.test(stripBom(lines[i]!))) {
    while (!DEBUG2_HEADER.test(lines[i]!)) i++;
  }
  while (i < lines.length) {
    const line = i === 0 ? stripBom(lines[i]!) : lines[i]!;
    if (line.trim() === '') {
      i++;
      continue;
    }
    const header = DEBUG2_HEADER.exec(line);
    if (!header) throw dumpError(i + 1, `expected "goroutine N [state]:" starting a goroutine, got ${quote(line)}`);
    const g = parseHeader(header, i + 1);
    i = parseGoroutineBody(lines, i + 1, g, b.budget);
    addGoroutine(g, b);
  }
}

function parseHeader(m: RegExpExecArray, lineNumber: number): Goroutine {
  const parts = m[3]!.split(', ');
  const state = parts[0]!.replace(/ \(scan\)$/, '');
  if (state === '') throw dumpError(lineNumber, `goroutine ${m[1]} has an empty state`);
  let waitMinutes: number | undefined;
  let lockedToThread = false;
  for (const part of parts.slice(1)) {
    const minutes = /^(\d+) minutes$/.exec(part);
    if (minutes) waitMinutes = exactNumber(minutes[1]!, lineNumber, 'wait in minutes');
    else if (part === 'locked to thread') lockedToThread = true;
    // Other annotations of newer runtimes (e.g. synctest bubbles) carry nothing we report.
  }
  return { id: Number(m[1]), headerLine: lineNumber, state, waitMinutes, lockedToThread, frames: [], createdBy: undefined };
}

/** Reads frames up to the blank line (or next header, or end); returns the index after them. */
function parseGoroutineBody(lines: string[], start: number, g: Goroutine, budget: SampleBudget): number {
  let i = start;
  let inAncestor = false;
  let createdBySeen = false;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || DEBUG2_HEADER.test(line)) return i;
    if (DEBUG2_ANCESTOR.test(line)) {
      inAncestor = true;
      i++;
      continue;
    }
    if (DEBUG2_ELIDED.test(line) || (DEBUG2_NO_STACK.test(line) && g.frames.length === 0)) {
      i++;
      continue;
    }
    const created = DEBUG2_CREATED_BY.exec(line);
    if (created) {
      expectFileLine(lines, i, `created by ${created[1]}`);
      if (!inAncestor) {
        if (createdBySeen) throw dumpError(i + 1, `goroutine ${g.id} has a second "created by" line`);
        g.createdBy = created[1]!;
        createdBySeen = true;
      }
      i += 2;
      continue;
    }
    const call = parseCall(line);
    if (!call) {
      throw dumpError(i + 1, `expected a call "pkg.func(...)", "created by ..." or a blank line in goroutine ${g.id}, got ${quote(line)}`);
    }
    if (createdBySeen && !inAncestor) {
      throw dumpError(i + 1, `unexpected frame after "created by" in goroutine ${g.id}: ${quote(line)}`);
    }
    const fileLine = expectFileLine(lines, i, line);
    if (!inAncestor) {
      budget.frameLine();
      const hasOffset = /\+0x/.test(fileLine[3] ?? '');
      g.frames.push({
        name: call.name,
        file: fileLine[1]!,
        line: exactNumber(fileLine[2]!, i + 2, 'line number'),
        inlined: call.args === '...' && !hasOffset,
      });
    }
    i += 2;
  }
  return i;
}

function expectFileLine(lines: string[], i: number, after: string): RegExpExecArray {
  const next = lines[i + 1];
  const m = next === undefined ? null : DEBUG2_FILE_LINE.exec(next);
  if (m) return m;
  // At the end of the input, name the last line there is: the call left without its file.
  if (next === undefined) throw dumpError(i + 1, `expected a file:line after ${quote(after)}, got the end of the input`);
  throw dumpError(i + 2, `expected a file:line after ${quote(after)}, got ${quote(next)}`);
}

/**
 * `pkg.(*T).Method[...](0xc000, {0x1, 0x2}, ...)` → name and args. Arguments are only hex
 * words, `?`, braces, `_` and `...`, never parentheses, so the last `(` opens them; the name
 * may hold parentheses (`(*T)`) and even spaces (`type:.eq.struct { a int }`).
 */
function parseCall(line: string): { name: string; args: string } | undefined {
  if (!line.endsWith(')') || line.startsWith('\t')) return undefined;
  const open = line.lastIndexOf('(');
  if (open <= 0) return undefined;
  const args = line.slice(open + 1, -1);
  if (!/^[0-9a-fA-Fx?{}_., ]*$/.test(args)) return undefined;
  return { name: line.slice(0, open), args };
}

function addGoroutine(g: Goroutine, b: ProfileBuilder): void {
  const locations: Location[] = [];
  let pending: Line[] = [];
  for (const frame of g.frames) {
    pending.push(b.line(frame.name, frame.file, frame.line));
    if (!frame.inlined) {
      locations.push(b.location(0n, pending));
      pending = [];
    }
  }
  // An inlined frame with no caller shown (elided frames): keep it as a location of its own.
  if (pending.length > 0) locations.push(b.location(0n, pending));

  const labels: Record<string, string[]> = { [GOROUTINE_LABELS.state]: [g.state] };
  if (g.createdBy !== undefined) labels[GOROUTINE_LABELS.createdBy] = [g.createdBy];
  if (g.lockedToThread) labels[GOROUTINE_LABELS.lockedToThread] = ['true'];
  const numeric =
    g.waitMinutes === undefined
      ? undefined
      : { values: { [GOROUTINE_LABELS.waitMinutes]: [g.waitMinutes] }, units: { [GOROUTINE_LABELS.waitMinutes]: [WAIT_MINUTES_UNIT] } };
  b.addSample(locations, 1, labels, numeric);
}

// ---------------------------------------------------------------------------------------------
// Building the Profile

export class ProfileBuilder {
  private readonly functions = new Map<string, ProfileFunction>();
  private readonly locations = new Map<string, Location>();
  private readonly samples: Sample[] = [];

  /** what the samples and names are counted against as they are added */
  constructor(readonly budget = new SampleBudget()) {}

  line(name: string, file: string, line: number): Line {
    const key = `${name}\u0000${file}`;
    let fn = this.functions.get(key);
    if (!fn) {
      this.budget.name(name);
      this.budget.name(file);
      fn = { id: this.functions.size + 1, name, systemName: name, filename: file, startLine: 0 };
      this.functions.set(key, fn);
    }
    return { function: fn, line };
  }

  /** One location per address when there is one, else per chain of lines. */
  location(address: bigint, lines: Line[]): Location {
    const key =
      address !== 0n
        ? `@${address}`
        : lines.map((l) => `${l.function.id}:${l.line}`).join(',');
    let loc = this.locations.get(key);
    if (!loc) {
      loc = { id: this.locations.size + 1, mapping: undefined, address, lines, isFolded: false };
      this.locations.set(key, loc);
    } else if (loc.lines.length === 0 && lines.length > 0) {
      // debug=1 hides runtime frames at the leaf of one stack but may print the same address
      // in another: the symbolized reading wins, for every stack that shares the location.
      loc.lines = lines;
    }
    return loc;
  }

  addSample(
    locations: Location[],
    count: number,
    labels: Record<string, string[]> | undefined,
    numeric?: { values: Record<string, number[]>; units: Record<string, string[]> },
  ): void {
    this.budget.sample(locations);
    this.samples.push({
      locations,
      values: [count],
      labels,
      numLabels: numeric?.values,
      numUnits: numeric?.units,
    });
  }

  build(): Profile {
    return {
      sampleTypes: [{ type: 'goroutine', unit: 'count' }],
      samples: this.samples,
      mappings: [],
      locations: [...this.locations.values()],
      functions: [...this.functions.values()],
      dropFrames: '',
      keepFrames: '',
      timeNanos: 0n,
      durationNanos: 0,
      periodType: { type: 'goroutine', unit: 'count' },
      period: 1,
      comments: [],
      defaultSampleType: '',
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function firstNonBlank(lines: string[], from: number): number {
  let i = from;
  while (i < lines.length && stripBom(lines[i]!).trim() === '') i++;
  return i;
}

function stripBom(line: string): string {
  return line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
}

function dumpError(lineNumber: number, what: string, code: 'malformed' | 'overflow' = 'malformed'): ProfileError {
  return new ProfileError(code, `goroutine dump line ${lineNumber}: ${what}`, 'goroutine dump line', lineNumber);
}

/**
 * Digits → a number that is exact, or an overflow error naming the line: past 2^53 a count would
 * round (and 400 digits become Infinity), breaking the model's exact sums. Found by fuzzing.
 */
function exactNumber(digits: string, lineNumber: number, what: string): number {
  const n = Number(digits);
  if (Number.isSafeInteger(n)) return n;
  const shown = digits.length > 24 ? `${digits.slice(0, 24)}... (${digits.length} digits)` : digits;
  throw dumpError(lineNumber, `${what} ${shown} is beyond 2^53`, 'overflow');
}

/** A line quoted for an error message: control characters escaped, long lines shortened. */
function quote(line: string): string {
  const max = 80;
  const cut = line.length > max ? `${line.slice(0, max)}...` : line;
  return JSON.stringify(cut).replace(/[\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) =>
    `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** `0x…` → a uint64 address, or an overflow error naming the line (the model's addresses are uint64). */
function exactAddress(text: string, lineNumber: number): bigint {
  const a = BigInt(text);
  if (a <= 0xffffffffffffffffn) return a;
  throw dumpError(lineNumber, `address ${text.length > 24 ? `${text.slice(0, 24)}...` : text} is beyond 64 bits`, 'overflow');
}

function hex(n: bigint): string {
  return `0x${n.toString(16)}`;
}
