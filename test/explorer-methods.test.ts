// The station methods the explorer draws from, over RPC: tree.plot (a node's numbers as
// min/max runs, against a plain computation here, over random lists, arrays and ranges),
// tree.history (the changes that touched a node, against random write sequences), the
// listed node's own type and version in tree.list, station.info's connections by
// transport, and auth's answer with the token's grants.
import { get, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Station } from '../src/station/server.js';
import { errorOf, httpCaller, openStation, resolving, waitFor, WsClient, writeRules } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const TOKEN = 'explorer-methods-token';
const LIMITED = 'explorer-methods-limited';

let station: Station;
let ok: (method: string, params?: unknown) => Promise<any>;
let call: ReturnType<typeof httpCaller>;

beforeAll(async () => {
  const rulesFile = writeRules({ tokens: { [LIMITED]: { name: 'alice', read: ['users', 'shared'], write: ['users'] } } });
  station = await openStation({ tokens: [TOKEN], rulesFile });
  call = httpCaller(station.url, TOKEN);
  ok = resolving(call);
});

afterAll(async () => {
  await station?.close();
});

/** What tree.plot should answer, computed the slow way from the numbers (null: no number there). */
function expectedPlot(numbers: (number | null)[], from: number, to: number, buckets: number) {
  const end = Math.min(to, numbers.length);
  const n = end - from;
  const runs = Math.min(buckets, n);
  const starts: number[] = [];
  const low: (number | null)[] = [];
  const high: (number | null)[] = [];
  let plotted = 0;
  for (let r = 0; r < runs; r++) {
    const start = from + Math.floor((r * n) / runs);
    const stop = from + Math.floor(((r + 1) * n) / runs);
    const run = numbers.slice(start, stop).filter((x): x is number => x !== null && Number.isFinite(x));
    plotted += run.length;
    starts.push(start);
    low.push(run.length > 0 ? Math.min(...run) : null);
    high.push(run.length > 0 ? Math.max(...run) : null);
  }
  return { total: numbers.length, from, to: end, plotted, skipped: n - plotted, starts, low, high };
}

describe('tree.plot', () => {
  it('answers every run of a list of mixed children as a plain computation does, over random lists and ranges', async () => {
    const child = fc.oneof(
      { weight: 6, arbitrary: fc.record({ type: fc.constantFrom('f64', 'i32', 'u8', 'i64'), value: fc.integer({ min: -100, max: 255 }) }) },
      { weight: 1, arbitrary: fc.record({ type: fc.constant('str'), value: fc.constant('7') }) },
      { weight: 1, arbitrary: fc.record({ type: fc.constant('f64'), value: fc.constantFrom('NaN', 'Infinity') }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(child, { maxLength: 300 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 64 }), async (children, a, b, buckets) => {
        await ok('tree.set', { path: 'plot/list', value: [] });
        // u8 children only where the value fits them
        const typed = children.map((c) => (c.type === 'u8' && typeof c.value === 'number' && c.value < 0 ? { ...c, type: 'i32' } : c));
        if (typed.length > 0) await ok('tree.add', { path: 'plot/list', format: 'typed', value: typed.map(({ type, value }) => ({ name: '', type, value })) });
        const numbers = typed.map(({ type, value }) => (type === 'str' || typeof value !== 'number' ? null : value));
        const from = typed.length === 0 ? 0 : a % (typed.length + 1);
        const to = from + (typed.length === 0 ? 0 : b % (typed.length + 1 - from));
        expect(await ok('tree.plot', { path: 'plot/list', from, to, buckets })).toEqual(expectedPlot(numbers, from, to, buckets));
      }),
      { numRuns: 40 },
    );
  });

  it('plots an array node, the whole of it without a range', async () => {
    const values = Array.from({ length: 5000 }, (_, i) => Math.round(Math.sin(i / 100) * 1000) / 8);
    await ok('tree.set', { path: 'plot/array', value: values, type: 'f64array' });
    expect(await ok('tree.plot', { path: 'plot/array', buckets: 100 })).toEqual(expectedPlot(values, 0, values.length, 100));
    const few = await ok('tree.plot', { path: 'plot/array', from: 10, to: 15 });
    // shorter than the buckets asked for: one run per element, each its value
    expect(few.starts).toEqual([10, 11, 12, 13, 14]);
    expect(few.low).toEqual(values.slice(10, 15));
  });

  it('refuses what cannot be plotted, saying what to do', async () => {
    await ok('tree.set', { path: 'plot/leaf', value: 5 });
    const leaf = errorOf(await call('tree.plot', { path: 'plot/leaf' }), ErrorCode.TypeMismatch);
    expect(leaf.message).toBe("plot: 'plot/leaf' is a i64 node; plots are of array nodes and of nodes whose children are numbers");
    expect(errorOf(await call('tree.plot', { path: 'plot/none' }), ErrorCode.NotFound).message).toContain('plot/none');
    expect(errorOf(await call('tree.plot', { path: 'plot/array', from: 5001 }), ErrorCode.InvalidParams).message).toBe(
      'plot: from 5001 is past the end: the node has 5000 elements',
    );
    expect(errorOf(await call('tree.plot', { path: 'plot/array', from: 9, to: 3 }), ErrorCode.InvalidParams).message).toBe('plot: from 9 is after to 3');
    expect(errorOf(await call('tree.plot', { path: 'plot/array', buckets: 0 }), ErrorCode.InvalidParams).message).toContain('buckets');
    expect(errorOf(await call('tree.plot', { path: 'plot/array', buckets: 16_385 }), ErrorCode.InvalidParams).message).toContain('buckets');
  });
});

describe('tree.history', () => {
  it('lists the logged changes touching a node, newest first, as subscribers got them, over random writes', async () => {
    const names = ['a', 'b', 'a/x', 'a/y', 'b/z'];
    const write = fc.record({ at: fc.constantFrom(...names), value: fc.integer({ min: 0, max: 1000 }), remove: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 25 }), fc.constantFrom('', 'h', 'h/a', 'h/a/x', 'h/b'), async (writes, watched) => {
        await ok('tree.delete', { path: 'h' }).catch(() => undefined);
        await ok('tree.set', { path: 'h', value: {} });
        const socket = await WsClient.open(station.url, TOKEN);
        try {
          const mine = (await socket.call('tree.subscribe', { path: watched })).result.subscription;
          // one at the root too: the socket sends in order, so once it has the last write, the other has all of its own
          const all = (await socket.call('tree.subscribe', { path: '' })).result.subscription;
          const base = station.context.hub.version;
          let last = base;
          for (const { at, value, remove } of writes) {
            const reply = remove ? await call('tree.delete', { path: `h/${at}` }) : await call('tree.set', { path: `h/${at}`, value });
            if (!reply.error) last = reply.result.version;
          }
          const changed = (id: string) => socket.notifications.filter((n) => n.method === 'tree.changed' && n.params.subscription === id).map((n) => n.params);
          await waitFor(() => last === base || changed(all).some((event) => event.version >= last), 'the last write\'s event');
          const seen = changed(mine).filter((event) => event.version > base);
          const history = await ok('tree.history', { path: watched, limit: 1000 });
          const listed = history.changes.filter((change: { version: number }) => change.version > base);
          // what the subscription at that path was sent, newest first, without its subscription id
          expect(listed).toEqual(seen.reverse().map(({ subscription: _id, ...event }) => event));
          expect(history.version).toBe(station.context.hub.version);
        } finally {
          await socket.close();
        }
      }),
      { numRuns: 25 },
    );
  });

  it('keeps to the limit and says how far back the log reaches', async () => {
    for (let i = 0; i < 5; i++) await ok('tree.set', { path: 'limit/n', value: i });
    const history = await ok('tree.history', { path: 'limit/n', limit: 2 });
    expect(history.changes.map((change: { value: number; origin: string }) => [change.value, change.origin])).toEqual([
      [4, 'token #1'],
      [3, 'token #1'],
    ]);
    expect(history.floor).toBe(station.context.hub.floor);
    expect(errorOf(await call('tree.history', { path: 'limit/n', limit: 0 }), ErrorCode.InvalidParams).message).toContain('limit');
  });

  it('needs read access to the path', async () => {
    const limited = httpCaller(station.url, LIMITED);
    const refused = errorOf(await limited('tree.history', { path: 'limit' }), ErrorCode.Forbidden);
    expect(refused.message).toBe('token "alice" may not read "limit": it may read "users", "shared"');
    await ok('tree.set', { path: 'users/alice', value: { age: 1 } });
    const history = resolving(limited);
    const changes = (await history('tree.history', { path: 'users/alice' })).changes;
    expect(changes[0]).toMatchObject({ path: 'users/alice', op: 'add', value: { age: 1 }, origin: 'token #1' });
  });
});

