import { readFileSync, statSync } from 'node:fs';
import { cleanPath, goBase } from '../format/go-strings.js';

/**
 * Where -list finds the source text of the files a profile names, looked up as pprof's sourceReader
 * does (internal/report/source.go): the file name from the profile, with build-machine prefixes trimmed,
 * relative to each search directory and then to each of that directory's parents.
 */
export interface SourceReader {
  /**
   * The text of a source file named as the list report names it (the profile's file name after
   * {@link trimSourcePath}), or undefined when it cannot be found.
   */
  read(file: string): string | undefined;
  /**
   * Where `file` is found (a path on disk or in the tree), or undefined when it is not: names that
   * resolve to one file (`a/x.go` and `./b/../a/x.go`, a name found through two search directories)
   * are read once per report.
   */
  resolve(file: string): string | undefined;
  /**
   * pprof's -source_path entries as the user gave them ([] or absent for none). pprof also uses their
   * base names to trim the profile's file names before the report prints them, so they change the text.
   */
  readonly searchPath?: readonly string[];
  /** pprof's -trim_path prefixes, ':'-separated ('' or absent: guess from the search path) */
  readonly trimPath?: string;
}

/** Prefixes that Bazel and `go test` in a sandbox leave in file names; always trimmed. */
const CWD_PREFIXES = ['/proc/self/cwd/./', '/proc/self/cwd/'];

/**
 * pprof's trimPath: without an explicit -trim_path, a profile path containing `/<base of a search dir>/`
 * is cut after the first such occurrence (a remote `/build/x/myproj/foo.go` searched for under a local
 * `.../myproj` becomes `foo.go`); otherwise the -trim_path prefixes and the sandbox prefixes are removed.
 */
export function trimSourcePath(file: string, trimPath: string, searchPath: readonly string[]): string {
  if (trimPath === '') {
    for (const dir of searchPath) {
      const marker = '/' + goBase(dir) + '/';
      const at = file.indexOf(marker);
      if (at !== -1) return file.slice(at + marker.length);
    }
  }
  for (let prefix of [...splitList(trimPath), ...CWD_PREFIXES]) {
    if (!prefix.endsWith('/')) prefix += '/';
    if (file.startsWith(prefix)) return file.slice(prefix.length);
  }
  return file;
}

/** Go's filepath.SplitList on Unix: '' is no entries, otherwise split at ':' (empty entries kept). */
export function splitList(list: string): string[] {
  return list === '' ? [] : list.split(':');
}

/**
 * The name a list report gives a profile's file: trimmed as pprof's report.newGraph does with the
 * reader's search and trim paths, then cleaned like filepath.Clean (graph.nodeInfo).
 */
export function reportFileName(file: string, sources: SourceReader): string {
  if (file === '') return '';
  return cleanPath(trimSourcePath(file, sources.trimPath ?? '', sources.searchPath ?? []));
}

/**
 * The lines of a source file as Go's bufio.Scanner yields them: split at '\n', one trailing '\r' dropped,
 * no empty line after a final newline. Go's scanner stops with an error at a line of 64 KiB or more and
 * pprof keeps the lines before it; so does this.
 */
export function splitSourceLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  for (const line of lines) {
    // A UTF-16 unit is at most 3 UTF-8 bytes: only long lines need counting.
    if (line.length >= MAX_SCAN_LINE / 3 && Buffer.byteLength(line, 'utf8') >= MAX_SCAN_LINE) break;
    out.push(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
  return out;
}

/** bufio.MaxScanTokenSize: a line needs room for itself and its newline in the scanner's buffer. */
const MAX_SCAN_LINE = 64 * 1024;

/** Go's filepath.Join of two elements on Unix. */
function joinPath(dir: string, file: string): string {
  if (dir === '') return file === '' ? '' : cleanPath(file);
  if (file === '') return cleanPath(dir);
  return cleanPath(dir + '/' + file);
}

/** Go's filepath.Dir on Unix. */
function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return cleanPath(p.slice(0, i + 1));
}

/**
 * pprof's openSourceFile search, over any file lookup: the trimmed name as it is when absolute, else
 * relative to each directory and each of its parents in turn; the first `open` that succeeds wins.
 */
function searchSource<T>(
  file: string, dirs: readonly string[], trimPath: string, open: (path: string) => T | undefined,
): T | undefined {
  const name = trimSourcePath(file, trimPath, dirs);
  if (name.startsWith('/')) return open(name);
  for (let dir of dirs) {
    for (;;) {
      const found = open(joinPath(dir, name));
      if (found !== undefined) return found;
      const parent = dirOf(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

export interface DirectorySourceOptions {
  /** pprof's -trim_path */
  trimPath?: string;
  /** where to search when no -source_path is given, as pprof searches its working directory */
  cwd?: string;
}

/**
 * Sources on disk, for the CLI's -source_path=DIR[:DIR…]. Only regular files are read (pprof would
 * "open" a directory and print nothing). Never use this for a server: profiles name arbitrary paths.
 */
export function directorySources(sourcePath: string | readonly string[], options: DirectorySourceOptions = {}): SourceReader {
  const searchPath = typeof sourcePath === 'string' ? splitList(sourcePath) : [...sourcePath];
  const trimPath = options.trimPath ?? '';
  const dirs = searchPath.length > 0 ? searchPath : [options.cwd ?? process.cwd()];
  return {
    searchPath,
    trimPath,
    read: (file) => searchSource(file, dirs, trimPath, readRegularFile),
    resolve: (file) => searchSource(file, dirs, trimPath, (path) => (isRegularFile(path) ? path : undefined)),
  };
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readRegularFile(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export interface MemorySourceOptions {
  /**
   * Directories inside the tree that act as -source_path entries (default none: the tree's root is
   * searched, and nothing trims the profile's file names).
   */
  searchPath?: readonly string[];
  trimPath?: string;
}

/**
 * Sources held in memory (an uploaded archive), keyed by their path relative to the tree's root, '/'-
 * separated. Searched like directories whose topmost parent is the root; nothing outside the tree (an
 * absolute name, `../`) is ever found, and nothing touches the file system.
 */
export function memorySources(
  files: ReadonlyMap<string, string | Uint8Array> | Readonly<Record<string, string | Uint8Array>>,
  options: MemorySourceOptions = {},
): SourceReader {
  const tree = new Map<string, string | Uint8Array>();
  const entries = files instanceof Map ? files.entries() : Object.entries(files);
  for (const [name, content] of entries) tree.set(cleanPath(name), content);
  const searchPath = [...(options.searchPath ?? [])];
  const trimPath = options.trimPath ?? '';
  const dirs = searchPath.length > 0 ? searchPath.map((d) => cleanPath(d)) : ['.'];
  const decoder = new TextDecoder('utf-8');
  const inTree = (path: string): boolean => !(path.startsWith('/') || path === '..' || path.startsWith('../')) && tree.has(path);
  const open = (path: string): string | undefined => {
    if (!inTree(path)) return undefined;
    const content = tree.get(path)!;
    return typeof content === 'string' ? content : decoder.decode(content);
  };
  return {
    searchPath,
    trimPath,
    read: (file) => searchSource(file, dirs, trimPath, open),
    resolve: (file) => searchSource(file, dirs, trimPath, (path) => (inTree(path) ? path : undefined)),
  };
}
