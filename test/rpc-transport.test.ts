// JSON-RPC over real HTTP and a real WebSocket: the spec's examples, transport rules, bad input.
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RpcContext, createRpcEngine, defineMethod, rpcServer } from '../src/rpc/index.js';
import { ErrorCode } from '../src/wire/errors.js';

const numbers = { type: 'array', items: { type: 'number' } };
const calls = { update: [] as unknown[], hello: [] as unknown[], closed: [] as string[] };

// the spec's section 7 methods, taking their params by name
const methods = [
  defineMethod<{ minuend: number; subtrahend: number }, number>({
    name: 'subtract',
    summary: 'minuend - subtrahend',
    params: {
      type: 'object',
      properties: { minuend: { type: 'number' }, subtrahend: { type: 'number' } },
      required: ['minuend', 'subtrahend'],
      additionalProperties: false,
    },
    result: { type: 'number' },
    handler: ({ minuend, subtrahend }) => minuend - subtrahend,
  }),
  defineMethod<{ values: number[] }, number>({
    name: 'sum',
    summary: 'The sum of values.',
    params: { type: 'object', properties: { values: numbers }, required: ['values'], additionalProperties: false },
    result: { type: 'number' },
    handler: ({ values }) => values.reduce((a, b) => a + b, 0),
  }),
  defineMethod<{ values: number[] }, null>({
    name: 'update',
    summary: 'Records values.',
    params: { type: 'object', properties: { values: numbers }, required: ['values'] },
    result: { type: 'null' },
    handler: ({ values }) => (calls.update.push(values), null),
  }),
  defineMethod<{ value: number }, null>({
    name: 'notify_hello',
    summary: 'Records a greeting.',
    params: { type: 'object', properties: { value: { type: 'number' } }, required: ['value'] },
    result: { type: 'null' },
    handler: ({ value }) => (calls.hello.push(value), null),
  }),
  defineMethod<object, unknown[]>({
    name: 'get_data',
    summary: 'Constant data.',
    params: { type: 'object', additionalProperties: false },
    result: { type: 'array' },
    handler: () => ['hello', 5],
  }),
  defineMethod<{ count: number }, number>({
    name: 'push',
    summary: 'Sends count notifications to the caller.',
    params: { type: 'object', properties: { count: { type: 'integer', maximum: 100 } }, required: ['count'] },
    result: { type: 'integer' },
    handler: ({ count }, context) => {
      for (let n = 0; n < count; n++) context.notify?.('tree.changed', { path: 'a', n });
      return count;
    },
  }),
  defineMethod<object, object>({
    name: 'whoami',
    summary: 'The caller as the engine sees it.',
    params: { type: 'object' },
    result: { type: 'object' },
    handler: (_, { transport, connectionId, token, notify, onClose }: RpcContext) => {
      onClose?.(() => calls.closed.push(connectionId));
      return { transport, connectionId, token: token ?? null, canNotify: notify !== undefined };
    },
  }),
  defineMethod<object, string>({
    name: 'guarded',
    summary: 'Needs the token "secret".',
    params: { type: 'object' },
    result: { type: 'string' },
    handler: (_, { token }) => {
      if (token === 'secret') return 'in';
      throw Object.assign(new Error('a valid bearer token is required'), { code: 'UNAUTHENTICATED' });
    },
  }),
];

let app: FastifyInstance;
let http: string;
let ws: string;

beforeAll(async () => {
  app = Fastify();
  await app.register(rpcServer, { engine: createRpcEngine({ info: { title: 'test', version: '1' }, methods }) });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  http = `${address}/rpc`;
  ws = `${address.replace('http', 'ws')}/ws`;
});

afterAll(() => app.close());

function post(body: BodyInit, headers: Record<string, string> = {}) {
  return fetch(http, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

/** A WebSocket client that reads replies in order. */
class WsClient {
  readonly #inbox: string[] = [];
  readonly #waiting: Array<(message: string) => void> = [];
  #sentinels = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(data.toString());
      else this.#inbox.push(data.toString());
    });
  }

  static open(url = ws, headers: Record<string, string> = {}): Promise<WsClient> {
    const socket = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('error', reject);
    });
  }

  next(): Promise<string> {
    const queued = this.#inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no WebSocket message within 5 s')), 5000);
      this.#waiting.push((message) => (clearTimeout(timer), resolve(message)));
    });
  }

  /**
   * Sends raw and returns what came back for it: the server answers messages in order, so
   * everything before the reply to a following sentinel call belongs to raw.
   */
  async exchange(raw: string | Buffer, options: { binary?: boolean } = {}): Promise<unknown[]> {
    const sentinel = `sentinel-${++this.#sentinels}`;
    this.socket.send(raw, { binary: options.binary ?? false });
    this.socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'get_data', id: sentinel }));
    const replies: unknown[] = [];
    for (;;) {
      const reply = JSON.parse(await this.next());
      if (reply.id === sentinel) return replies;
      replies.push(reply);
    }
  }

  closed(): Promise<{ code: number; reason: string }> {
    return new Promise((resolve) =>
      this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }
}