describe('tree.list of a node', () => {
  it("answers with the node's own type and version", async () => {
    const { version } = await ok('tree.set', { path: 'own/list', value: [1, 2] });
    expect(await ok('tree.list', { path: 'own/list', limit: 0 })).toEqual({ total: 2, type: 'list', version, children: [] });
    expect((await ok('tree.list', { path: 'own', limit: 0 })).version).toBe(version);
    const root = await ok('tree.list', { path: '', limit: 0 });
    expect(root.type).toBe('object');
    expect(root.version).toBe(station.tree.version);
  });
});

describe('station.info connections', () => {
  it('counts WebSocket, SSE and plain HTTP connections apart', async () => {
    const transports = async () => (await ok('station.info')).transports;
    // the caller's own keep-alive connection is an HTTP one
    const before = await transports();
    expect(before.http).toBeGreaterThanOrEqual(1);
    const socket = await WsClient.open(station.url, TOKEN);
    const stream = await new Promise<IncomingMessage>((resolve, reject) =>
      get(`${station.url}/events?path=`, { headers: { authorization: `Bearer ${TOKEN}` } }, resolve).on('error', reject),
    );
    const idle: Socket = connect(Number(new URL(station.url).port), '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    try {
      await waitFor(() => station.context.openConnections().sse === before.sse + 1, 'the SSE stream');
      await waitFor(() => station.context.openConnections().http >= before.http + 1, 'the idle HTTP connection');
      const during = await transports();
      expect(during.websocket).toBe(before.websocket + 1);
      expect(during.sse).toBe(before.sse + 1);
      expect(during.http).toBeGreaterThanOrEqual(before.http + 1);
      expect((await ok('station.info')).connections).toBe(during.websocket + during.sse);
    } finally {
      idle.destroy();
      stream.destroy();
      await socket.close();
    }
    await waitFor(() => station.context.openConnections().websocket === before.websocket && station.context.openConnections().sse === before.sse, 'the closes');
  });
});

describe('auth', () => {
  it("answers with the token's grants", async () => {
    const socket = await WsClient.open(station.url);
    try {
      const reply = await socket.call('auth', { token: LIMITED });
      expect(reply.result).toEqual({ name: 'alice', read: ['users', 'shared'], write: ['users'], info: false });
    } finally {
      await socket.close();
    }
  });
});
