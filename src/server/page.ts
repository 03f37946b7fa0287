/**
 * GET /: templates/index.html, served with a Content-Security-Policy that allows exactly the page's
 * own inline <script> and <style> (by hash, computed here at startup) and nothing from elsewhere:
 * no CDN, no eval, no inline handlers. Rendered graphs are shown as <img> from blob: URLs, where
 * scripts inside an SVG never run.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface Page {
  html: string;
  csp: string;
}

export const TEMPLATE_URL = new URL('../../../templates/index.html', import.meta.url);

function hashes(html: string, tag: 'script' | 'style'): string[] {
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g');
  return [...html.matchAll(re)].map((m) => `'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`);
}

export function loadPage(url: URL = TEMPLATE_URL): Page {
  const html = readFileSync(url, 'utf8');
  const csp = [
    "default-src 'none'",
    `script-src ${hashes(html, 'script').join(' ') || "'none'"}`,
    `style-src ${hashes(html, 'style').join(' ') || "'none'"}`,
    "img-src 'self' blob:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
