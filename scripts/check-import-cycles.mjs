#!/usr/bin/env node
// Finds import cycles between the folders of src/: each folder is a layer (src/rpc, src/store,
// ...), and a layer may use those below it but not be used back. Type-only imports count too:
// they tie the layers as tightly. The files directly in src/ (the tree's API, and index.ts,
// the package's entry above every layer) belong to no folder and are left out: src/tree.ts
// and src/codec still use each other (tree.import), which becomes a cycle to break once the
// tree's files move into a folder of their own (src/tree/, issue 21).
// Usage: node scripts/check-import-cycles.mjs  (prints each cycle, exits 1 when there is one)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src', import.meta.url));

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

/** The layer of a file under src/: its first folder, or undefined for a file directly in src/. */
function layerOf(file) {
  const parts = relative(src, file).split(sep);
  return parts.length === 1 ? undefined : parts[0];
}

/** layer -> layer -> the first `file -> import` that makes the edge, for the report. */
export function layerGraph() {
  const graph = new Map();
  for (const file of files(src)) {
    const from = layerOf(file);
    if (from === undefined) continue;
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+'(\.[^']+)'/g)) {
      const target = resolve(dirname(file), specifier);
      if (!target.startsWith(src + sep)) continue;
      const to = layerOf(target);
      if (to === undefined || to === from) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      const edges = graph.get(from);
      if (!edges.has(to)) edges.set(to, `${relative(src, file)} -> ${specifier}`);
    }
  }
  return graph;
}

/** Each cycle once, as its layers and the imports that close it. */
export function importCycles(graph = layerGraph()) {
  const cycles = new Map();
  const walk = (start, at, path) => {
    for (const next of graph.get(at)?.keys() ?? []) {
      if (next === start) {
        const layers = [...path, next];
        const key = [...path].sort().join(' ');
        if (!cycles.has(key)) cycles.set(key, layers.slice(0, -1).map((layer, i) => graph.get(layer).get(layers[i + 1])));
      } else if (!path.includes(next) && next > start) walk(start, next, [...path, next]);
    }
  };
  for (const layer of [...graph.keys()].sort()) walk(layer, layer, [layer]);
  return [...cycles.values()];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cycles = importCycles();
  for (const cycle of cycles) console.log(`cycle:\n  ${cycle.join('\n  ')}`);
  process.exitCode = cycles.length > 0 ? 1 : 0;
}
