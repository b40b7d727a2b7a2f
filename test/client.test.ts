// The client against a small fake station: request/response, batches, errors, timeouts,
// auth on both transports, and a station restart under a subscribed WebSocket client.
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ConnectionState,
  createClient,
  type GroveClient,
  GroveConnectionError,
  GroveRpcError,
  GroveTimeoutError,
  RpcErrorCode,
  type TreeChange,
} from '../src/client/index.js';
import { waitFor } from './helpers/station.js';

interface Change {
  version: number;
  path: string;
  op: string;
  value?: unknown;
  oldValue?: unknown;
  origin: string;
}

/** What outlives a fake station's restart: the tree and its change log. */
class FakeStore {
  readonly tree = new Map<string, unknown>();
  version = 0;
  log: Change[] = [];

  write(path: string, value: unknown, origin: string): Change {
    const change = { version: ++this.version, path, op: 'set', value, oldValue: this.tree.get(path), origin };
    this.tree.set(path, value);
    this.log.push(change);
    return change;
  }

  /** Forgets the log up to and including `version`, as a bounded log does. */
  trimThrough(version: number): void {
    this.log = this.log.filter((change) => change.version > version);
  }
}

class FakeError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

interface Connection {
  authed: boolean;
  readonly origin: string;
  readonly subscriptions: Map<string, string>;
  readonly push?: (method: string, params: object) => void;
}

interface RpcCall {
  id?: number | string | null;
  method: string;
  params?: Record<string, unknown>;
}

interface FakeStation {
  readonly url: string;
  readonly port: number;
  /** Every message received, parsed, in order, over either transport. */
  readonly received: unknown[];
  readonly authorizations: Array<string | undefined>;
  close(): Promise<void>;
}

const maxBatch = 3;
const stations: FakeStation[] = [];
const clients: GroveClient[] = [];

afterEach(async () => {
  clients.splice(0).forEach((client) => client.close());
  await Promise.all(stations.splice(0).map((station) => station.close()));
});

async function startStation(options: { store?: FakeStore; port?: number; token?: string } = {}): Promise<FakeStation> {
  const { store = new FakeStore(), port = 0, token } = options;
  const app: FastifyInstance = Fastify();
  const received: unknown[] = [];
  const authorizations: Array<string | undefined> = [];
  const sockets = new Set<Connection>();
  let nextSubscription = 1;

  const dispatch = async ({ method, params = {} }: RpcCall, connection: Connection): Promise<unknown> => {
    if (method === 'auth') {
      if (params.token !== token) throw new FakeError(RpcErrorCode.Unauthenticated, 'unknown token');
      connection.authed = true;
      return { ok: true };
    }
    if (token !== undefined && !connection.authed) throw new FakeError(RpcErrorCode.Unauthenticated, 'authenticate first');
    const path = params.path as string;
    switch (method) {
      case 'tree.get':
        if (!store.tree.has(path)) throw new FakeError(RpcErrorCode.NotFound, `nothing at "${path}"`, { path });
        return store.tree.get(path);
      case 'tree.set': {
        const change = store.write(path, params.value, connection.origin);
        for (const socket of sockets) announce(socket, change);
        return { version: change.version };
      }
      case 'tree.subscribe': {
        const since = params.since as number | undefined;
        const oldest = store.log[0]?.version ?? store.version + 1;
        if (since !== undefined && since < oldest - 1) {
          throw new FakeError(RpcErrorCode.LimitExceeded, `the change log no longer reaches back to ${since}`, { since });
        }
        const id = `s${nextSubscription++}`;
        connection.subscriptions.set(id, path);
        // the replay goes out before the answer, as a station replaying synchronously would send it
        if (since !== undefined) {
          for (const change of store.log) if (change.version > since) announce(connection, change, id);
        }
        return { subscription: id, version: store.version };
      }
      case 'tree.unsubscribe':
        return connection.subscriptions.delete(params.subscription as string);
      case 'shout':
        connection.push?.('station.shout', params);
        return null;
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, params.ms as number));
        return 'late';
      default:
        throw new FakeError(RpcErrorCode.MethodNotFound, `no method ${method}`);
    }
  };

  const announce = (connection: Connection, change: Change, only?: string) => {
    for (const [subscription, path] of connection.subscriptions) {
      if ((only === undefined || only === subscription) && (path === '' || change.path.startsWith(path))) {
        connection.push?.('tree.changed', { subscription, ...change });
      }
    }
  };

  const answerOne = async (call: RpcCall, connection: Connection) => {
    const reply = (body: object) => ('id' in call ? { jsonrpc: '2.0', id: call.id, ...body } : undefined);
    try {
      return reply({ result: await dispatch(call, connection) });
    } catch (error) {
      if (!(error instanceof FakeError)) throw error;
      return reply({ error: { code: error.code, message: error.message, data: error.data } });
    }
  };

  /** The answer to one message, undefined when it holds only notifications. */
  const answer = async (text: string, connection: Connection): Promise<unknown> => {
    const message = JSON.parse(text) as RpcCall | RpcCall[];
    received.push(message);
    if (!Array.isArray(message)) return answerOne(message, connection);
    if (message.length > maxBatch) {
      return { jsonrpc: '2.0', error: { code: RpcErrorCode.LimitExceeded, message: 'batch too large' }, id: null };
    }
    const answers = (await Promise.all(message.map((call) => answerOne(call, connection)))).filter(Boolean);
    return answers.length > 0 ? answers : undefined;
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: { code?: string; statusCode?: number }, _request, reply) => {
    const tooLarge = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE';
    const rpcError = tooLarge
      ? { code: RpcErrorCode.LimitExceeded, message: 'the request body is too large' }
      : { code: RpcErrorCode.InternalError, message: 'internal error' };
    return reply.code(error.statusCode ?? 500).send({ jsonrpc: '2.0', error: rpcError, id: null });
  });
  app.post('/rpc', { bodyLimit: 4096 }, async (request, reply) => {
    const authorization = request.headers.authorization;
    authorizations.push(authorization);
    const authed = token === undefined || authorization === `Bearer ${token}`;
    if (!authed) {
      received.push(JSON.parse(request.body as string));
      const error = { code: RpcErrorCode.Unauthenticated, message: 'send a bearer token' };
      return reply.code(401).send({ jsonrpc: '2.0', error, id: null });
    }
    const body = await answer(request.body as string, { authed, origin: 'http', subscriptions: new Map() });
    return body === undefined ? reply.code(204).send() : reply.send(body);
  });

  await app.register(websocket);
  app.get('/ws', { websocket: true }, (socket) => {
    const connection: Connection = {
      authed: false,
      origin: 'ws',
      subscriptions: new Map(),
      push: (method, params) => socket.send(JSON.stringify({ jsonrpc: '2.0', method, params })),
    };
    sockets.add(connection);
    let queue = Promise.resolve();
    socket.on('message', (data) => {
      queue = queue.then(async () => {
        const body = await answer(String(data), connection);
        if (body !== undefined && socket.readyState === socket.OPEN) socket.send(JSON.stringify(body));
      });
    });
    socket.on('close', () => sockets.delete(connection));
  });

  await app.listen({ port, host: '127.0.0.1' });
  const { port: bound } = app.server.address() as { port: number };
  const station = { url: `http://127.0.0.1:${bound}`, port: bound, received, authorizations, close: () => app.close() };
  stations.push(station);
  return station;
}

