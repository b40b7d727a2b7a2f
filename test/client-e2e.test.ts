// The official client against a real station: typed methods on both transports, batches,
// timeouts, and subscriptions that survive a station restart and a dropped connection.
import type { Duplex } from 'node:stream';

import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';

import {
  type ClientOptions,
  createClient,
  type GroveClient,
  GroveConnectionError,
  GroveRpcError,
  GroveTimeoutError,
  type TreeChange,
} from '../src/client/index.js';
import { type Station, type StationOptions, startStation } from '../src/station/server.js';
import { Tree } from '../src/tree.js';
import { waitFor } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const stations: Station[] = [];
const clients: GroveClient[] = [];
const trees: Tree[] = [];

afterEach(async () => {
  clients.splice(0).forEach((client) => client.close());
  await Promise.all(stations.splice(0).map((station) => station.close()));
  trees.splice(0).forEach((tree) => tree.close());
});

async function station(options: StationOptions = {}): Promise<Station> {
  const started = await startStation({ port: 0, rateLimit: false, ...options });
  stations.push(started);
  return started;
}

function client(station: Station, options: Partial<ClientOptions> = {}): GroveClient {
  const created = createClient({ url: station.url, WebSocket, reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, ...options });
  clients.push(created);
  return created;
}

describe.each(['http', 'ws'] as const)('the client over %s', (transport) => {
  it('calls every typed method and gets typed results', async () => {
    const grove = await station();
    const c = client(grove, { transport });

    const { version: first } = await c.set('users/ann', { age: 3 });
    expect(await c.set('users/bob', { age: 1 })).toEqual({ version: first + 1 });
    expect(await c.get('users')).toEqual({ ann: { age: 3 }, bob: { age: 1 } });
    expect(await c.list('users', { limit: 1 })).toEqual({
      total: 2,
      type: 'object',
      version: first + 1,
      children: [{ name: 'ann', type: 'object', id: expect.any(Number), childCount: 1, version: first }],
    });
    expect(await c.patch('users/ann', { name: 'Ann' })).toEqual({ version: first + 2 });
    await c.set('log', []);
    expect(await c.add('log', 'first')).toEqual({ name: expect.stringMatching(/^#\d+$/), id: expect.any(Number), version: first + 4 });
    expect(await c.add('log', 'second', { name: 'two' })).toEqual({ name: 'two', id: expect.any(Number), version: first + 5 });
    expect(await c.get('log')).toEqual(['first', 'second']);
    expect(await c.find('users', { where: { member: 'age', op: '>', value: 2 } })).toEqual([
      { name: 'ann', id: expect.any(Number), type: 'object', value: { age: 3, name: 'Ann' } },
    ]);
    await c.sort('users', 'age');
    expect((await c.list('users')).children.map((child) => child.name)).toEqual(['bob', 'ann']);
    await c.set('hits', 0);
    expect(await c.increment('hits', 2)).toBe(2);
    expect(await c.cas('hits', 2, 5)).toEqual({ ok: true, value: 5 });
    expect(await c.cas('hits', 2, 6)).toEqual({ ok: false, value: 5 });
    const { version } = await c.transact([
      { method: 'tree.set', params: { path: 'x', value: 1 } },
      { method: 'tree.delete', params: { path: 'log' } },
    ]);
    expect(await c.get('', { depth: 1 })).toEqual({ users: { ann: true, bob: true }, hits: 5, x: 1 });
    expect(await c.hash('users')).toMatch(/^[0-9a-f]{64}$/);
    expect(await c.info()).toMatchObject({ id: grove.context.id, version: '0.1.0', treeVersion: version });
    expect((await c.discover()).methods.map((method) => method.name)).toContain('tree.subscribe');
    await c.set('samples', [3, 1, 4, 1, 5], { type: 'f64array' });
    expect(await c.plot('samples', { from: 1, buckets: 2 })).toEqual({ total: 5, from: 1, to: 5, plotted: 4, skipped: 0, starts: [1, 3], low: [1, 1], high: [4, 5] });
    const history = await c.history('hits', { limit: 2 });
    expect(history.changes.map((change) => change.value)).toEqual([5, 2]);
    expect(history.floor).toBeLessThan(history.changes[1]!.version);
  });

  it('rejects with the station\'s error: code, data and the method', async () => {
    const grove = await station();
    const c = client(grove, { transport });
    const failure = await c.get('missing').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GroveRpcError);
    expect(failure).toMatchObject({
      code: ErrorCode.NotFound,
      data: { path: 'missing' },
      method: 'tree.get',
      message: "tree.get failed: no node at 'missing': the root has no child 'missing' (NotFound -32001)",
    });
    const { version } = await c.set('n', 1);
    await expect(c.set('n', 2, { ifVersion: version - 1 })).rejects.toMatchObject({ code: ErrorCode.VersionConflict, data: { path: 'n', version } });
  });

  it('sends a batch whose calls settle one by one, in order', async () => {
    const grove = await station();
    const c = client(grove, { transport });
    let write!: Promise<unknown>;
    const settled = await c.batch((batch) => {
      write = batch.set('a', 1);
      void batch.get('a');
      void batch.get('missing');
      void batch.increment('a', 2);
    });
    expect(await write).toEqual({ version: expect.any(Number) });
    expect(settled.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as GroveRpcError).code))).toEqual([
      { version: expect.any(Number) },
      1,
      ErrorCode.NotFound,
      3,
    ]);
  });

  it('fails every call of a batch over the station\'s limit (maxBatch) with -32005', async () => {
    const grove = await station({ limits: { maxBatch: 3 } });
    const c = client(grove, { transport });
    const settled = await c.batch((batch) => {
      for (let i = 0; i < 4; i++) void batch.set(`n${i}`, i);
    });
    expect(settled.map((result) => result.status === 'rejected' && (result.reason as GroveRpcError).code)).toEqual([ErrorCode.LimitExceeded, ErrorCode.LimitExceeded, ErrorCode.LimitExceeded, ErrorCode.LimitExceeded]);
    await expect(c.get('n0')).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });
});

