// Issue 8, suite 3: single-thread reads through the public API beside the JS structures a
// Node.js user would otherwise keep: a 3-level path lookup against a Map of Maps (given
// the three keys, and given the path string to split) and plain objects, and a child by
// index against a JS array.
import { Tree } from '../../src/index.js';
import { consume, measureInTurns } from '../measure.js';
import { type Row, type Suite, withRatio } from '../report.js';
import { fillTree, leaves, mapOfMaps, plainObjects } from '../shapes.js';

function pathLookups(quick: boolean): Row[] {
  const tree = Tree.create();
  fillTree(tree);
  const maps = mapOfMaps();
  const objects = plainObjects();
  const all = leaves();
  const paths = all.map((leaf) => leaf.path);
  const keys = all.map((leaf) => leaf.names);
  const batch = paths.length;
  const options = { batch, quick };
  const t = measureInTurns(
    {
      value: () => {
        for (let i = 0; i < batch; i++) consume(tree.value(paths[i]!));
      },
      node: () => {
        for (let i = 0; i < batch; i++) {
          const found = tree.node(paths[i]!);
          consume(found.id);
          found.release();
        }
      },
      mapKeys: () => {
        for (let i = 0; i < batch; i++) {
          const [a, b, c] = keys[i]!;
          consume(maps.get(a)!.get(b)!.get(c));
        }
      },
      mapSplit: () => {
        for (let i = 0; i < batch; i++) {
          const [a, b, c] = paths[i]!.split('/') as [string, string, string];
          consume(maps.get(a)!.get(b)!.get(c));
        }
      },
      plain: () => {
        for (let i = 0; i < batch; i++) {
          const [a, b, c] = keys[i]!;
          consume(objects[a]![b]![c]);
        }
      },
    },
    options,
  );
  const { value, node, mapKeys, mapSplit, plain } = t;
  tree.close();
  const baseline = { name: 'Map-of-Maps', value: mapKeys.median };
  return [
    withRatio({ suite: 'lookups', name: 'path lookup, 3 levels: tree.value(path)', value: value.median, unit: 'ns', spread: value.spread, baseline, target: '<= 3x Map-of-Maps' }),
    withRatio({ suite: 'lookups', name: 'path lookup, 3 levels: tree.value(path)', value: value.median, unit: 'ns', spread: value.spread, baseline: { name: 'Map-of-Maps, splitting the path', value: mapSplit.median } }),
    withRatio({ suite: 'lookups', name: 'path lookup, 3 levels: tree.node(path) + release', value: node.median, unit: 'ns', spread: node.spread, baseline }),
    { suite: 'lookups', name: 'baseline: Map-of-Maps, get x3 with the keys at hand', value: mapKeys.median, unit: 'ns', spread: mapKeys.spread },
    { suite: 'lookups', name: 'baseline: Map-of-Maps, path.split then get x3', value: mapSplit.median, unit: 'ns', spread: mapSplit.spread },
    { suite: 'lookups', name: 'baseline: plain objects, 3 property reads', value: plain.median, unit: 'ns', spread: plain.spread },
  ];
}

function childByIndex(quick: boolean): Row[] {
  const tree = Tree.create();
  const list = tree.root.add('items', 'list');
  const array: number[] = [];
  for (let i = 0; i < 1000; i++) {
    list.add(undefined, 'i64', i).release();
    array.push(i);
  }
  const batch = array.length;
  const { child, js } = measureInTurns(
    {
      child: () => {
        for (let i = 0; i < batch; i++) {
          const found = list.child(i)!;
          consume(found.id);
          found.release();
        }
      },
      js: () => {
        for (let i = 0; i < batch; i++) consume(array[i]);
      },
    },
    { batch, quick },
  );
  tree.close();
  return [
    withRatio({ suite: 'lookups', name: 'child by index: node.child(i) + release', value: child.median, unit: 'ns', spread: child.spread, baseline: { name: 'JS array index', value: js.median } }),
  ];
}

export const lookupsSuite: Suite = {
  name: 'lookups',
  description: 'path lookup and child by index vs Map-of-Maps, plain objects and arrays (single thread)',
  run: ({ quick }) => [...pathLookups(quick), ...childByIndex(quick)],
};
