// Subscriptions over a real WebSocket: what an event carries, one event per transaction,
// which paths a subscription sees, replay with `since` and its limits, writes from a worker,
// the per-connection limit, unsubscribing, cleanup, and the slow-subscriber policy.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import type { Duplex } from 'node:stream';

import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';

import { createClient } from '../src/client/index.js';
import { RawJson, type RpcContext } from '../src/rpc/index.js';
import { defaultLimits } from '../src/rpc/limits.js';
import { ErrorCode } from '../src/wire/errors.js';

const MAX_QUEUED_BYTES = defaultLimits.maxQueuedBytes;
import { type Station, type StationOptions, startStation } from '../src/station/server.js';
import { waitFor } from './helpers/station.js';

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** A bare JSON-RPC WebSocket client that keeps every message it receives, in order. */
class Socket {
  readonly received: Message[] = [];
  #nextId = 1;
  readonly #waiting = new Map<number, (message: Message) => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Message;
      this.received.push(message);
      if (message.id !== undefined) this.#waiting.get(message.id)?.(message);
    });
  }

  static async open(station: Station): Promise<Socket> {
    const ws = new WebSocket(`${station.url.replace('http', 'ws')}/ws`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const socket = new Socket(ws);
    sockets.push(socket);
    return socket;
  }

  /** The call's whole answer: `result` or `error`. */
  answer(method: string, params: object = {}): Promise<Message> {
    const id = this.#nextId++;
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    return new Promise((resolve) => this.#waiting.set(id, resolve));
  }

  async call<T = any>(method: string, params: object = {}): Promise<T> {
    const answer = await this.answer(method, params);
    if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
    return answer.result as T;
  }

  /** The params of the `tree.changed` notifications received so far. */
  get changes(): Record<string, any>[] {
    return this.notifications('tree.changed');
  }

  notifications(method: string): Record<string, any>[] {
    return this.received.filter((m) => m.method === method).map((m) => m.params!);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.ws.once('close', () => resolve()).close());
  }
}

const stations: Station[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.close()));
  await Promise.all(stations.splice(0).map((station) => station.close()));
});

async function station(options: StationOptions = {}): Promise<Station> {
  const started = await startStation({ port: 0, rateLimit: false, ...options });
  stations.push(started);
  return started;
}

