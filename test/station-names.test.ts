// One rule for names and paths, applied to reads and writes alike (DESIGN "The node"): a name
// is valid UTF-8, so a string with an unpaired surrogate names nothing (it is refused, never
// read as U+FFFD, which would make "n\udc00x" and "n\ufffdx" one node); it holds no C0 or C1
// control character; and a path is read the same way everywhere ("//a" is refused by reads as
// by writes). /events reads its bearer token as /rpc does. Over HTTP, WebSocket, SSE and the
// local API.
import { get, type IncomingMessage } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GroveError, Tree } from '../src/index.js';
import type { Station } from '../src/station/server.js';
import { type Caller, errorOf, httpCaller, openStation, resultOf, WsClient } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const INVALID_PARAMS = ErrorCode.InvalidParams;

let station: Station;
let socket: WsClient;
beforeAll(async () => {
  station = await openStation();
  socket = await WsClient.open(station.url);
});
afterAll(async () => {
  await socket.close();
  await station.close();
});

const transports: Array<[string, () => Caller]> = [
  ['HTTP', () => httpCaller(station.url)],
  ['WebSocket', () => socket.call],
];

/** Every read of a path, and every write at one, as calls. */
const reads = (path: string): Array<[string, object]> => [
  ['tree.get', { path }],
  ['tree.list', { path }],
  ['tree.find', { path }],
  ['tree.hash', { path }],
  ['tree.subscribe', { path }],
];
const writes = (path: string): Array<[string, object]> => [
  ['tree.set', { path, value: 1 }],
  ['tree.add', { path, value: 1 }],
  ['tree.patch', { path, value: { a: 1 } }],
  ['tree.delete', { path }],
  ['tree.increment', { path }],
  ['tree.transact', { ops: [{ method: 'tree.set', params: { path, value: 1 } }] }],
];

/** GET /events: its status and, when refused, its JSON body. */
function events(query: string, headers: Record<string, string> = {}): Promise<{ status: number; body?: any }> {
  return new Promise((resolve, reject) => {
    get(`${station.url}/events${query}`, { headers }, async (response: IncomingMessage) => {
      if (response.statusCode === 200) {
        response.destroy();
        return resolve({ status: 200 });
      }
      let text = '';
      for await (const chunk of response) text += chunk;
      resolve({ status: response.statusCode!, body: JSON.parse(text) });
    }).on('error', reject);
  });
}

describe.each(transports)('names over %s', (_, caller) => {
  const call = (method: string, params: object) => caller()(method, params);

  it('refuses a name with an unpaired surrogate on every read and write, so "n\\udc00x" never finds "n\\ufffdx"', async () => {
    resultOf(await call('tree.set', { path: 'uni/n\ufffdx', value: 'replacement' }));
    for (const lone of ['n\udc00x', 'n\ud800', '\udfff', 'a\ud83d']) {
      for (const [method, params] of [...reads(`uni/${lone}`), ...writes(`uni/${lone}`)]) {
        const error = errorOf(await call(method, params), INVALID_PARAMS);
        expect(error.message, method).toContain('unpaired surrogate');
        expect(error.data, method).toEqual({ param: method === 'tree.transact' ? 'params.ops.0.params.path' : 'params.path' });
      }
      // as a key of a value, an added name, a patched member, a typed node's name
      errorOf(await call('tree.set', { path: 'uni/v', value: { ok: 1, [lone]: 1 } }), INVALID_PARAMS);
      errorOf(await call('tree.add', { path: 'uni', name: lone, value: 1 }), INVALID_PARAMS);
      errorOf(await call('tree.patch', { path: 'uni', value: { [lone]: 1 } }), INVALID_PARAMS);
      errorOf(await call('tree.set', { path: 'uni/t', value: { name: 't', type: 'object', children: [{ name: lone, type: 'i64', value: 1 }] }, format: 'typed' }), INVALID_PARAMS);
      // nor may a string value hold one: it would change silently
      errorOf(await call('tree.set', { path: 'uni/s', value: `text ${lone}` }), INVALID_PARAMS);
    }
    expect(station.tree.get('uni')).toEqual({ 'n\ufffdx': 'replacement' });
    resultOf(await call('tree.delete', { path: 'uni' }));
  });

  it('refuses C1 control characters (U+0080 to U+009F) in names on every read and write, as C0 ones', async () => {
    for (const control of ['\u0080', '\u0085', '\u009f', '\u0000', '\u001f', '\u007f']) {
      const name = `n${control}x`;
      for (const [method, params] of [...reads(`c1/${name}`), ...writes(`c1/${name}`)]) {
        const error = errorOf(await call(method, params), INVALID_PARAMS);
        expect(error.message, `${method} ${JSON.stringify(name)}`).toMatch(/control character/);
      }
      errorOf(await call('tree.set', { path: 'c1', value: { [name]: 1 } }), INVALID_PARAMS);
      errorOf(await call('tree.add', { path: 'c1', name, value: 1 }), INVALID_PARAMS);
      errorOf(await call('tree.patch', { path: 'c1', value: { [name]: 1 } }), INVALID_PARAMS);
      errorOf(await call('tree.set', { path: 'c1', value: { name: 'c1', type: 'object', children: [{ name, type: 'i64', value: 1 }] }, format: 'typed' }), INVALID_PARAMS);
    }
    expect(station.tree.tryNode('c1')).toBeUndefined();
    // U+00A0 (no-break space), the first code point after them, is a name like any other
    resultOf(await call('tree.set', { path: 'c1/n\u00a0x', value: 1 }));
    expect(resultOf(await call('tree.get', { path: 'c1/n\u00a0x' }))).toBe(1);
    resultOf(await call('tree.delete', { path: 'c1' }));
  });

  it('reads every path as writes do: "//a", "a//b", "a/", "." and ".." are refused by both, one leading "/" is ignored by both', async () => {
    resultOf(await call('tree.set', { path: 'paths/a', value: 1 }));
    for (const path of ['//paths/a', 'paths//a', 'paths/a/', 'paths/./a', 'paths/../paths/a', '//', '/paths//a']) {
      for (const [method, params] of [...reads(path), ...writes(path)]) {
        errorOf(await call(method, params), INVALID_PARAMS);
      }
    }
    expect(resultOf(await call('tree.get', { path: '/paths/a' }))).toBe(1);
    resultOf(await call('tree.set', { path: '/paths/b', value: 2 }));
    expect(station.tree.get('paths')).toEqual({ a: 1, b: 2 });
    resultOf(await call('tree.delete', { path: 'paths' }));
  });
});

