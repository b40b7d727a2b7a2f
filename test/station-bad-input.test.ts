// Bad input against a real station, over HTTP and WebSocket: every refusal has its exact
// code, nothing a refused call sent reaches the tree, and afterwards the station still answers.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Station } from '../src/station/server.js';
import { rpcRequest as request } from './helpers/requests.js';
import {
  type Caller,
  errorOf,
  httpCaller,
  openStation,
  post,
  type RpcReply,
  resultOf,
  WsClient,
  writeRules,
} from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const ParseError = ErrorCode.ParseError;
const InvalidRequest = ErrorCode.InvalidRequest;
const MethodNotFound = ErrorCode.MethodNotFound;
const InvalidParams = ErrorCode.InvalidParams;
const LimitExceeded = ErrorCode.LimitExceeded;
/** Every code a station may answer with; -32603 (internal error) is a bug and is not here. */
const EXPECTED_CODES: readonly number[] = [ParseError, InvalidRequest, MethodNotFound, InvalidParams, ErrorCode.NotFound, ErrorCode.TypeMismatch, ErrorCode.VersionConflict, ErrorCode.Forbidden, ErrorCode.LimitExceeded, ErrorCode.Unauthenticated];

const admin = 'admin-token-bad-input';
const reader = 'reader-token-bad-input';
const maxStringBytes = 1024;
const maxBodyBytes = 64 * 1024;

let station: Station;
let http: Caller;
let ws: WsClient;

beforeAll(async () => {
  station = await openStation({
    demo: true,
    tokens: [admin],
    rulesFile: writeRules({ tokens: { [reader]: { name: 'reader', read: [''] } } }),
    limits: { maxStringBytes, maxBodyBytes },
  });
  http = httpCaller(station.url, admin);
  ws = await WsClient.open(station.url, admin);
});

afterAll(async () => {
  await ws.close();
  await station.close();
});

/** The root's plain JSON, its content hash and the tree version. */
async function snapshot() {
  return {
    tree: resultOf(await http('tree.get', { path: '' })),
    hash: resultOf(await http('tree.hash', { path: '' })),
    version: resultOf(await http('station.info')).treeVersion,
  };
}

/** Runs `refusals` and checks that the tree is exactly as before them. */
async function leavesTreeAlone(refusals: () => Promise<void>): Promise<void> {
  const before = await snapshot();
  await refusals();
  expect(await snapshot()).toEqual(before);
}

/** Nests `levels` objects: nested(2) is { d: { d: 0 } }. */
function nested(levels: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < levels; i++) value = { d: value };
  return value;
}

const transports: Array<[string, () => Caller]> = [
  ['HTTP', () => http],
  ['WebSocket', () => ws.call],
];

describe('malformed JSON', () => {
  const bodies = ['', '{', '{"jsonrpc":"2.0","method":"tree.get"', '[', 'nul', '{"a":1}}', "{'jsonrpc':'2.0'}", '\u0000'];

  it('is a -32700 with id null over HTTP, including invalid UTF-8', async () => {
    for (const body of [...bodies, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])]) {
      const reply = await post(station.url, body, { token: admin });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ jsonrpc: '2.0', error: { code: ParseError, message: expect.stringMatching(/^Parse error: /) }, id: null });
    }
  });

  it('is a -32700 with id null over WebSocket', async () => {
    for (const body of bodies) {
      expect(await ws.exchange(body)).toEqual([
        { jsonrpc: '2.0', error: { code: ParseError, message: expect.stringMatching(/^Parse error: /) }, id: null },
      ]);
    }
  });

  it('refuses a body that is not JSON by its content type with HTTP 415', async () => {
    const reply = await post(station.url, '{"jsonrpc":"2.0","id":1,"method":"station.info"}', { token: admin, contentType: 'text/plain' });
    expect(reply.status).toBe(415);
    expect(reply.body.error.code).toBe(InvalidRequest);
  });
});

