// Demo data for `grove serve --demo`: a little of every type the tree holds, a list long
// enough to page through, a Nodix node definition, and a "counter" abstract type whose
// operations node.invoke runs.
import type { AbstractType } from '../abstractTypes.js';
import type { Tree } from '../tree.js';

export const counterType: AbstractType = {
  name: 'counter',
  id: 0x10000001,
  operations: {
    add(node, args) {
      const by = typeof args === 'object' && args !== null && 'by' in args ? (args as { by: unknown }).by : 1;
      if (typeof by !== 'number' || !Number.isSafeInteger(by)) throw new TypeError('counter.add takes { by: <integer> }');
      const count = node.child('count');
      if (count === undefined) throw new TypeError(`counter ${node.path} has no count member`);
      try {
        return count.increment(by);
      } finally {
        count.release();
      }
    },
  },
};

const NODIX_SCRIPT = `let NODE_BITCORE_NODE SelfNode = \`{ "user_agent":"nodix", (NODE_GFX_INT)"version":60018, (NODE_GFX_BOOL)"uPnP":true,
  (NODE_BITCORE_ADDR)"p2p_addr":{"services":0, (NODE_GFX_SHORT)"port":8000}, (NODE_BITCORE_TX_LIST)"mempool":[] }\``;

export function loadDemo(tree: Tree): void {
  tree.set('about', {
    name: 'Grove demo station',
    description: 'A typed object tree served over JSON-RPC 2.0. Edit anything here.',
    started: new Date().toISOString(),
  });
  tree.set('settings/volume', 70, 'u8');
  tree.set('settings/ratio', 0.75, 'f32');
  tree.set('settings/precise', Math.PI, 'f64');
  tree.set('settings/enabled', true);
  tree.set('settings/offset', -12, 'i16');
  tree.set('settings/big', 2n ** 63n + 5n, 'u64');
  tree.set('settings/blob', new TextEncoder().encode('grove'), 'bytes');
  tree.set('settings/nothing', null);
  tree.set('users', [
    { name: 'ada', age: 36, languages: ['analytical engine'] },
    { name: 'grace', age: 85, languages: ['COBOL', 'FLOW-MATIC'] },
    { name: 'alan', age: 41, languages: [] },
  ]);
  const readings = tree.root.add('readings', 'list');
  for (let i = 0; i < 10_000; i++) readings.add(undefined, 'f64', Math.round(Math.sin(i / 50) * 1000) / 100).release();
  readings.release();
  tree.importJSON('nodix', NODIX_SCRIPT, { format: 'nodix' });
  tree.set('counters/visits', { count: 0 }, counterType.id);
  tree.set('counters/visits/count', 0n, 'u64');
}