type Send = (raw: string) => Promise<unknown>;

/** Sends one body or message; resolves to the parsed reply, or undefined when none came. */
function transports(): Array<[string, () => Promise<{ send: Send; close: () => void }>]> {
  return [
    [
      'HTTP',
      async () => ({
        send: async (raw) => {
          const response = await post(raw);
          if (response.status === 204) {
            expect(await response.text()).toBe('');
            return undefined;
          }
          expect(response.status).toBe(200);
          expect(response.headers.get('content-type')).toMatch(/^application\/json/);
          return response.json();
        },
        close: () => undefined,
      }),
    ],
    [
      'WebSocket',
      async () => {
        const client = await WsClient.open();
        return {
          send: async (raw) => {
            const replies = await client.exchange(raw);
            expect(replies.length).toBeLessThanOrEqual(1);
            return replies[0];
          },
          close: () => client.socket.close(),
        };
      },
    ],
  ];
}

describe.each(transports())('JSON-RPC 2.0 specification, section 7, over %s', (_, open) => {
  let send: Send;
  let close: () => void;
  beforeAll(async () => ({ send, close } = await open()));
  afterAll(() => close());

  it('rpc call with positional parameters: refused by design with -32602, params are by name', async () => {
    const reply = await send('{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}');
    expect(reply).toMatchObject({ jsonrpc: '2.0', error: { code: ErrorCode.InvalidParams }, id: 1 });
    expect((reply as { error: { message: string } }).error.message).toBe(
      'Invalid params for subtract: params are taken by name, not by position; send an object with "minuend", "subtrahend"',
    );
  });

  it('rpc call with positional parameters, adapted to named ones', async () => {
    expect(
      await send('{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 1}'),
    ).toEqual({ jsonrpc: '2.0', result: 19, id: 1 });
    expect(
      await send('{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 23, "subtrahend": 42}, "id": 2}'),
    ).toEqual({ jsonrpc: '2.0', result: -19, id: 2 });
  });

  it('rpc call with named parameters', async () => {
    expect(
      await send('{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}'),
    ).toEqual({ jsonrpc: '2.0', result: 19, id: 3 });
    expect(
      await send('{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}'),
    ).toEqual({ jsonrpc: '2.0', result: 19, id: 4 });
  });

  it('a notification', async () => {
    const before = calls.update.length;
    expect(await send('{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}')).toBeUndefined();
    expect(await send('{"jsonrpc": "2.0", "method": "update", "params": {"values": [1,2,3,4,5]}}')).toBeUndefined();
    expect(await send('{"jsonrpc": "2.0", "method": "foobar"}')).toBeUndefined();
    // the positional one failed silently, the named one ran
    expect(calls.update.slice(before)).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('rpc call of non-existent method', async () => {
    expect(await send('{"jsonrpc": "2.0", "method": "foobar", "id": "1"}')).toEqual({
      jsonrpc: '2.0',
      error: { code: ErrorCode.MethodNotFound, message: 'Method not found: "foobar" (rpc.discover lists the methods)' },
      id: '1',
    });
  });

  it('rpc call with invalid JSON', async () => {
    expect(await send('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')).toMatchObject({
      jsonrpc: '2.0',
      error: { code: ErrorCode.ParseError, message: expect.stringMatching(/^Parse error: /) },
      id: null,
    });
  });

  it('rpc call with invalid Request object', async () => {
    expect(await send('{"jsonrpc": "2.0", "method": 1, "params": "bar"}')).toEqual({
      jsonrpc: '2.0',
      error: { code: ErrorCode.InvalidRequest, message: 'Invalid Request: "method" must be a string, got number 1' },
      id: null,
    });
  });

  it('rpc call Batch, invalid JSON', async () => {
    const raw = `[
      {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
      {"jsonrpc": "2.0", "method"
    ]`;
    expect(await send(raw)).toMatchObject({ jsonrpc: '2.0', error: { code: ErrorCode.ParseError }, id: null });
  });

  it('rpc call with an empty Array: one error object, not a list', async () => {
    expect(await send('[]')).toEqual({
      jsonrpc: '2.0',
      error: { code: ErrorCode.InvalidRequest, message: 'Invalid Request: a batch must not be empty' },
      id: null,
    });
  });

  it('rpc call with an invalid Batch (but not empty)', async () => {
    expect(await send('[1]')).toEqual([
      {
        jsonrpc: '2.0',
        error: { code: ErrorCode.InvalidRequest, message: 'Invalid Request: expected a request object, got number 1' },
        id: null,
      },
    ]);
  });

  it('rpc call with invalid Batch', async () => {
    const replies = (await send('[1,2,3]')) as unknown[];
    expect(replies).toHaveLength(3);
    for (const reply of replies) expect(reply).toMatchObject({ jsonrpc: '2.0', error: { code: ErrorCode.InvalidRequest }, id: null });
  });

  it('rpc call Batch, adapted to named params', async () => {
    const before = calls.hello.length;
    const raw = `[
      {"jsonrpc": "2.0", "method": "sum", "params": {"values": [1,2,4]}, "id": "1"},
      {"jsonrpc": "2.0", "method": "notify_hello", "params": {"value": 7}},
      {"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": "2"},
      {"foo": "boo"},
      {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
      {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]`;
    expect(await send(raw)).toEqual([
      { jsonrpc: '2.0', result: 7, id: '1' },
      { jsonrpc: '2.0', result: 19, id: '2' },
      {
        jsonrpc: '2.0',
        error: { code: ErrorCode.InvalidRequest, message: 'Invalid Request: "jsonrpc" must be exactly "2.0"' },
        id: null,
      },
      {
        jsonrpc: '2.0',
        error: { code: ErrorCode.MethodNotFound, message: 'Method not found: "foo.get" (rpc.discover lists the methods)' },
        id: '5',
      },
      { jsonrpc: '2.0', result: ['hello', 5], id: '9' },
    ]);
    expect(calls.hello.slice(before)).toEqual([7]);
  });

  it('rpc call Batch as the spec writes it: positional params are -32602 per item', async () => {
    const raw = `[
      {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
      {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
      {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
      {"foo": "boo"},
      {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
      {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]`;
    const replies = (await send(raw)) as Array<{ id: unknown; error?: { code: number } }>;
    expect(replies.map((r) => [r.id, r.error?.code])).toEqual([
      ['1', ErrorCode.InvalidParams],
      ['2', ErrorCode.InvalidParams],
      [null, ErrorCode.InvalidRequest],
      ['5', ErrorCode.MethodNotFound],
      ['9', undefined],
    ]);
  });

  it('rpc call Batch (all notifications)', async () => {
    const raw = `[
      {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
      {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
    ]`;
    expect(await send(raw)).toBeUndefined();
  });
});

describe('HTTP transport', () => {
  it('answers 413 with a JSON-RPC error naming the limit for a body over 1 MiB', async () => {
    const response = await post(
      JSON.stringify({ jsonrpc: '2.0', method: 'sum', params: { x: 'y'.repeat(1 << 20) }, id: 1 }),
    );
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      jsonrpc: '2.0',
      error: {
        code: ErrorCode.LimitExceeded,
        message: 'the request body is too large (limits.maxBodyBytes is 1048576)',
        data: { limit: 'maxBodyBytes', max: 1048576 },
      },
      id: null,
    });
  });

  it('accepts a body of exactly 1 MiB', async () => {
    const head = '{"jsonrpc":"2.0","method":"get_data","id":1,"pad":"';
    const body = head + 'x'.repeat((1 << 20) - head.length - 2) + '"}';
    expect(Buffer.byteLength(body)).toBe(1 << 20);
    expect((await post(body)).status).toBe(200);
  });

  it('answers 415 in JSON-RPC for a body that is not declared JSON', async () => {
    const response = await post('{}', { 'content-type': 'text/plain' });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({
      error: { code: ErrorCode.InvalidRequest, message: expect.stringMatching(/application\/json/) },
    });
  });

  it('takes application/json with a charset, and application/json-rpc', async () => {
    const raw = '{"jsonrpc":"2.0","method":"get_data","id":1}';
    expect((await post(raw, { 'content-type': 'application/json; charset=utf-8' })).status).toBe(200);
    expect((await post(raw, { 'content-type': 'application/json-rpc' })).status).toBe(200);
  });

  it('answers an empty body with -32700', async () => {
    const response = await post('');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ error: { code: ErrorCode.ParseError }, id: null });
  });

  it('passes the bearer token, and answers a lone -32006 with 401', async () => {
    const raw = '{"jsonrpc":"2.0","method":"guarded","id":1}';
    const refused = await post(raw);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect(await refused.json()).toMatchObject({
      error: { code: ErrorCode.Unauthenticated, message: 'a valid bearer token is required' },
    });
    expect(await (await post(raw, { authorization: 'Bearer secret' })).json()).toMatchObject({ result: 'in' });
    // in a batch the other calls' answers matter too, so the status stays 200
    expect((await post(`[${raw}]`)).status).toBe(200);
  });

  it('gives each request its own context, without notifications or close hooks', async () => {
    const ask = async () => (await (await post('{"jsonrpc":"2.0","method":"whoami","id":1}')).json()).result;
    const [a, b] = [await ask(), await ask()];
    expect(a).toMatchObject({ transport: 'http', token: null, canNotify: false });
    expect(a.connectionId).not.toBe(b.connectionId);
  });
});

