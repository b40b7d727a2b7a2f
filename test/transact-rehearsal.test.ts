// tree.transact's rehearsal (issue 14): it copies what the ops name, not the subtrees they
// touch (a sort of 20,000 children copies a handful of nodes, not 40,000), and it still
// predicts exactly which op fails: random transactions over children that share names, with
// sorts and deletes between the ops, end as the same ops called one by one would, or not at all.
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';

import { Node } from '../src/node.js';
import type { RpcContext } from '../src/rpc/index.js';
import { createStation, type Station } from '../src/station/server.js';

const stations: Station[] = [];
afterAll(async () => {
  for (const station of stations) await station.close();
});

async function station(): Promise<Station> {
  const built = await createStation({ rateLimit: false });
  stations.push(built);
  return built;
}

const context: RpcContext = { transport: 'http', connectionId: 'test', log: { error: () => {} } };

/** A call's result, or its error as { code, message }. */
async function call(on: Station, method: string, params: unknown): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
  try {
    return { result: await on.context.engine.call(method, params, context) };
  } catch (error) {
    const { code, message } = error as { code: number; message: string };
    return { error: { code, message } };
  }
}

describe('tree.transact: the rehearsal', () => {
  it('copies what its ops name, not the 20,000 children a sort reorders', async () => {
    const grove = await station();
    grove.tree.set('big', Array.from({ length: 20_000 }, (_, i) => ({ n: (i * 7919) % 20_000 })));
    const adds = vi.spyOn(Node.prototype, 'add');
    try {
      const { result, error } = await call(grove, 'tree.transact', {
        ops: [
          { method: 'tree.sort', params: { path: 'big', member: 'n' } },
          { method: 'tree.set', params: { path: 'done', value: true } },
        ],
      });
      expect(error).toBeUndefined();
      expect(result).toMatchObject({ version: expect.any(Number) });
      // a scratch copy of the ops' paths: the root's two names, nothing under "big"
      expect(adds.mock.calls.length).toBeLessThan(10);
    } finally {
      adds.mockRestore();
    }
    const sorted = grove.tree.get('big') as { n: number }[];
    expect(sorted.slice(0, 3).map((item) => item.n)).toEqual([0, 1, 2]);
  });

  it('ends as the ops one by one would, or changes nothing, over names children share', async () => {
    const names = ['a', 'b', 'c'];
    const path = fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }).map((parts) => `t/${parts.join('/')}`);
    const op = fc.oneof(
      fc.record({ method: fc.constant('tree.set'), params: fc.record({ path, value: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constant({ k: 1 })) }) }),
      fc.record({ method: fc.constant('tree.delete'), params: fc.record({ path }) }),
      fc.record({ method: fc.constant('tree.increment'), params: fc.record({ path, by: fc.integer({ min: 1, max: 3 }) }) }),
      fc.record({ method: fc.constant('tree.sort'), params: fc.record({ path: fc.constantFrom('t', 't/a', 't/b'), member: fc.constantFrom('k', 'n'), descending: fc.boolean() }) }),
      fc.record({ method: fc.constant('tree.add'), params: fc.record({ path: fc.constantFrom('t', 't/a'), name: fc.constantFrom(...names), value: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constant({ n: 2 })) }) }),
    );
    // a start where names repeat among siblings, some with the members sorts compare
    const start = fc.array(fc.record({ under: fc.constantFrom('t', 't/a', 't/b'), name: fc.constantFrom(...names), value: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.record({ n: fc.integer({ min: 0, max: 3 }), k: fc.integer({ min: 0, max: 3 }) })) }), { maxLength: 10 });
    const [transacted, oneByOne] = [await station(), await station()];
    await fc.assert(
      fc.asyncProperty(start, fc.array(op, { minLength: 1, maxLength: 6 }), async (adds, ops) => {
        for (const grove of [transacted, oneByOne]) {
          grove.tree.set('t', { a: {}, b: {} });
          for (const { under, name, value } of adds) expect((await call(grove, 'tree.add', { path: under, name, value })).error).toBeUndefined();
        }
        const before = transacted.tree.exportJSON('t', 'typed');
        let failed: number | undefined;
        for (const [index, { method, params }] of ops.entries()) {
          if ((await call(oneByOne, method, params)).error) {
            failed = index;
            break;
          }
        }
        const outcome = await call(transacted, 'tree.transact', { ops });
        if (failed === undefined) {
          expect(outcome.error, 'the ops one by one all succeed').toBeUndefined();
          expect(transacted.tree.exportJSON('t', 'typed')).toBe(oneByOne.tree.exportJSON('t', 'typed'));
        } else {
          expect(outcome.error?.message, `ops[${failed}] fails one by one`).toMatch(new RegExp(`^ops\\[${failed}\\]`));
          expect(transacted.tree.exportJSON('t', 'typed')).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
  });
});
