/**
 * GET /openapi.json: the API description, with the render options generated from the same table
 * that validates them (src/options.ts), so the document cannot fall behind the code.
 */
import { z } from 'zod';
import { OPTION_NAMES, OPTION_SPECS, optionJsonSchema } from '../options.js';
import { REPORT_FORMATS, CONTENT_TYPES } from '../reports.js';
import type { ServerConfig } from './config.js';
import { PROBLEM_CONTENT_TYPE, PROBLEM_KINDS, problemType, type ProblemKind } from './problem.js';
import { SERVER_REFUSED_OPTIONS } from './render.js';
import { ARTIFACT_NAMES, ARTIFACTS, META, RAW_PROFILE, profileMetaSchema, storedProfileAnswerSchema, titleSchema } from './links/schemas.js';
import { captureRequestSchema, MAX_CAPTURE_SECONDS } from './captures.js';

type JsonObject = Record<string, unknown>;

/** pprof's shorthand flags (`lines`, `inuse_space`, …): booleans that set another option. */
function shorthandNames(): string[] {
  const schemaKeys = new Set(Object.keys(OPTION_SPECS));
  return [...OPTION_NAMES].filter((n) => !schemaKeys.has(n)).sort();
}

function optionParameters(): JsonObject[] {
  // `output`: the types after parsing (numbers, booleans), with defaults; the query carries their text.
  const offered = Object.entries(OPTION_SPECS).filter(([name]) => !SERVER_REFUSED_OPTIONS.includes(name));
  const params: JsonObject[] = offered.map(([name, spec]) => {
    const { description, ...rest } = optionJsonSchema(spec);
    return { name, in: 'query', required: false, description: description ?? `pprof's -${name}`, schema: rest };
  });
  for (const name of shorthandNames()) {
    params.push({
      name,
      in: 'query',
      required: false,
      description: `pprof's -${name} shorthand (present, true or 1 turns it on); an explicit option it stands for wins`,
      schema: { type: 'boolean' },
      allowEmptyValue: true,
    });
  }
  return params;
}

