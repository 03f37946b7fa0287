/** Write access: with HOTPATH_TOKENS set, storing profiles needs one of its bearer tokens. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { ServerConfig } from './config.js';
import { HttpProblem } from './problem.js';

/**
 * With HOTPATH_TOKENS set, the request must carry `Authorization: Bearer <one of them>`. Checked
 * before any of the body is read. The comparison takes the same time whichever token matches, or
 * how much of one does: fixed-length digests, each compared in constant time, every one of them.
 */
export function requireWriteToken(config: Pick<ServerConfig, 'writeTokens'>): RequestHandler {
  const digests = config.writeTokens.map(sha256);
  return (req, _res, next) => {
    if (digests.length === 0) {
      next();
      return;
    }
    const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(req.headers.authorization ?? '');
    if (!m) {
      throw new HttpProblem('unauthorized', 'storing profiles on this server needs a token: send "Authorization: Bearer <token>"', {}, {
        'WWW-Authenticate': 'Bearer realm="hotpath"',
      });
    }
    const presented = sha256(m[1]!);
    let valid = false;
    for (const d of digests) valid = timingSafeEqual(d, presented) || valid;
    if (!valid) {
      throw new HttpProblem('unauthorized', 'the bearer token is not one this server accepts', {}, {
        'WWW-Authenticate': 'Bearer realm="hotpath", error="invalid_token"',
      });
    }
    next();
  };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
