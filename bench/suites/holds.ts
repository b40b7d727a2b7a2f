// How long one call holds the event loop on a 1M-node tree (issue 14: no other client waits
// more than 50 ms behind one call of any method): a store snapshot, taken while writes go
// on, against the export of the tree it took on the event loop before (src/store/checkpoint.ts);
// and tree.delete of a subtree of 1M leaves through the change hub with the feed a store
// needs, against the same delete with the feed off.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ChangeHub } from '../../src/station/changes.js';
import { Store } from '../../src/store/store.js';
import { Tree } from '../../src/tree.js';
import { summarise, type Timing } from '../measure.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The longest the event loop went without running a 1 ms timer while `work` ran: the longest any other client waited. */
async function longestHold(work: () => Promise<unknown>): Promise<number> {
  let longest = 0;
  let running = true;
  const ticker = (async () => {
    let last = performance.now();
    while (running) {
      await sleep(1);
      const now = performance.now();
      longest = Math.max(longest, now - last - 1);
      last = now;
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await ticker;
  }
  return longest;
}

/** An object of `leaves` numbered leaves. */
function leavesObject(leaves: number): Record<string, number> {
  const members: Record<string, number> = {};
  for (let i = 0; i < leaves; i++) members[`m${i}`] = i;
  return members;
}

/**
 * The longest hold while a store snapshot of a tree of about `nodes` nodes is taken, writes
 * going on meanwhile (one every 2 ms), and the time the tree's export (what a snapshot
 * did on the event loop before) takes on the same tree; each `rounds` times, after 2,000
 * more logged writes.
 */
export async function snapshotHolds(nodes: number, rounds: number): Promise<{ snapshot: Timing; exportOnLoop: Timing }> {
  const dir = mkdtempSync(join(tmpdir(), 'grove-bench-hold-'));
  const tree = Tree.create();
  const { store } = Store.open(dir, tree, { log: () => {}, snapshotBytes: 2 ** 40 });
  const hub = new ChangeHub(tree, { durable: [{ check: () => store.check(), record: (record) => store.record(record) }] });
  try {
    const per = 1000;
    const built: Promise<unknown>[] = [];
    for (let i = 0; i < nodes / per; i++) built.push(hub.write('bench', () => tree.set(`o${i}`, leavesObject(per - 1))) as Promise<unknown>);
    await Promise.all(built);
    // the first snapshot: each measured one then starts from a snapshot and the log after it, as a station's do
    await store.snapshot(() => hub.flush());
    const snapshots: number[] = [];
    const exports: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 2000; i++) writes.push(hub.write('bench', () => tree.set(`o${i % 100}/m${i % 999}`, round * i)) as Promise<unknown>);
      await Promise.all(writes);
      hub.flush();
      const started = performance.now();
      tree.snapshot();
      exports.push(performance.now() - started);
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          await hub.write('bench', () => tree.set(`o${i % 100}/m0`, i));
          await sleep(2);
        }
      })();
      snapshots.push(await longestHold(() => store.snapshot(() => hub.flush())));
      writing = false;
      await writer;
    }
    return { snapshot: summarise(snapshots), exportOnLoop: summarise(exports) };
  } finally {
    hub.close();
    tree.setFeed('off');
    await store.close();
    tree.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * How long tree.delete of an object of `leaves` leaves holds the event loop: through a
 * change hub whose durable consumer takes records (the feed a station with a store runs;
 * the consumer itself keeps nothing), and on a tree with the feed off; each `rounds` times.
 */
export function deleteHolds(leaves: number, rounds: number): { withFeed: Timing; feedOff: Timing } {
  const members = leavesObject(leaves);
  const withFeed: number[] = [];
  const feedOff: number[] = [];
  for (let round = 0; round < rounds; round++) {
    {
      const tree = Tree.create();
      const hub = new ChangeHub(tree, { pollMs: 60_000, durable: [{ check: () => {}, record: () => undefined }] });
      try {
        hub.write('bench', () => tree.set('big', members));
        const started = performance.now();
        hub.write('bench', () => tree.delete('big'));
        withFeed.push(performance.now() - started);
      } finally {
        hub.close();
        tree.setFeed('off');
        tree.close();
      }
    }
    const tree = Tree.create();
    try {
      tree.set('big', members);
      const started = performance.now();
      tree.delete('big');
      feedOff.push(performance.now() - started);
    } finally {
      tree.close();
    }
  }
  return { withFeed: summarise(withFeed), feedOff: summarise(feedOff) };
}