function problemResponse(kinds: ProblemKind[]): JsonObject {
  return {
    description: kinds.map((k) => `${PROBLEM_KINDS[k].title} (${problemType(k)})`).join('; '),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

export function openApiDocument(config: ServerConfig): JsonObject {
  const statusKinds = new Map<number, ProblemKind[]>();
  for (const [kind, { status }] of Object.entries(PROBLEM_KINDS) as [ProblemKind, { status: number }][]) {
    if (kind === 'not-found' || kind === 'method-not-allowed' || LINK_ONLY_KINDS.has(kind)) continue;
    statusKinds.set(status, [...(statusKinds.get(status) ?? []), kind]);
  }
  const renderErrors: JsonObject = {};
  for (const [status, kinds] of [...statusKinds].sort((a, b) => a[0] - b[0])) renderErrors[String(status)] = problemResponse(kinds);

  const okContent: JsonObject = {};
  for (const f of REPORT_FORMATS) {
    const type = CONTENT_TYPES[f];
    okContent[type] = okContent[type] ?? { schema: { type: 'string' } };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'hotpath',
      version: '0.1.0',
      description:
        "pprof's reports (top, traces, DOT and SVG call graphs) over HTTP. Options are go tool pprof's flags, " +
        'by the same names, as query parameters. Times in report headers are printed in UTC.',
    },
    paths: {
      '/v1/render': {
        post: {
          summary: 'Render a profile',
          description:
            `The body is the profile: profile.proto (gzip'd or not), a goroutine dump or folded stacks; raw, or as the ` +
            `"profile" file of a multipart/form-data body. Limits: body ${config.maxBodyBytes} bytes, ` +
            `${config.maxInflatedBytes} bytes after gunzip, ${config.maxSamples} samples, ${config.maxFrames} stack frames ` +
            `(${config.maxStackDepth} per stack), ${config.maxNameBytes} bytes per name, ${config.maxOutputChars} characters ` +
            `of report, ${config.maxSvgNodes} nodes for SVG, ${config.workerHeapMb} MiB of memory and ` +
            `${config.renderDeadlineMs} ms per request (all in SECURITY.md); past one: 413 naming it (limitName), or 504.`,
          parameters: [
            {
              name: 'format',
              in: 'query',
              required: false,
              description: 'report to produce (json is the top table as JSON; list, peek and leaks need their options or fields)',
              schema: { type: 'string', enum: [...REPORT_FORMATS], default: 'svg' },
            },
            ...optionParameters(),
          ],
          requestBody: uploadBody({
            sources: { type: 'string', format: 'binary', description: 'format=list: the source tree as .tar.gz, .tar or .zip' },
          }),
          responses: {
            '200': {
              description: 'the report; the same bytes as `hotpath` prints for the same options (with TZ=UTC)',
              headers: {
                'X-Hotpath-Warning': {
                  description: "pprof's notes on stderr, e.g. that a focus expression matched no samples (percent-encoded)",
                  schema: { type: 'string' },
                },
                'X-Hotpath-Budget-Exceeded': {
                  description: 'leaks reports: each fail_on_growth / max_goroutines budget passed (the CLI exits 1)',
                  schema: { type: 'string' },
                },
              },
              content: okContent,
            },
            ...renderErrors,
          },
        },
      },
      ...linkPaths(config),
      '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'the process answers' } } } },
      '/readyz': {
        get: {
          summary: 'Readiness: job workers loaded, profile store open, not shutting down',
          responses: { '200': { description: 'ready' }, '503': { description: 'starting or draining' } },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
      '/': { get: { summary: 'A page to upload a profile and see its graph', responses: { '200': { description: 'HTML' } } } },
    },
    components: {
      schemas: {
        StoredProfile: jsonSchema(storedProfileAnswerSchema),
        ProfileMeta: jsonSchema(profileMetaSchema),
        CaptureRequest: jsonSchema(captureRequestSchema),
        Problem: {
          type: 'object',
          description: 'RFC 7807 problem details',
          required: ['type', 'title', 'status', 'detail'],
          properties: {
            type: { type: 'string', enum: Object.keys(PROBLEM_KINDS).map((k) => problemType(k as ProblemKind)) },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            field: { type: 'string', description: 'profile.proto field at fault (malformed profiles)' },
            index: { type: 'integer', description: 'offending id, index or byte offset (malformed profiles)' },
            option: { type: 'string', description: 'query parameter at fault (bad options)' },
            limit: { type: 'integer', description: 'the cap: bytes, or the count its limit counts (413)' },
            limitName: { type: 'string', description: 'the limit passed (413), e.g. max_samples; the server sets it as HOTPATH_MAX_SAMPLES' },
            entry: { type: 'string', description: 'the sources archive entry at fault' },
          },
        },
      },
    },
  };
}

/** Problems only the link and capture routes answer (not /v1/render). */
const LINK_ONLY_KINDS = new Set<ProblemKind>(['unauthorized', 'forbidden', 'fetch-failed', 'fetch-timeout', 'storage-full']);

function jsonSchema(schema: z.ZodType): JsonObject {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonObject;
  return rest;
}

function errors(kinds: ProblemKind[]): JsonObject {
  const byStatus = new Map<number, ProblemKind[]>();
  for (const k of kinds) byStatus.set(PROBLEM_KINDS[k].status, [...(byStatus.get(PROBLEM_KINDS[k].status) ?? []), k]);
  return Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0]).map(([status, ks]) => [String(status), problemResponse(ks)]));
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** POST /v1/profiles, POST /v1/captures and the /p/{id}/… routes (src/server/links/, captures.ts). */
function linkPaths(config: ServerConfig): JsonObject {
  const stored = {
    description: 'stored; the answer carries the id and absolute links (the Location header is the viewer page)',
    content: { 'application/json': { schema: ref('StoredProfile') } },
  };
  const idParam = { name: 'id', in: 'path', required: true, description: 'the id POST /v1/profiles answered', schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{22}$' } };
  const writeAuth = 'When the server sets HOTPATH_TOKENS, send `Authorization: Bearer <token>` (401 otherwise).';
  const loadErrors: ProblemKind[] = ['empty-profile', 'malformed-profile', 'bad-request', 'too-large', 'unsupported-profile', 'bad-options', 'value-overflow'];
  const storeErrors: ProblemKind[] = ['unauthorized', 'unavailable', 'storage-full'];
  const artifactContent: JsonObject = { 'image/png': { schema: { type: 'string', format: 'binary' } } };
  for (const name of ARTIFACT_NAMES) artifactContent[CONTENT_TYPES[ARTIFACTS[name].report]] ??= { schema: { type: 'string' } };
  return {
    '/v1/profiles': {
      post: {
        summary: 'Store a profile and get shareable links',
        description:
          `The body is what /v1/render takes: the profile raw, or a multipart form with \`profile\` and optionally \`base\` or ` +
          '`diff_base` (stored as a profile of its own, applied to every artifact) and `sources` (kept with the profile, ' +
          'for list.txt). The profile (and the archive) is loaded first, so a bad one answers as /v1/render would. The id is ' +
          'the content address of the bytes (and base, and sources): the same upload answers ' +
          `200 with the same id and links. ${writeAuth}`,
        parameters: [
          { name: 'title', in: 'query', required: false, description: 'or a multipart text field', schema: jsonSchema(titleSchema) },
          { name: 'ttl', in: 'query', required: false, description: 'seconds to keep the profile (or a multipart text field); default: until removed', schema: { type: 'integer', minimum: 1 } },
        ],
        requestBody: uploadBody({
          sources: {
            type: 'string', format: 'binary',
            description: 'the source tree as .tar.gz, .tar or .zip, stored with the profile: list.txt shows the code (checked and capped as /v1/render does)',
          },
          title: { type: 'string' },
          ttl: { type: 'string', description: 'whole seconds' },
        }),
        responses: { '200': stored, '201': stored, ...errors([...loadErrors, 'bad-sources', 'unsupported-sources', ...storeErrors, 'busy']) },
      },
    },
    '/v1/captures': {
      post: {
        summary: 'Fetch a profile from a running service and store it',
        description:
          'The server fetches `url` (a /debug/pprof endpoint) and stores the answer like an upload. Only the exact host:port ' +
          'entries of HOTPATH_FETCH_ALLOW may be fetched, on every redirect hop too; loopback, link-local and metadata ' +
          `addresses only when an entry names them. Collections take up to ${MAX_CAPTURE_SECONDS} seconds. ${writeAuth}`,
        requestBody: { required: true, content: { 'application/json': { schema: ref('CaptureRequest') } } },
        responses: {
          '200': stored,
          '201': stored,
          ...errors([...loadErrors, ...storeErrors, 'forbidden', 'fetch-failed', 'fetch-timeout']),
        },
      },
    },
    [`/p/{id}/${META}`]: {
      get: {
        summary: 'What a stored profile is: types, total, time, the heaviest function, its base, its links',
        parameters: [idParam],
        responses: {
          '200': { description: 'the description', content: { 'application/json': { schema: ref('ProfileMeta') } } },
          ...errors(['not-found', 'unavailable']),
        },
      },
    },
    [`/p/{id}/${RAW_PROFILE}`]: {
      get: {
        summary: 'The stored profile, byte for byte as uploaded',
        parameters: [idParam],
        responses: {
          '200': { description: 'the bytes (ETag, immutable)', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
          ...errors(['not-found', 'unavailable']),
        },
      },
    },
    '/p/{id}/{artifact}': {
      get: {
        summary: 'A report of a stored profile',
        description:
          'Rendered once per (id, options, artifact) and served from the store afterwards, with a strong ETag (If-None-Match ' +
          'answers 304) and `Cache-Control: public, max-age=31536000, immutable`: the id and the query pin the bytes. ' +
          'Options are /v1/render\'s (the report comes from the artifact name, so no `format`); the stored base applies. ' +
          `X-Hotpath-Cache says hit or miss. graph.png is the call graph with its hot path, rasterised (nodes: at most ${config.maxSvgNodes}); ` +
          'card.png is the 1200×630 unfurl card (og:image); flame.json is the flame tree as data for the viewer page.',
        parameters: [
          idParam,
          { name: 'artifact', in: 'path', required: true, schema: { type: 'string', enum: [...ARTIFACT_NAMES] } },
          { name: 'base', in: 'query', required: false, description: "compare against this stored profile (pprof's -base) instead of the stored base", schema: { type: 'string' } },
          { name: 'diff_base', in: 'query', required: false, description: "the same, as pprof's -diff_base", schema: { type: 'string' } },
          { name: 'scale', in: 'query', required: false, description: 'graph.png: size multiplier, 1–4', schema: { type: 'number', minimum: 1, maximum: 4, default: 1 } },
          ...optionParameters(),
        ],
        responses: {
          '200': { description: 'the artifact', content: artifactContent },
          '304': { description: 'If-None-Match matched' },
          ...errors(['not-found', 'bad-options', 'graph-too-large', 'render-failed', 'value-overflow', 'busy', 'unavailable', 'render-timeout']),
        },
      },
    },
  };
}

/** A profile upload, raw or multipart (profile, base or diff_base, and `extra` fields), as both routes take it. */
function uploadBody(extra: Record<string, unknown>) {
  return {
    required: true,
    content: {
      'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: ['profile'],
          properties: {
            profile: { type: 'string', format: 'binary', description: 'the profile' },
            base: { type: 'string', format: 'binary', description: "a snapshot to subtract (pprof's -base)" },
            diff_base: { type: 'string', format: 'binary', description: "the same, percentages of the base (pprof's -diff_base)" },
            ...extra,
          },
        },
      },
    },
  };
}
