import { readFile } from 'node:fs/promises';
import type { GroveClient } from '../../client/index.js';
import { type ImportFormat, planText } from '../../codec/import.js';
import type { Plan } from '../../codec/plan.js';
import { type CommandSpec, choiceOption, expectPositionals, helpOption, integerOption, stringOption } from '../command.js';
import { count, Progress, rate } from '../progress.js';
import { normalPath, pathArgument, tokenOption, urlArgument, withRemote } from '../remote.js';
import { DEFAULT_LIMITS, Upload, type UploadLimits } from '../upload.js';

export const importCommand: CommandSpec = {
  name: 'import',
  summary: 'replace a subtree with the contents of a JSON file',
  synopsis: '[URL] PATH FILE [options]  |  --data DIR PATH FILE [options]',
  description: [
    'Replaces the node at PATH with the document in FILE ("-" reads standard input).',
    'At the root, which is always an object, the document\'s members replace those of the',
    'same name and the others stay.',
    'The whole file is parsed and checked first: a bad document fails with its line and',
    'column and sends nothing. A large document is sent in several requests, each under',
    "the station's body limit; if one fails, PATH holds a partial import: run it again.",
    'Progress shows on a terminal, or anywhere with --progress.',
    'With --data, imports into a station\'s data directory instead, offline (not while a',
    'station uses it), as one durable write: to restore a backup.',
  ].join('\n'),
  arguments: [urlArgument, pathArgument, ['FILE', 'the document to import, or "-" for standard input']],
  options: [
    {
      name: 'format',
      value: 'typed|plain|nodix',
      description: 'typed JSON as export writes it, plain JSON, or a Nodix definition (default: typed)',
    },
    { name: 'progress', description: 'report progress even when stderr is not a terminal' },
    { name: 'data', value: 'DIR', description: 'import into this data directory, offline, instead of a station' },
    {
      name: 'max-request',
      value: 'BYTES',
      description: `bytes of JSON per request (default: ${DEFAULT_LIMITS.maxRequestBytes}, under a 1 MiB body limit)`,
    },
    tokenOption,
    helpOption,
  ],
  examples: [
    'grove export config --out config.json && grove import backup/config config.json',
    'grove import users users.json --format plain',
  ],
  run: async (args) => {
    const format = choiceOption<ImportFormat>(args, 'format', ['typed', 'plain', 'nodix'], 'typed');
    const maxRequestBytes = integerOption(args, 'max-request', 1024) ?? DEFAULT_LIMITS.maxRequestBytes;
    const data = stringOption(args, 'data');
    if (data !== undefined) {
      expectPositionals(args.positionals, ['PATH', 'FILE'], 2);
      const [rawPath, file] = args.positionals as [string, string];
      const path = normalPath(rawPath);
      const text = await readDocument(file);
      const plan = planDocument(text, format, file);
      if (path === '' && plan.root.type !== 'object') {
        throw new Error(`the root is an object, and ${file} holds a ${plan.root.type}: import it under a path instead`);
      }
      const { importIntoDataDir } = await import('../../store/offline.js');
      const { nodes, version } = await importIntoDataDir(data, path, text, format);
      process.stderr.write(`imported ${count(nodes)} nodes into ${path === '' ? 'the root' : path} of ${data} (version ${version})\n`);
      return;
    }
    await withRemote(args, async ({ client, positionals }) => {
      expectPositionals(positionals, ['PATH', 'FILE'], 2);
      const path = normalPath(positionals[0]);
      const file = positionals[1];
      // the whole document is read and checked before the first request
      const plan = planDocument(await readDocument(file), format, file);
      if (path === '' && plan.root.type !== 'object') {
        throw new Error(`the root is an object, and ${file} holds a ${plan.root.type}: import it under a path instead`);
      }
      const limits = { ...DEFAULT_LIMITS, maxRequestBytes };
      await send(client, limits, plan, path, args.values.progress === true);
    });
  },
};

/** Runs the upload with progress, and ends with a summary line. */
async function send(
  client: GroveClient,
  limits: UploadLimits,
  plan: Plan,
  path: string,
  forceProgress: boolean,
): Promise<void> {
  const progress = new Progress({ total: plan.size, stream: process.stderr, force: forceProgress, label: 'importing' });
  const upload = new Upload(client, limits, (sent) => progress.update(sent));
  const { nodes, requests } = await upload.run(plan.root, path);
  const elapsed = progress.elapsedMs();
  const what = plan.root.children === undefined ? `a ${plan.root.type} value` : `${count(nodes)} nodes`;
  const where = path === '' ? 'the root' : path;
  progress.finish(
    `imported ${what} into ${where} in ${count(requests)} request${requests === 1 ? '' : 's'}` +
      ` (${(elapsed / 1000).toFixed(1)} s, ${rate(nodes, elapsed)})`,
  );
}

function planDocument(text: string, format: ImportFormat, file: string): Plan {
  try {
    return planText(text, format);
  } catch (error) {
    const name = file === '-' ? 'standard input' : file;
    throw new Error(`${name} is not a valid ${format} document: ${(error as Error).message}`);
  }
}

async function readDocument(file: string): Promise<string> {
  try {
    if (file !== '-') return await readFile(file, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
}