describe('WebSocket transport', () => {
  it('lets a method push notifications to its caller, before its reply', async () => {
    const client = await WsClient.open();
    const replies = await client.exchange('{"jsonrpc":"2.0","method":"push","params":{"count":3},"id":1}');
    expect(replies).toEqual([
      { jsonrpc: '2.0', method: 'tree.changed', params: { path: 'a', n: 0 } },
      { jsonrpc: '2.0', method: 'tree.changed', params: { path: 'a', n: 1 } },
      { jsonrpc: '2.0', method: 'tree.changed', params: { path: 'a', n: 2 } },
      { jsonrpc: '2.0', result: 3, id: 1 },
    ]);
    client.socket.close();
  });

  it('keeps one context per connection, with the upgrade request bearer token, and runs close hooks', async () => {
    const client = await WsClient.open(ws, { authorization: 'Bearer secret' });
    const [first] = (await client.exchange('{"jsonrpc":"2.0","method":"whoami","id":1}')) as Array<{ result: any }>;
    const [second] = (await client.exchange('{"jsonrpc":"2.0","method":"whoami","id":2}')) as Array<{ result: any }>;
    expect(first!.result).toMatchObject({ transport: 'ws', token: 'secret', canNotify: true });
    expect(second!.result.connectionId).toBe(first!.result.connectionId);
    expect(calls.closed).not.toContain(first!.result.connectionId);
    client.socket.close();
    await client.closed();
    await expect.poll(() => calls.closed.filter((id) => id === first!.result.connectionId)).toHaveLength(2);
  });

  it('answers in order, so calls can be pipelined, also past the point where it stops reading', async () => {
    const client = await WsClient.open();
    for (let id = 0; id < 500; id++)
      client.socket.send(`{"jsonrpc":"2.0","method":"sum","params":{"values":[${id}]},"id":${id}}`);
    for (let id = 0; id < 500; id++)
      expect(JSON.parse(await client.next())).toEqual({ jsonrpc: '2.0', result: id, id });
    client.socket.close();
  });

  it('refuses a binary frame with -32600 and keeps the connection', async () => {
    const client = await WsClient.open();
    expect(
      await client.exchange(Buffer.from('{"jsonrpc":"2.0","method":"get_data","id":1}'), { binary: true }),
    ).toEqual([
      {
        jsonrpc: '2.0',
        error: {
          code: ErrorCode.InvalidRequest,
          message: 'Invalid Request: binary frames are not supported; send JSON-RPC as text frames',
        },
        id: null,
      },
    ]);
    client.socket.close();
  });

  it('closes with 1009 on a message over 1 MiB', async () => {
    const client = await WsClient.open();
    const closed = client.closed();
    client.socket.send('x'.repeat((1 << 20) + 1));
    expect(await closed).toEqual({ code: 1009, reason: '' });
  });

  it('closes with 1007 on a text frame that is not UTF-8, as WebSocket requires', async () => {
    const client = await WsClient.open();
    const closed = client.closed();
    client.socket.send(Buffer.from([0x7b, 0xff, 0x7d]), { binary: false });
    expect((await closed).code).toBe(1007);
  });
});

