// Issue 8, suite 4: memory per node of a tree of a million integer leaves (1000 objects of
// 1000 leaves each), as a Grove tree and as plain JS objects, each built in a child
// process of its own (so that nothing else shares its heap) and measured as the growth of
// the JS heap and of the resident set after a full garbage collection. Grove's figure is
// its resident growth less that of a process that makes the same JS objects and keeps
// none (V8 keeps some of the pages it grew into).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { type Row, type Suite, withRatio } from '../report.js';
import type { MemoryResult } from '../workers/memory.js';

const GROUPS = 1000;
const PER_GROUP = 1000;
/** The inline value word of a leaf: what a value costs in a node, beside its name. */
const VALUE_BYTES = 8;

const child = fileURLToPath(new URL('../workers/memory.js', import.meta.url));

function measureIn(kind: 'grove' | 'js' | 'none'): MemoryResult {
  // A small young generation: otherwise the pages V8 grows it to while the tree is built
  // stay resident and count as tens of bytes per node for either kind.
  const flags = ['--expose-gc', '--max-semi-space-size=1'];
  const out = execFileSync(process.execPath, [...flags, child, kind, String(GROUPS), String(PER_GROUP)], {
    encoding: 'utf8',
    env: { ...process.env, GROVE_VARIANT: 'lockless' },
  });
  return JSON.parse(out) as MemoryResult;
}

export const memorySuite: Suite = {
  name: 'memory',
  description: `bytes per node of ${GROUPS * PER_GROUP / 1e6}M integer leaves: a Grove tree vs plain JS objects (heap and RSS growth, child processes)`,
  run() {
    const grove = measureIn('grove');
    const js = measureIn('js');
    const none = measureIn('none');
    const perNode = (bytes: number, r: MemoryResult) => bytes / r.nodes;
    const groveRss = perNode(grove.rssBytes - none.rssBytes, grove);
    const jsHeap = perNode(js.heapBytes, js);
    const names = grove.nameBytes / grove.nodes;
    const rows: Row[] = [
      withRatio({ suite: 'memory', name: 'Grove tree: resident memory per node', value: groveRss, unit: 'B', baseline: { name: 'JS objects, heap', value: jsHeap } }),
      {
        suite: 'memory',
        name: `Grove tree: overhead per node, name (${names.toFixed(1)} B on average) and value (${VALUE_BYTES} B) aside`,
        value: groveRss - names - VALUE_BYTES,
        unit: 'B',
        target: '<= 64 bytes per node',
      },
      { suite: 'memory', name: 'Grove tree: JS heap per node (handles only)', value: perNode(grove.heapBytes, grove), unit: 'B' },
      { suite: 'memory', name: 'the JS side of building it, resident, subtracted above', value: perNode(none.rssBytes, none), unit: 'B' },
      { suite: 'memory', name: 'baseline: JS objects, heap per node', value: jsHeap, unit: 'B' },
      { suite: 'memory', name: 'baseline: JS objects, resident memory per node', value: perNode(js.rssBytes, js), unit: 'B' },
    ];
    return rows;
  },
};
