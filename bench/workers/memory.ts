// A child process of the memory suite (run with --expose-gc, one kind per process so that
// nothing else shares its heap): builds GROUPS x PER_GROUP integer leaves under GROUPS
// objects, as a Grove tree or as plain JS objects, and prints the growth of the JS heap
// and of the resident set as JSON. Leaf names are unique ("k<i>"), values are integers.
// The kind "none" makes the same JS objects a Grove build reads and keeps nothing: what
// the JS side of building costs the resident set, to subtract from Grove's.
//
// Usage: node --expose-gc memory.js grove|js|none GROUPS PER_GROUP
import { Tree } from '../../src/index.js';

export interface MemoryResult {
  nodes: number;
  /** Bytes of all the nodes' names. */
  nameBytes: number;
  heapBytes: number;
  rssBytes: number;
}

const [kind, groupsText, perGroupText] = process.argv.slice(2);
const groups = Number(groupsText);
const perGroup = Number(perGroupText);
if (!globalThis.gc || !['grove', 'js', 'none'].includes(kind!) || !(groups > 0 && perGroup > 0)) {
  console.error('usage: node --expose-gc memory.js grove|js|none GROUPS PER_GROUP');
  process.exit(2);
}

function settle(): NodeJS.MemoryUsage {
  for (let i = 0; i < 3; i++) globalThis.gc!();
  return process.memoryUsage();
}

function group(g: number): Record<string, number> {
  const members: Record<string, number> = {};
  for (let i = g * perGroup; i < (g + 1) * perGroup; i++) members[`k${i}`] = i;
  return members;
}

let nameBytes = 0;
for (let g = 0; g < groups; g++) {
  nameBytes += `g${g}`.length;
  for (let i = g * perGroup; i < (g + 1) * perGroup; i++) nameBytes += `k${i}`.length;
}

const built: unknown[] = []; // what was built, alive until the process exits
const before = settle();
if (kind === 'grove') {
  const tree = Tree.create();
  for (let g = 0; g < groups; g++) tree.set(`g${g}`, group(g)); // each group object is garbage after the call
  built.push(tree);
} else if (kind === 'js') {
  const root: Record<string, Record<string, number>> = {};
  for (let g = 0; g < groups; g++) root[`g${g}`] = group(g);
  built.push(root);
} else {
  for (let g = 0; g < groups; g++) built.push(Object.keys(group(g)).length);
}
const after = settle();
const result: MemoryResult = {
  nodes: groups * (perGroup + 1),
  nameBytes,
  heapBytes: after.heapUsed - before.heapUsed,
  rssBytes: after.rss - before.rss,
};
console.log(JSON.stringify(result));
