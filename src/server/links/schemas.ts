/**
 * What a stored profile offers — its artifacts by file name and the links every answer carries — and
 * the schemas of what the link routes take and answer: validation here, and the OpenAPI document
 * (openapi.ts) generated from the same ones.
 */
import { z } from 'zod';
import type { ReportName } from '../../reports.js';
import { HttpProblem } from '../problem.js';

export interface ArtifactSpec {
  /** the report, as /v1/render's `format` names it */
  report: ReportName;
  /**
   * A PNG, rasterised in the render pool: 'dot' lays out the report's DOT first (graph.png: the SVG
   * report's DOT, hot path drawn); 'svg' rasterises the report, which is a standalone SVG (the card).
   */
  png?: 'dot' | 'svg';
}

/** Every artifact of a stored profile, by file name. */
export const ARTIFACTS = {
  'graph.svg': { report: 'svg' },
  'graph.png': { report: 'svg', png: 'dot' },
  'graph.dot': { report: 'dot' },
  'top.txt': { report: 'top' },
  'top.json': { report: 'json' },
  'traces.txt': { report: 'traces' },
  'flame.svg': { report: 'flame' },
  'flame.json': { report: 'flame.json' },
  'icicle.svg': { report: 'icicle' },
  'folded.txt': { report: 'folded' },
  'tags.txt': { report: 'tags' },
  'peek.txt': { report: 'peek' },
  'list.txt': { report: 'list' },
  'leaks.txt': { report: 'leaks' },
  'leaks.json': { report: 'leaks.json' },
  'card.png': { report: 'card', png: 'svg' },
} as const satisfies Record<string, ArtifactSpec>;

export type ArtifactName = keyof typeof ARTIFACTS;
export const ARTIFACT_NAMES = Object.keys(ARTIFACTS) as ArtifactName[];

/** The stored bytes, as uploaded. */
export const RAW_PROFILE = 'profile.pb.gz';
export const META = 'meta.json';

/** The links every answer carries, by name → path under /p/{id} ('' is the viewer page itself). */
export const LINKS = {
  view: '',
  svg: 'graph.svg',
  png: 'graph.png',
  dot: 'graph.dot',
  top: 'top.txt',
  top_json: 'top.json',
  traces: 'traces.txt',
  flame: 'flame.svg',
  card: 'card.png',
} as const;

export type ProfileLinks = Record<keyof typeof LINKS, string>;

/** Upload TTLs: whole seconds, up to ten years. */
export const MAX_TTL_SECONDS = 10 * 365 * 86_400;
export const MAX_TITLE_LENGTH = 200;
export const titleSchema = z.string().min(1).max(MAX_TITLE_LENGTH)
  // Shown in pages, unfurls and logs of other tools: no control characters.
  .refine((s) => !/[\u0000-\u001f\u007f]/u.test(s), 'must not contain control characters')
  .describe('shown on the viewer page and in unfurls');
export const ttlSchema = z.number().int().min(1).max(MAX_TTL_SECONDS)
  .describe('seconds the profile is kept; absent: kept until removed (retention never evicts a profile before its TTL)');

const linkUrl = z.string().describe('absolute URL');
export const linksSchema = z.object(
  Object.fromEntries(Object.keys(LINKS).map((k) => [k, linkUrl])) as Record<keyof typeof LINKS, typeof linkUrl>,
).describe('view: the viewer page; the others: artifacts with default options (add pprof options to their query)');

export const storedProfileAnswerSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{22}$/).describe('content address: 132 bits of sha256 of the bytes (and the base and sources), base64url'),
  title: z.string().optional(),
  expiresAt: z.string().optional().describe('ISO 8601, UTC; absent: kept until removed'),
  links: linksSchema,
});
export type StoredProfileAnswer = z.infer<typeof storedProfileAnswerSchema>;

const valueTypeSchema = z.object({ type: z.string(), unit: z.string() });
export const profileMetaSchema = z.object({
  id: z.string(),
  title: z.string().nullable(),
  createdAt: z.string().describe('ISO 8601, UTC'),
  expiresAt: z.string().nullable(),
  kind: z.enum(['proto', 'legacy', 'goroutine-dump', 'folded']),
  sampleTypes: z.array(valueTypeSchema),
  defaultSampleIndex: z.string().nullable().describe('the sample type reports use without sample_index'),
  periodType: valueTypeSchema.nullable(),
  time: z.string().nullable().describe("pprof's Time: header, in UTC"),
  duration: z.string().nullable().describe("pprof's Duration: text, e.g. 30s"),
  total: z.string().nullable().describe('the default sample type\'s total, formatted as -top prints it'),
  topFunction: z.string().nullable().describe('the heaviest function by flat value, default options'),
  base: z.object({ id: z.string(), diff: z.boolean() }).nullable().describe('the stored base this profile is compared against'),
  hasSources: z.boolean().describe('the upload carried a sources archive (multipart "sources"): list.txt shows the code of each line'),
  links: linksSchema,
});
export type ProfileMetaAnswer = z.infer<typeof profileMetaSchema>;

export function checked<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = [name, ...issue.path.map(String)].filter((s) => s !== '').join('.');
    throw new HttpProblem('bad-request', `${where}: ${issue.message}`);
  }
  return r.data;
}