describe('bad input', () => {
  const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it.each([
    [
      'a wrong param type',
      '{"jsonrpc":"2.0","method":"subtract","params":{"minuend":"42","subtrahend":23},"id":1}',
      ErrorCode.InvalidParams,
    ],
    ['a missing param', '{"jsonrpc":"2.0","method":"subtract","params":{"minuend":42},"id":1}', ErrorCode.InvalidParams],
    ['an unknown param', '{"jsonrpc":"2.0","method":"get_data","params":{"x":1},"id":1}', ErrorCode.InvalidParams],
    ['an unknown method', '{"jsonrpc":"2.0","method":"tree.nope","id":1}', ErrorCode.MethodNotFound],
    ['a value 65 deep', `{"jsonrpc":"2.0","method":"sum","params":{"values":${deep(65)}},"id":1}`, ErrorCode.LimitExceeded],
    ['a value 400,000 deep', `{"jsonrpc":"2.0","method":"sum","params":{"values":${deep(400_000)}},"id":1}`, ErrorCode.LimitExceeded],
    ['a batch of 101', `[${Array(101).fill('{"jsonrpc":"2.0","method":"get_data","id":1}').join(',')}]`, ErrorCode.LimitExceeded],
  ])('answers %s with the right code over both transports', async (_, raw, code) => {
    const client = await WsClient.open();
    const replies = [await (await post(raw)).json(), ...(await client.exchange(raw))];
    client.socket.close();
    expect(replies).toHaveLength(2);
    for (const reply of replies) expect(reply).toMatchObject({ jsonrpc: '2.0', error: { code } });
  });

  it('survives 2,000 random byte strings and 1,000 random JSON values, then still answers', async () => {
    const client = await WsClient.open();
    const both = async (raw: BodyInit, text: string) => {
      const [viaHttp, viaWs] = await Promise.all([post(raw).then(reply), client.exchange(text)]);
      for (const answer of [viaHttp, ...viaWs]) expectWellFormed(answer);
    };
    // a WebSocket text frame must be UTF-8, so there the bytes go as characters
    const bytes = fc.sample(fc.uint8Array({ maxLength: 300 }), { numRuns: 2000, seed: 4 });
    for (const raw of bytes) await both(new Uint8Array(raw), Buffer.from(raw).toString('latin1'));
    const values = fc.sample(jsonRpcish, { numRuns: 1000, seed: 4 });
    for (const value of values) await both(JSON.stringify(value), JSON.stringify(value));
    client.socket.close();
    const alive = '{"jsonrpc":"2.0","method":"subtract","params":{"minuend":42,"subtrahend":23},"id":1}';
    expect(await (await post(alive)).json()).toEqual({ jsonrpc: '2.0', result: 19, id: 1 });
    const again = await WsClient.open();
    expect(await again.exchange(alive)).toEqual([{ jsonrpc: '2.0', result: 19, id: 1 }]);
    again.socket.close();
  });
});

