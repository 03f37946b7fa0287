import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The copied corpus (test/fixtures/corpus, from shared/corpus; see its README for sources and credit). */
export const CORPUS = fileURLToPath(new URL('../../../test/fixtures/corpus/', import.meta.url));
export const SPEC_FIXTURES = fileURLToPath(new URL('../../../test/fixtures/spec/', import.meta.url));
/** bench/fixtures holds the 1M-sample synthetic profile, too big for the corpus copy in test/. */
export const BENCH_FIXTURES = fileURLToPath(new URL('../../../bench/fixtures/', import.meta.url));

export interface GoldenCase {
  golden: string;
  inputs: string[];
  flags: string[];
}

/** Rows of golden/INDEX.tsv: `go tool pprof FLAGS INPUTS` and the file holding its stdout. */
export function goldenCases(): GoldenCase[] {
  const lines = readFileSync(path.join(CORPUS, 'golden/INDEX.tsv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => {
    const [golden, inputs, flags] = l.split('\t');
    return { golden: golden!, inputs: inputs!.split(' '), flags: flags!.split(' ') };
  });
}

/** Where an input of INDEX.tsv lives in this checkout. */
export function inputPath(rel: string): string {
  if (rel === 'profiles/large/synthetic-1m.cpu.pb.gz') return path.join(BENCH_FIXTURES, 'synthetic-1m.cpu.pb.gz');
  return path.join(CORPUS, rel);
}

export function readGolden(name: string): string {
  return readFileSync(path.join(CORPUS, 'golden', name), 'utf8');
}
