/**
 * Frame colours. Deterministic (a hash of the name, never Math.random) so the same profile always
 * renders the same picture and a package keeps its colour from one graph to the next.
 */

/** Go's standard library top-level packages: a module path without a dot is not enough to tell
 * (this project's own fixtures use module `shopd`), so the list is explicit. */
const STD_ROOTS = new Set([
  'archive', 'bufio', 'bytes', 'cmp', 'compress', 'container', 'context', 'crypto', 'database', 'debug',
  'embed', 'encoding', 'errors', 'expvar', 'flag', 'fmt', 'go', 'hash', 'html', 'image', 'index', 'internal',
  'io', 'iter', 'log', 'maps', 'math', 'mime', 'net', 'os', 'path', 'plugin', 'reflect', 'regexp', 'slices',
  'sort', 'strconv', 'strings', 'structs', 'sync', 'syscall', 'testing', 'text', 'time', 'unicode', 'unique',
  'unsafe', 'vendor', 'weak',
]);

/**
 * The package of a frame name: for Go, the import path before the first `.` after the last `/`
 * (`shopd/internal/cart.(*Cart).Total` → `shopd/internal/cart`), ignoring type arguments in `[...]`;
 * for C++-style names the first `::` component; otherwise the text before the first `.`.
 */
export function packageOf(name: string): string {
  let n = name;
  const bracket = n.indexOf('[');
  if (bracket > 0) n = n.slice(0, bracket);
  const colons = n.indexOf('::');
  if (colons > 0) return n.slice(0, colons);
  const slash = n.lastIndexOf('/');
  const dot = n.indexOf('.', slash + 1);
  return dot > 0 ? n.slice(0, dot) : n;
}

export type PackageGroup = 'runtime' | 'std' | 'rest';

export function packageGroup(pkg: string): PackageGroup {
  const root = pkg.split('/', 1)[0]!;
  if (root === 'runtime') return 'runtime';
  return STD_ROOTS.has(root) ? 'std' : 'rest';
}

/** FNV-1a over UTF-16 code units: fast, stable across runs and platforms. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A hash spread over [0, 1). */
function unit(h: number): number {
  return (h % 10007) / 10007;
}

function rgb(r: number, g: number, b: number): string {
  return `rgb(${Math.round(r)},${Math.round(g)},${Math.round(b)})`;
}

function hsl(h: number, s: number, l: number): string {
  // Written as rgb(): SVG 1.1 renderers outside browsers do not all read hsl().
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const hp = (((h % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const [r, g, b] = hp < 1 ? [c, x, 0] : hp < 2 ? [x, c, 0] : hp < 3 ? [0, c, x] : hp < 4 ? [0, x, c] : hp < 5 ? [x, 0, c] : [c, 0, x];
  const m = l - c / 2;
  return rgb((r + m) * 255, (g + m) * 255, (b + m) * 255);
}

/** Hue ranges per group: runtime in warm oranges, the standard library in yellows, the rest in greens to teals. */
const GROUP_STYLE: Record<PackageGroup, { hue: number; span: number; sat: number; light: number }> = {
  runtime: { hue: 12, span: 22, sat: 0.75, light: 0.68 },
  std: { hue: 42, span: 18, sat: 0.72, light: 0.62 },
  rest: { hue: 85, span: 105, sat: 0.5, light: 0.6 },
};

/** Default palette: one hue per package, a little lightness variation per function. */
export function packageColor(name: string): string {
  const pkg = packageOf(name);
  const style = GROUP_STYLE[packageGroup(pkg)];
  const hue = style.hue + unit(hash32(pkg)) * style.span;
  const light = style.light + (unit(hash32(name)) - 0.5) * 0.12;
  return hsl(hue, style.sat, light);
}

/** flamegraph.pl's "hot" palette (reds to yellows), with its --hash behaviour: stable per name. */
export function hotColor(name: string): string {
  const h = hash32(name);
  const v1 = unit(h);
  const v2 = unit(hash32(name + '\u0001'));
  const v3 = unit(hash32(name + '\u0002'));
  return rgb(205 + 50 * v3, 230 * v1, 55 * v2);
}

/**
 * flamegraph.pl's differential colour: red for growth, blue for shrinkage, white for no change,
 * saturation proportional to |delta| / maxDelta.
 */
export function diffColor(delta: number, maxDelta: number): string {
  if (maxDelta <= 0 || delta === 0) return rgb(255, 255, 255);
  const fade = Math.floor((210 * (maxDelta - Math.min(Math.abs(delta), maxDelta))) / maxDelta);
  return delta > 0 ? rgb(255, fade, fade) : rgb(fade, fade, 255);
}

/** The root ("all") frame, which belongs to no package. */
export const ROOT_COLOR = 'rgb(200,200,200)';
