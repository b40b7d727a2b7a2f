// Real-sized documents through the CLI and back (issue 19): a generated ~40 MB plain
// document with an array of 200,000 objects, and a ~40 MB typed one, each imported by
// `grove import`, exported by `grove export` and compared byte for byte, with the peak
// memory of the CLI (under 4x the file) and of the station (under 10x), each in a process
// of its own. Minutes on a loaded machine, not seconds: the timeouts say so.
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBuilt, grove } from './helpers/cli.js';

const ROWS = 200_000;
const MINUTES = 60_000;
const MAX_RSS = ['--import', './test/fixtures/max-rss.mjs'];

let dir: string;

beforeAll(async () => {
  await checkBuilt();
  dir = await mkdtemp(join(tmpdir(), 'grove-big-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Writes a file a piece at a time, as the generators produce it. */
async function writeFile(path: string, pieces: Iterable<string>): Promise<number> {
  const out = createWriteStream(path);
  let buffered = '';
  for (const piece of pieces) {
    buffered += piece;
    if (buffered.length < 1 << 16) continue;
    if (!out.write(buffered)) await new Promise((resolve) => out.once('drain', resolve));
    buffered = '';
  }
  await new Promise<void>((resolve, reject) => out.end(buffered, () => resolve()).once('error', reject));
  return (await stat(path)).size;
}

/** Plain JSON as the station writes it: compact, numbers whose shortest forms agree in C++ and JavaScript. */
function* plainDocument(): Generator<string> {
  yield '{"users":[';
  for (let i = 0; i < ROWS; i++) {
    const bio = `user ${i} likes ${['trees', 'graphs', 'lists', 'maps'][i % 4]} and `.padEnd(110 + (i % 30), 'long walks ');
    yield (i > 0 ? ',' : '') + JSON.stringify({ id: i, name: `user number ${i}`, email: `user.${i}@example.com`, bio, score: i / 4 });
  }
  yield '],"meta":{"count":200000,"source":"generated"}}';
}

/** Typed JSON exactly as the exporter writes it: the top named as the path it is imported to. */
function* typedDocument(name: string): Generator<string> {
  yield `{"name":"${name}","type":"object","children":[{"name":"rows","type":"list","children":[`;
  for (let i = 0; i < ROWS; i++) {
    const row = [
      `{"name":"id","type":"u32","value":${i}}`,
      `{"name":"label","type":"str","value":"row ${i}"}`,
      `{"name":"at","type":"vec3","value":[${i % 1000},0.5,-${(i % 7) + 1}]}`,
      `{"name":"score","type":"f64","value":${i / 4}}`,
    ];
    yield `${i > 0 ? ',' : ''}{"name":"row ${i}","type":"object","children":[${row.join(',')}]}`;
  }
  yield ']},{"name":"total","type":"u64","value":"18446744073709551615"}]}';
}

async function sha256(path: string, skipLast = 0): Promise<string> {
  const { size } = await stat(path);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { end: size - 1 - skipLast })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A station in its own process, and a way to end it that answers its peak memory. */
async function openStation(): Promise<{ url: string; close(): Promise<number> }> {
  const child: ChildProcess = fork('./test/fixtures/rss-station.mjs', { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`the station exited with ${code}`)));
  });
  return {
    url,
    close: () =>
      new Promise<number>((resolve) => {
        child.once('message', (message) => resolve((message as { maxRSS: number }).maxRSS));
        child.send('close');
      }),
  };
}

function maxRSS(stderr: string): number {
  const match = /\nmaxRSS (\d+)\n$/.exec(stderr);
  expect(match, stderr).not.toBeNull();
  return Number(match![1]);
}

describe.each([
  ['plain', () => plainDocument()],
  ['typed', () => typedDocument('big')],
] as const)('a ~40 MB %s document', (format, document) => {
  it(
    'imports through the CLI and exports back the same, in bounded memory',
    async () => {
      const file = join(dir, `big.${format}.json`);
      const size = await writeFile(file, document());
      expect(size).toBeGreaterThan(35e6);
      const station = await openStation();
      let stationRSS: number;
      try {
        const imported = await grove(['import', station.url, 'big', file, '--format', format, '--progress'], {}, MAX_RSS);
        expect(imported.code, imported.stderr.slice(-2000)).toBe(0);
        expect(imported.stderr).toMatch(/\nimported [\d,]+ nodes into big in \d+ requests/);
        // progress from the first byte: while checking, then while importing
        expect(imported.stderr).toMatch(/^checking 0 B of [\d.]+ MB \(0%\)/);
        expect(imported.stderr).toMatch(/\nimporting [\d.]+ MB of [\d.]+ MB \(\d+%\), [\d,]+ of [\d,]+ nodes, [\d.]+ MB\/s, [\d,]+ nodes\/s, ETA /);
        const importRSS = maxRSS(imported.stderr);

        const out = join(dir, `big.${format}.out.json`);
        const exported = await grove(['export', station.url, 'big', '--format', format, '--out', out], {}, MAX_RSS);
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