/** Values shaped like requests often enough to reach params validation and the handlers. */
const anyJson = fc.jsonValue({ maxDepth: 3 });
const requestish = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), anyJson),
    method: fc.oneof(fc.constantFrom('subtract', 'sum', 'update', 'notify_hello', 'get_data', 'nope'), anyJson),
    params: fc.oneof(fc.dictionary(fc.constantFrom('minuend', 'subtrahend', 'values', 'value', 'x'), anyJson), anyJson),
    id: fc.oneof(fc.string(), fc.integer(), fc.constant(null), anyJson),
  },
  { requiredKeys: [] },
);
const jsonRpcish = fc.oneof(anyJson, requestish, fc.array(fc.oneof(requestish, anyJson), { maxLength: 5 }));

async function reply(response: Response): Promise<unknown> {
  expect([200, 204]).toContain(response.status);
  return response.status === 204 ? undefined : response.json();
}

/** A JSON-RPC 2.0 response or a list of them, and never an internal error. */
function expectWellFormed(reply: unknown): void {
  if (reply === undefined) return;
  for (const item of Array.isArray(reply) ? reply : [reply]) {
    expect(Object.keys(item).sort()).toEqual(
      'error' in item ? ['error', 'id', 'jsonrpc'] : ['id', 'jsonrpc', 'result'],
    );
    expect(item.jsonrpc).toBe('2.0');
    expect(item.id === null || ['string', 'number'].includes(typeof item.id)).toBe(true);
    if ('error' in item) {
      expect(Number.isInteger(item.error.code) && item.error.code !== ErrorCode.InternalError).toBe(true);
      expect(typeof item.error.message).toBe('string');
    }
  }
}
