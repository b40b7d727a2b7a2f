// Issue 8, suite 3: single-thread reads through the public API beside the JS structures a
// Node.js user would otherwise keep: a 3-level path lookup against a Map of Maps (given
// the three keys, and given the path string to split) and plain objects, and a child by
// index against a JS array. Issue 18's node API: tree.node(path) beside tree.value(path),
// node.child(i) beside a JS array index, a for..of over 1M children beside one over an array.
import { Tree } from '../../src/index.js';
import { native } from '../../src/native.js';
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
        for (let i = 0; i < batch; i++) consume(tree.node(paths[i]!).id);
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
    withRatio({ suite: 'lookups', name: 'path lookup, 3 levels: tree.node(path)', value: node.median, unit: 'ns', spread: node.spread, baseline: { name: 'tree.value(path)', value: value.median }, target: '<= 2x tree.value(path)' }),
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
    list.add(undefined, 'i64', i);
    array.push(i);
  }
  const batch = array.length;
  const { child, js, call } = measureInTurns(
    {
      child: () => {
        for (let i = 0; i < batch; i++) consume(list.child(i)!.id);
      },
      js: () => {
        for (let i = 0; i < batch; i++) consume(array[i]);
      },
      call: () => {
        for (let i = 0; i < batch; i++) consume(native.writerTag());
      },
    },
    { batch, quick },
  );
  tree.close();
  const row = { suite: 'lookups', name: 'child by index: node.child(i)', value: child.median, unit: 'ns', spread: child.spread };
  return [
    withRatio({ ...row, baseline: { name: 'JS array index', value: js.median }, target: '<= 15x JS array index' }),
    { ...row, target: '<= 40 ns' },
    withRatio({ ...row, baseline: { name: 'an empty N-API call', value: call.median } }),
    { suite: 'lookups', name: 'baseline: JS array index', value: js.median, unit: 'ns', spread: js.spread },
    { suite: 'lookups', name: 'baseline: an N-API call that does nothing (writerTag)', value: call.median, unit: 'ns', spread: call.spread },
  ];
}

const ITERATED = 1_000_000;

function iteration(quick: boolean): Row[] {
  const tree = Tree.create();
  const list = tree.root.add('items', 'list');
  const array: { name: string }[] = [];
  for (let i = 0; i < ITERATED; i++) array.push({ name: list.add(undefined, 'u8', 1).name });
  const { nodes, objects } = measureInTurns(
    {
      nodes: () => {
        for (const child of list) consume(child.name);
      },
      objects: () => {
        for (const object of array) consume(object.name);
      },
    },
    { batch: ITERATED, quick },
  );
  tree.close();
  const row = { suite: 'lookups', name: 'for..of over 1M children, reading each name', value: nodes.median, unit: 'ns', spread: nodes.spread };
  return [
    { ...row, target: '<= 60 ns' },
    withRatio({ ...row, baseline: { name: 'for..of over a JS array of objects', value: objects.median } }),
    { suite: 'lookups', name: 'baseline: for..of over 1M JS objects, reading each name', value: objects.median, unit: 'ns', spread: objects.spread },
  ];
}

export const lookupsSuite: Suite = {
  name: 'lookups',
  description: 'path lookup, child by index and child iteration vs Map-of-Maps, plain objects and arrays (single thread)',
  run: ({ quick }) => [...pathLookups(quick), ...childByIndex(quick), ...iteration(quick)],
};
