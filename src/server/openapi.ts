/**
 * GET /openapi.json: the API description, with the render options generated from the same zod
 * schema that validates them (src/options.ts), so the document cannot fall behind the code.
 */
import { z } from 'zod';
import { OPTION_NAMES, reportOptionsSchema } from '../options.js';
import { REPORT_FORMATS, CONTENT_TYPES } from '../reports.js';
import type { ServerConfig } from './config.js';
import { PROBLEM_CONTENT_TYPE, PROBLEM_KINDS, problemType, type ProblemKind } from './problem.js';
import { SERVER_REFUSED_OPTIONS } from './render.js';

type JsonObject = Record<string, unknown>;

/** pprof's shorthand flags (`lines`, `inuse_space`, …): booleans that set another option. */
function shorthandNames(): string[] {
  const schemaKeys = new Set(Object.keys(reportOptionsSchema.shape));
  return [...OPTION_NAMES].filter((n) => !schemaKeys.has(n)).sort();
}

function optionParameters(): JsonObject[] {
  // `output`: the types after parsing (numbers, booleans), with defaults; the query carries their text.
  const schema = z.toJSONSchema(reportOptionsSchema, { io: 'output', unrepresentable: 'any' }) as JsonObject;
  const properties = schema['properties'] as Record<string, JsonObject>;
  const offered = Object.entries(properties).filter(([name]) => !SERVER_REFUSED_OPTIONS.includes(name));
  const params: JsonObject[] = offered.map(([name, prop]) => {
    const { description, ...rest } = prop;
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
    if (kind === 'not-found' || kind === 'method-not-allowed') continue;
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
            `${config.maxInflatedBytes} bytes after gunzip, ${config.maxSvgNodes} nodes for SVG, ` +
            `${config.renderDeadlineMs} ms per layout.`,
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
          requestBody: {
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
                    sources: { type: 'string', format: 'binary', description: 'format=list: the source tree as .tar.gz, .tar or .zip' },
                  },
                },
              },
            },
          },
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
      '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'the process answers' } } } },
      '/readyz': {
        get: {
          summary: 'Readiness: render workers loaded, not shutting down',
          responses: { '200': { description: 'ready' }, '503': { description: 'starting or draining' } },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
      '/': { get: { summary: 'A page to upload a profile and see its graph', responses: { '200': { description: 'HTML' } } } },
    },
    components: {
      schemas: {
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
            limit: { type: 'integer', description: 'the size cap in bytes (413)' },
            entry: { type: 'string', description: 'the sources archive entry at fault' },
          },
        },
      },
    },
  };
}
