// Stable node identity: the log addresses nodes by id, so a restart gives back exactly what
// was acknowledged, every node with its id and version; one write is one change, one record
// and one event. Each case here lost acknowledged writes, or stopped a station from
// starting, when the log named nodes by path.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

import { ChangeHub, type ChangeEvent } from '../src/station/changes.js';
import type { Station, StationOptions } from '../src/station/server.js';
import { encodeRecord, listDir, readSegment, segmentName } from '../src/store/log.js';
import type { LogRecord } from '../src/store/records.js';
import { Tree } from '../src/tree.js';
import { stateOf } from './helpers/identity.js';
import { rpcRequest } from './helpers/requests.js';
import { type Caller, httpCaller, openStation, resultOf, WsClient } from './helpers/station.js';

const dirs: string[] = [];
const stations: Station[] = [];
afterEach(async () => {
  for (const station of stations.splice(0)) await station.close().catch(() => {});
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'grove-identity-'));
  dirs.push(dir);
  return dir;
}

async function open(data: string, options: StationOptions = {}): Promise<{ station: Station; call: Caller }> {
  const station = await openStation({ data, rateLimit: false, ...options });
  stations.push(station);
  return { station, call: httpCaller(station.url) };
}

/** Closes the station as SIGTERM does, opens it again on its data directory, and checks it holds what it held. */
async function restarted(data: string, { station, call }: { station: Station; call: Caller }, options: StationOptions = {}) {
  const before = await stateOf(call, () => station.tree.exportJSON('', 'snapshot'));
  stations.splice(stations.indexOf(station), 1);
  await station.close();
  const again = await open(data, options);
  expect(await stateOf(again.call, () => again.station.tree.exportJSON('', 'snapshot'))).toEqual(before);
  return again;
}

const ok = async (call: Caller, method: string, params: unknown) => resultOf(await call(method, params));