function track(client: GroveClient): GroveClient {
  clients.push(client);
  return client;
}

function socketClient(station: FakeStation, options: { token?: string; timeoutMs?: number } = {}): GroveClient {
  return track(
    createClient({
      url: station.url,
      transport: 'ws',
      WebSocket,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
      ...options,
    }),
  );
}

describe('client over HTTP', () => {
  it('sets and gets, with typed results', async () => {
    const station = await startStation();
    const client = track(createClient({ url: station.url }));
    expect(client.state).toBe('open');
    expect(await client.set('a/b', 42)).toEqual({ version: 1 });
    expect(await client.get<number>('a/b')).toBe(42);
    expect(station.received).toEqual([
      { jsonrpc: '2.0', method: 'tree.set', params: { path: 'a/b', value: 42 }, id: 1 },
      { jsonrpc: '2.0', method: 'tree.get', params: { path: 'a/b' }, id: 2 },
    ]);
  });

  it('rejects with a GroveRpcError carrying the code, data and a readable message', async () => {
    const client = track(createClient({ url: (await startStation()).url }));
    const error = await client.get('missing').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GroveRpcError);
    expect(error).toMatchObject({ code: RpcErrorCode.NotFound, data: { path: 'missing' }, method: 'tree.get' });
    expect((error as Error).message).toBe('tree.get failed: nothing at "missing" (NotFound -32001)');
  });

  it('sends the bearer token, and maps a 401 to the JSON-RPC error in its body', async () => {
    const station = await startStation({ token: 'secret' });
    const client = track(createClient({ url: station.url, token: 'secret' }));
    await client.set('x', 1);
    expect(station.authorizations).toEqual(['Bearer secret']);

    const anonymous = track(createClient({ url: station.url }));
    await expect(anonymous.get('x')).rejects.toMatchObject({ code: RpcErrorCode.Unauthenticated, method: 'tree.get' });
  });

  it('maps a 413 to the JSON-RPC error in its body', async () => {
    const client = track(createClient({ url: (await startStation()).url }));
    await expect(client.set('big', 'x'.repeat(10_000))).rejects.toMatchObject({
      code: RpcErrorCode.LimitExceeded,
      message: expect.stringContaining('too large'),
    });
  });

  it('sends a batch as one request and settles each call by its own answer', async () => {
    const station = await startStation();
    const client = track(createClient({ url: station.url }));
    let set!: Promise<unknown>, found!: Promise<unknown>, missing!: Promise<unknown>;
    const settled = await client.batch((batch) => {
      set = batch.set('a', 'A');
      found = batch.get('a');
      missing = batch.get('nowhere');
    });
    expect(station.received).toHaveLength(1);
    expect(station.received[0]).toHaveLength(3);
    await expect(set).resolves.toEqual({ version: 1 });
    await expect(found).resolves.toBe('A');
    await expect(missing).rejects.toMatchObject({ code: RpcErrorCode.NotFound });
    expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(await client.batch(() => {})).toEqual([]);
    expect(station.received).toHaveLength(1);
  });

  it('fails every call of a batch the station refused as a whole', async () => {
    const client = track(createClient({ url: (await startStation()).url }));
    const settled = await client.batch((batch) => ['a', 'b', 'c', 'd'].forEach((path) => batch.set(path, 1)));
    for (const result of settled) {
      expect(result).toMatchObject({ status: 'rejected', reason: { code: RpcErrorCode.LimitExceeded, method: 'tree.set' } });
    }
  });

  it('times out with an error naming the method and the timeout', async () => {
    const client = track(createClient({ url: (await startStation()).url, timeoutMs: 100 }));
    const error = await client.call('slow', { ms: 1000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GroveTimeoutError);
    expect((error as Error).message).toBe('slow timed out after 100 ms without an answer from the station');
  });

  it('sends notifications without an id and gets no answer', async () => {
    const station = await startStation();
    const client = track(createClient({ url: station.url }));
    await client.notify('tree.set', { path: 'n', value: 1 });
    expect(station.received).toEqual([{ jsonrpc: '2.0', method: 'tree.set', params: { path: 'n', value: 1 } }]);
    expect(await client.get('n')).toBe(1);
  });

  it('fails calls to a station that is not there with a connection error', async () => {
    const station = await startStation();
    await station.close();
    const client = track(createClient({ url: station.url }));
    await expect(client.get('a')).rejects.toBeInstanceOf(GroveConnectionError);
    await expect(client.subscribe('a', () => {})).rejects.toThrow(/WebSocket transport/);
  });
});

