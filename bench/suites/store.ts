// The embedded store (issue 5): durable writes per second with group commit (fsync batch)
// and with an fsync per write (always), against the same writes in memory; and the time a
// station takes to recover a 1M-node tree from its data directory (snapshot plus log).
// Writes go through the station's change hub as an RPC write does (apply, log, wait until
// durable), many in flight at once as from many clients, without HTTP in the way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ChangeHub } from '../../src/station/changes.js';
import { createStation } from '../../src/station/server.js';
import { recordOf } from '../../src/store/records.js';
import { Store } from '../../src/store/store.js';
import { Tree } from '../../src/tree.js';
import { summarise } from '../measure.js';
import { type Row, type Suite, withRatio } from '../report.js';

const IN_FLIGHT = 1000;
const KEYS = 10_000;

/** Durable writes per second: `total` tree.set calls, IN_FLIGHT at a time. */
async function writesPerSecond(data: string | false, fsync: 'batch' | 'always', total: number): Promise<number> {
  const station = await createStation({ data, fsync, rateLimit: false });
  const { hub } = station.context;
  const { tree } = station;
  try {
    let next = 0;
    const started = process.hrtime.bigint();
    const worker = async () => {
      while (next < total) {
        const i = next++;
        await hub.write('bench', () => tree.set(`k/${i % KEYS}`, i));
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, total) }, worker));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return total / seconds;
  } finally {
    await station.close();
  }
}

/** The log alone: tree.set, its change logged with store.record, IN_FLIGHT records awaited at a time. */
async function recordsPerSecond(dir: string, total: number): Promise<number> {
  const tree = Tree.create();
  const { store } = Store.open(dir, tree, { log: () => {} });
  tree.setFeed('records');
  try {
    const started = process.hrtime.bigint();
    for (let i = 0; i < total; i += IN_FLIGHT) {
      const durable: Promise<void>[] = [];
      for (let j = i; j < Math.min(total, i + IN_FLIGHT); j++) {
        tree.set(`k/${j % KEYS}`, j);
        durable.push(store.record(recordOf(tree.takeChanges(), 'bench'))!);
      }
      await Promise.all(durable);
    }
    return total / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    tree.setFeed('off');
    await store.close();
    tree.close();
  }
}

/** Builds a data directory holding a tree of `nodes` nodes (a snapshot) and `records` log records after it. */
async function buildDirectory(dir: string, nodes: number, records: number): Promise<void> {
  const tree = Tree.create();
  const { store } = Store.open(dir, tree, { log: () => {} });
  const hub = new ChangeHub(tree, { durable: [{ check: () => store.check(), record: (record) => store.record(record) }] });
  // 1000 objects of 999 leaves each, plus the objects themselves: about `nodes` nodes
  const per = 1000;
  const built: Promise<unknown>[] = [];
  for (let i = 0; i < nodes / per; i++) {
    const members: Record<string, number | string> = {};
    for (let j = 0; j < per - 1; j++) members[`m${j}`] = j % 2 === 0 ? j : `v${j}`;
    built.push(hub.write('bench', () => tree.set(`o${i}`, members)) as Promise<unknown>);
  }
  await Promise.all(built);
  // the snapshot is rebuilt from the log: it holds every write logged before it
  await store.snapshot(() => hub.flush());
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < records; i++) writes.push(hub.write('bench', () => tree.set(`o${i % 100}/m${i % 999}`, i)) as Promise<unknown>);
  await Promise.all(writes);
  hub.close();
  tree.setFeed('off');
  await store.close();
  tree.close();
}

/** The bytes one record takes in the log when a tree.set writes a leaf `depth` names deep, every parent missing. */
async function freshPathBytes(dir: string, depth: number): Promise<number> {
  const tree = Tree.create();
  const { store } = Store.open(dir, tree, { log: () => {} });
  tree.setFeed('records');
  try {
    const path = Array.from({ length: depth }, (_, i) => `level${i}`).join('/');
    tree.set(path, 5);
    const record = recordOf(tree.takeChanges(), 'bench');
    await store.record(record);
    return Buffer.byteLength(record.text) + 12;
  } finally {
    tree.setFeed('off');
    await store.close();
    tree.close();
  }
}

export const storeSuite: Suite = {
  name: 'store',
  description: `durable tree.set through the change hub, ${IN_FLIGHT} in flight (fsync batch and always, vs memory), and recovery of a 1M-node tree`,
  async run({ quick }): Promise<Row[]> {
    const rounds = quick ? 1 : 3;
    const total = quick ? 50_000 : 200_000;
    const base = mkdtempSync(join(tmpdir(), 'grove-bench-store-'));
    try {
      const memory: number[] = [];
      const batch: number[] = [];
      const always: number[] = [];
      const raw: number[] = [];
      for (let round = 0; round < rounds; round++) {
        raw.push(await recordsPerSecond(join(base, `raw-${round}`), total));
        memory.push(await writesPerSecond(false, 'batch', total));
        batch.push(await writesPerSecond(join(base, `batch-${round}`), 'batch', total));
        always.push(await writesPerSecond(join(base, `always-${round}`), 'always', quick ? 500 : 2000));
      }
      const [m, b, a, w] = [summarise(memory), summarise(batch), summarise(always), summarise(raw)];
      const nodes = quick ? 200_000 : 1_000_000;
      const dir = join(base, 'recovery');
      await buildDirectory(dir, nodes, 10_000);
      const times: number[] = [];
      let counted = 0;
      for (let round = 0; round < rounds; round++) {
        const tree = Tree.create();
        const started = process.hrtime.bigint();
        const { store } = Store.open(dir, tree, { log: () => {} });
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        counted = tree.root.size;
        await store.close();
        tree.close();
      }
      const r = summarise(times);
      const [bytes1, bytes10] = [await freshPathBytes(join(base, 'path-1'), 1), await freshPathBytes(join(base, 'path-10'), 10)];
      return [
        withRatio({
          suite: 'store',
          name: 'durable writes, fsync batch (group commit)',
          value: b.median,
          unit: 'ops/s',
          spread: b.spread,
          baseline: { name: 'the same writes in memory', value: m.median },
          target: '>= 100000 ops/s',
        }),
        withRatio({
          suite: 'store',
          name: 'durable writes, fsync always (one fsync per write)',
          value: a.median,
          unit: 'ops/s',
          spread: a.spread,
          baseline: { name: 'fsync batch', value: b.median },
        }),
        { suite: 'store', name: 'baseline: the same writes in memory (no store)', value: m.median, unit: 'ops/s', spread: m.spread },
        {
          suite: 'store',
          name: 'the log alone: tree.set + store.record, fsync batch (no change hub)',
          value: w.median,
          unit: 'ops/s',
          spread: w.spread,
          target: '>= 100000 ops/s',
        },
        {
          suite: 'store',
          name: `recovery of a ${counted.toLocaleString('en')}-node tree (snapshot + 10,000 log records)`,
          value: r.median,
          unit: 'ms',
          spread: r.spread,
          target: '<= 2000 ms',
        },
        withRatio({
          suite: 'store',
          name: 'log bytes of one tree.set at a fresh path 10 names deep (one record, one op)',
          value: bytes10,
          unit: 'bytes',
          spread: 0,
          baseline: { name: 'the same at a fresh path 1 name deep', value: bytes1 },
          target: '<= 10x (proportional to the depth)',
        }),
      ];
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  },
};
