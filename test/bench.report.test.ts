// The benchmark report: targets are checked from their text, and the Markdown and SVG
// outputs carry every row.
import { describe, expect, it } from 'vitest';

import { barChart, lineChart } from '../bench/charts.js';
import { check, chartFiles, renderMarkdown, type Row, type Suite, withRatio } from '../bench/report.js';

const info = {
  when: '2026-01-01T00:00:00.000Z',
  quick: true,
  machine: { cpu: 'Test CPU', cores: 2, memoryGiB: 8, node: 'v20.0.0', platform: 'linux x64' },
  load: { start: 0.5, end: 0.75 },
  seconds: 12,
};

function wellFormed(svg: string): boolean {
  const stack: string[] = [];
  for (const [, closing, name, selfClosing] of svg.matchAll(/<(\/?)([a-z]+)\b[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (closing) {
      if (stack.pop() !== name) return false;
    } else {
      stack.push(name!);
    }
  }
  return stack.length === 0 && svg.startsWith('<svg') && !svg.includes('NaN');
}

describe('bench report', () => {
  it('checks ratio targets, value targets, and leaves words alone', () => {
    const faster = withRatio({ suite: 's', name: 'a', value: 30, unit: 'ops/s', baseline: { name: 'b', value: 10 }, target: '>= 3x b' });
    expect(check(faster).met).toBe(true);
    expect(check({ ...faster, target: '>= 3.5x b' }).met).toBe(false);
    const slower = withRatio({ suite: 's', name: 'a', value: 100, unit: 'ns', baseline: { name: 'b', value: 30 }, target: '<= 3x b' });
    expect(check(slower).met).toBe(false);
    expect(check({ suite: 's', name: 'm', value: 60, unit: 'B', target: '<= 64 bytes per node' }).met).toBe(true);
    expect(check({ suite: 's', name: 'm', value: 90, unit: 'B', target: '<= 64 bytes per node' }).met).toBe(false);
    expect(check({ ...faster, target: 'about 1x' }).met).toBeUndefined();
    expect(check({ suite: 's', name: 'n', value: 1, unit: 'ns' }).met).toBeUndefined();
  });

  it('renders every row, its baseline and whether the target was met', () => {
    const rows: Row[] = [
      check(withRatio({ suite: 'lookups', name: 'tree.value', value: 120, unit: 'ns', spread: 2, baseline: { name: 'Map-of-Maps', value: 40 }, target: '<= 3x Map-of-Maps' })),
      { suite: 'memory', name: 'bytes', value: 90, unit: 'B' },
    ];
    const markdown = renderMarkdown(rows, info, ['ratios.svg']);
    expect(markdown).toContain('Test CPU, 2 cores');
    expect(markdown).toContain('load average 0.5 at the start, 0.75 at the end');
    expect(markdown).toContain('| lookups | tree.value | 120 ns | ±2.00% | Map-of-Maps: 40.0 ns | 3.00x | <= 3x Map-of-Maps | yes |');
    expect(markdown).toContain('| memory | bytes | 90.0 B |');
    expect(markdown).toContain('![ratios.svg](ratios.svg)');
  });

  it('draws ratios as bars and scaling as lines, in well-formed SVG', () => {
    const rows: Row[] = [
      check(withRatio({ suite: 'sharing', name: 'tree <read> & more', value: 5e6, unit: 'reads/s', baseline: { name: 'postMessage', value: 2e4 }, target: '>= 100x postMessage' })),
      check(withRatio({ suite: 'lookups', name: 'tree.value', value: 140, unit: 'ns', baseline: { name: 'Map-of-Maps', value: 40 }, target: '<= 3x Map-of-Maps' })),
      { suite: 'c', name: 'one', value: 5e6, unit: 'reads/s', point: { chart: 'scaling', series: 'lockless', x: 1 } },
      { suite: 'c', name: 'two', value: 9e6, unit: 'reads/s', point: { chart: 'scaling', series: 'lockless', x: 2 } },
      { suite: 'c', name: 'three', value: 4e6, unit: 'reads/s', point: { chart: 'scaling', series: 'locking', x: 2 } },
    ];
    const bars = barChart('Ratios', rows.slice(0, 2));
    expect(wellFormed(bars)).toBe(true);
    expect(bars).toContain('tree &lt;read&gt; &amp; more');
    expect(bars).toContain('250x');
    const lines = lineChart({ id: 'scaling', title: 'Scaling', x: 'threads', y: 'reads/s' }, rows.slice(2));
    expect(wellFormed(lines)).toBe(true);
    expect(lines.match(/<polyline/g)).toHaveLength(2);
    const suite: Suite = { name: 'c', description: '', charts: [{ id: 'scaling', title: 'Scaling', x: 'threads', y: 'reads/s' }], run: () => [] };
    expect(chartFiles(rows, [suite]).map((c) => c.file)).toEqual(['ratios.svg', 'scaling.svg']);
    const valueTarget = check(withRatio({ suite: 'store', name: 'durable writes', value: 5e4, unit: 'ops/s', baseline: { name: 'in memory', value: 7e4 }, target: '>= 100000 ops/s' }));
    expect(chartFiles([valueTarget], [])).toEqual([]);
  });
});
