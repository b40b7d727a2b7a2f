// Generated documents for the import and export benchmarks and tests (issue 19): plain JSON
// with an array of users, and typed JSON with an array of rows, both written exactly as a
// station exports them (compact, numbers whose shortest forms agree in C++ and in
// JavaScript), so that an export can be compared with the file byte for byte. And the
// processes whose peak memory they measure: a station, and the CLI.
import { type ChildProcess, fork } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** About 235 bytes and 5 nodes a user. */
export function* plainDocument(users: number): Generator<string> {
  yield '{"users":[';
  for (let i = 0; i < users; i++) {
    const bio = `user ${i} likes ${['trees', 'graphs', 'lists', 'maps'][i % 4]} and `.padEnd(150 + (i % 30), 'long walks ');
    yield (i > 0 ? ',' : '') + JSON.stringify({ id: i, name: `user number ${i}`, bio, score: i / 4 });
  }
  yield `],"meta":{"count":${users},"source":"generated"}}`;
}

/** About 237 bytes and 5 nodes a row; the top is named as the path it is imported to. */
export function* typedDocument(name: string, rows: number): Generator<string> {
  yield `{"name":${JSON.stringify(name)},"type":"object","children":[{"name":"rows","type":"list","children":[`;
  for (let i = 0; i < rows; i++) {
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

/** Writes a document to `path` as it is generated; answers its size in bytes. */
export async function writeDocument(path: string, pieces: Iterable<string>): Promise<number> {
  const out = createWriteStream(path);
  let buffered = '';
  for (const piece of pieces) {
    buffered += piece;
    if (buffered.length < 1 << 16) continue;
    if (!out.write(buffered)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    buffered = '';
  }
  await new Promise<void>((resolve, reject) => out.end(buffered, () => resolve()).once('error', reject));
  return (await stat(path)).size;
}

/** A compiled worker of bench/workers, whether this module runs from dist (the suites) or from the sources (tests). */
const worker = (name: string) =>
  fileURLToPath(new URL(`${import.meta.url.includes('/dist/bench/') ? '.' : '../dist/bench'}/workers/${name}.js`, import.meta.url));

/** Node's options that make a process report its peak memory as it exits (maxRssOf reads it). */
export const REPORT_MAX_RSS = ['--import', pathToFileURL(worker('maxRss')).href];

/** The peak memory a process reported on its stderr (REPORT_MAX_RSS), in bytes. */
export function maxRssOf(stderr: string): number | undefined {
  const match = /\nmaxRSS (\d+)\n$/.exec(stderr);
  return match === null ? undefined : Number(match[1]);
}

/** A station in a process of its own, and a way to end it that answers its peak memory in bytes. */
export async function stationProcess(): Promise<{ url: string; close(): Promise<number> }> {
  const child: ChildProcess = fork(worker('station'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
