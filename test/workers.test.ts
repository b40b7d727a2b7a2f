// One tree shared by worker threads: atomic counters, lockless readers racing a writer,
// and holds released by close() and by a worker's exit. The workers load the compiled
// package (dist/), so run `npm run build` first.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';

import { GroveError, type SharedTree, Tree } from '../src/index.js';
import { native } from '../src/native.js';
// @ts-expect-error: a plain ES module fixture shared with the workers
import { signature } from './fixtures/signature.mjs';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

beforeAll(() => {
  const dist = fileURLToPath(new URL('../dist/src/index.js', import.meta.url));
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npm run build\` before the worker tests`);
});

const exits = new WeakMap<Worker, Promise<number>>();

/** Starts a fixture; its exit is caught from the start, so exited() never misses it. */
function start(name: string, workerData: unknown): Worker {
  const worker = new Worker(fixture(name), { workerData });
  exits.set(worker, new Promise((resolve, reject) => {
    worker.once('exit', resolve);
    worker.once('error', reject);
  }));
  return worker;
}

function exited(worker: Worker): Promise<number> {
  return exits.get(worker)!;
}

function nextMessage<T = unknown>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

/** How many tree handles, in every thread, hold the shared tree (counting the one taken here). */
function holders(shared: SharedTree): number {
  const handle = native.attachTree(shared.token);
  try {
    return native.treeHolders(handle) - 1;
  } finally {
    native.release(handle);
  }
}

describe('workers', () => {
  it('counts exactly when three threads increment one counter', async () => {
    const tree = Tree.create();
    tree.set('counter', 0, 'u64');
    const times = 1_000_000;
    const workers = [0, 1].map(() => start('counter-worker.mjs', { tree: tree.share(), path: 'counter', times }));
    const done = workers.map((w) => nextMessage(w));
    const counter = tree.node('counter');
    for (let i = 0; i < times; i++) counter.increment();
    await Promise.all(done);
    await Promise.all(workers.map(exited));
    expect(counter.value).toBe(3 * times);
    tree.close();
  });

  it('gives readers only lists that were published while the main thread rewrites them', async () => {
    const tree = Tree.create();
    tree.set('items', [], 'list');
    const list = tree.node('items');
    // The items of the list, in order, as last published: their seqs, and their ids (what a
    // reader's iteration hands out in one batch; seqs grow with ids, so a sort orders both).
    const model: number[] = [];
    const ids: number[] = [];
    const published = new Set<string>();
    let nextSeq = 0;
    const append = () => {
      const seq = nextSeq++;
      ids.push(list.add(undefined, 'object', { seq, check: `item-${seq}` }).id);
      model.push(seq);
    };
    for (let i = 0; i < 50; i++) append();
    published.add(signature(ids));

    const stop = new Int32Array(new SharedArrayBuffer(4));
    const readers = [0, 1].map(() => start('reader-worker.mjs', { tree: tree.share(), path: 'items', stop: stop.buffer }));
    await Promise.all(readers.map((r) => nextMessage(r)));
    const results = readers.map((r) => nextMessage<{ snapshots: number; checked: number; signatures: string[]; problems: string[] }>(r));

    const until = Date.now() + 3000;
    let operations = 0;
    let random = 12345;
    const roll = (n: number) => {
      random = (Math.imul(random, 1103515245) + 12345) >>> 0;
      return random % n;
    };
    while (Date.now() < until) {
      const choice = roll(10);
      if ((choice < 4 && model.length < 200) || model.length < 20) {
        append();
      } else if (choice < 8) {
        const index = roll(model.length);
        list.remove(index);
        model.splice(index, 1);
        ids.splice(index, 1);
      } else {
        const descending = choice === 9;
        list.sort('seq', descending);
        model.sort((a, b) => (descending ? b - a : a - b));
        ids.sort((a, b) => (descending ? b - a : a - b));
      }
      published.add(signature(ids));
      operations++;
    }
    Atomics.store(stop, 0, 1);
    const reports = await Promise.all(results);
    await Promise.all(readers.map(exited));

    expect(operations).toBeGreaterThan(1000);
    for (const report of reports) {
      expect(report.problems).toEqual([]);
      expect(report.snapshots).toBeGreaterThan(10);
      expect(report.checked).toBeGreaterThan(report.snapshots * 10); // most items are read whole
      const unpublished = report.signatures.filter((s) => !published.has(s));
      expect(unpublished).toEqual([]);
    }
    expect(list.children().map((n) => n.child('seq')!.value)).toEqual(model);
    tree.close();
  });

  it("releases a worker's handles when it exits, leaving the tree usable", async () => {
    const treesBefore = native.stats().trees;
    const tree = Tree.create();
    const shared = tree.share();

    const polite = start('holder-worker.mjs', { tree: shared });
    await nextMessage(polite);
    expect(holders(shared)).toBe(2);
    polite.postMessage('exit');
    expect(await exited(polite)).toBe(0);
    expect(holders(shared)).toBe(1);
    expect(tree.value('fromWorker/answer')).toBe(42);

    const busy = start('holder-worker.mjs', { tree: shared });
    await nextMessage(busy);
    busy.postMessage('spin');
    await nextMessage(busy);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await busy.terminate(); // mid-call teardown of a thread holding handles
    expect(holders(shared)).toBe(1);
    expect(tree.value('fromWorker/answer')).toBeGreaterThan(0);
    tree.set('stillUsable', true);

    tree.close();
    expect(native.stats().trees).toBe(treesBefore);
  });

  it('frees the tree when the last holder closes it, in whichever thread', async () => {
    const treesBefore = native.stats().trees;
    const tree = Tree.create();
    const shared = tree.share();
    const worker = start('holder-worker.mjs', { tree: shared });
    await nextMessage(worker);
    tree.close(); // the worker still holds it
    expect(native.stats().trees).toBe(treesBefore + 1);
    const again = Tree.attach(shared);
    expect(again.value('fromWorker/answer')).toBe(42);
    again.close();
    worker.postMessage('close');
    expect(await nextMessage(worker)).toBe('closed');
    expect(native.stats().trees).toBe(treesBefore);
    expect(() => Tree.attach(shared)).toThrow(GroveError);
    expect(() => Tree.attach(shared)).toThrow(/is gone/);
    worker.postMessage('exit');
    await exited(worker);
  });
});