describe.each(transports)('wrong shapes over %s', (_, caller) => {
  const problems = async (method: string, params: unknown) => errorOf(await caller()(method, params), InvalidParams).data.errors;

  it('names each param of the wrong type', async () => {
    expect(await problems('tree.get', { path: 5 })).toEqual([{ param: 'path', problem: 'must be string' }]);
    expect(await problems('tree.get', { path: '', depth: -1, format: 'xml' })).toEqual([
      { param: 'depth', problem: 'must be >= 0' },
      { param: 'format', problem: 'must be one of "plain", "typed"' },
    ]);
    expect(await problems('tree.list', { path: '', offset: '1', limit: 1.5 })).toEqual([
      { param: 'offset', problem: 'must be integer' },
      { param: 'limit', problem: 'must be integer' },
    ]);
    expect(await problems('tree.set', { path: 'a' })).toEqual([{ param: 'value', problem: 'is required' }]);
    expect(await problems('tree.set', { path: 'a', value: 1, ifVersion: 'latest' })).toEqual([
      { param: 'ifVersion', problem: 'must be integer' },
    ]);
    expect(await problems('tree.find', { path: '', where: { member: 'a', op: '~', value: 1 } })).toEqual([
      { param: 'where.op', problem: 'must be one of "=", "!=", "<", ">", "<=", ">="' },
    ]);
    expect(await problems('tree.transact', { ops: 'all' })).toEqual([{ param: 'ops', problem: 'must be array' }]);
    expect(await problems('tree.transact', { ops: [{ method: 'tree.get', params: {} }] })).toEqual([
      {
        param: 'ops.0.method',
        problem: 'must be one of "tree.set", "tree.patch", "tree.add", "tree.delete", "tree.sort", "tree.increment", "tree.cas"',
      },
    ]);
  });

  it('takes params by name only', async () => {
    const error = errorOf(await caller()('tree.get', ['settings']), InvalidParams);
    expect(error.message).toContain('params are taken by name, not by position');
    // an empty list names nothing, like no params at all
    expect(resultOf(await caller()('station.info', [])).id).toBe(station.context.id);
  });

  it('answers an unknown method with -32601', async () => {
    for (const method of ['tree.nope', 'Tree.get', '', 'rpc.nope', 'tree.get ']) {
      const error = errorOf(await caller()(method, {}), MethodNotFound);
      expect(error.message).toBe(`Method not found: ${JSON.stringify(method)} (rpc.discover lists the methods)`);
    }
  });
});

describe('invalid requests', () => {
  it('refuses requests of the wrong shape with -32600, echoing a valid id', async () => {
    const cases: Array<[unknown, RpcReply['id']]> = [
      [{ jsonrpc: '2.0', id: 1, method: 'tree.get', params: 'settings' }, 1],
      [{ jsonrpc: '1.0', id: 2, method: 'station.info' }, 2],
      [{ jsonrpc: '2.0', id: 3, method: 7 }, 3],
      [{ jsonrpc: '2.0', id: { no: 1 }, method: 'station.info' }, null],
      [1, null],
      ['station.info', null],
    ];
    for (const [request, id] of cases) {
      const reply = await post(station.url, JSON.stringify(request), { token: admin });
      expect(reply.body).toEqual({ jsonrpc: '2.0', error: { code: InvalidRequest, message: expect.stringMatching(/^Invalid Request: /) }, id });
      expect(await ws.exchange(JSON.stringify(request))).toEqual([reply.body]);
    }
  });

  it('never answers a notification, not even for an unknown method', async () => {
    const notification = { jsonrpc: '2.0', method: 'tree.nope', params: {} };
    const reply = await post(station.url, notification, { token: admin });
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    expect(await ws.exchange(JSON.stringify(notification))).toEqual([]);
  });
});

