/**
 * POST /v1/captures: the server pulls a profile from a running service's /debug/pprof endpoint and
 * stores it like an upload, answering with its links.
 *
 * The server fetches on a client's behalf, so where it may connect is the operator's list, not the
 * client's choice: only the exact host:port entries of HOTPATH_FETCH_ALLOW (none: captures are
 * off), re-checked on every redirect hop, never a loopback, link-local or metadata address through
 * a name (src/fetch/policy.ts). The policy is built once, at start.
 */
import type express from 'express';
import type { RequestHandler } from 'express';
import { Counter } from 'prom-client';
import { z } from 'zod';
import { ProfileError, TooLargeError } from '../errors.js';
import { adjustProfileUrl, fetchProfile } from '../fetch/fetch-profile.js';
import { FETCH_ALLOW_ENV, makeCapturePolicy } from '../fetch/policy.js';
import { readUpload, type BodyMeter } from './body.js';
import { checked, titleSchema, ttlSchema } from './links/schemas.js';
import { requireWriteToken } from './write-token.js';
import { sendStored, storeProfile } from './links/profiles.js';
import { type LinksDeps } from './deps.js';
import { HttpProblem, problemFromError } from './problem.js';

/** The longest collection a capture may ask for: the request stays open that long. */
export const MAX_CAPTURE_SECONDS = 300;
/** The JSON body: a URL and a few numbers. */
const MAX_REQUEST_BYTES = 16 * 1024;

export const captureRequestSchema = z.object({
  url: z.string().min(1).max(2048)
    .describe('http(s) URL of a /debug/pprof endpoint on a host:port listed in HOTPATH_FETCH_ALLOW (host:port/path means http)'),
  seconds: z.number().int().min(1).max(MAX_CAPTURE_SECONDS).optional()
    .describe("collection time: sets the URL's seconds parameter (pprof's -seconds)"),
  title: titleSchema.optional(),
  ttl: ttlSchema.optional(),
}).strict();
export type CaptureRequest = z.infer<typeof captureRequestSchema>;

export function registerCaptureRoutes(app: express.Express, deps: LinksDeps): void {
  // Validated when the configuration was read; built once, so every request sees the same list.
  const policy = makeCapturePolicy(deps.config.fetchAllow);
  const captures = new Counter({
    name: 'hotpath_captures_total',
    help: 'POST /v1/captures answered, by outcome (ok, or the problem kind)',
    labelNames: ['outcome'] as const,
    registers: [deps.metrics.registry],
  });
  const named: RequestHandler = (_req, res, next) => {
    res.locals['route'] = '/v1/captures';
    res.setHeader('Cache-Control', 'no-store');
    next();
  };

  // A capture holds a download (up to the body cap) and then reads the profile like an upload:
  // it takes an admission place like one, for as long as it runs.
  app.post('/v1/captures', named, requireWriteToken(deps.config), deps.admission.admitted(async (req, res, gone) => {
    try {
      if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(req.headers['content-type'] ?? '')) {
        throw new HttpProblem('bad-request', 'send the capture as JSON (Content-Type: application/json): {"url": "http://host:port/debug/pprof/heap"}');
      }
      const raw = (await readUpload(req, { maxBodyBytes: MAX_REQUEST_BYTES }, res.locals['bodyMeter'] as BodyMeter)).profile;
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch (err) {
        throw new HttpProblem('bad-request', `the body is not JSON: ${(err as Error).message}`);
      }
      const body = checked(captureRequestSchema, json, '');
      const target = adjustProfileUrl(body.url, body.seconds); // throws FetchError('bad-url') → 400
      if (target === undefined) throw new HttpProblem('bad-request', 'url: expected an http(s) URL such as http://host:6060/debug/pprof/heap');
      if ((target.seconds ?? 0) > MAX_CAPTURE_SECONDS) {
        throw new HttpProblem('bad-request', `seconds: at most ${MAX_CAPTURE_SECONDS} (the URL asks for ${target.seconds})`);
      }
      if (!policy.enabled) throw new HttpProblem('forbidden', `captures are disabled on this server: ${FETCH_ALLOW_ENV} lists no host`);
      deps.store.get(); // 503 now rather than after the collection, when the store is not there

      // A client that gives up stops the capture too.
      const bytes = await fetchProfile(target.url, {
        ...policy.hooks,
        ...(body.seconds !== undefined && { seconds: body.seconds }),
        maxBytes: deps.config.maxBodyBytes,
        signal: gone,
      });
      const stored = await storeProfile(deps, {
        bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        title: body.title ?? `${target.url.host}${target.url.pathname}`.slice(0, 200),
        ...(body.ttl !== undefined && { ttlSeconds: body.ttl }),
      }, gone).catch((err: unknown) => {
        // The target's answer, not the client's request, is at fault: say so.
        if (err instanceof ProfileError || err instanceof TooLargeError) err.message = `what ${target.url.host} answered: ${err.message}`;
        throw err;
      });
      sendStored(req, res, deps.config, stored);
      captures.inc({ outcome: 'ok' });
    } catch (err) {
      captures.inc({ outcome: problemFromError(err).problem.type.split(':').pop()! });
      throw err;
    }
  }));
  app.all('/v1/captures', named, () => {
    throw new HttpProblem('method-not-allowed', 'POST a capture request to /v1/captures', {}, { Allow: 'POST' });
  });
}
