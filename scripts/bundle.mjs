/**
 * `npm run bundle` (part of `npm run build`): the CLI as one CommonJS file, build/src/bundle/hotpath.cjs.
 * Measured on a small profile, `hotpath -top` spent most of its time loading ~70 modules one by one,
 * and `hotpath -svg` a quarter of a second unpacking Graphviz's WASM (see "Graphviz" below).
 *
 * CommonJS, not an ES module: Node sets up its ES module loader only for an ES module, and that
 * cost ~7 ms of a ~90 ms `-top` under Node 22 (an empty .mjs starts ~7 ms slower than an empty
 * .cjs). What only some commands need (Graphviz's glue, PNG, `report`, fetching) is still in the
 * one file, behind esbuild's lazy module initialisers where the source says `await import(…)`: V8
 * compiles a function when it first runs, so code a command does not reach costs little more than
 * its bytes. `import.meta.url` becomes the file's URL (a CommonJS file has no import.meta).
 *
 * Dependencies stay in node_modules, loaded where they are needed (re2js on a first regexp); the
 * server is not bundled: `hotpath serve` imports build/src/server/serve.js, as `npm start` does.
 * The bundle sits three folders deep like every build/src/<dir>/ file, so the paths the code finds
 * beside it (../../../fonts/, templates/) resolve alike from both.
 */
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const outdir = 'build/src/bundle';
const GRAPHVIZ = '@hpcc-js/wasm-graphviz';

/**
 * Graphviz: @hpcc-js/wasm-graphviz ships its WASM compressed inside its JavaScript and unpacks it on
 * every load: ~250 ms of a ~300 ms load, for 1.6 MB that never change. Here the WASM is unpacked
 * once, at build time, by the package itself (its own Graphviz.load(), with WebAssembly.instantiate
 * watched for the bytes), and written beside the bundle; the package is bundled with its unpacking
 * replaced by reading that file. The replaced expression is checked to occur exactly once, so a
 * new version of the package that changes it fails the build instead of misbehaving.
 */
async function unpackGraphvizWasm() {
  const instantiate = WebAssembly.instantiate;
  let bytes;
  WebAssembly.instantiate = (source, imports) => {
    if (source instanceof Uint8Array || source instanceof ArrayBuffer) bytes ??= new Uint8Array(source);
    return instantiate(source, imports);
  };
  try {
    const { Graphviz } = await import(GRAPHVIZ);
    const graphviz = await Graphviz.load();
    if (!graphviz.layout('digraph { a -> b }', 'svg', 'dot').includes('<svg')) throw new Error('Graphviz did not lay out a test graph');
    Graphviz.unload();
  } finally {
    WebAssembly.instantiate = instantiate;
  }
  if (!bytes) throw new Error(`${GRAPHVIZ}: its WASM bytes were not seen at load; update scripts/bundle.mjs`);
  return bytes;
}

const graphvizFromFile = {
  name: 'graphviz-wasm-from-file',
  setup(b) {
    b.onLoad({ filter: /[\\/]@hpcc-js[\\/]wasm-graphviz[\\/]dist[\\/]index\.js$/ }, (args) => {
      let js = readFileSync(args.path, 'utf8');
      // `cache ??= unpack(decode(DATA)), factory({wasmBinary: cache, …` (minified names)
      const load = /([\w$]+)\?\?=([\w$]+)\(([\w$]+)\(([\w$]+)\)\),([\w$]+)\(\{wasmBinary:\1,/g;
      const found = [...js.matchAll(load)];
      if (found.length !== 1) throw new Error(`${args.path}: the WASM unpacking expression was found ${found.length} times, expected once; update scripts/bundle.mjs`);
      const [whole, cache, , , data, factory] = found[0];
      js = js.replace(whole, `${cache}??=__graphvizWasm(),${factory}({wasmBinary:${cache},`);
      // The packed data (base91 text: no quote or backslash inside) is no longer read: drop it.
      const literal = new RegExp(`\\b${data.replace(/\$/g, '\\$')}='[^'\\\\]*'`);
      if (!literal.test(js)) throw new Error(`${args.path}: the packed WASM literal was not found; update scripts/bundle.mjs`);
      js = js.replace(literal, `${data}=''`);
      js = `import { readFileSync as __readFileSync } from 'node:fs';
const __graphvizWasm = () => new Uint8Array(__readFileSync(new URL('./graphviz.wasm', import.meta.url)));
${js}`;
      return { contents: js, loader: 'js' };
    });
  },
};

rmSync(outdir, { recursive: true, force: true }); // nothing stale from an earlier layout
// Optional ones too: better-sqlite3 is a native addon, which esbuild cannot bundle.
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const dependencies = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies });
await build({
  entryPoints: { hotpath: 'src/cli/run.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: [...dependencies.filter((d) => d !== GRAPHVIZ), '../server/serve.js'],
  plugins: [graphvizFromFile],
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  // Whitespace and syntax only: names stay, so a stack trace still says where.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
// Its first line names this build of it: bin/hotpath.cjs keeps V8's code cache of the bundle under
// that name, so a cache is never used with another build (V8 itself checks only the length).
const bundleFile = path.join(outdir, 'hotpath.cjs');
const code = readFileSync(bundleFile, 'utf8');
writeFileSync(bundleFile, `// hotpath bundle ${createHash('sha256').update(code).digest('hex').slice(0, 16)}\n${code}`);
writeFileSync(path.join(outdir, 'graphviz.wasm'), await unpackGraphvizWasm());
// Required at run time by a path relative to the requiring module (CommonJS, loaded on first use):
// the C++/Rust demangler of profile/symbolize.ts, as tsc compiled it.
cpSync('build/src/profile/demangle', path.join(outdir, 'demangle'), { recursive: true, filter: (f) => !f.endsWith('.map') });
// The demangler is a port of BSD-licensed Go code and tsc drops its copyright headers: its license
// goes with both compiled copies (the npm package and the Docker image ship build/src/).
for (const dir of ['build/src/profile/demangle', path.join(outdir, 'demangle')]) cpSync('src/profile/demangle/LICENSE', path.join(dir, 'LICENSE'));
