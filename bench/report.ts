// One result row per measured quantity, compared with a baseline from the same run, and
// the files they are written to: bench/results/latest.json and latest.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Row {
  suite: string;
  name: string;
  /** The measured median and its unit. */
  value: number;
  unit: string;
  spread?: number;
  /** What `value` is compared with, measured in the same run. */
  baseline?: { name: string; value: number };
  /** value / baseline (for times: how many times slower than the baseline). */
  ratio?: number;
  /** The target for the ratio, in words, when there is one. */
  target?: string;
}

export interface SuiteOptions {
  quick: boolean;
}

export interface Suite {
  name: string;
  description: string;
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

export function withRatio(row: Omit<Row, 'ratio'>): Row {
  return row.baseline ? { ...row, ratio: row.value / row.baseline.value } : row;
}

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');

export function writeResults(rows: Row[], quick: boolean): string {
  mkdirSync(resultsDir, { recursive: true });
  const when = new Date().toISOString();
  const info = machine();
  writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify({ when, quick, machine: info, rows }, null, 2) + '\n');
  const markdown = renderMarkdown(rows, when, info, quick);
  writeFileSync(join(resultsDir, 'latest.md'), markdown);
  return markdown;
}

function format(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function renderMarkdown(rows: Row[], when: string, info: ReturnType<typeof machine>, quick: boolean): string {
  const lines = [
    `# Benchmark results${quick ? ' (quick run)' : ''}`,
    '',
    `${when} on ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, Node ${info.node}, ${info.platform}. Medians; spread is the median absolute deviation.`,
    '',
    '| suite | measurement | median | spread | baseline (same run) | ratio | target |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const baseline = r.baseline ? `${r.baseline.name}: ${format(r.baseline.value)} ${r.unit}` : '';
    const spread = r.spread === undefined ? '' : `±${format(r.spread)}%`;
    lines.push(
      `| ${r.suite} | ${r.name} | ${format(r.value)} ${r.unit} | ${spread} | ${baseline} | ${r.ratio === undefined ? '' : format(r.ratio) + 'x'} | ${r.target ?? ''} |`,
    );
  }
  return lines.join('\n') + '\n';
}
