// Real-sized documents through the CLI and back (issue 19): a generated ~40 MB plain
// document with an array of 200,000 objects, and a ~40 MB typed one, each imported by
// `grove import`, exported by `grove export` and compared byte for byte, with the peak
// memory of the CLI (under 4x the file) and of the station (under 10x), each in a process
// of its own. Minutes on a loaded machine, not seconds: the timeouts say so.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxRssOf, plainDocument, REPORT_MAX_RSS, stationProcess, typedDocument, writeDocument } from '../bench/documents.js';
import { checkBuilt, grove } from './helpers/cli.js';

const ROWS = 200_000;
const MINUTES = 60_000;

let dir: string;

beforeAll(async () => {
  await checkBuilt();
  dir = await mkdtemp(join(tmpdir(), 'grove-big-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function sha256(path: string, skipLast = 0): Promise<string> {
  const { size } = await stat(path);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { end: size - 1 - skipLast })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function maxRSS(stderr: string): number {
  const rss = maxRssOf(stderr);
  expect(rss, stderr).toBeDefined();
  return rss!;
}

describe.each([
  ['plain', () => plainDocument(ROWS)],
  ['typed', () => typedDocument('big', ROWS)],
] as const)('a ~40 MB %s document', (format, document) => {
  it(
    'imports through the CLI and exports back the same, in bounded memory',
    async () => {
      const file = join(dir, `big.${format}.json`);
      const size = await writeDocument(file, document());
      expect(size).toBeGreaterThan(35e6);
      const station = await stationProcess();
      let stationRSS: number;
      try {
        const imported = await grove(['import', station.url, 'big', file, '--format', format, '--progress'], {}, REPORT_MAX_RSS);
        expect(imported.code, imported.stderr.slice(-2000)).toBe(0);
        expect(imported.stderr).toMatch(/\nimported [\d,]+ nodes into big in \d+ requests/);
        // progress from the first byte: while checking, then while importing
        expect(imported.stderr).toMatch(/^checking 0 B of [\d.]+ MB \(0%\)/);
        expect(imported.stderr).toMatch(/\nimporting [\d.]+ MB of [\d.]+ MB \(\d+%\), [\d,]+ of [\d,]+ nodes, [\d.]+ MB\/s, [\d,]+ nodes\/s, ETA /);
        const importRSS = maxRSS(imported.stderr);

        const out = join(dir, `big.${format}.out.json`);
        const exported = await grove(['export', station.url, 'big', '--format', format, '--out', out], {}, REPORT_MAX_RSS);
        expect(exported.code, exported.stderr).toBe(0);
        const exportRSS = maxRSS(exported.stderr);
        // the same bytes, and export's newline at the end
        expect((await stat(out)).size).toBe(size + 1);
        expect(await sha256(out, 1)).toBe(await sha256(file));

        console.log(
          `${format}: ${(size / 1e6).toFixed(1)} MB; CLI peak ${(importRSS / 1e6).toFixed(0)} MB importing, ` +
            `${(exportRSS / 1e6).toFixed(0)} MB exporting`,
        );
        expect(importRSS).toBeLessThan(4 * size);
        expect(exportRSS).toBeLessThan(4 * size);
      } finally {
        stationRSS = await station.close();
      }
      console.log(`${format}: station peak ${(stationRSS / 1e6).toFixed(0)} MB (${(stationRSS / size).toFixed(1)}x the file)`);
      expect(stationRSS).toBeLessThan(10 * size);
    },
    10 * MINUTES,
  );
});