/** Nothing more arrives: waits longer than the hub takes to drain local writes. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('tree.changed events', () => {
  it('carry path, op, value, old value, version and "open" as origin on an open station', async () => {
    const grove = await station();
    const watcher = await Socket.open(grove);
    const writer = await Socket.open(grove);
    await writer.call('tree.set', { path: 'a/n', value: 1 });
    const { subscription } = await watcher.call('tree.subscribe', { path: 'a' });

    const { version } = await writer.call('tree.set', { path: 'a/n', value: 2 });
    await watcher.call('tree.set', { path: 'a/n', value: 3 });

    const [first, second] = watcher.changes;
    expect(watcher.changes).toHaveLength(2);
    // no token, no name: an open station tells writers apart by nothing
    expect(first).toEqual({ subscription, path: 'a/n', op: 'set', value: 2, oldValue: 1, version, origin: 'open' });
    expect(second).toEqual({ subscription, path: 'a/n', op: 'set', value: 3, oldValue: 2, version: version + 1, origin: 'open' });
  });

  it('name the token that wrote, by its name in the rules file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-rules-'));
    const rulesFile = join(dir, 'rules.json');
    writeFileSync(rulesFile, JSON.stringify({ tokens: { 'alice-secret-1': { name: 'alice', read: [''], write: [''] } } }));
    const grove = await station({ rulesFile });
    const socket = await Socket.open(grove);
    await socket.call('auth', { token: 'alice-secret-1' });
    await socket.call('tree.subscribe', { path: '' });
    await socket.call('tree.set', { path: 'x', value: true });
    expect(socket.changes.map((change) => change.origin)).toEqual(['alice']);
  });

  it('add, remove and replace a subtree, with the values added and removed', async () => {
    const grove = await station();
    const socket = await Socket.open(grove);
    await socket.call('tree.set', { path: 'a', value: { b: 1 } });
    await socket.call('tree.subscribe', { path: 'a' });
    await socket.call('tree.set', { path: 'a', value: { c: 2 } });
    await socket.call('tree.delete', { path: 'a/c' });
    expect(socket.changes.map(({ path, op, value, oldValue }) => ({ path, op, value, oldValue }))).toEqual([
      { path: 'a', op: 'set', value: { c: 2 }, oldValue: { b: 1 } },
      { path: 'a/c', op: 'remove', value: undefined, oldValue: 2 },
    ]);
  });

  it('leave out a value over 1 MiB of JSON and say so, while the tree holds all of it', async () => {
    const grove = await station({ limits: { maxBodyBytes: 4 * 2 ** 20 } });
    const socket = await Socket.open(grove);
    await socket.call('tree.subscribe', { path: '' });
    const big = { text: 'x'.repeat(2 ** 20), n: 1 };
    await socket.call('tree.set', { path: 'a', value: big });
    await socket.call('tree.set', { path: 'a/n', value: 2 });
    await socket.call('tree.delete', { path: 'a' });

    expect(socket.changes.map(({ path, op, value, oldValue, valueOmitted, oldValueOmitted }) => ({ path, op, value, oldValue, valueOmitted, oldValueOmitted }))).toEqual([
      { path: 'a', op: 'add', value: undefined, oldValue: undefined, valueOmitted: true, oldValueOmitted: undefined },
      { path: 'a/n', op: 'set', value: 2, oldValue: 1, valueOmitted: undefined, oldValueOmitted: undefined },
      { path: 'a', op: 'remove', value: undefined, oldValue: undefined, valueOmitted: undefined, oldValueOmitted: true },
    ]);
    await socket.call('tree.set', { path: 'b', value: big });
    expect(await socket.call('tree.get', { path: 'b' })).toEqual(big);
  });

  it('come one per tree.transact, under the version the transaction answered with', async () => {
    const grove = await station();
    const socket = await Socket.open(grove);
    await socket.call('tree.set', { path: 'n', value: 1 });
    const { subscription } = await socket.call('tree.subscribe', { path: '' });
    const { version } = await socket.call('tree.transact', {
      ops: [
        { method: 'tree.set', params: { path: 'n', value: 2 } },
        { method: 'tree.increment', params: { path: 'n', by: 5 } },
        { method: 'tree.delete', params: { path: 'n' } },
      ],
    });
    expect(socket.changes).toEqual([
      {
        subscription,
        path: 'n',
        op: 'transact',
        version,
        origin: 'open',
        changes: [
          { path: 'n', op: 'set', value: 2, oldValue: 1 },
          { path: 'n', op: 'set', value: 7, oldValue: 2 },
          { path: 'n', op: 'remove', oldValue: 7 },
        ],
      },
    ]);
  });
});

describe('which changes a subscription sees', () => {
  it('those at, under and above its path, and no others', async () => {
    const grove = await station();
    const socket = await Socket.open(grove);
    await socket.call('tree.set', { path: 'a/b', value: {} });
    await socket.call('tree.subscribe', { path: 'a/b' });
    for (const path of ['a/b/c', 'a/b', 'a/x', 'ab', 'a/bc', 'a', 'z']) await socket.call('tree.set', { path, value: 1 });
    expect(socket.changes.map((change) => change.path)).toEqual(['a/b/c', 'a/b', 'a']);
  });

  it('only the changes of a transaction that touch its path', async () => {
    const grove = await station();
    const socket = await Socket.open(grove);
    await socket.call('tree.set', { path: 'a', value: { b: {}, c: 1 } });
    await socket.call('tree.subscribe', { path: 'a/b' });
    const { version } = await socket.call('tree.transact', {
      ops: [
        { method: 'tree.set', params: { path: 'a/c', value: 2 } },
        { method: 'tree.set', params: { path: 'a/b/x', value: 3 } },
        { method: 'tree.set', params: { path: 'z', value: 4 } },
      ],
    });
    expect(socket.changes).toEqual([
      expect.objectContaining({ path: 'a/b/x', op: 'transact', version, changes: [{ path: 'a/b/x', op: 'add', value: 3 }] }),
    ]);
  });

  it('changes above it without the values of paths its token may not read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-rules-'));
    const rulesFile = join(dir, 'rules.json');
    writeFileSync(rulesFile, JSON.stringify({ tokens: { 'reader-secret-1': { name: 'reader', read: ['a/pub'] } } }));
    const grove = await station({ rulesFile, tokens: ['admin-secret-1'] });
    const admin = await Socket.open(grove);
    await admin.call('auth', { token: 'admin-secret-1' });
    const reader = await Socket.open(grove);
    await reader.call('auth', { token: 'reader-secret-1' });
    await admin.call('tree.set', { path: 'a', value: { pub: { x: 1 }, secret: 's1' } });
    await reader.call('tree.subscribe', { path: 'a/pub' });

    await admin.call('tree.set', { path: 'a', value: { pub: { x: 2 }, secret: 's2' } });
    await admin.call('tree.set', { path: 'a/pub/x', value: 3 });
    await waitFor(() => reader.changes.length === 2, 'two changes');
    expect(reader.changes.map(({ path, op, value, oldValue }) => ({ path, op, value, oldValue }))).toEqual([
      { path: 'a', op: 'set', value: undefined, oldValue: undefined },
      { path: 'a/pub/x', op: 'set', value: 3, oldValue: 2 },
    ]);
    expect(JSON.stringify(reader.received)).not.toContain('s2');
  });
});

describe('since', () => {
  it('replays exactly what was missed, before the answer, whose version it reaches', async () => {
    const grove = await station();
    const socket = await Socket.open(grove);
    const { subscription: first } = await socket.call('tree.subscribe', { path: 'a' });
    await socket.call('tree.set', { path: 'a/n', value: 1 });
    const seen = socket.changes.at(-1)!.version as number;
    await socket.call('tree.unsubscribe', { subscription: first });
    const missed = [];
    for (const value of [2, 3]) missed.push((await socket.call('tree.set', { path: 'a/n', value })).version);
    await socket.call('tree.set', { path: 'elsewhere', value: 1 });

    const before = socket.received.length;
    const answer = await socket.answer('tree.subscribe', { path: 'a', since: seen });
    const after = socket.received.slice(before);
    expect(after.map((m) => m.method ?? 'answer')).toEqual(['tree.changed', 'tree.changed', 'answer']);
    expect(after.slice(0, 2).map((m) => [m.params!.version, m.params!.value])).toEqual([
      [missed[0], 2],
      [missed[1], 3],
    ]);
    expect(answer.result).toEqual({ subscription: expect.any(String), version: missed[1]! + 1 });
  });

  it('fails with -32005 when the bounded log no longer reaches back, and works from its floor', async () => {
    const grove = await station({ changeLogSize: 3 });
    const socket = await Socket.open(grove);
    const versions = [];
    for (let value = 1; value <= 5; value++) versions.push((await socket.call('tree.set', { path: 'n', value })).version);
    const floor = versions[1]!;

    const tooOld = await socket.answer('tree.subscribe', { path: '', since: floor - 1 });
    expect(tooOld.error).toEqual({
      code: ErrorCode.LimitExceeded,
      message:
        `the change log no longer reaches back to version ${floor - 1}: it holds versions after ${floor}; ` +
        'subscribe without since, then read the subtree again',
      data: { since: floor - 1, floor, path: '' },
    });
    expect(socket.changes).toEqual([]);

    await socket.call('tree.subscribe', { path: '', since: floor });
    expect(socket.changes.map((change) => change.value)).toEqual([3, 4, 5]);
  });

  it('works on a quiet path, which tree.progress keeps up to date as the log moves on', async () => {
    const grove = await station({ changeLogSize: 3 });
    const socket = await Socket.open(grove);
    const { subscription, version: start } = await socket.call('tree.subscribe', { path: 'quiet' });
    for (let value = 1; value <= 10; value++) await socket.call('tree.set', { path: 'busy', value });

    // the log forgets the version last told of at the 4th write, then at the 8th
    expect(socket.notifications('tree.progress')).toEqual([
      { subscription, version: start + 4 },
      { subscription, version: start + 8 },
    ]);
    expect(grove.context.hub.floor).toBe(start + 7);
    await socket.call('tree.unsubscribe', { subscription });
    const { version } = await socket.call('tree.set', { path: 'quiet', value: 1 });
    await socket.call('tree.subscribe', { path: 'quiet', since: start + 8 });
    expect(socket.changes.map((change) => change.version)).toEqual([version]);
  });

  it('fails with -32005 when it is newer than anything the station has', async () => {
    const grove = await station();
    const socket = await Socket.open(grove);
    const { version } = await socket.call('tree.set', { path: 'n', value: 1 });
    const answer = await socket.answer('tree.subscribe', { path: '', since: version + 1 });
    expect(answer.error).toMatchObject({ code: ErrorCode.LimitExceeded, data: { since: version + 1, version } });
    expect(answer.error!.message).toMatch(/^version \d+ is newer than this station's latest \(\d+\)/);
  });
});

describe('subscriptions', () => {
  it('see a worker thread writing to the shared tree, with origin "local"', async () => {
    const grove = await station();
    grove.tree.set('counter', 0n, 'i64');
    const socket = await Socket.open(grove);
    await socket.call('tree.subscribe', { path: 'counter' });
    const fixture = new URL('./fixtures/counter-worker.mjs', import.meta.url);
    const worker = new Worker(fixture, { workerData: { tree: grove.tree.share(), path: 'counter', times: 3 } });
    await new Promise((resolve) => worker.once('message', resolve));
    await worker.terminate();

    await waitFor(() => socket.changes.length === 3, 'three changes');
    expect(socket.changes.map(({ op, value, oldValue, origin }) => ({ op, value, oldValue, origin }))).toEqual([
      { op: 'set', value: 1, oldValue: 0, origin: 'local' },
      { op: 'set', value: 2, oldValue: 1, origin: 'local' },
      { op: 'set', value: 3, oldValue: 2, origin: 'local' },
    ]);
    const versions = socket.changes.map((change) => change.version);
    expect(versions).toEqual([versions[0], versions[0] + 1, versions[0] + 2]);
  });

  it('are limited per connection (maxSubscriptions) with -32005', async () => {
    const grove = await station({ limits: { maxSubscriptions: 3 } });
    const socket = await Socket.open(grove);
    const ids = [];
    for (const path of ['a', 'b', 'c']) ids.push((await socket.call('tree.subscribe', { path })).subscription);
    const refused = await socket.answer('tree.subscribe', { path: 'd' });
    expect(refused.error).toEqual({
      code: ErrorCode.LimitExceeded,
      message: 'this connection already has 3 subscriptions, the most allowed (maxSubscriptions); unsubscribe first',
      data: { path: 'd' },
    });
    // another connection has its own allowance
    const other = await Socket.open(grove);
    await other.call('tree.subscribe', { path: 'd' });

    await socket.call('tree.unsubscribe', { subscription: ids[0] });
    await socket.call('tree.subscribe', { path: 'd' });
  });

  it('end by id or by path, and then see nothing more', async () => {
    const grove = await station();
    const socket = await Socket.open(grove);
    const { subscription: a } = await socket.call('tree.subscribe', { path: 'a' });
    await socket.call('tree.subscribe', { path: 'b' });
    await socket.call('tree.subscribe', { path: '/b' });
    expect(grove.context.hub.subscriptionCount).toBe(3);

    expect(await socket.call('tree.unsubscribe', { subscription: a })).toEqual({ closed: 1 });
    expect(await socket.call('tree.unsubscribe', { path: 'b' })).toEqual({ closed: 2 });
    expect(await socket.call('tree.unsubscribe', { subscription: a })).toEqual({ closed: 0 });
    expect(grove.context.hub.subscriptionCount).toBe(0);
    await socket.call('tree.set', { path: 'a', value: 1 });
    await socket.call('tree.set', { path: 'b', value: 1 });
    await settle();
    expect(socket.changes).toEqual([]);
  });

  it("cannot end another connection's subscription", async () => {
    const grove = await station();
    const owner = await Socket.open(grove);
    const { subscription } = await owner.call('tree.subscribe', { path: 'a' });
    const other = await Socket.open(grove);
    expect(await other.call('tree.unsubscribe', { subscription })).toEqual({ closed: 0 });
    await other.call('tree.set', { path: 'a', value: 1 });
    await waitFor(() => owner.changes.length === 1, 'the change');
  });

  it('end with their connection', async () => {
    const grove = await station();
    const socket = await Socket.open(grove);
    await socket.call('tree.subscribe', { path: 'a' });
    await socket.call('tree.subscribe', { path: 'b' });
    const stays = await Socket.open(grove);
    await stays.call('tree.subscribe', { path: 'a' });
    expect(grove.context.hub.subscriptionCount).toBe(3);

    await socket.close();
    await waitFor(() => grove.context.hub.subscriptionCount === 1, 'the cleanup');
    await stays.call('tree.set', { path: 'a', value: 1 });
    expect(stays.changes).toHaveLength(1);
  });

  it('need a WebSocket: over HTTP tree.subscribe says where to go instead', async () => {
    const grove = await station();
    const response = await fetch(`${grove.url}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tree.subscribe', params: { path: '' } }),
    });
    expect(await response.json()).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: ErrorCode.InvalidParams, message: 'tree.subscribe needs a WebSocket connection (/ws); over HTTP, read GET /events?path=...' },
    });
  });
});

describe('a subscriber that cannot keep up', () => {
  /** A connection as the ws transport describes it, with a send queue the test controls. */
  function fakeConnection(queued: { bytes: number }) {
    const sent: { method: string; params: Record<string, unknown> }[] = [];
    const cleanups: (() => void)[] = [];
    const context: RpcContext & { queuedBytes: () => number } = {
      transport: 'ws',
      connectionId: 'ws:slow',
      log: { error: () => {} },
      // notifications of events arrive as JSON text (made once per event): read them as the client would
      notify: (method, params) => void sent.push({ method, params: params instanceof RawJson ? JSON.parse(params.text) : params }),
      onClose: (cleanup) => void cleanups.push(cleanup),
      queuedBytes: () => queued.bytes,
    };
    return { context, sent };
  }

  it(`has its subscriptions ended with tree.subscriptionEnded once over ${MAX_QUEUED_BYTES} bytes wait to be sent`, async () => {
    const grove = await station();
    const queued = { bytes: 0 };
    const { context, sent } = fakeConnection(queued);
    const subscribe = (path: string) =>
      grove.context.engine.handle(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tree.subscribe', params: { path } }), context);
    const a = JSON.parse((await subscribe('a'))!.body).result.subscription;
    const b = JSON.parse((await subscribe('b'))!.body).result.subscription;
    const writer = await Socket.open(grove);
    const listener = await Socket.open(grove);
    await listener.call('tree.subscribe', { path: '' });

    await writer.call('tree.set', { path: 'a', value: 1 });
    queued.bytes = MAX_QUEUED_BYTES + 1;
    await writer.call('tree.set', { path: 'a', value: 2 });
    await writer.call('tree.set', { path: 'b', value: 3 });

    const message = `the station holds over ${MAX_QUEUED_BYTES} bytes of notifications this connection has not read yet`;
    expect(sent).toEqual([
      { method: 'tree.changed', params: expect.objectContaining({ subscription: a, value: 1 }) },
      { method: 'tree.subscriptionEnded', params: { subscription: a, reason: 'slow', message } },
      { method: 'tree.subscriptionEnded', params: { subscription: b, reason: 'slow', message } },
    ]);
    // the others still get everything; the connection may subscribe again from its last version
    await waitFor(() => listener.changes.length === 3, 'the other subscriber');
    queued.bytes = 0;
    await subscribe('a');
    expect(grove.context.hub.subscriptionCount).toBe(2);
  });

  it('fails a subscribe whose replay it cannot take, without starting the subscription', async () => {
    const grove = await station();
    const queued = { bytes: 0 };
    const { context, sent } = fakeConnection(queued);
    const writer = await Socket.open(grove);
    const { version } = await writer.call('tree.set', { path: 'a', value: 1 });
    await writer.call('tree.set', { path: 'a', value: 2 });
    await writer.call('tree.set', { path: 'a', value: 3 });

    // the first replayed change goes out and fills the queue: the second one cannot
    const subscribe = { jsonrpc: '2.0', id: 1, method: 'tree.subscribe', params: { path: 'a', since: version } };
    const notify = context.notify;
    const filling: RpcContext = { ...context, notify: (method, params) => ((queued.bytes = MAX_QUEUED_BYTES + 1), notify!(method, params)) };
    const answer = JSON.parse((await grove.context.engine.handle(JSON.stringify(subscribe), filling))!.body);
    expect(answer.error).toEqual({
      code: ErrorCode.LimitExceeded,
      message: `the replay stopped with over ${MAX_QUEUED_BYTES} bytes of notifications this connection has not read yet; read the subtree again instead`,
      data: { path: 'a' },
    });
    expect(sent.map(({ method, params }) => [method, params.value])).toEqual([['tree.changed', 2]]);
    expect(grove.context.hub.subscriptionCount).toBe(0);
  });

  it('whose sending throws is ended, and the write it could not announce still succeeds', async () => {
    const grove = await station();
    const context: RpcContext = {
      transport: 'ws',
      connectionId: 'ws:broken',
      log: { error: () => {} },
      notify: () => {
        throw new Error('socket gone');
      },
      onClose: () => {},
    };
    await grove.context.engine.handle(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tree.subscribe', params: { path: '' } }), context);
    const writer = await Socket.open(grove);
    await writer.call('tree.subscribe', { path: '' });

    expect(await writer.call('tree.set', { path: 'a', value: 1 })).toEqual({ version: expect.any(Number) });
    expect(writer.changes).toHaveLength(1);
    expect(grove.context.hub.subscriptionCount).toBe(1);
  });
  it('over a real socket: a client that stops reading is cut off, then resumes from the log and misses nothing', async () => {
    const grove = await station();
    let last!: WebSocket;
    class Pausable extends WebSocket {
      constructor(url: string) {
        super(url);
        last = this;
      }
    }
    const client = createClient({ url: grove.url, transport: 'ws', WebSocket: Pausable });
    const seen: number[] = [];
    const errors: Error[] = [];
    await client.subscribe('', (change) => seen.push(change.version), { onError: (error) => errors.push(error) });
    (last as unknown as { _socket: Duplex })._socket.pause();
    const big = 'x'.repeat(256 * 1024);
    const written: number[] = [];
    // each event carries the value and the old one; the kernel's socket buffers fill first
    for (let i = 0; i < 400 && grove.context.hub.subscriptionCount > 0; i++) {
      written.push(grove.context.hub.write('test', () => grove.tree.set('big', `${i}${big}`)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(grove.context.hub.subscriptionCount).toBe(0);
    written.push(grove.context.hub.write('test', () => grove.tree.set('big', 'after')));

    (last as unknown as { _socket: Duplex })._socket.resume();
    await waitFor(() => seen.length === written.length, 'every change', 10_000);
    expect(seen).toEqual(written);
    expect(errors).toEqual([]);
    expect(grove.context.hub.subscriptionCount).toBe(1);
    client.close();
  });
});
