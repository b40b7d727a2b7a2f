// Issue 8, suite 2: sharing state with a worker thread. The worker reads the same 1000
// keys from the native tree the main thread shares with it, from lmdb (lmdb-js, the
// fastest embedded store a Node.js user would reach for), and with a postMessage round
// trip to the main thread, which owns the same data as a JS object tree. All three are
// timed in the worker, in one run.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';

import { open } from 'lmdb';

import { Tree } from '../../src/index.js';
import { type Suite, withRatio } from '../report.js';
import { fillTree, leaves, plainObjects } from '../shapes.js';
import type { SharingData, SharingResult } from '../workers/sharing.js';

const workerFile = new URL('../workers/sharing.js', import.meta.url);

export const sharingSuite: Suite = {
  name: 'sharing',
  description: 'a worker reads shared state: the shared native tree vs lmdb get vs a postMessage round trip to the owner thread',
  async run({ quick }) {
    const paths = leaves().map((leaf) => leaf.path);
    const tree = Tree.create();
    fillTree(tree);
    const owned = plainObjects();
    const lmdbPath = mkdtempSync(join(tmpdir(), 'grove-bench-lmdb-'));
    const db = open({ path: lmdbPath });
    db.transactionSync(() => {
      for (const leaf of leaves()) db.putSync(leaf.path, leaf.value);
    });
    const { port1: owner, port2: asker } = new MessageChannel();
    owner.on('message', (path: string) => {
      const [a, b, c] = path.split('/') as [string, string, string];
      owner.postMessage(owned[a]![b]![c]);
    });
    try {
      const data: SharingData = { token: tree.share().token, lmdbPath, paths, port: asker, quick };
      const worker = new Worker(workerFile, { workerData: data, transferList: [asker] });
      const [result] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([e]) => Promise.reject(e))])) as [SharingResult];
      await once(worker, 'exit');
      const perSecond = (ns: number) => 1e9 / ns;
      const treeRate = perSecond(result.tree.median);
      const lmdbRate = perSecond(result.lmdb.median);
      const roundTripRate = perSecond(result.roundTrip.median);
      /** The one measurement of the shared tree, compared with one of the baselines. */
      const treeAgainst = (baseline: { name: string; value: number }, target: string) =>
        withRatio({
          suite: 'sharing',
          name: 'worker reads the shared tree (tree.value)',
          value: treeRate,
          unit: 'reads/s',
          spread: result.tree.spread,
          baseline,
          target,
        });
      return [
        treeAgainst({ name: 'postMessage round trip', value: roundTripRate }, '>= 100x a postMessage round trip'),
        treeAgainst({ name: 'lmdb get', value: lmdbRate }, '>= 3x lmdb get'),
        { suite: 'sharing', name: 'baseline: lmdb get of the same keys, in the worker', value: lmdbRate, unit: 'reads/s', spread: result.lmdb.spread },
        { suite: 'sharing', name: 'baseline: postMessage round trip to the thread owning a JS object tree', value: roundTripRate, unit: 'reads/s', spread: result.roundTrip.spread },
      ];
    } finally {
      owner.close();
      tree.close();
      await db.close();
      rmSync(lmdbPath, { recursive: true, force: true });
    }
  },
};