describe('oversize requests', () => {
  it('refuses a body over maxBodyBytes with HTTP 413 and -32005', async () => {
    const request = (padding: number) => `{"jsonrpc":"2.0","id":1,"method":"station.info"${' '.repeat(padding)}}`;
    const fits = request(maxBodyBytes - request(0).length);
    expect(fits.length).toBe(maxBodyBytes);
    expect((await post(station.url, fits, { token: admin })).status).toBe(200);
    const reply = await post(station.url, request(maxBodyBytes - request(0).length + 1), { token: admin });
    expect(reply.status).toBe(413);
    expect(reply.body).toEqual({
      jsonrpc: '2.0',
      error: { code: LimitExceeded, message: expect.stringContaining('maxBodyBytes'), data: { limit: 'maxBodyBytes', max: maxBodyBytes } },
      id: null,
    });
  });

  it('closes a WebSocket that sends a message over maxBodyBytes with 1009', async () => {
    const client = await WsClient.open(station.url, admin);
    const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
    client.socket.send('x'.repeat(maxBodyBytes + 1));
    expect(await closed).toBe(1009);
    expect(resultOf(await ws.call('station.info')).id).toBe(station.context.id);
  });

  it('refuses a batch over 100 calls with -32005', async () => {
    const batch = Array.from({ length: 101 }, (_, id) => ({ jsonrpc: '2.0', id, method: 'station.info' }));
    const reply = await post(station.url, batch, { token: admin });
    expect(reply.body.error).toEqual({
      code: LimitExceeded,
      message: 'a batch of 101 calls is too large (limits.maxBatch is 100)',
      data: { limit: 'maxBatch', max: 100 },
    });
  });
});

describe.each(transports)('values and paths past the limits over %s, leaving the tree alone', (_, caller) => {
  const call = (method: string, params: unknown) => caller()(method, params);

  it('refuses params nested deeper than 64 with -32005', async () => {
    await leavesTreeAlone(async () => {
      const error = errorOf(await call('tree.set', { path: 'deep', value: nested(65) }), LimitExceeded);
      expect(error.data).toEqual({ limit: 'maxDepth', max: 64, path: 'deep' });
      errorOf(await call('tree.add', { path: 'deep', value: [nested(64)] }), LimitExceeded);
    });
  });

  it('refuses values whose nodes would lie deeper than 64 names', async () => {
    await leavesTreeAlone(async () => {
      const error = errorOf(await call('tree.set', { path: 'deep/er', value: nested(63) }), LimitExceeded);
      expect(error.message).toBe('the value written at "deep/er" makes nodes deeper than 64 names (maxPathDepth)');
      expect(error.data).toEqual({ path: 'deep/er' });
      errorOf(await call('tree.patch', { path: 'deep', value: { er: nested(63) } }), LimitExceeded);
      errorOf(await call('tree.add', { path: 'deep', value: nested(63) }), LimitExceeded);
      const typed = { name: 'x', type: 'list', children: [{ name: '', type: 'i64', value: 1 }] };
      errorOf(await call('tree.set', { path: Array(64).fill('t').join('/'), value: typed, format: 'typed' }), LimitExceeded);
    });
    // the deepest that fits, every node reachable by its path
    resultOf(await call('tree.set', { path: 'deep/er', value: nested(62) }));
    expect(resultOf(await call('tree.get', { path: ['deep', 'er', ...Array(62).fill('d')].join('/') }))).toBe(0);
    resultOf(await call('tree.delete', { path: 'deep' }));
  });

  it('refuses paths deeper than 64 names with -32005', async () => {
    const path = Array(65).fill('p').join('/');
    await leavesTreeAlone(async () => {
      const calls: Array<[string, object]> = [
        ['tree.get', { path }],
        ['tree.set', { path, value: 1 }],
        ['tree.delete', { path }],
        ['tree.list', { path }],
        ['tree.hash', { path }],
      ];
      for (const [method, params] of calls) {
        const error = errorOf(await call(method, params), LimitExceeded);
        expect(error.message).toContain('65 names deep; the limit (maxPathDepth) is 64');
        expect(error.data).toEqual({ path });
      }
      const op = { method: 'tree.set', params: { path, value: 1 } };
      errorOf(await call('tree.transact', { ops: [{ method: 'tree.set', params: { path: 'ok', value: 1 } }, op] }), LimitExceeded);
    });
    resultOf(await call('tree.set', { path: Array(64).fill('p').join('/'), value: 1 }));
    resultOf(await call('tree.delete', { path: 'p' }));
  });

  it('refuses strings over maxStringBytes anywhere in a value with -32005', async () => {
    const long = 'x'.repeat(maxStringBytes + 1);
    const wide = 'é'.repeat(maxStringBytes / 2 + 1); // 2 bytes each in UTF-8
    await leavesTreeAlone(async () => {
      const error = errorOf(await call('tree.set', { path: 's', value: long }), LimitExceeded);
      expect(error.message).toBe(`a string under "s" is longer than ${maxStringBytes} bytes (maxStringBytes)`);
      errorOf(await call('tree.set', { path: 's', value: { a: [1, { b: wide }] } }), LimitExceeded);
      errorOf(await call('tree.set', { path: 's', value: { name: 's', type: 'str', value: long }, format: 'typed' }), LimitExceeded);
      errorOf(await call('tree.add', { path: 's', value: long }), LimitExceeded);
      errorOf(await call('tree.patch', { path: 's', value: { a: wide } }), LimitExceeded);
      errorOf(await call('tree.cas', { path: 'about/name', expect: 'Grove demo station', value: long }), LimitExceeded);
      errorOf(await call('tree.transact', { ops: [{ method: 'tree.set', params: { path: 's', value: [long] } }] }), LimitExceeded);
    });
    resultOf(await call('tree.set', { path: 's', value: 'é'.repeat(maxStringBytes / 2) }));
    resultOf(await call('tree.delete', { path: 's' }));
  });
});

