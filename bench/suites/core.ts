// Single-thread costs of the core through the public API, each beside a JS baseline from
// the same run: a 3-level path lookup, child by index, and appending 100k vs 1M children.
import { Tree } from '../../src/index.js';
import { consume, measure, timeRuns } from '../measure.js';
import { type Row, type Suite, withRatio } from '../report.js';

const FANOUT = 10;

function buildTrees() {
  const tree = Tree.create();
  const maps = new Map<string, Map<string, Map<string, number>>>();
  const objects: Record<string, Record<string, Record<string, number>>> = {};
  for (let a = 0; a < FANOUT; a++) {
    const ma = new Map<string, Map<string, number>>();
    const oa: Record<string, Record<string, number>> = {};
    for (let b = 0; b < FANOUT; b++) {
      const mb = new Map<string, number>();
      const ob: Record<string, number> = {};
      for (let c = 0; c < FANOUT; c++) {
        const value = a * 100 + b * 10 + c;
        tree.set(`a${a}/b${b}/c${c}`, value, 'i64');
        mb.set(`c${c}`, value);
        ob[`c${c}`] = value;
      }
      ma.set(`b${b}`, mb);
      oa[`b${b}`] = ob;
    }
    maps.set(`a${a}`, ma);
    objects[`a${a}`] = oa;
  }
  return { tree, maps, objects };
}

function pathLookups(quick: boolean): Row[] {
  const { tree, maps, objects } = buildTrees();
  const paths: string[] = [];
  const keys: [string, string, string][] = [];
  for (let i = 0; i < 1000; i++) {
    const a = (i * 7) % FANOUT, b = (i * 3) % FANOUT, c = i % FANOUT;
    paths.push(`a${a}/b${b}/c${c}`);
    keys.push([`a${a}`, `b${b}`, `c${c}`]);
  }
  const batch = paths.length;
  const options = { batch, quick };
  const grove = measure(() => {
    for (let i = 0; i < batch; i++) consume(tree.value(paths[i]!));
  }, options);
  const groveNode = measure(() => {
    for (let i = 0; i < batch; i++) {
      const node = tree.node(paths[i]!);
      consume(node.id);
      node.release();
    }
  }, options);
  const mapOfMaps = measure(() => {
    for (let i = 0; i < batch; i++) {
      const [a, b, c] = keys[i]!;
      consume(maps.get(a)!.get(b)!.get(c));
    }
  }, options);
  const mapSplit = measure(() => {
    for (let i = 0; i < batch; i++) {
      const [a, b, c] = paths[i]!.split('/') as [string, string, string];
      consume(maps.get(a)!.get(b)!.get(c));
    }
  }, options);
  const plain = measure(() => {
    for (let i = 0; i < batch; i++) {
      const [a, b, c] = keys[i]!;
      consume(objects[a]![b]![c]);
    }
  }, options);
  tree.close();
  const baseline = { name: 'Map-of-Maps', value: mapOfMaps.median };
  return [
    withRatio({ suite: 'core', name: 'path lookup, 3 levels: tree.value(path)', value: grove.median, unit: 'ns', spread: grove.spread, baseline, target: '<= 3x Map-of-Maps' }),
    withRatio({ suite: 'core', name: 'path lookup, 3 levels: tree.node(path) + release', value: groveNode.median, unit: 'ns', spread: groveNode.spread, baseline }),
    { suite: 'core', name: 'baseline: Map-of-Maps get x3', value: mapOfMaps.median, unit: 'ns', spread: mapOfMaps.spread },
    { suite: 'core', name: 'baseline: Map-of-Maps with path.split', value: mapSplit.median, unit: 'ns', spread: mapSplit.spread },
    { suite: 'core', name: 'baseline: plain objects x3', value: plain.median, unit: 'ns', spread: plain.spread },
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
  const batch = 1000;
  const grove = measure(() => {
    for (let i = 0; i < batch; i++) {
      const child = list.child(i)!;
      consume(child.id);
      child.release();
    }
  }, { batch, quick });
  const js = measure(() => {
    for (let i = 0; i < batch; i++) consume(array[i]);
  }, { batch, quick });
  tree.close();
  return [
    withRatio({ suite: 'core', name: 'child by index: node.child(i) + release', value: grove.median, unit: 'ns', spread: grove.spread, baseline: { name: 'JS array index', value: js.median } }),
  ];
}

function appends(quick: boolean): Row[] {
  const append = (n: number) => () => {
    const tree = Tree.create();
    const list = tree.root.add('items', 'list');
    for (let i = 0; i < n; i++) list.add(undefined, 'i64', i).release();
    tree.close();
  };
  const appendJs = (n: number) => () => {
    const map = new Map<string, number>();
    for (let i = 0; i < n; i++) map.set(`#${i}`, i);
    consume(map.size);
  };
  const runs = quick ? 1 : 5;
  const small = timeRuns(append(100_000), runs);
  const large = timeRuns(append(1_000_000), runs);
  const largeJs = timeRuns(appendJs(1_000_000), runs);
  return [
    { suite: 'core', name: 'append 100k children', value: small.median, unit: 'ms', spread: small.spread },
    withRatio({ suite: 'core', name: 'append 1M children', value: large.median, unit: 'ms', spread: large.spread, baseline: { name: 'append 100k', value: small.median }, target: '~10 (O(n))' }),
    { suite: 'core', name: 'baseline: 1M entries into a JS Map', value: largeJs.median, unit: 'ms', spread: largeJs.spread },
  ];
}

export const coreSuite: Suite = {
  name: 'core',
  description: 'path lookup, child by index, appends (single thread)',
  run: ({ quick }) => [...pathLookups(quick), ...childByIndex(quick), ...appends(quick)],
};