describe('names on GET /events', () => {
  it('follows the same rule: unpaired surrogates, C1 controls and empty names are refused with -32602', async () => {
    for (const path of ['n%ED%B0%80x', '%ED%A0%80', 'n%FFx']) {
      // a lone surrogate cannot even be percent-encoded as UTF-8: the query is refused, not read as its text
      const refused = await events(`?path=${path}`);
      expect(refused.status, path).toBe(400);
      expect(refused.body.error.code, path).toBe(INVALID_PARAMS);
      expect(refused.body.error.message).toContain('not valid percent-encoded UTF-8');
    }
    for (const path of ['n%C2%85x', 'a%C2%80', '%2F%2Fa', 'a%2F%2Fb', 'a%2F']) {
      const refused = await events(`?path=${path}`);
      expect(refused.status, path).toBe(400);
      expect(refused.body.error.code, path).toBe(INVALID_PARAMS);
    }
    expect((await events('?path=%2Fa')).status).toBe(200);
  });
});

describe('the bearer token on GET /events', () => {
  let guarded: Station;
  beforeAll(async () => {
    guarded = await openStation({ tokens: ['sse-token'] });
  });
  afterAll(() => guarded.close());

  const streamStatus = (authorization: string) =>
    new Promise<number>((resolve, reject) =>
      get(`${guarded.url}/events?path=`, { headers: { authorization } }, (response) => {
        response.destroy();
        resolve(response.statusCode!);
      }).on('error', reject),
    );
  const rpcStatus = async (authorization: string) => {
    const reply = await fetch(`${guarded.url}/rpc`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tree.get', params: { path: '' } }),
    });
    return reply.status;
  };

  it('is read as /rpc reads it: the scheme in any case, spaces around the token', async () => {
    for (const authorization of ['Bearer sse-token', 'bearer sse-token', 'BEARER  sse-token', 'Bearer sse-token ']) {
      expect(await rpcStatus(authorization), authorization).toBe(200);
      expect(await streamStatus(authorization), authorization).toBe(200);
    }
    for (const authorization of ['Basic c3NlLXRva2Vu', 'Bearer', 'Bearersse-token', 'Bearer sse-token x']) {
      expect(await rpcStatus(authorization), authorization).toBe(401);
      expect(await streamStatus(authorization), authorization).toBe(401);
    }
  });
});

describe('names through the local API', () => {
  it('refuses unpaired surrogates in paths, names, keys and string values, instead of writing U+FFFD', () => {
    const tree = Tree.create();
    try {
      const refused = (write: () => unknown) => {
        expect(write).toThrow(GroveError);
        expect(write).toThrow(/unpaired surrogate/);
      };
      refused(() => tree.set('n\udc00x', 1));
      refused(() => tree.set('a', { ok: 1, 'k\ud800': 1 }));
      refused(() => tree.set('a', 'text \udfff'));
      refused(() => tree.root.add('\udc00', 'i64'));
      refused(() => tree.value('x\ud800'));
      refused(() => tree.tryNode('x\ud800'));
      tree.set('n\ufffdx', 1);
      refused(() => tree.value('n\udc00x'));
      expect(tree.get('')).toEqual({ 'n\ufffdx': 1 });
    } finally {
      tree.close();
    }
  });

  it('refuses C1 control characters in names', () => {
    const tree = Tree.create();
    try {
      for (const name of ['n\u0085x', '\u0080', 'a\u009f']) {
        expect(() => tree.set(name, 1)).toThrow(/C1 control character U\+00[89][0-9A-F]/);
        expect(() => tree.root.add(name, 'i64')).toThrow(GroveError);
        expect(() => tree.set('a', { [name]: 1 })).toThrow(GroveError);
        expect(() => tree.value(name)).toThrow(/C1 control character/);
        expect(() => tree.importJSON('', JSON.stringify({ [name]: 1 }), { format: 'plain' })).toThrow(/control character/);
      }
      tree.set('n\u00a0x', 1);
      expect(tree.value('n\u00a0x')).toBe(1);
    } finally {
      tree.close();
    }
  });
});
