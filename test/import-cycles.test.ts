// The folders of src/ are layers: scripts/check-import-cycles.mjs finds any two that import
// each other, directly or round a longer loop.
import { expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { importCycles } from '../scripts/check-import-cycles.mjs';

it('finds no import cycle between the folders of src/', () => {
  expect(importCycles()).toEqual([]);
});

it('finds a cycle of two folders and one round three, each once', () => {
  const graph = new Map([
    ['a', new Map([['b', 'a/x.ts -> ../b/y.js']])],
    ['b', new Map([['a', 'b/y.ts -> ../a/x.js'], ['c', 'b/y.ts -> ../c/z.js']])],
    ['c', new Map([['d', 'c/z.ts -> ../d/w.js']])],
    ['d', new Map([['b', 'd/w.ts -> ../b/y.js']])],
  ]);
  expect(importCycles(graph)).toEqual([
    ['a/x.ts -> ../b/y.js', 'b/y.ts -> ../a/x.js'],
    ['b/y.ts -> ../c/z.js', 'c/z.ts -> ../d/w.js', 'd/w.ts -> ../b/y.js'],
  ]);
});
