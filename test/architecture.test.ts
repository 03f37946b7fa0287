/**
 * The layering of src/ as docs/architecture.md draws it: every import goes to a lower layer (or stays
 * inside its own folder), no import closes a cycle between files, and the picture lists exactly the
 * folders and top-level files that exist. Reads the TypeScript sources, so `import type` counts too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = path.join(ROOT, 'src');

/** The ```layers block: one layer a line, top first; a unit is `name/` (a folder) or `name.ts`. */
function layers(): string[][] {
  const doc = readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
  const block = /```layers\n([\s\S]*?)```/.exec(doc);
  assert.ok(block, 'docs/architecture.md has a ```layers block');
  return block[1]!.trim().split('\n').map((line) => line.trim().split(/\s+/).map((u) => u.replace(/\/$/, '')));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.c?ts$/.test(e.name)) // .cts: CommonJS, for modules loaded on demand
    .map((e) => path.join(e.parentPath, e.name));
}

/** Every relative import of a file (static, dynamic, re-export), as paths of .ts (.cts) files under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm)) {
    out.push(path.resolve(path.dirname(file), m[1]!.replace(/\.(c?)js$/, '.$1ts')));
  }
  return out;
}

/** The unit a file of src/ belongs to: its top folder, or its own name at the top. */
const unitOf = (file: string) => path.relative(SRC, file).split(path.sep)[0]!;

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

test('docs/architecture.md lists every folder and top-level file of src/, and nothing else', () => {
  const listed = layers().flat().sort();
  const present = [...new Set(files.map(unitOf))].sort();
  assert.deepEqual(listed, present);
});

test('every import in src/ resolves to a file there', () => {
  for (const [file, imports] of graph) {
    for (const target of imports) assert.ok(graph.has(target), `${path.relative(ROOT, file)} imports ${path.relative(ROOT, target)}, which does not exist`);
  }
});

test('imports go down the layers only: never up, never sideways to a neighbour', () => {
  const level = new Map<string, number>();
  layers().forEach((line, i) => line.forEach((unit) => level.set(unit, i))); // 0 is the top
  const climbing: string[] = [];
  for (const [file, imports] of graph) {
    const from = unitOf(file);
    for (const target of imports) {
      const to = unitOf(target);
      if (from !== to && !(level.get(to)! > level.get(from)!)) {
        climbing.push(`${path.relative(SRC, file)} → ${path.relative(SRC, target)} (${from} may not use ${to})`);
      }
    }
  }
  assert.deepEqual(climbing, []);
});

test('no import cycle between the files of src/', () => {
  // Tarjan's strongly connected components: any component of two or more files is a cycle.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(path.relative(SRC, w));
      } while (w !== v);
      if (component.length > 1 || graph.get(v)!.includes(v)) cycles.push(component.sort());
    }
  };
  for (const f of graph.keys()) if (!index.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

test('the import reader finds the imports these checks judge', () => {
  // Guards the guard: an import the regex misses is an import no check above sees.
  const sample = path.join(SRC, 'profile/decode.ts');
  assert.ok(importsOf(sample).some((t) => unitOf(t) === 'errors.ts'), 'profile/decode.ts imports errors.ts');
  assert.ok(importsOf(path.join(SRC, 'cli/main.ts')).some((t) => unitOf(t) === 'reports.ts'), 'cli/main.ts imports reports.ts');
});