describe.each(transports)('invalid names over %s, leaving the tree alone', (_, caller) => {
  const call = (method: string, params: unknown) => caller()(method, params);
  const badNames = ['.', '..', 'a\u0000b', 'tab\there', 'bell\u0007', 'del\u007f', 'x'.repeat(256), 'é'.repeat(128)];

  it('refuses them in paths', async () => {
    await leavesTreeAlone(async () => {
      for (const name of [...badNames, '']) {
        for (const path of [`names/${name}/x`, `names/${name}`]) {
          errorOf(await call('tree.set', { path, value: 1 }), InvalidParams);
          errorOf(await call('tree.add', { path, value: 1 }), InvalidParams);
          errorOf(await call('tree.patch', { path, value: { a: 1 } }), InvalidParams);
        }
      }
      errorOf(await call('tree.set', { path: 'names//x', value: 1 }), InvalidParams);
      errorOf(await call('tree.set', { path: 'names/x/', value: 1 }), InvalidParams);
    });
  });

  it('refuses them, and "/", as keys of values, as added names and as patched members', async () => {
    await leavesTreeAlone(async () => {
      for (const name of [...badNames, '', 'a/b', '/']) {
        for (const value of [{ [name]: 1 }, { ok: 1, deeper: [{ [name]: 1 }] }]) {
          errorOf(await call('tree.set', { path: 'names', value }), InvalidParams);
          errorOf(await call('tree.set', { path: '', value }), InvalidParams);
          errorOf(await call('tree.patch', { path: 'names', value }), InvalidParams);
          errorOf(await call('tree.patch', { path: '', value }), InvalidParams);
          errorOf(await call('tree.add', { path: 'names', value }), InvalidParams);
        }
        if (name !== '') errorOf(await call('tree.add', { path: 'names', name, value: 1 }), InvalidParams);
        const typed = { name: 'names', type: 'object', children: [{ name, type: 'i64', value: 1 }] };
        errorOf(await call('tree.set', { path: 'names', value: typed, format: 'typed' }), InvalidParams);
      }
    });
  });

  it('accepts a name of 255 bytes, and any other UTF-8', async () => {
    const names = ['x'.repeat(255), 'é'.repeat(127) + 'x', '日本', '#1', 'a b', '-', '🌳'];
    resultOf(await call('tree.set', { path: 'names', value: Object.fromEntries(names.map((name) => [name, name])) }));
    for (const name of names) expect(resultOf(await call('tree.get', { path: `names/${name}` }))).toBe(name);
    resultOf(await call('tree.delete', { path: 'names' }));
  });
});

