/**
 * The CLI's one-line progress for a fetch: a countdown while the target collects, bytes while the
 * body arrives. Drawn in place with \r on a terminal and erased at the end, so the report that
 * follows starts on a clean line; nothing at all when the stream is not a TTY (logs, pipes, CI).
 */
import { formatBytes, type FetchProgress } from './fetch-profile.js';

/** The part of a stream the line needs; process.stderr fits. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressLine {
  /** Pass as fetchProfile's onProgress (it is bound). */
  update: (p: FetchProgress) => void;
  /** Erases the line; call it in a finally, success or not. */
  done: () => void;
}

const ERASE_TO_END = '\x1b[K';

export function progressLine(stream: ProgressStream, options: { minIntervalMs?: number; now?: () => number } = {}): ProgressLine {
  if (!stream.isTTY) return { update: () => {}, done: () => {} };
  const minIntervalMs = options.minIntervalMs ?? 100;
  const now = options.now ?? (() => Date.now());
  let shown = '';
  let shownPhase: FetchProgress['phase'] | undefined;
  let shownAt = -Infinity;
  let drawn = false;

  const update = (p: FetchProgress) => {
    let text = describeProgress(p);
    // A line longer than the terminal wraps, and \r then only rewrites its last row.
    const width = stream.columns ?? 0;
    if (width > 1 && text.length > width - 1) text = `${text.slice(0, width - 2)}…`;
    if (text === shown) return;
    const t = now();
    // Repaint at most every minIntervalMs, except on a change of phase (the first bytes).
    if (p.phase === shownPhase && t - shownAt < minIntervalMs) return;
    stream.write(`\r${text}${ERASE_TO_END}`);
    shown = text;
    shownPhase = p.phase;
    shownAt = t;
    drawn = true;
  };
  const done = () => {
    if (drawn) stream.write(`\r${ERASE_TO_END}`);
    drawn = false;
    shown = '';
    shownPhase = undefined;
  };
  return { update, done };
}

/** The words of the line: "collecting profile: 12s left…", "downloading 1.2 MB…". */
export function describeProgress(p: FetchProgress): string {
  if (p.phase === 'downloading') {
    const bytes = formatBytes(p.bytes ?? 0);
    return p.totalBytes !== undefined && p.totalBytes > 0 ? `downloading ${bytes} of ${formatBytes(p.totalBytes)}…` : `downloading ${bytes}…`;
  }
  const elapsedSeconds = Math.floor(p.elapsedMs / 1000);
  if (p.seconds !== undefined && p.seconds > 0) {
    const left = Math.ceil(p.seconds - p.elapsedMs / 1000);
    return left > 0 ? `collecting profile: ${left}s left…` : `collecting profile: waiting for the answer… ${elapsedSeconds}s`;
  }
  return `fetching profile… ${elapsedSeconds}s`;
}
