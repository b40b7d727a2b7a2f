// Import and export of real-sized documents through the CLI (issue 19): a 100 MB plain
// JSON document (an array of users, bench/documents.ts) imported with `grove import` and
// exported back with `grove export`, then the same subtree's typed JSON exported and
// imported again, each with a station in its own process. Throughput in MB/s and nodes/s
// against JSON.parse and JSON.stringify of the same text in this process (what reading
// and writing it costs a program that holds it whole), and the peak memory of the CLI and
// of the station against the file's size.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { maxRssOf, plainDocument, REPORT_MAX_RSS, stationProcess, writeDocument } from '../documents.js';
import { type Row, type Suite, withRatio } from '../report.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface CliRun {
  seconds: number;
  maxRSS: number;
  /** Nodes the command reported it imported or exported. */
  nodes: number;
}

/** Runs `grove ARGS`, timing it and reading its peak memory and node count off its stderr. */
function grove(args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [...REPORT_MAX_RSS, MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const nodes = /(?:imported|exported) ([\d,]+) nodes/.exec(stderr)?.[1];
      const maxRSS = maxRssOf(stderr);
      if (code !== 0 || nodes === undefined || maxRSS === undefined) {
        reject(new Error(`grove ${args[0]} failed (${code}): ${stderr.slice(-500)}`));
      } else {
        resolve({ seconds, maxRSS, nodes: Number(nodes.replaceAll(',', '')) });
      }
    });
  });
}

/** Seconds JSON.parse and JSON.stringify take over the file's text: a program that holds it whole. */
function baselines(file: string): { parse: number; stringify: number } {
  const text = readFileSync(file, 'utf8');
  let value: unknown;
  const parse = timed(() => (value = JSON.parse(text)));
  return { parse, stringify: timed(() => JSON.stringify(value)) };
}

/** Seconds of `fn`, once. */
function timed(fn: () => void): number {
  globalThis.gc?.();
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export const documentsSuite: Suite = {
  name: 'documents',
  description: 'grove import and export of a 100 MB plain document and its typed JSON, vs JSON.parse and JSON.stringify; peak memory of the CLI and the station',
  async run({ quick }): Promise<Row[]> {
    const users = quick ? 20_000 : 430_000;
    const dir = mkdtempSync(join(tmpdir(), 'grove-bench-documents-'));
    try {
      const file = join(dir, 'plain.json');
      const size = await writeDocument(file, plainDocument(users));
      const rows: Row[] = [];
      const rate = (name: string, run: CliRun, bytes: number, baseline: { name: string; seconds: number }) => {
        rows.push(
          withRatio({
            suite: 'documents',
            name: `${name}: MB/s`,
            value: bytes / 1e6 / run.seconds,
            unit: 'MB/s',
            baseline: { name: baseline.name, value: bytes / 1e6 / baseline.seconds },
          }),
          { suite: 'documents', name: `${name}: nodes/s`, value: run.nodes / run.seconds, unit: 'nodes/s' },
        );
      };
      // the targets speak of a 100 MB document: a quick run's small one only shows the numbers
      const memory = (name: string, rss: number, fileBytes: number, target: string) =>
        rows.push(
          withRatio({
            suite: 'documents',
            name,
            value: rss / 1e6,
            unit: 'MB',
            baseline: { name: 'the file', value: fileBytes / 1e6 },
            ...(quick ? {} : { target }),
          }),
        );

      for (const format of ['plain', 'typed'] as const) {
        const station = await stationProcess();
        let stationRSS: number;
        let source = file;
        let bytes = size;
        try {
          if (format === 'typed') {
            // the document's typed JSON, as this station exports it: the file to import
            await grove(['import', station.url, 'users', file, '--format', 'plain']);
            source = join(dir, 'typed.json');
            await grove(['export', station.url, 'users', '--out', source]);
            bytes = statSync(source).size;
          }
          const { parse, stringify } = baselines(source);
          const imported = await grove(['import', station.url, 'copy', source, '--format', format]);
          const exported = await grove(['export', station.url, 'copy', '--format', format, '--out', join(dir, `${format}.out.json`)]);
          const label = `${format} JSON (${(bytes / 1e6).toFixed(0)} MB)`;
          rate(`grove import, ${label}, checked then sent`, imported, bytes, { name: 'JSON.parse of the text', seconds: parse });
          rate(`grove export, ${label}`, exported, bytes, { name: 'JSON.stringify of the value', seconds: stringify });
          memory(`grove import, ${format}: peak memory of the CLI`, imported.maxRSS, bytes, '<= 4x the file');
          memory(`grove export, ${format}: peak memory of the CLI`, exported.maxRSS, bytes, '<= 4x the file');
        } finally {
          stationRSS = await station.close();
        }
        if (format === 'plain') memory('station importing and exporting the plain document: peak memory', stationRSS, size, '<= 10x the file');
      }
      return rows;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
