// Numbers at the boundary (DESIGN "Limits": integers are kept exactly or refused), over HTTP
// and WebSocket: integer literals at ±2^53±1, ±2^63, 2^64−1 and beyond reach the tree exactly
// (as i64 or u64) or are refused with -32602 naming them, never rounded; reals a 64-bit float
// cannot hold (1e400, 1e-400) are refused; request ids come back exactly as they were sent.
import * as secp from '@noble/secp256k1';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { signWrite } from '../src/auth/index.js';
import type { Station } from '../src/station/server.js';
import { openStation, post, WsClient, writeRules } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const INVALID_PARAMS = ErrorCode.InvalidParams;

const I64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;

let station: Station;
let socket: WsClient;
// an owned subtree, to sign a write holding a big integer
const ownerKey = secp.utils.randomSecretKey();
const ownerPublic = secp.etc.bytesToHex(secp.getPublicKey(ownerKey));

beforeAll(async () => {
  station = await openStation({ rulesFile: writeRules({ owners: { signed: ownerPublic } }) });
  socket = await WsClient.open(station.url);
});
afterAll(async () => {
  await socket.close();
  await station.close();
});

/** Sends a raw JSON-RPC text over HTTP or the WebSocket and returns the raw answer's text. */
async function send(transport: 'http' | 'ws', text: string): Promise<string> {
  if (transport === 'http') return (await post(station.url, text)).text;
  const [reply] = await socket.exchangeRaw(text);
  return reply!;
}

const setText = (path: string, literal: string, extra = '') =>
  `{"jsonrpc":"2.0","id":1,"method":"tree.set","params":{"path":"${path}","value":${literal}${extra}}}`;

/** The node at `path` as the tree holds it: type and value, exact. */
function stored(path: string): { type: string; value: unknown } | undefined {
  const node = station.tree.tryNode(path);
  if (node === undefined) return undefined;
  try {
    return { type: node.type, value: node.value };
  } finally {
    node.release();
  }
}

/** The value of a list's item by index (items are named "#<id>"). */
function item(path: string, index: number): unknown {
  const list = station.tree.node(path);
  const child = list.child(index)!;
  try {
    return child.value;
  } finally {
    child.release();
    list.release();
  }
}

const edges: Array<[literal: string, type: string, value: number | bigint]> = [
  ['9007199254740991', 'i64', 2 ** 53 - 1],
  ['9007199254740992', 'i64', 2 ** 53],
  ['9007199254740993', 'i64', 2n ** 53n + 1n],
  ['9007199254740994', 'i64', 2n ** 53n + 2n],
  ['-9007199254740993', 'i64', -(2n ** 53n) - 1n],
  ['-9007199254740992', 'i64', -(2 ** 53)],
  ['9223372036854775807', 'i64', 2n ** 63n - 1n],
  ['9223372036854775808', 'u64', 2n ** 63n],
  ['-9223372036854775808', 'i64', I64_MIN],
  ['18446744073709551615', 'u64', U64_MAX],
];