describe('bursts past the rate limit', () => {
  let limited: Station;
  beforeAll(async () => {
    limited = await openStation({ rateLimit: { max: 20, timeWindowMs: 1000 } });
  });
  afterAll(() => limited.close());
  const burst = () =>
    Promise.all(Array.from({ length: 30 }, (_, id) => post(limited.url, { jsonrpc: '2.0', id, method: 'station.info' })));

  it('answers HTTP 429 past max requests in the window, then serves again', async () => {
    const replies = await burst();
    expect(replies.filter((reply) => reply.status === 200)).toHaveLength(20);
    expect(replies.filter((reply) => reply.status === 429)).toHaveLength(10);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = await post(limited.url, { jsonrpc: '2.0', id: 1, method: 'station.info' });
    expect(after.status).toBe(200);
  });

  it('says -32005 in the 429 body, naming the limit, with the request\'s id and when to retry', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const replies = await burst();
    const refused = replies.findIndex((reply) => reply.status === 429);
    expect(replies[refused]!.body).toEqual({
      jsonrpc: '2.0',
      error: {
        code: LimitExceeded,
        message: expect.stringContaining('rate limit exceeded: at most 20 calls per 1000 ms from one client address'),
        data: { limit: 'rateLimit', max: 20, retryAfterMs: expect.any(Number) },
      },
      id: refused,
    });
    expect(Number(replies[refused]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('limits calls over a WebSocket too', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const client = await WsClient.open(limited.url);
    try {
      const replies = await Promise.all(Array.from({ length: 30 }, () => client.call('station.info')));
      expect(replies.filter((reply) => reply.error?.code === LimitExceeded).length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});

/**
 * What is wrong with a reply by JSON-RPC 2.0, or undefined: it must echo `id` and have
 * exactly one of result and error, the error with one of `codes` and a message. (Collected
 * rather than asserted one by one: thousands of expect() calls would dominate the run.)
 */
function problemWith(reply: unknown, id: unknown, codes = EXPECTED_CODES): string | undefined {
  const { jsonrpc, result, error, id: replyId } = (reply ?? {}) as RpcReply;
  const fine =
    jsonrpc === '2.0' &&
    replyId === id &&
    (result === undefined) !== (error === undefined) &&
    (error === undefined || (codes.includes(error.code) && typeof error.message === 'string' && error.message !== ''));
  return fine ? undefined : `${JSON.stringify(reply)} (expected id ${JSON.stringify(id)})`;
}

describe('random input', () => {
  it('answers 10,000 random byte strings with -32700 or -32600, and the tree stays as it was', async () => {
    const bodies = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 200 }), { numRuns: 10_000, seed: 4 });
    const problems: string[] = [];
    await leavesTreeAlone(async () => {
      // 16 callers at a time, each taking the next body when its last is answered
      let next = 0;
      const caller = async () => {
        for (let body = bodies[next++]; body !== undefined; body = bodies[next++]) {
          const reply = await post(station.url, body, { token: admin });
          const problem = reply.status === 200 ? problemWith(reply.body, null, [ParseError, InvalidRequest]) : `HTTP ${reply.status}`;
          if (problem !== undefined) problems.push(`${Buffer.from(body).toString('hex')}: ${problem}`);
        }
      };
      await Promise.all(Array.from({ length: 16 }, caller));
    });
    expect(problems).toEqual([]);
  });

  it('answers random text and random JSON values as JSON-RPC over WebSocket', async () => {
    const texts = fc.sample(fc.oneof(fc.string({ unit: 'binary', maxLength: 100 }), fc.json({ maxDepth: 4 })), { numRuns: 1000, seed: 5 });
    const problems: string[] = [];
    await leavesTreeAlone(async () => {
      for (const text of texts) {
        const replies = await ws.exchange(text);
        // only a batch of notifications goes unanswered, and no random value is one
        if (replies.length !== 1) problems.push(`${text}: ${replies.length} replies`);
        for (const reply of replies.flat()) {
          const problem = problemWith(reply, reply?.id ?? null);
          if (problem !== undefined) problems.push(`${text}: ${problem}`);
        }
      }
    });
    expect(problems).toEqual([]);
  });

  /** Sends `sent` and describes what is wrong with what came back, or undefined. */
  async function exchange(sent: { id?: unknown; jsonrpc?: unknown; params?: unknown }, send: (text: string) => Promise<unknown[]>) {
    const answered = (await send(JSON.stringify(sent))).filter((reply) => reply !== undefined);
    const { params } = sent;
    const wellShaped = sent.jsonrpc === '2.0' && (params === undefined || (params !== null && typeof params === 'object'));
    // a well-shaped notification is never answered; anything else is, once
    if (sent.id === undefined && wellShaped) return answered.length === 0 ? undefined : `${answered.length} replies`;
    if (answered.length !== 1) return `${answered.length} replies`;
    return problemWith(answered[0], sent.id ?? null);
  }

  it('answers random JSON-RPC requests from a read-only caller without an internal error, and nothing changes', async () => {
    const requests = fc.sample(request, { numRuns: 2000, seed: 6 });
    const client = await WsClient.open(station.url, reader);
    const overHttp = async (text: string) => [(await post(station.url, text, { token: reader })).body];
    const problems: string[] = [];
    try {
      await leavesTreeAlone(async () => {
        for (const [i, sent] of requests.entries()) {
          const problem = await exchange(sent, i % 3 === 0 ? overHttp : (text) => client.exchange(text));
          if (problem !== undefined) problems.push(`${JSON.stringify(sent)}: ${problem}`);
        }
      });
    } finally {
      await client.close();
    }
    expect(problems).toEqual([]);
    expect(resultOf(await http('station.info')).id).toBe(station.context.id);
  });

  it('answers random JSON-RPC requests from a writer without an internal error, and the tree stays whole', async () => {
    const writable = await openStation({ demo: true });
    const client = await WsClient.open(writable.url);
    const problems: string[] = [];
    try {
      for (const sent of fc.sample(request, { numRuns: 2000, seed: 7 })) {
        const problem = await exchange(sent, (text) => client.exchange(text));
        if (problem !== undefined) problems.push(`${JSON.stringify(sent)}: ${problem}`);
      }
      expect(problems).toEqual([]);
    // whatever was written, the tree exports and re-imports to the same content
      const call = client.call;
      const typed = resultOf(await call('tree.get', { path: '', format: 'typed' }));
      const hash = resultOf(await call('tree.hash', { path: '' }));
      resultOf(await call('tree.set', { path: '', value: typed, format: 'typed' }));
      expect(resultOf(await call('tree.hash', { path: '' }))).toBe(hash);
    } finally {
      await client.close();
      await writable.close();
    }
  });
});

describe('afterwards', () => {
  it('the station still answers station.info', async () => {
    const info = resultOf(await http('station.info'));
    expect(info.id).toBe(station.context.id);
    expect(resultOf(await ws.call('station.info')).treeVersion).toBe(info.treeVersion);
  });
});
