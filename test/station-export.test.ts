// GET /export: a subtree streamed as JSON text, the same text tree.get answers (the core's
// exporter in one call), for trees small and large, plain and typed; errors as JSON-RPC
// error objects with an HTTP status.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Station, startStation } from '../src/station/server.js';
import type { TreeValue } from '../src/types.js';
import { ErrorCode } from '../src/wire/errors.js';

let station: Station;
let guarded: Station;

beforeAll(async () => {
  station = await startStation({ port: 0, stationId: 'export' });
  guarded = await startStation({ port: 0, tokens: ['s3cret'] });
});

afterAll(async () => {
  await station?.close();
  await guarded?.close();
});

/** The nodes a plain value makes (itself and everything under it). */
function nodesIn(value: unknown): number {
  if (value === null || typeof value !== 'object') return 1;
  return 1 + Object.values(value).reduce<number>((sum, item) => sum + nodesIn(item), 0);
}

async function exported(path: string, format?: 'plain' | 'typed', on = station, token?: string) {
  const query = new URLSearchParams({ path, ...(format === undefined ? {} : { format }) });
  const response = await fetch(`${on.url}/export?${query}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: response.status, nodes: response.headers.get('x-grove-nodes'), text: await response.text() };
}

describe('GET /export', () => {
  it('writes what tree.get writes, plain and typed, for large trees written in pieces', async () => {
    const tree = station.tree;
    tree.set('big', {
      list: Array.from({ length: 9000 }, (_, i) => ({ i, name: `item ${i}`, nested: [i, { deep: i % 3 === 0 }] })),
      map: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`key ${i}`, { n: i }])),
      small: { a: 1 },
    });
    // a name twice in one object: plain JSON writes only the first
    tree.node('big/map').add('key 1', 'str', 'the second').release();
    tree.set('big/typed/u64', 2n ** 64n - 1n, 'u64');
    tree.set('big/typed/vec', [1, 2, 3], 'vec3');
    tree.set('big/typed/counter', {}, 0x10000001);
    for (const format of ['plain', 'typed'] as const) {
      const { status, nodes, text } = await exported('big', format);
      expect(status).toBe(200);
      expect(Number(nodes)).toBe(tree.node('big').size);
      expect(text).toBe(tree.exportJSON('big', format));
    }
    expect((await exported('', 'typed')).text).toBe(tree.exportJSON('', 'typed'));
    expect((await exported('big/list')).text).toBe(tree.exportJSON('big/list', 'typed'));
  });

  it('writes any tree as tree.get does', async () => {
    const leaf = fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.string(), fc.boolean(), fc.constant(null));
    const { value: trees } = fc.letrec<{ value: TreeValue }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('value'), { maxLength: 6 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }).filter((k) => !k.includes('/') && k !== '.' && k !== '..' && !/[\x00-\x1f\x7f]/.test(k)), tie('value'), { maxKeys: 6 }),
      ),
    }));
    await fc.assert(
      fc.asyncProperty(fc.array(trees, { minLength: 1, maxLength: 4 }), async (values) => {
        // copies enough to pass the walk's whole-node limit (4096), so that it writes their
        // parents a child at a time; about 5,000 nodes whatever the values' size, so that
        // the runs take about the same time (a fixed count made some of them huge)
        const copies = Math.max(2, Math.ceil(5000 / nodesIn(values)));
        station.tree.set('random', { copies: Array(copies).fill(values), values });
        for (const format of ['plain', 'typed'] as const) {
          expect((await exported('random', format)).text).toBe(station.tree.exportJSON('random', format));
        }
      }),
      { numRuns: 25 },
    );
  });

  it('answers a missing path, a bad format and a missing token with the station\'s error', async () => {
    const missing = await exported('no/such/path');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toEqual({ error: { code: ErrorCode.NotFound, message: expect.stringMatching(/no node at/), data: { path: 'no/such/path' } } });
    const format = await fetch(`${station.url}/export?format=yaml`);
    expect(format.status).toBe(400);
    const anonymous = await exported('', 'typed', guarded);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.text).error.code).toBe(ErrorCode.Unauthenticated);
    expect((await exported('', 'typed', guarded, 's3cret')).status).toBe(200);
  });
});
