// The data the suites read, built the same way for Grove and for each baseline: a
// FANOUT x FANOUT x FANOUT tree of integer leaves at paths "a<i>/b<j>/c<k>", and an order
// of visiting 1000 of them that the branch predictor cannot learn.
import type { Tree } from '../src/index.js';

export const FANOUT = 10;

export interface Leaf {
  path: string;
  names: [string, string, string];
  value: number;
}

/** Every leaf once, in an order that jumps around the tree. */
export function leaves(): Leaf[] {
  const out: Leaf[] = [];
  for (let i = 0; i < FANOUT ** 3; i++) {
    const a = (i * 7) % FANOUT;
    const b = ((i * 3) % FANOUT + Math.floor(i / FANOUT)) % FANOUT;
    const c = (i + Math.floor(i / (FANOUT * FANOUT))) % FANOUT;
    const names: [string, string, string] = [`a${a}`, `b${b}`, `c${c}`];
    out.push({ path: names.join('/'), names, value: a * 100 + b * 10 + c });
  }
  return out;
}

export function fillTree(tree: Tree): void {
  for (const leaf of leaves()) tree.set(leaf.path, leaf.value, 'i64');
}

export function mapOfMaps(): Map<string, Map<string, Map<string, number>>> {
  const root = new Map<string, Map<string, Map<string, number>>>();
  for (const { names: [a, b, c], value } of leaves()) {
    const level1 = root.get(a) ?? root.set(a, new Map()).get(a)!;
    const level2 = level1.get(b) ?? level1.set(b, new Map()).get(b)!;
    level2.set(c, value);
  }
  return root;
}

export function plainObjects(): Record<string, Record<string, Record<string, number>>> {
  const root: Record<string, Record<string, Record<string, number>>> = {};
  for (const { names: [a, b, c], value } of leaves()) ((root[a] ??= {})[b] ??= {})[c] = value;
  return root;
}
