// Auth end to end against a real station over HTTP and WebSocket: bearer tokens, in-band
// auth, read-only tokens, per-path rules from a rules file, and a subtree owned by a
// secp256k1 key whose writes must be signed with fresh nonces.
import * as secp from '@noble/secp256k1';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, GroveRpcError } from '../src/client/index.js';
import { signWrite } from '../src/auth/index.js';
import type { Station } from '../src/station/server.js';
import { type Caller, errorOf, httpCaller, openStation, post, resultOf, WsClient, writeRules } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const InvalidParams = ErrorCode.InvalidParams;
const Forbidden = ErrorCode.Forbidden;
const Unauthenticated = ErrorCode.Unauthenticated;

const admin = 'admin-token-station-auth';
const reader = 'reader-token-station-auth';
const alice = 'alice-token-station-auth';

const ownerKey = new Uint8Array(32).fill(7);
const otherKey = new Uint8Array(32).fill(9);

let station: Station;

beforeAll(async () => {
  station = await openStation({
    demo: true,
    tokens: [admin],
    rulesFile: writeRules({
      tokens: {
        [reader]: { name: 'reader', read: [''] },
        [alice]: { name: 'alice', read: ['users'], write: ['users/alice'] },
      },
      owners: { 'owned/vault': secp.etc.bytesToHex(secp.getPublicKey(ownerKey)) },
    }),
  });
  // the local API, which no token or signature guards
  station.tree.set('owned', { vault: { gold: 1 }, open: 1 });
  station.tree.set('users/alice', { age: 30 });
});

afterAll(() => station.close());

/** The root's plain JSON, its content hash and the tree version, read as the admin. */
async function snapshot() {
  const call = httpCaller(station.url, admin);
  return {
    tree: resultOf(await call('tree.get', { path: '' })),
    hash: resultOf(await call('tree.hash', { path: '' })),
    version: resultOf(await call('station.info')).treeVersion,
  };
}

const writes: Array<[string, object]> = [
  ['tree.set', { path: 'settings/volume', value: 1 }],
  ['tree.patch', { path: 'settings', value: { volume: 1 } }],
  ['tree.add', { path: 'users', value: { name: 'eve' } }],
  ['tree.delete', { path: 'settings/volume' }],
  ['tree.sort', { path: 'users', member: 'age' }],
  ['tree.increment', { path: 'settings/volume' }],
  ['tree.cas', { path: 'settings/volume', expect: 70, value: 1 }],
  ['tree.transact', { ops: [{ method: 'tree.set', params: { path: 'settings/volume', value: 1 } }] }],
  ['node.invoke', { path: 'counters/visits', method: 'add', args: { by: 1 } }],
];
const reads: Array<[string, object]> = [
  ['tree.get', { path: 'settings' }],
  ['tree.list', { path: 'users' }],
  ['tree.find', { path: 'users', where: { member: 'age', op: '>', value: 40 } }],
  ['tree.hash', { path: 'settings' }],
  ['station.info', {}],
];

