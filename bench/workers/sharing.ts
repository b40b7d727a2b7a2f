// The worker of the sharing suite: reads the same keys three ways, each timed here, in the
// worker: from the tree the main thread shares (tree.value), from an lmdb database the main
// thread wrote (get), and by asking the main thread, which owns a JS object tree, over a
// MessagePort (a postMessage round trip per read).
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';

import { open } from 'lmdb';

import { Tree } from '../../src/index.js';
import { consume, measureInTurns, summarise, type Timing } from '../measure.js';

export interface SharingData {
  token: number;
  lmdbPath: string;
  paths: string[];
  port: MessagePort;
  quick: boolean;
}

export interface SharingResult {
  tree: Timing;
  lmdb: Timing;
  roundTrip: Timing;
}

const { token, lmdbPath, paths, port, quick } = workerData as SharingData;
const batch = paths.length;

const tree = Tree.attach({ grove: 'tree', token });
const db = open({ path: lmdbPath, readOnly: true });
const reads = measureInTurns(
  {
    tree: () => {
      for (let i = 0; i < batch; i++) consume(tree.value(paths[i]!));
    },
    lmdb: () => {
      for (let i = 0; i < batch; i++) consume(db.get(paths[i]!));
    },
  },
  { batch, quick },
);
tree.close();
await db.close();

// One request in flight at a time, as a caller that needs the answer before going on.
let answer: (value: unknown) => void = () => {};
port.on('message', (value) => answer(value));
const ask = (path: string) =>
  new Promise((resolve) => {
    answer = resolve;
    port.postMessage(path);
  });
const perBatch: number[] = [];
const [batches, perSample] = quick ? [5, 100] : [20, 500];
for (let i = 0; i < 50; i++) consume(await ask(paths[i % batch]!)); // warm-up
for (let b = 0; b < batches; b++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < perSample; i++) consume(await ask(paths[(b * perSample + i) % batch]!));
  perBatch.push(Number(process.hrtime.bigint() - start) / perSample);
}
port.close();

const result: SharingResult = { tree: reads.tree, lmdb: reads.lmdb, roundTrip: summarise(perBatch) };
parentPort!.postMessage(result);
