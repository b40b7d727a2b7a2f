// Long walks over big subtrees in slices of the event loop (issue 14): tree.get (with or
// without depth) and tree.hash of a subtree of more than 50,000 nodes answer exactly what one
// native call would, and
// tree.find walks 60,000 children a slice at a time, while a call made after they started is
// answered before they are done.
import { afterAll, describe, expect, it } from 'vitest';

import type { RpcContext } from '../src/rpc/index.js';
import { createStation, type Station } from '../src/station/server.js';

let grove: Station;
afterAll(() => grove?.close());

const context: RpcContext = { transport: 'http', connectionId: 'test', log: { error: () => {} } };

describe('a read of a big subtree', () => {
  it('answers what one native call would, in slices that let other calls through', async () => {
    grove = await createStation({ rateLimit: false });
    // 200 objects of 1,000 leaves of assorted types, and a list
    for (let i = 0; i < 200; i++) {
      const members: Record<string, unknown> = {};
      for (let j = 0; j < 1000; j++) members[`m${j}`] = j % 3 === 0 ? `s${j}` : j % 3 === 1 ? j * 0.5 : { deep: [j, true, null] };
      grove.tree.set(`big/o${i}`, members);
    }
    grove.tree.set('big/small', 1);
    grove.tree.set('wide', Array.from({ length: 60_000 }, (_, i) => (i % 2 === 0 ? i : `s${i}`)));
    expect(grove.tree.node('big').size).toBeGreaterThan(50_000);
    const { engine } = grove.context;
    for (const [method, params, expected] of [
      ['tree.get', { path: 'big' }, grove.tree.exportJSON('big', 'plain')],
      ['tree.get', { path: 'big', format: 'typed' }, grove.tree.exportJSON('big', 'typed')],
      ['tree.get', { path: 'big', depth: 1 }, grove.tree.exportJSON('big', 'plain', 1)],
      ['tree.get', { path: 'big', depth: 2, format: 'typed' }, grove.tree.exportJSON('big', 'typed', 2)],
      ['tree.get', { path: '', depth: 3 }, grove.tree.exportJSON('', 'plain', 3)],
      ['tree.get', { path: 'wide', depth: 0, format: 'typed' }, grove.tree.exportJSON('wide', 'typed', 0)],
      ['tree.hash', { path: 'big' }, grove.tree.node('big').hash()],
      ['tree.find', { path: 'wide', type: 'str' }, 30_000],
      ['tree.find', { path: 'wide', orderBy: 'x', limit: 3 }, 3],
    ] as const) {
      const order: string[] = [];
      const big = engine.call(method, params, context).then((result) => {
        order.push('big');
        return result;
      });
      const small = engine.call('tree.get', { path: 'big/small' }, context).then(() => order.push('small'));
      const result = await big;
      await small;
      expect(order, method).toEqual(['small', 'big']);
      if (method === 'tree.find') expect((result as unknown[]).length).toBe(expected);
      else expect(typeof result === 'string' ? result : (result as { text: string }).text).toBe(expected);
    }
  });
});