describe.each(['http', 'ws'] as const)('integer literals over %s', (transport) => {
  it('keeps every integer at the edges (±2^53±1, ±2^63, 2^64−1) exactly, as i64 or u64', async () => {
    for (const [literal, type, value] of edges) {
      const path = `ints/${transport}/${literal}`;
      expect(JSON.parse(await send(transport, setText(path, literal))).result, literal).toHaveProperty('version');
      const node = stored(path);
      expect(node?.type, literal).toBe(type);
      // a number where it is exact, a bigint beyond 2^53: the same integer either way
      expect(BigInt(node!.value as number | bigint), literal).toBe(BigInt(value));
      // and it reads back as the same digits
      const typed = JSON.parse(await send(transport, `{"jsonrpc":"2.0","id":2,"method":"tree.get","params":{"path":"${path}","format":"typed"}}`));
      expect(String(typed.result.value), literal).toBe(literal);
    }
  });

  it.each(['18446744073709551616', '-9223372036854775809', '123456789012345678901234567890', `1${'0'.repeat(400)}`])(
    'refuses %s with -32602 naming it and the param, and writes nothing',
    async (literal) => {
      const path = `refused/${transport}/${literal.length}`;
      const reply = JSON.parse(await send(transport, setText(path, literal)));
      expect(reply.id).toBe(1);
      expect(reply.error.code).toBe(INVALID_PARAMS);
      expect(reply.error.message).toContain('"params.value" is the integer');
      expect(reply.error.message).toContain(literal.length > 40 ? literal.slice(0, 20) : literal);
      expect(reply.error.message).toContain('does not fit 64 bits');
      expect(reply.error.data).toEqual({ param: 'params.value' });
      expect(stored(path)).toBeUndefined();
    },
  );

  it('keeps big integers exact inside objects, lists, patches, transactions and typed types', async () => {
    const base = `deep/${transport}`;
    const call = async (method: string, params: string) =>
      JSON.parse(await send(transport, `{"jsonrpc":"2.0","id":"x","method":"${method}","params":${params}}`));
    expect((await call('tree.set', `{"path":"${base}/o","value":{"a":{"b":[9007199254740993,-9223372036854775808]}}}`)).result).toBeDefined();
    expect((await call('tree.patch', `{"path":"${base}/o","value":{"u":18446744073709551615}}`)).result).toBeDefined();
    expect((await call('tree.set', `{"path":"${base}/t","value":18446744073709551615,"type":"u64"}`)).result).toBeDefined();
    const transact = `{"ops":[{"method":"tree.set","params":{"path":"${base}/x","value":9007199254740995}},{"method":"tree.cas","params":{"path":"${base}/x","expect":9007199254740995,"value":9007199254740997}}]}`;
    expect((await call('tree.transact', transact)).result).toBeDefined();
    expect((await call('tree.add', `{"path":"${base}/l","name":"n","value":-9007199254740995}`)).result).toBeDefined();
    expect(item(`${base}/o/a/b`, 0)).toBe(2n ** 53n + 1n);
    expect(item(`${base}/o/a/b`, 1)).toBe(I64_MIN);
    expect(stored(`${base}/o/u`)).toEqual({ type: 'u64', value: U64_MAX });
    expect(stored(`${base}/t`)).toEqual({ type: 'u64', value: U64_MAX });
    expect(station.tree.value(`${base}/x`)).toBe(9007199254740997n);
    expect(station.tree.value(`${base}/l/n`)).toBe(-9007199254740995n);
    // a type that cannot hold it exactly refuses it rather than round it
    expect((await call('tree.set', `{"path":"${base}/f","value":9007199254740993,"type":"f64"}`)).error.code).toBe(ErrorCode.TypeMismatch);
    expect((await call('tree.set', `{"path":"${base}/f","value":9223372036854775808,"type":"i64"}`)).error.code).toBe(ErrorCode.TypeMismatch);
    expect(stored(`${base}/f`)).toBeUndefined();
  });

  it('refuses reals a 64-bit float cannot hold, and keeps the rest as JSON.parse reads them', async () => {
    for (const literal of ['1e400', '-1e400', '1.5e309', '1e-400', '-2.5e-330']) {
      const reply = JSON.parse(await send(transport, setText(`reals/${transport}/bad`, literal)));
      expect(reply.error?.code, literal).toBe(INVALID_PARAMS);
      expect(reply.error.message).toContain(`"params.value" is the number ${literal}`);
    }
    expect(stored(`reals/${transport}/bad`)).toBeUndefined();
    for (const literal of ['0.1', '-0.0', '1e308', '5e-324', '2.5E-3', '0e5', '1.7976931348623157e308']) {
      const path = `reals/${transport}/${literal}`;
      expect(JSON.parse(await send(transport, setText(path, literal))).result, literal).toBeDefined();
      // (a real that is an integer becomes an i64, as plain JSON import makes it)
      expect(Number(station.tree.value(path)) === JSON.parse(literal), literal).toBe(true);
    }
  });

  it('echoes every request id exactly as it was written', async () => {
    for (const id of ['1e400', '9007199254740993', '18446744073709551616', '1.50', '-0', '1E2', '0.1', '7', '-12', '"text"', 'null', '123456789012345678901234567890']) {
      const answer = await send(transport, `{"jsonrpc":"2.0","id":${id},"method":"tree.get","params":{"path":"ints"}}`);
      expect(answer, id).toMatch(new RegExp(`,"id":${id.replace(/[.+]/g, '\\$&')}}$`));
      // also when the call itself is refused for a number it carries
      const refused = await send(transport, `{"jsonrpc":"2.0","id":${id},"method":"tree.set","params":{"path":"x","value":1e400}}`);
      expect(refused, id).toMatch(new RegExp(`"code":-32602.*,"id":${id.replace(/[.+]/g, '\\$&')}}$`));
    }
  });
});

describe('a batch', () => {
  it('refuses only the call that holds an unrepresentable number, each answer with its id', async () => {
    const text = `[${setText('batch/a', '1')},${setText('batch/b', '1e400').replace('"id":1', '"id":9007199254740993')},${setText('batch/c', '18446744073709551615').replace('"id":1', '"id":3')}]`;
    const answer = await send('http', text);
    expect(answer).toContain('"id":9007199254740993}');
    const replies = JSON.parse(answer);
    expect(replies.map((reply: { error?: { code: number } }) => reply.error?.code)).toEqual([undefined, INVALID_PARAMS, undefined]);
    expect(stored('batch/a')).toEqual({ type: 'i64', value: 1 });
    expect(stored('batch/b')).toBeUndefined();
    expect(stored('batch/c')).toEqual({ type: 'u64', value: U64_MAX });
  });
});

describe('a signed write holding an integer past 2^53', () => {
  it('verifies: the signature covers the integer as its digits', async () => {
    const params = signWrite(ownerKey, 'tree.set', { path: 'signed/big', value: U64_MAX }, 1);
    // sent as the literal the signer signed (JSON.stringify cannot write a bigint)
    const text = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tree.set', params: { ...params, value: '__BIG__' } }).replace('"__BIG__"', String(U64_MAX));
    const reply = JSON.parse(await send('http', text));
    expect(reply.error).toBeUndefined();
    expect(stored('signed/big')).toEqual({ type: 'u64', value: U64_MAX });
  });
});

describe('property: any 64-bit integer literal', () => {
  it('is stored exactly through /rpc; any beyond is refused and nothing is written', async () => {
    const inRange = fc.bigInt({ min: I64_MIN, max: U64_MAX });
    const beyond = fc.oneof(fc.bigInt({ min: U64_MAX + 1n, max: 2n ** 200n }), fc.bigInt({ min: -(2n ** 200n), max: I64_MIN - 1n }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(inRange, beyond), async (integer) => {
        const path = `property/${integer < 0n ? 'm' : 'p'}${integer < 0n ? -integer : integer}`;
        const reply = JSON.parse((await post(station.url, setText(path, String(integer)))).text);
        if (integer >= I64_MIN && integer <= U64_MAX) {
          expect(reply.error).toBeUndefined();
          expect(BigInt(station.tree.value(path) as number | bigint)).toBe(integer);
        } else {
          expect(reply.error.code).toBe(INVALID_PARAMS);
          expect(stored(path)).toBeUndefined();
        }
      }),
      { numRuns: 300 },
    );
  });
});
