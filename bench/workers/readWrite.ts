// A worker of the concurrency suite: a reader (tree.value over the 1000 leaves, again and
// again) or a paced writer (leaf values in place, and a child added and removed under a
// node the readers pass through, so that lists are copied and retired). The first worker
// of a group builds the tree and shares it; the others attach to it. GROVE_VARIANT in the
// worker's environment chooses the lockless or the locking build.
import { parentPort, workerData } from 'node:worker_threads';

import { Tree } from '../../src/index.js';
import { variant } from '../../src/native.js';
import { consume } from '../measure.js';
import { fillTree, leaves } from '../shapes.js';
import { type PhaseChannel, servePhases, sleep } from '../threads.js';

export interface ReadWriteData {
  role: 'reader' | 'writer';
  variant: string;
  /** Attach to this shared tree; without it, build one and share it. */
  token?: number;
  writesPerSecond: number;
  phases: PhaseChannel;
}

const data = workerData as ReadWriteData;
if (variant !== data.variant) throw new Error(`expected the ${data.variant} build, loaded the ${variant} one`);

let tree: Tree;
if (data.token === undefined) {
  tree = Tree.create();
  fillTree(tree);
  parentPort!.postMessage({ token: tree.share().token });
} else {
  tree = Tree.attach({ grove: 'tree', token: data.token });
  parentPort!.postMessage({});
}

const paths = leaves().map((leaf) => leaf.path);

function read(stopped: () => boolean): number {
  let operations = 0;
  do {
    for (let i = 0; i < paths.length; i++) consume(tree.value(paths[i]!));
    operations += paths.length;
  } while (!stopped());
  return operations;
}

// Three writes in four set a leaf in place; the fourth adds or removes a child of a
// top-level node, which copies that node's child list and retires the old one.
function writeOne(n: number): void {
  if (n % 4 !== 3) {
    tree.set(paths[n % paths.length]!, n, 'i64');
    return;
  }
  const scratch = `a${(n >> 2) % 10}/scratch`;
  if ((n >> 2) % 20 < 10) tree.set(scratch, n, 'i64');
  else tree.delete(scratch);
}

// Writes at a steady rate, in bursts between 1 ms sleeps.
function write(stopped: () => boolean): number {
  const start = process.hrtime.bigint();
  let done = 0;
  while (!stopped()) {
    const due = Math.floor((Number(process.hrtime.bigint() - start) * data.writesPerSecond) / 1e9);
    for (; done < due; done++) writeOne(done);
    sleep(data.phases, 1);
  }
  return done;
}

servePhases(data.phases, data.role === 'reader' ? read : write);
tree.close();