describe('without a valid token', () => {
  it('answers every method over HTTP with 401 and -32006', async () => {
    const before = await snapshot();
    for (const token of [undefined, 'wrong-token', `${admin}x`]) {
      for (const [method, params] of [...reads, ...writes]) {
        const reply = await post(station.url, { jsonrpc: '2.0', id: 7, method, params }, { token });
        expect(reply.status, `${method} with ${token}`).toBe(401);
        expect(reply.headers['www-authenticate']).toBe('Bearer');
        expect(reply.body.id).toBe(7);
        const { message } = errorOf(reply.body, Unauthenticated);
        expect(message).toContain(token === undefined ? 'this station requires a token' : 'unknown token');
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a token sent any other way than Bearer', async () => {
    for (const authorization of [`Basic ${admin}`, 'Bearer', `Token ${admin}`, admin]) {
      const response = await fetch(`${station.url}/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'station.info' }),
      });
      expect(response.status, authorization).toBe(401);
      expect((await response.json()).error.code).toBe(Unauthenticated);
    }
  });

  it('answers every method over WebSocket with -32006, until an auth call succeeds', async () => {
    const client = await WsClient.open(station.url);
    try {
      for (const [method, params] of [...reads, ...writes]) errorOf(await client.call(method, params), Unauthenticated);
      const wrong = errorOf(await client.call('auth', { token: 'wrong-token' }), Unauthenticated);
      expect(wrong.message).toContain('unknown token');
      errorOf(await client.call('tree.get', { path: 'settings/volume' }), Unauthenticated);
      // the answer says what the token may do, so that a page can start where it may read
      expect(resultOf(await client.call('auth', { token: reader }))).toEqual({ name: 'reader', read: [''], write: [], info: true });
      expect(resultOf(await client.call('tree.get', { path: 'settings/volume' }))).toBe(70);
      errorOf(await client.call('tree.set', { path: 'settings/volume', value: 1 }), Forbidden);
    } finally {
      await client.close();
    }
  });

  it('takes the bearer token of the WebSocket upgrade request', async () => {
    const client = await WsClient.open(station.url, admin);
    try {
      expect(resultOf(await client.call('tree.get', { path: 'settings/volume' }))).toBe(70);
      // a failed auth call leaves the connection as it was
      errorOf(await client.call('auth', { token: 'wrong-token' }), Unauthenticated);
      expect(resultOf(await client.call('tree.get', { path: 'settings/volume' }))).toBe(70);
    } finally {
      await client.close();
    }
  });

  it('makes the client reject with the error, on both transports', async () => {
    for (const transport of ['http', 'ws'] as const) {
      const client = createClient({ url: station.url, transport, token: 'wrong-token', WebSocket: WebSocket as never, timeoutMs: 5000 });
      try {
        const error = await client.get('settings').catch((err: unknown) => err);
        expect(error, transport).toBeInstanceOf(GroveRpcError);
        expect((error as GroveRpcError).code).toBe(Unauthenticated);
      } finally {
        client.close();
      }
    }
  });
});

describe.each([
  ['HTTP', async () => ({ call: httpCaller(station.url, reader), close: async () => undefined })],
  [
    'WebSocket',
    async () => {
      const client = await WsClient.open(station.url, reader);
      return { call: client.call, close: () => client.close() };
    },
  ],
])('a read-only token over %s', (_, connect) => {
  let call: Caller;
  let close: () => Promise<void>;
  beforeAll(async () => ({ call, close } = await connect()));
  afterAll(() => close());

  it('reads anything', async () => {
    for (const [method, params] of reads) resultOf(await call(method, params));
  });

  it('writes nothing: -32004 naming the token, and the tree stays as it was', async () => {
    const before = await snapshot();
    for (const [method, params] of writes) {
      const error = errorOf(await call(method, params), Forbidden);
      expect(error.message, method).toMatch(/^token "reader" may not write "[^"]*": it has no write access$/);
      expect(error.data.path).toBe((params as { path?: string }).path ?? 'settings/volume');
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('path rules from a rules file', () => {
  const call = (method: string, params: unknown) => httpCaller(station.url, alice)(method, params);

  it('lets a token read only under its read prefixes', async () => {
    expect(resultOf(await call('tree.get', { path: 'users/alice' }))).toEqual({ age: 30 });
    expect(resultOf(await call('tree.list', { path: 'users' })).total).toBeGreaterThan(0);
    for (const path of ['settings', '', 'owned', 'usersx']) {
      const error = errorOf(await call('tree.get', { path }), Forbidden);
      expect(error.message).toBe(`token "alice" may not read "${path}": it may read "users", "users/alice"`);
      expect(error.data).toEqual({ path });
    }
    errorOf(await call('tree.hash', { path: '' }), Forbidden);
    errorOf(await call('tree.find', { path: 'settings' }), Forbidden);
  });

  it('lets a token write only under its write prefixes, whole names only', async () => {
    const before = await snapshot();
    for (const [method, params] of [
      ['tree.set', { path: 'users/bob', value: 1 }],
      ['tree.set', { path: 'users/alicex', value: 1 }],
      ['tree.delete', { path: 'users' }],
      ['tree.sort', { path: 'users', member: 'age' }],
      ['tree.add', { path: 'users', value: 1, name: 'alice' }],
      ['tree.set', { path: 'settings/volume', value: 1 }],
    ] as const) {
      const error = errorOf(await call(method, params), Forbidden);
      expect(error.message).toBe(`token "alice" may not write "${params.path}": it may write "users/alice"`);
    }
    // one op outside the prefixes refuses the whole transaction
    const ops = [
      { method: 'tree.set', params: { path: 'users/alice/age', value: 31 } },
      { method: 'tree.set', params: { path: 'users/bob', value: 1 } },
    ];
    errorOf(await call('tree.transact', { ops }), Forbidden);
    expect(await snapshot()).toEqual(before);

    resultOf(await call('tree.set', { path: 'users/alice/age', value: 31 }));
    resultOf(await call('tree.transact', { ops: [ops[0], { method: 'tree.add', params: { path: 'users/alice/pets', value: 'cat' } }] }));
    expect(resultOf(await call('tree.get', { path: 'users/alice/age' }))).toBe(31);
    expect(Object.values(resultOf(await call('tree.get', { path: 'users/alice/pets' })))).toEqual(['cat']);
  });

  it('checks subscriptions against the read prefixes', async () => {
    const client = await WsClient.open(station.url, alice);
    try {
      resultOf(await client.call('tree.subscribe', { path: 'users/alice' }));
      errorOf(await client.call('tree.subscribe', { path: 'settings' }), Forbidden);
    } finally {
      await client.close();
    }
  });
});

describe('a subtree owned by a secp256k1 key', () => {
  const call = (method: string, params: unknown) => httpCaller(station.url, admin)(method, params);
  let nonce = 1000;

  it('refuses an unsigned write inside it, or at an ancestor that would replace it', async () => {
    const before = await snapshot();
    for (const [method, params] of [
      ['tree.set', { path: 'owned/vault/gold', value: 2 }],
      ['tree.increment', { path: 'owned/vault/gold' }],
      ['tree.delete', { path: 'owned' }],
      ['tree.set', { path: '', value: {} }],
      ['tree.patch', { path: 'owned', value: { vault: 0 } }],
      ['tree.transact', { ops: [{ method: 'tree.set', params: { path: 'owned/vault/gold', value: 2 } }] }],
    ] as const) {
      const error = errorOf(await call(method, params), Forbidden);
      expect(error.message, method).toMatch(/^missing signature: tree\.\w+ reaches "owned\/vault", owned by a secp256k1 key/);
    }
    expect(await snapshot()).toEqual(before);
    // what cannot replace it needs no signature
    resultOf(await call('tree.set', { path: 'owned/open', value: 2 }));
    resultOf(await call('tree.sort', { path: 'owned', member: 'gold' }));
  });

  it('accepts a write signed by the owner, over HTTP and WebSocket', async () => {
    const signed = signWrite(ownerKey, 'tree.set', { path: 'owned/vault/gold', value: 5 }, ++nonce);
    resultOf(await call('tree.set', signed));
    expect(resultOf(await call('tree.get', { path: 'owned/vault/gold' }))).toBe(5);
    const client = await WsClient.open(station.url, admin);
    try {
      const increment = signWrite(ownerKey, 'tree.increment', { path: 'owned/vault/gold', by: 2 }, ++nonce);
      expect(resultOf(await client.call('tree.increment', increment))).toBe(7);
    } finally {
      await client.close();
    }
  });

  it('refuses a bad signature: another key, other params, another method', async () => {
    const before = await snapshot();
    const params = { path: 'owned/vault/gold', value: 9 };
    const byOther = signWrite(otherKey, 'tree.set', params, ++nonce);
    const tampered = { ...signWrite(ownerKey, 'tree.set', params, ++nonce), value: 10 };
    const forDelete = signWrite(ownerKey, 'tree.delete', { path: 'owned/vault/gold' }, ++nonce);
    for (const [method, sent] of [['tree.set', byOther], ['tree.set', tampered], ['tree.set', { ...forDelete, value: 9 }]] as const) {
      const error = errorOf(await call(method, sent), Forbidden);
      expect(error.message).toMatch(/^bad signature: it does not verify against the key owning "owned\/vault"/);
    }
    const malformed = errorOf(await call('tree.set', { ...params, signature: { nonce: ++nonce, sig: 'zz' } }), InvalidParams);
    expect(malformed.message).toContain('params.signature must be { nonce: a positive integer, sig: 128 hex digits');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a replayed nonce, and any nonce not above the last accepted', async () => {
    const signed = signWrite(ownerKey, 'tree.set', { path: 'owned/vault/gold', value: 11 }, ++nonce);
    resultOf(await call('tree.set', signed));
    const before = await snapshot();
    const replayed = errorOf(await call('tree.set', signed), Forbidden);
    expect(replayed.message).toBe(
      `replayed nonce: ${nonce} is not greater than ${nonce}, the last accepted for the owner of "owned/vault"; ` +
        'sign again with a larger nonce (a timestamp or counter)',
    );
    const older = signWrite(ownerKey, 'tree.set', { path: 'owned/vault/gold', value: 12 }, nonce - 1);
    errorOf(await call('tree.set', older), Forbidden);
    // a replay on another connection and transport is the same replay
    const client = await WsClient.open(station.url, admin);
    try {
      errorOf(await client.call('tree.set', signed), Forbidden);
    } finally {
      await client.close();
    }
    expect(await snapshot()).toEqual(before);
  });

  it('accepts one signature over a whole tree.transact, and refuses it replayed', async () => {
    const params = {
      ops: [
        { method: 'tree.set', params: { path: 'owned/vault/gold', value: 20 } },
        { method: 'tree.set', params: { path: 'owned/vault/silver', value: 3 } },
        { method: 'tree.set', params: { path: 'owned/open', value: 0 } },
      ],
    };
    const signed = signWrite(ownerKey, 'tree.transact', params, ++nonce);
    resultOf(await call('tree.transact', signed));
    expect(resultOf(await call('tree.get', { path: 'owned' }))).toEqual({ vault: { gold: 20, silver: 3 }, open: 0 });
    errorOf(await call('tree.transact', signed), Forbidden);
    // a signature over one op does not cover a transaction of it
    const one = signWrite(ownerKey, 'tree.set', params.ops[0]!.params, ++nonce);
    errorOf(await call('tree.transact', { ops: [params.ops[0]], signature: one.signature }), Forbidden);
  });

  it('still needs the token: a signature is not authentication', async () => {
    const signed = signWrite(ownerKey, 'tree.set', { path: 'owned/vault/gold', value: 30 }, ++nonce);
    errorOf(await httpCaller(station.url, reader)('tree.set', signed), Forbidden);
    errorOf(await httpCaller(station.url)('tree.set', signed), Unauthenticated);
    // refused before the signature was checked, so its nonce is still fresh
    resultOf(await call('tree.set', signed));
  });
});
