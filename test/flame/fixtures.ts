/** Fixture access for the flame graph tests: only test/fixtures, never the shared folder. */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { decodeProfile } from '../../src/profile/decode.js';
import { normalizeProfile } from '../../src/profile/normalize.js';
import type { Profile } from '../../src/profile/model.js';

/** From build/test/flame/ back to the repository's test/fixtures/corpus. */
export const CORPUS = fileURLToPath(new URL('../../../test/fixtures/corpus/', import.meta.url));

export function corpusPath(rel: string): string {
  return path.join(CORPUS, rel);
}

/** A corpus profile as every report sees it: decoded, then normalised as pprof does (spec §1.6). */
export function loadCorpusProfile(rel: string): Profile {
  return normalizeProfile(decodeProfile(readFileSync(corpusPath(rel))));
}

/** pprof's default sample index: the default_sample_type if named, else the last type. */
export function defaultValueIndex(p: Profile): number {
  const named = p.sampleTypes.findIndex((t) => t.type === p.defaultSampleType);
  return named >= 0 && p.defaultSampleType !== '' ? named : p.sampleTypes.length - 1;
}
