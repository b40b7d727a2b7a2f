// Issue 8, suite 6: appending 100k and 1M children to one list. Appends are amortised
// O(1) (spare capacity, a name index that grows with it), so the cost per child should not
// grow with the list; a JS Map of the same entries is the baseline.
import { Tree } from '../../src/index.js';
import { consume, timeRuns } from '../measure.js';
import { type Row, type Suite, withRatio } from '../report.js';

const SIZES = [100_000, 1_000_000];

function appendToTree(n: number) {
  return () => {
    const tree = Tree.create();
    const list = tree.root.add('items', 'list');
    for (let i = 0; i < n; i++) list.add(undefined, 'i64', i);
    consume(list.childCount);
    tree.close();
  };
}

function setInMap(n: number) {
  return () => {
    const map = new Map<string, number>();
    for (let i = 0; i < n; i++) map.set(`#${i}`, i);
    consume(map.size);
  };
}

export const appendsSuite: Suite = {
  name: 'appends',
  description: 'append 100k vs 1M children to one list: time per child (list.add vs Map.set)',
  charts: [{ id: 'append-scaling', title: 'Appending children to one list', x: 'children', y: 'ns per child', logX: true }],
  run({ quick }) {
    const runs = quick ? 1 : 5;
    const rows: Row[] = [];
    const perChild = new Map<number, number>();
    for (const n of SIZES) {
      const grove = timeRuns(appendToTree(n), runs);
      const map = timeRuns(setInMap(n), runs);
      const ns = (ms: number) => (ms * 1e6) / n;
      perChild.set(n, ns(grove.median));
      const label = n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`;
      const add = { suite: 'appends', name: `append ${label} children: list.add per child`, value: ns(grove.median), unit: 'ns', spread: grove.spread };
      rows.push(
        withRatio({
          ...add,
          ...(n === SIZES[0] ? {} : { baseline: { name: `the same at ${SIZES[0]! / 1e3}k`, value: perChild.get(SIZES[0]!)! }, target: 'about 1x: O(1) amortised' }),
          point: { chart: 'append-scaling', series: 'Grove list.add', x: n },
        }),
        withRatio({ ...add, baseline: { name: 'Map.set', value: ns(map.median) }, target: '<= 2x Map.set' }),
        { suite: 'appends', name: `baseline: ${label} entries into a JS Map, per entry`, value: ns(map.median), unit: 'ns', spread: map.spread, point: { chart: 'append-scaling', series: 'JS Map set', x: n } },
      );
    }
    return rows;
  },
};