describe('a restart gives back exactly what was acknowledged', () => {
  it('keeps children that share a name, added alone and in a transaction, and what they hold', async () => {
    const data = dataDir();
    const first = await open(data);
    const { call } = first;
    await ok(call, 'tree.set', { path: 'a/x', value: { keep: 'original' } });
    await ok(call, 'tree.add', { path: 'a', name: 'x', value: 2 });
    await ok(call, 'tree.transact', {
      ops: [
        { method: 'tree.add', params: { path: 'a', name: 'x', value: 3 } },
        { method: 'tree.set', params: { path: 'b', value: 1 } },
      ],
    });
    const { call: after } = await restarted(data, first);
    expect(await ok(after, 'tree.get', { path: 'a/x' })).toEqual({ keep: 'original' });
    const { children } = await ok(after, 'tree.list', { path: 'a' });
    expect(children.map((child: { name: string; type: string }) => `${child.name}:${child.type}`)).toEqual(['x:object', 'x:i64', 'x:i64']);
    expect(await ok(after, 'tree.get', { path: 'b' })).toBe(1);
  });

  it('replays a patch of the first of two children of one name, the second a leaf, and starts', async () => {
    const data = dataDir();
    const first = await open(data);
    const { call } = first;
    await ok(call, 'tree.set', { path: 't/c/d/z', value: { n: 1 } });
    await ok(call, 'tree.add', { path: 't/c/d', name: 'z', value: 'a leaf' });
    await ok(call, 'tree.patch', { path: 't/c/d/z', value: { patched: true } });
    const { call: after } = await restarted(data, first);
    expect(await ok(after, 'tree.get', { path: 't/c/d/z' })).toEqual({ n: 1, patched: true });
  });

  it('gives unnamed adds after a snapshot names that no node has, and keeps them all', async () => {
    const data = dataDir();
    const options: StationOptions = { storeOptions: { snapshotBytes: 1 } };
    const first = await open(data, options);
    // ids given to nodes that are gone by the snapshot: a tree loaded from it must not give them again
    await ok(first.call, 'tree.set', { path: 'scratch', value: Array.from({ length: 30 }, (_, i) => i) });
    await ok(first.call, 'tree.delete', { path: 'scratch' });
    await ok(first.call, 'tree.set', { path: 'list', value: [] });
    for (let i = 0; i < 20; i++) await ok(first.call, 'tree.add', { path: 'list', value: i });
    await first.station.store!.snapshot(() => first.station.context.hub.flush());
    const second = await restarted(data, first, options);
    const added = [];
    for (let i = 20; i < 40; i++) added.push(await ok(second.call, 'tree.add', { path: 'list', value: i }));
    const { children } = await ok(second.call, 'tree.list', { path: 'list', limit: 100 });
    const names = children.map((child: { name: string }) => child.name);
    expect(new Set(names).size).toBe(40);
    for (const { name, id } of added) expect(name).toBe(`#${id}`);
    const { call: after } = await restarted(data, second, options);
    expect(await ok(after, 'tree.get', { path: 'list' })).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('keeps what 10,000 random JSON-RPC requests left behind, node for node', async () => {
    const data = dataDir();
    const first = await open(data, { demo: true, storeOptions: { snapshotBytes: 64 * 1024 } });
    const client = await WsClient.open(first.station.url);
    try {
      for (const sent of fc.sample(rpcRequest, { numRuns: 10_000, seed: 12 })) await client.exchange(JSON.stringify(sent));
    } finally {
      await client.close();
    }
    const before = first.station.tree.size;
    await restarted(data, first);
    expect(stations[0]!.tree.size).toBe(before);
  }, 120_000);

  it('keeps versions: an ifVersion read before the restart still holds after it, through a snapshot', async () => {
    const data = dataDir();
    const first = await open(data);
    const { version } = await ok(first.call, 'tree.set', { path: 'guarded/n', value: 1 });
    await ok(first.call, 'tree.set', { path: 'elsewhere', value: 1 });
    await first.station.store!.snapshot(() => first.station.context.hub.flush());
    await ok(first.call, 'tree.set', { path: 'after/the/snapshot', value: 1 });
    const { call: after } = await restarted(data, first);
    const { version: next } = await ok(after, 'tree.set', { path: 'guarded/n', value: 2, ifVersion: version });
    expect(next).toBeGreaterThan(version);
  });
});

describe('one write, one change', () => {
  it('makes a fresh deep tree.set one record of one op, its log bytes proportional to the depth, and one event', async () => {
    const data = dataDir();
    const { station, call } = await open(data);
    const socket = await WsClient.open(station.url);
    try {
      await socket.call('tree.subscribe', { path: '' });
      const bytes: number[] = [];
      for (const depth of [1, 10]) {
        const segment = join(data, segmentName(listDir(data).segments.at(-1)!));
        const { end } = readSegment(readFileSync(segment));
        const path = Array.from({ length: depth }, (_, i) => `d${depth}x${i}`).join('/');
        const { version } = await ok(call, 'tree.set', { path, value: 5 });
        const { records } = readSegment(readFileSync(segment));
        const written = records.filter(({ offset }) => offset >= end);
        expect(written).toHaveLength(1);
        const record = JSON.parse(written[0]!.payload.toString('utf8'));
        expect(record.ops).toHaveLength(1);
        expect(record.ops[0]).toMatchObject({ v: version, o: 'add', p: station.tree.root.id });
        bytes.push(written[0]!.payload.length);
        for (let i = 1; i <= depth; i++) {
          const at = path.split('/').slice(0, i).join('/');
          expect(station.tree.node(at).version).toBe(version);
        }
      }
      // a record per level would hold the whole chain at each: its size would grow with the square of the depth
      expect(bytes[1]! / bytes[0]!).toBeLessThan(10);
      const events = socket.notifications.filter((n) => n.method === 'tree.changed').map((n) => n.params as ChangeEvent);
      expect(events.map(({ path, op }) => ({ path, op }))).toEqual([
        { path: 'd1x0', op: 'add' },
        { path: Array.from({ length: 10 }, (_, i) => `d10x${i}`).join('/'), op: 'add' },
      ]);
      expect((events[1] as unknown as { value: unknown }).value).toBe(5);
    } finally {
      await socket.close();
    }
  });

  it("keeps a worker's write apart from the station write it lands in: its own record and event", async () => {
    const tree = Tree.create();
    const records: LogRecord[] = [];
    const hub = new ChangeHub(tree, { durable: [{ check: () => {}, record: (record) => void records.push(record) }] });
    const events: ChangeEvent[] = [];
    hub.subscribe('', (event) => events.push(event));
    const turns = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(fileURLToPath(new URL('./fixtures/interleaved-writer.mjs', import.meta.url)), {
      workerData: { tree: tree.share(), turns },
    });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    try {
      await new Promise((resolve) => worker.once('online', resolve));
      await hub.write('caller', () => {
        tree.set('call/a', 1);
        // the worker writes now, in the middle of this call
        Atomics.store(turns, 0, 1);
        Atomics.notify(turns, 0);
        Atomics.wait(turns, 1, 0);
        tree.set('call/b', 2);
      });
      await exited;
      expect(records.map(({ origin, ops }) => [origin, ops.length])).toEqual([
        ['caller', 1],
        ['local', 1],
        ['caller', 1],
      ]);
      expect(events.map(({ origin, op, path }) => [origin, op, path])).toEqual([
        ['local', 'add', 'worker/w'],
        ['caller', 'transact', 'call'],
      ]);
    } finally {
      await worker.terminate();
      hub.close();
      tree.setFeed('off');
      tree.close();
    }
  });
});

describe('a data directory of the earlier format (records by path)', () => {
  it('is refused, saying how to move its tree over', async () => {
    const data = dataDir();
    const old = { v: 3, origin: 'ws:1', ops: [{ o: 'put', p: 'a', n: { name: 'a', type: 'u8', value: 1 } }] };
    const text = JSON.stringify(old);
    writeFileSync(join(data, segmentName(1)), encodeRecord({ v: 3, origin: 'ws:1', ops: [], paths: [], text }));
    await expect(open(data)).rejects.toThrow(
      /written by an earlier Grove \(format 1.*grove export --data .* --format typed --out tree\.json.*grove import --data NEW_DIR/,
    );
  });
});
