// One result row per measured quantity, compared with a baseline from the same run, and
// the files they are written to: bench/results/latest.json, latest.md, and the SVG charts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { barChart, lineChart, type LineChartSpec } from './charts.js';

export interface Row {
  suite: string;
  name: string;
  /** The measured median and its unit. */
  value: number;
  unit: string;
  spread?: number;
  /** What `value` is compared with, measured in the same run. */
  baseline?: { name: string; value: number };
  /** value / baseline: for times, how many times slower; for rates, how many times faster. */
  ratio?: number;
  /**
   * The target, in words. One that starts with a comparison is checked:
   * '>= 3x …' or '<= 3x …' against the ratio, '<= 64 bytes …' against the value.
   */
  target?: string;
  /** Whether the checked target is met (set by check()). */
  met?: boolean;
  /** A point of a line chart (Suite.charts): the series it belongs to and its x. */
  point?: { chart: string; series: string; x: number };
}

export interface SuiteOptions {
  quick: boolean;
}

export interface Suite {
  name: string;
  description: string;
  /** Line charts drawn from the rows' points. */
  charts?: LineChartSpec[];
  run(options: SuiteOptions): Promise<Row[]> | Row[];
}

export function machine() {
  const cpu = cpus()[0];
  return {
    cpu: cpu?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** The 1-minute load average, rounded: how busy the machine was (it is shared). */
export function load(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}

export function withRatio(row: Omit<Row, 'ratio'>): Row {
  return row.baseline ? { ...row, ratio: row.value / row.baseline.value } : row;
}

const CHECKED = /^(>=|<=)\s*([\d.]+)\s*(x)?/;

/** The row with `met` set when its target is one that can be checked. */
export function check(row: Row): Row {
  const parsed = row.target === undefined ? null : CHECKED.exec(row.target);
  if (!parsed) return row;
  const [, op, limitText, isRatio] = parsed;
  const actual = isRatio ? row.ratio : row.value;
  if (actual === undefined) return row;
  const limit = Number(limitText);
  return { ...row, met: op === '>=' ? actual >= limit : actual <= limit };
}

/** Whether a target speaks of the ratio: a checked '… 3x' one, or one in words. A value
 * target ('>= 100000 ops/s') does not, so its row is not drawn among the ratios. */
function aboutTheRatio(target: string): boolean {
  const parsed = CHECKED.exec(target);
  return parsed === null || parsed[3] === 'x';
}

export interface RunInfo {
  when: string;
  quick: boolean;
  machine: ReturnType<typeof machine>;
  /** Load averages at the start and the end of the run. */
  load: { start: number; end: number };
  /** How long the run took, in seconds. */
  seconds: number;
}

/** bench/results in the source tree (this module runs from dist/bench). */
export const defaultResultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');

/** Writes latest.json, latest.md and one SVG per chart into `resultsDir`; returns the Markdown. */
export function writeResults(rows: Row[], suites: Suite[], info: RunInfo, resultsDir = defaultResultsDir): string {
  mkdirSync(resultsDir, { recursive: true });
  const checked = rows.map(check);
  writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify({ ...info, rows: checked }, null, 2) + '\n');
  const charts = chartFiles(checked, suites);
  for (const { file, svg } of charts) writeFileSync(join(resultsDir, file), svg);
  const markdown = renderMarkdown(checked, info, charts.map((c) => c.file));
  writeFileSync(join(resultsDir, 'latest.md'), markdown);
  return markdown;
}

/** The SVG charts of a run: the ratios against their targets, and each suite's line charts. */
export function chartFiles(rows: Row[], suites: Suite[]): { file: string; svg: string }[] {
  const files: { file: string; svg: string }[] = [];
  const compared = rows.filter((r) => r.ratio !== undefined && r.target !== undefined && aboutTheRatio(r.target));
  if (compared.length > 0) files.push({ file: 'ratios.svg', svg: barChart('Grove against its baselines (same run)', compared) });
  for (const suite of suites) {
    for (const spec of suite.charts ?? []) {
      const points = rows.filter((r) => r.point?.chart === spec.id);
      if (points.length > 0) files.push({ file: `${spec.id}.svg`, svg: lineChart(spec, points) });
    }
  }
  return files;
}

export function format(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1e7) return `${(n / 1e6).toFixed(abs >= 1e8 ? 0 : 1)}M`;
  if (abs >= 100) return Math.round(n).toLocaleString('en-US');
  if (abs >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function renderMarkdown(rows: Row[], info: RunInfo, charts: string[] = []): string {
  const m = info.machine;
  const lines = [
    `# Benchmark results${info.quick ? ' (quick run)' : ''}`,
    '',
    `${info.when} on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; ` +
      `load average ${info.load.start} at the start, ${info.load.end} at the end (the machine is shared); ${Math.round(info.seconds)} s. ` +
      'Medians; spread is the median absolute deviation. Ratios are value / baseline, both from this run.',
    '',
    '| suite | measurement | median | spread | baseline (same run) | ratio | target | met |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const baseline = r.baseline ? `${r.baseline.name}: ${format(r.baseline.value)} ${r.unit}` : '';
    const spread = r.spread === undefined ? '' : `±${format(r.spread)}%`;
    const ratio = r.ratio === undefined ? '' : `${format(r.ratio)}x`;
    const met = r.met === undefined ? '' : r.met ? 'yes' : '**no**';
    lines.push(`| ${r.suite} | ${r.name} | ${format(r.value)} ${r.unit} | ${spread} | ${baseline} | ${ratio} | ${r.target ?? ''} | ${met} |`);
  }
  if (charts.length > 0) lines.push('', ...charts.map((file) => `![${file}](${file})`));
  return lines.join('\n') + '\n';
}