describe('timeouts and outages', () => {
  it('times a call out while the WebSocket cannot reconnect, naming the method and the timeout', async () => {
    const grove = await station();
    const c = client(grove, { transport: 'ws', timeoutMs: 300 });
    await c.set('a', 1);
    await grove.close();
    stations.splice(0);
    await waitFor(() => c.state !== 'open', 'the client to notice');
    const started = Date.now();
    const failure = await c.get('a').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GroveTimeoutError);
    expect((failure as Error).message).toBe('tree.get timed out after 300 ms without an answer from the station');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('fails an HTTP call to a station that is gone with a connection error', async () => {
    const grove = await station();
    const c = client(grove, { transport: 'http' });
    await grove.close();
    stations.splice(0);
    await expect(c.get('a')).rejects.toBeInstanceOf(GroveConnectionError);
  });
});

describe('subscriptions through the client', () => {
  const summary = ({ path, op, value, origin }: TreeChange) => ({ path, op, value, origin });

  it('survive a station restart: changes made while it was down arrive after the reconnect, none twice', async () => {
    const tree = Tree.create();
    trees.push(tree);
    let grove = await station({ tree });
    const port = Number(new URL(grove.url).port);
    tree.set('feed', {});
    const c = client(grove, { transport: 'ws' });
    const seen: TreeChange[] = [];
    const errors: Error[] = [];
    const subscription = await c.subscribe('feed', (change) => seen.push(change), { onError: (error) => errors.push(error) });
    await c.set('feed/a', 1);
    await c.set('feed/b', 2);
    await waitFor(() => seen.length === 2, 'the first two changes');

    await grove.close();
    stations.splice(0);
    await waitFor(() => c.state === 'disconnected' || c.state === 'connecting', 'the client to notice');
    tree.set('feed/c', 3);
    tree.set('feed/b', 20);
    tree.set('elsewhere', 0);
    const queued = c.get('feed/c'); // waits for the reconnect
    grove = await station({ tree, port });

    expect(await queued).toBe(3);
    await waitFor(() => seen.length === 4, 'the changes made while it was down');
    await c.set('feed/d', 4);
    await waitFor(() => seen.length === 5, 'a live change');
    expect(seen.map(summary)).toEqual([
      { path: 'feed/a', op: 'add', value: 1, origin: 'open' },
      { path: 'feed/b', op: 'add', value: 2, origin: 'open' },
      { path: 'feed/c', op: 'add', value: 3, origin: 'local' },
      { path: 'feed/b', op: 'set', value: 20, origin: 'local' },
      { path: 'feed/d', op: 'add', value: 4, origin: 'open' },
    ]);
    const versions = seen.map((change) => change.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(5);
    expect(subscription.lastVersion).toBe(versions[4]);
    expect(errors).toEqual([]);
  });

  it('resume a quiet path after a dropped connection though the log has moved past their subscribe', async () => {
    const grove = await station({ changeLogSize: 3 });
    const upgraded: Duplex[] = [];
    grove.app.server.on('upgrade', (_request, socket: Duplex) => upgraded.push(socket));
    const watcher = client(grove, { transport: 'ws' });
    const writer = client(grove, { transport: 'http' });
    const seen: unknown[] = [];
    const errors: Error[] = [];
    await watcher.subscribe('quiet', (change) => seen.push(change.value), { onError: (error) => errors.push(error) });
    for (let value = 0; value < 10; value++) await writer.set('busy', value);
    await waitFor(() => grove.context.hub.floor > 5, 'the log to move on');
    // let the progress notifications arrive before the drop
    await watcher.info();

    for (const socket of upgraded) socket.destroy();
    await waitFor(() => watcher.state !== 'open', 'the drop');
    // the log still reaches back to the last version the progress notifications told of
    await writer.set('quiet', 'missed');
    await waitFor(() => seen.length === 1, 'the change made during the drop');
    await writer.set('quiet', 'live');
    await waitFor(() => seen.length === 2, 'a live change');
    expect(seen).toEqual(['missed', 'live']);
    expect(errors).toEqual([]);
  });

  it('report a resume the log cannot serve to onError, and end', async () => {
    const tree = Tree.create();
    trees.push(tree);
    let grove = await station({ tree, changeLogSize: 2 });
    const port = Number(new URL(grove.url).port);
    const c = client(grove, { transport: 'ws' });
    const errors: Error[] = [];
    await c.subscribe('quiet', () => {}, { onError: (error) => errors.push(error) });
    await grove.close();
    stations.splice(0);
    // a feed turned off forgets what changed: the new station's log starts after this write
    tree.setFeed('off');
    tree.set('busy', 1);
    grove = await station({ tree, port, changeLogSize: 2 });

    await waitFor(() => errors.length === 1, 'the error');
    expect(errors[0]).toMatchObject({ code: ErrorCode.LimitExceeded, method: 'tree.subscribe' });
    expect(errors[0]!.message).toMatch(/the change log no longer reaches back to version \d+/);
  });
});