describe('client over WebSocket', () => {
  it('authenticates in-band first, then calls and batches over the one socket', async () => {
    const station = await startStation({ token: 'secret' });
    const client = socketClient(station, { token: 'secret' });
    expect(await client.set('a', 1)).toEqual({ version: 1 });
    const settled = await client.batch((batch) => {
      batch.get('a');
      batch.get('nowhere');
    });
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: { code: RpcErrorCode.NotFound } });
    expect(station.received[0]).toMatchObject({ jsonrpc: '2.0', method: 'auth', params: { token: 'secret' } });
    expect(station.received[2]).toHaveLength(2);
    expect(client.state).toBe('open');
  });

  it('fails the oldest unanswered message on an error without an id, as the station answers in order', async () => {
    const client = socketClient(await startStation());
    const first = client.batch((batch) => ['a', 'b', 'c', 'd'].forEach((path) => batch.set(path, 1)));
    const second = client.set('e', 2);
    for (const result of await first) {
      expect(result).toMatchObject({ status: 'rejected', reason: { code: RpcErrorCode.LimitExceeded } });
    }
    expect(await second).toEqual({ version: 1 });
  });

  it('sends notifications, and hands other station notifications to onNotification', async () => {
    const station = await startStation();
    const client = socketClient(station);
    const heard: unknown[] = [];
    client.onNotification((method, params) => heard.push({ method, params }));
    await client.notify('tree.set', { path: 'n', value: 1 });
    expect(await client.get('n')).toBe(1);
    await client.call('shout', { words: 'hi' });
    expect(heard).toEqual([{ method: 'station.shout', params: { words: 'hi' } }]);
    expect(station.received[0]).toEqual({ jsonrpc: '2.0', method: 'tree.set', params: { path: 'n', value: 1 } });
  });

  it('stops for good when the station refuses the token', async () => {
    const client = socketClient(await startStation({ token: 'secret' }), { token: 'wrong' });
    const states: ConnectionState[] = [];
    client.onStateChange((state) => states.push(state));
    await expect(client.get('a')).rejects.toMatchObject({ code: RpcErrorCode.Unauthenticated });
    expect(states).toEqual(['closed']);
    await expect(client.get('a')).rejects.toMatchObject({ code: RpcErrorCode.Unauthenticated });
  });

  it('times out, and fails calls in flight when closed', async () => {
    const client = socketClient(await startStation(), { timeoutMs: 100 });
    await expect(client.call('slow', { ms: 1000 })).rejects.toThrow('slow timed out after 100 ms');
    const inFlight = client.call('slow', { ms: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.close();
    await expect(inFlight).rejects.toThrow('slow: the client was closed');
    await expect(client.get('a')).rejects.toBeInstanceOf(GroveConnectionError);
    expect(client.state).toBe('closed');
  });

  it('delivers changes to subscribers by subscription id until they unsubscribe', async () => {
    const station = await startStation();
    const client = socketClient(station);
    const seen: TreeChange[] = [];
    const subscription = await client.subscribe('users', (change) => seen.push(change));
    expect(subscription.id).toBe('s1');
    expect(subscription.lastVersion).toBe(0);
    await client.set('users/ann', { age: 3 });
    await client.set('other', 1);
    await waitFor(() => seen.length === 1, 'the change');
    expect(seen[0]).toEqual({ subscription: 's1', version: 1, path: 'users/ann', op: 'set', value: { age: 3 }, origin: 'ws' });
    expect(subscription.lastVersion).toBe(1);

    await subscription.unsubscribe();
    await client.set('users/bob', 1);
    expect(station.received.at(-2)).toMatchObject({ method: 'tree.unsubscribe', params: { subscription: 's1' } });
    expect(seen).toHaveLength(1);
  });

  it('reconnects after a station restart, resubscribes from the last version seen, and misses nothing', async () => {
    const store = new FakeStore();
    let station = await startStation({ store, token: 'secret' });
    const client = socketClient(station, { token: 'secret' });
    const states: ConnectionState[] = [];
    client.onStateChange((state) => states.push(state));
    const seen: number[] = [];
    await client.subscribe('tree', (change) => seen.push(change.version));
    await client.set('tree/a', 1);
    await client.set('tree/b', 2);
    await waitFor(() => seen.length === 2, 'two changes');
    const inFlight = client.call('slow', { ms: 500 });

    await station.close();
    await expect(inFlight).rejects.toThrow(/^slow: the connection to .* was lost .* may or may not have been applied$/);
    store.write('tree/c', 3, 'elsewhere'); // written while this client was away
    const queued = client.get('tree/a'); // waits for the reconnect
    station = await startStation({ store, port: station.port, token: 'secret' });

    expect(await queued).toBe(1);
    await waitFor(() => seen.length === 3, 'the missed change');
    const [auth, resubscribe] = station.received as RpcCall[];
    expect(auth).toMatchObject({ method: 'auth', params: { token: 'secret' } });
    expect(resubscribe).toMatchObject({ method: 'tree.subscribe', params: { path: 'tree', since: 2 } });
    await client.set('tree/d', 4);
    await waitFor(() => seen.length === 4, 'a live change after the resubscribe');
    expect(seen).toEqual([1, 2, 3, 4]);
    // the first retries may find the station still starting
    expect(states[0]).toBe('open');
    expect(states.slice(1, 3)).toEqual(['disconnected', 'connecting']);
    expect(states.at(-1)).toBe('open');
  });

  it('tells the subscriber when the change log no longer reaches back to its last version', async () => {
    const store = new FakeStore();
    let station = await startStation({ store });
    const client = socketClient(station);
    const seen: number[] = [];
    const errors: Error[] = [];
    await client.subscribe('', (change) => seen.push(change.version), { onError: (error) => errors.push(error) });
    await client.set('a', 1);
    await waitFor(() => seen.length === 1, 'the first change');

    await station.close();
    store.write('b', 2, 'elsewhere');
    store.write('c', 3, 'elsewhere');
    store.trimThrough(2);
    station = await startStation({ store, port: station.port });

    await waitFor(() => errors.length === 1, 'the error');
    expect(errors[0]).toMatchObject({ code: RpcErrorCode.LimitExceeded, method: 'tree.subscribe' });
    await client.set('d', 4);
    expect(seen).toEqual([1]);
  });

  it('hands what a listener throws to onError', async () => {
    const client = socketClient(await startStation());
    const errors: Error[] = [];
    const failure = new Error('listener broke');
    await client.subscribe('', () => { throw failure; }, { onError: (error) => errors.push(error) });
    await client.set('a', 1);
    await waitFor(() => errors.length === 1, 'the error');
    expect(errors[0]).toBe(failure);
  });

  it('replays from a given version on the first subscribe too', async () => {
    const station = await startStation();
    const client = socketClient(station);
    await client.set('a', 1);
    await client.set('a', 2);
    const seen: TreeChange[] = [];
    const subscription = await client.subscribe('a', (change) => seen.push(change), { since: 1 });
    expect(seen).toMatchObject([{ version: 2, value: 2, oldValue: 1 }]);
    expect(subscription.lastVersion).toBe(2);
  });
});
