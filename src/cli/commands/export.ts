import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';

import { readDocument } from '../../codec/import.js';
import { JsonTokenizer, type JsonHandler } from '../../codec/jsonTokens.js';
import { NodixWriter } from '../../codec/nodixWriter.js';
import type { NodeSink } from '../../codec/plan.js';
import { type CommandSpec, choiceOption, expectPositionals, helpOption, stringOption } from '../command.js';
import { count, size, Progress, rate } from '../progress.js';
import { BulkConnection } from '../bulk.js';
import { normalPath, pathArgument, tokenOption, urlArgument, withRemote } from '../remote.js';

type ExportFormat = 'typed' | 'plain' | 'nodix';

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'write a subtree as JSON or Nodix, to stdout or a file',
  synopsis: '[URL] [PATH] [options]  |  --data DIR [PATH] [options]',
  description: [
    'Writes the subtree at PATH (default: the root) as one line of JSON, streamed from the',
    'station straight to its destination, so a tree of any size takes little memory.',
    'Typed JSON keeps every node\'s type, so "grove import" rebuilds the subtree exactly;',
    'plain JSON is for other programs, and loses types. Nodix writes an object\'s children as',
    'a script of "let TYPE name = ..." definitions, which "grove import --format nodix" reads',
    'back to the same tree (a node Nodix has no type for is refused, naming its path).',
    'With --out, the file appears only once complete. Progress shows on a terminal, or',
    'anywhere with --progress.',
    'With --data, reads a station\'s data directory instead (offline: not while a station',
    'uses it), for backups.',
  ].join('\n'),
  arguments: [urlArgument, pathArgument],
  options: [
    {
      name: 'format',
      value: 'typed|plain|nodix',
      description: 'typed JSON with every node\'s type, plain JSON, or Nodix definitions (default: typed)',
    },
    { name: 'out', short: 'o', value: 'FILE', description: 'write to FILE instead of standard output' },
    { name: 'progress', description: 'report progress even when stderr is not a terminal' },
    { name: 'data', value: 'DIR', description: 'export from this data directory, offline, instead of a station' },
    tokenOption,
    helpOption,
  ],
  examples: [
    'grove export config --out config.json',
    'grove export http://10.0.0.2:7070 users --format plain > users.json',
    'grove export nodix --format nodix --out nodix.node',
    'grove export --data ./data --out backup.json',
  ],
  run: async (args) => {
    const format = choiceOption<ExportFormat>(args, 'format', ['typed', 'plain', 'nodix'], 'typed');
    const out = stringOption(args, 'out');
    const force = args.values.progress === true;
    const data = stringOption(args, 'data');
    if (data !== undefined) {
      expectPositionals(args.positionals, ['PATH'], 0);
      const path = normalPath(args.positionals[0]);
      const { exportDataDir } = await import('../../store/offline.js');
      const text = await exportDataDir(data, path, format === 'plain' ? 'plain' : 'typed');
      return write(path, format, out, force, undefined, (async function* () {
        yield Buffer.from(text);
      })());
    }
    return withRemote(args, async ({ url, token, positionals }) => {
      expectPositionals(positionals, ['PATH'], 0);
      const path = normalPath(positionals[0]);
      const station = new BulkConnection(url, token);
      try {
        const { nodes, body } = await openExport(station, path, format === 'plain' ? 'plain' : 'typed');
        await write(path, format, out, force, nodes, body);
      } finally {
        station.close();
      }
    });
  },
};

/** GET /export: the subtree's text as it comes, and how many nodes it holds. */
async function openExport(
  station: BulkConnection,
  path: string,
  format: 'typed' | 'plain',
): Promise<{ nodes: number | undefined; body: AsyncIterable<Uint8Array> }> {
  const response = await station.get('export', { path, format });
  const nodes = Number(response.headers['x-grove-nodes']);
  return { nodes: Number.isSafeInteger(nodes) ? nodes : undefined, body: broken(response) };
}

/** The body, with a connection that breaks midway said as such. */
async function* broken(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } catch (error) {
    throw new SyntaxError(`the connection broke (${(error as Error).cause ?? (error as Error).message})`);
  }
}

/**
 * Writes the export to `out` (through a temporary file renamed once complete) or to
 * standard output, reading it as it comes: typed and plain JSON pass through as they are,
 * counted and checked to be complete; Nodix is written from the typed JSON.
 */
async function write(
  path: string,
  format: ExportFormat,
  out: string | undefined,
  force: boolean,
  totalNodes: number | undefined,
  body: AsyncIterable<Uint8Array>,
): Promise<void> {
  const progress = new Progress({ stream: process.stderr, force, label: 'exporting', totalNodes });
  const partial = out === undefined ? undefined : `${out}.partial`;
  const destination = partial === undefined ? process.stdout : createWriteStream(partial);
  let nodes = 0;
  let bytes = 0;
  let written = 0;
  const writer = format === 'nodix' ? new NodixWriter(path) : undefined;
  const sink: NodeSink | undefined = writer && {
    open: (name, type) => (nodes++, writer.open(name, type)),
    leaf: (name, type, value) => (nodes++, writer.leaf(name, type, value)),
    close: () => writer.close(),
  };
  // column = offset + 1: the station writes its JSON on one line
  const locate = (offset: number) => ({ line: 1, column: offset + 1 });
  const reader = sink !== undefined
    ? readDocument('typed', sink, { locate })
    : new JsonTokenizer(counter(format === 'typed', () => nodes++), { locate });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  progress.update({ bytes: 0, nodes: 0 });
  try {
    for await (const chunk of body) {
      bytes += chunk.byteLength;
      reader.write(decoder.decode(chunk, { stream: true }));
      const output = writer === undefined ? chunk : Buffer.from(writer.take());
      written += output.byteLength;
      await put(destination, output);
      progress.update({ bytes, nodes });
    }
    reader.end();
    const tail = Buffer.from(`${writer?.take() ?? ''}${format === 'nodix' ? '' : '\n'}`);
    written += tail.byteLength;
    await put(destination, tail);
    if (partial !== undefined) {
      await closed(destination as WriteStream);
      await rename(partial, out!);
    }
  } catch (error) {
    if (partial !== undefined) {
      (destination as WriteStream).destroy();
      await rm(partial, { force: true });
    }
    if (error instanceof SyntaxError) {
      throw new Error(`the export of ${path === '' ? 'the root' : path} ended early (the connection broke, or the station failed): ${error.message}`);
    }
    throw error;
  }
  progress.update({ bytes, nodes }, true);
  const elapsed = progress.elapsedMs();
  if (out !== undefined) {
    progress.finish(`exported ${count(nodes)} nodes, ${count(written)} bytes, to ${out} in ${(elapsed / 1000).toFixed(1)} s (${rate(nodes, elapsed)}, ${size(bytes)})`);
  } else {
    progress.clear();
  }
}

/** Counts the nodes of typed JSON (every object is one) or plain JSON (every value is one). */
function counter(typed: boolean, node: () => void): JsonHandler {
  return {
    beginObject: node,
    beginArray: typed ? () => {} : node,
    key: () => {},
    scalar: typed ? () => {} : node,
    end: () => {},
  };
}

/** Writes, waiting while the destination is full. */
function put(destination: NodeJS.WritableStream, data: Uint8Array): Promise<void> {
  if (data.byteLength === 0 || destination.write(data)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      destination.off('drain', done);
      destination.off('error', done);
      if (error) reject(error);
      else resolve();
    };
    destination.once('drain', done);
    destination.once('error', done);
  });
}

function closed(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}
