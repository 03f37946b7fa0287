/**
 * Shareable links for incident tickets: the routes.
 *
 * - `POST /v1/profiles` stores an upload (and its base, and its sources archive) under its content
 *   address and answers the links; the same upload always gives the same id.
 * - `GET /p/{id}/meta.json` describes a stored profile (for the viewer page and unfurls).
 * - `GET /p/{id}/{artifact}?<options>` renders one report of it, once per (id, options, artifact):
 *   the result is kept in the store and served from there with the store's strong ETag. The id is a
 *   content address and the options are in the URL, so a URL always means the same bytes:
 *   `Cache-Control: immutable`.
 * - `GET /p/{id}/profile.pb.gz` gives the uploaded bytes back, as they were sent.
 *
 * Reading needs only the link; writing needs a bearer token when HOTPATH_TOKENS is set. Nothing
 * lists profiles.
 */
import type express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { readUpload, type BodyMeter } from '../body.js';
import { requireWriteToken } from '../write-token.js';
import type { LinksDeps } from '../deps.js';
import { HttpProblem } from '../problem.js';
import { artifactMetrics, serveArtifact } from './artifacts.js';
import { ArtifactMemo } from './cache.js';
import { sendStored, serveMeta, serveRaw, storeProfile, uploadMeta, uploadQuery } from './profiles.js';
import { ARTIFACTS, META, RAW_PROFILE, type ArtifactName } from './schemas.js';

export function registerLinkRoutes(app: express.Express, deps: LinksDeps): void {
  const artifacts = artifactMetrics(deps);
  const memo = new ArtifactMemo(deps.config.artifactMemoryBytes);

  app.post('/v1/profiles', route('/v1/profiles'), noStore, requireWriteToken(deps.config), deps.admission.admitted(async (req, res, gone) => {
    const query = uploadQuery(req.query as Record<string, unknown>);
    const upload = await readUpload(req, deps.config, res.locals['bodyMeter'] as BodyMeter, { fields: ['title', 'ttl'] });
    const meta = uploadMeta(query, upload.fields ?? {});
    if (upload.base !== undefined && upload.diff_base !== undefined) {
      throw new HttpProblem('bad-request', 'send one of the "base" and "diff_base" fields, not both');
    }
    const baseBytes = upload.base ?? upload.diff_base;
    const stored = await storeProfile(deps, {
      bytes: upload.profile,
      ...(baseBytes !== undefined && { base: { bytes: baseBytes, diff: upload.diff_base !== undefined } }),
      ...(upload.sources !== undefined && { sources: upload.sources }),
      ...meta,
    }, gone);
    sendStored(req, res, deps.config, stored);
  }));
  app.all('/v1/profiles', route('/v1/profiles'), () => {
    throw new HttpProblem('method-not-allowed', 'POST a profile to /v1/profiles', {}, { Allow: 'POST' });
  });

  app.get('/p/:id/:artifact', async (req: Request, res: Response, next: NextFunction) => {
    const { id, artifact } = req.params as { id: string; artifact: string };
    if (artifact === META) {
      res.locals['route'] = `/p/:id/${META}`;
      await serveMeta(deps, req, res, id);
      return;
    }
    if (artifact === RAW_PROFILE) {
      res.locals['route'] = `/p/:id/${RAW_PROFILE}`;
      await serveRaw(deps, req, res, id);
      return;
    }
    if (!Object.hasOwn(ARTIFACTS, artifact)) {
      next(); // the 404 for unknown routes
      return;
    }
    const name = artifact as ArtifactName;
    res.locals['route'] = `/p/:id/${name}`;
    await serveArtifact(deps, memo, artifacts, req, res, id, name);
  });
}

const route = (name: string): RequestHandler => (_req, res, next) => {
  res.locals['route'] = name;
  next();
};

const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};
