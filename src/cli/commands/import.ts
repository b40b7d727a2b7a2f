import { IMPORT_FORMATS, type ImportFormat, planText } from '../../codec/import.js';
import { JsonTextError } from '../../codec/jsonText.js';
import type { NodixFlaw } from '../../codec/nodix.js';
import { type NodeSink, type Plan, PlanError } from '../../codec/plan.js';
import { type CommandSpec, choiceOption, expectPositionals, helpOption, integerOption, stringOption } from '../command.js';
import { count, size, Progress, rate } from '../progress.js';
import { normalPath, pathArgument, tokenOption, urlArgument, withRemote } from '../remote.js';
import { DocumentSource } from '../source.js';
import { BulkConnection } from '../bulk.js';
import { DEFAULT_LIMITS, dryRun, Upload, type UploadLimits } from '../upload.js';

export const importCommand: CommandSpec = {
  name: 'import',
  summary: 'replace a subtree with the contents of a JSON or Nodix file',
  synopsis: '[URL] PATH FILE [options]  |  --data DIR PATH FILE [options]',
  description: [
    'Replaces the node at PATH with the document in FILE ("-" reads standard input).',
    'At the root, which is always an object, the document\'s members replace those of the',
    'same name and the others stay. A Nodix script becomes an object with one child per',
    '"let TYPE name = ..." definition; its page code is passed over.',
    'The file is read twice: first it is checked whole, so a bad document fails with its line',
    'and column and sends nothing; then it is sent as it is read, in requests under the',
    "station's body limit, so a file of any size takes little memory. If a request fails,",
    'PATH holds a partial import: run it again. Progress shows on a terminal, or anywhere',
    'with --progress.',
    'With --data, imports into a station\'s data directory instead, offline (not while a',
    'station uses it), as one durable write: to restore a backup.',
  ].join('\n'),
  arguments: [urlArgument, pathArgument, ['FILE', 'the document to import, or "-" for standard input']],
  options: [
    {
      name: 'format',
      value: 'typed|plain|nodix',
      description: 'typed JSON as export writes it, plain JSON, or Nodix definitions (default: typed)',
    },
    { name: 'progress', description: 'report progress even when stderr is not a terminal' },
    {
      name: 'skip-invalid',
      description: 'Nodix: import the definitions that can be, and name the others (default: import none if one is flawed)',
    },
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
    'grove import users users.json --format plain --progress',
    'grove import nodix nodix.node --format nodix --skip-invalid',
  ],
  run: async (args) => {
    const format = choiceOption<ImportFormat>(args, 'format', IMPORT_FORMATS, 'typed');
    const maxRequestBytes = integerOption(args, 'max-request', 1024) ?? DEFAULT_LIMITS.maxRequestBytes;
    const forceProgress = args.values.progress === true;
    const skipInvalid = args.values['skip-invalid'] === true;
    const data = stringOption(args, 'data');
    if (data !== undefined) {
      expectPositionals(args.positionals, ['PATH', 'FILE'], 2);
      const [rawPath, file] = args.positionals as [string, string];
      return importOffline(data, normalPath(rawPath), await DocumentSource.open(file), format);
    }
    await withRemote(args, async ({ url, token, positionals }) => {
      expectPositionals(positionals, ['PATH', 'FILE'], 2);
      const path = normalPath(positionals[0]);
      const source = await openWithProgress(positionals[1]!, forceProgress);
      const station = new BulkConnection(url, token);
      try {
        const limits = { ...DEFAULT_LIMITS, maxRequestBytes };
        await send(station, limits, source, format, path, forceProgress, skipInvalid);
      } finally {
        station.close();
        await source.close();
      }
    });
  },
};

/** Opens the file; standard input is kept in a temporary file as it comes, with progress. */
async function openWithProgress(file: string, force: boolean): Promise<DocumentSource> {
  if (file !== '-') return DocumentSource.open(file);
  const progress = new Progress({ stream: process.stderr, force, label: 'reading standard input' });
  progress.update({ bytes: 0, nodes: 0 });
  const source = await DocumentSource.open(file, (bytes) => progress.update({ bytes, nodes: 0 }));
  progress.clear();
  return source;
}

/** Checks the whole document (a dry run of the upload), then uploads it as it reads it again. */
async function send(
  station: BulkConnection,
  limits: UploadLimits,
  source: DocumentSource,
  format: ImportFormat,
  path: string,
  forceProgress: boolean,
  skipInvalid: boolean,
): Promise<void> {
  const skip = format === 'nodix' ? await nodixFlaws(source, skipInvalid) : undefined;
  const checking = new Progress({ stream: process.stderr, force: forceProgress, label: 'checking', totalBytes: source.size });
  let checked = 0;
  const check = new Upload(path, dryRun, limits, (nodes) => (checked = nodes));
  checking.update({ bytes: 0, nodes: 0 });
  await asDocument(source, format, () =>
    source.read(format, check, {
      skip,
      afterPiece: async (bytes) => {
        await check.pump();
        checking.update({ bytes, nodes: checked });
      },
    }),
  );
  const { nodes: total, value } = await check.finish();
  checking.clear();

  const importing = new Progress({ stream: process.stderr, force: forceProgress, label: 'importing', totalBytes: source.size, totalNodes: total });
  let read = 0;
  const upload = new Upload(path, (calls) => station.batch(calls), limits, (nodes) => importing.update({ bytes: read, nodes }));
  importing.update({ bytes: 0, nodes: 0 });
  await source.read(format, upload, {
    skip,
    afterPiece: async (bytes) => {
      read = bytes;
      await upload.pump();
    },
  });
  const { nodes, requests } = await upload.finish();
  importing.update({ bytes: source.size, nodes }, true);
  const elapsed = importing.elapsedMs();
  const what = value ? 'a value' : `${count(nodes)} nodes`;
  const where = path === '' ? 'the root' : path;
  const skipped = skip === undefined ? '' : `, ${count(skip.size)} flawed definition${skip.size === 1 ? '' : 's'} left out`;
  importing.finish(
    `imported ${what} into ${where} in ${count(requests)} request${requests === 1 ? '' : 's'}` +
      ` (${(elapsed / 1000).toFixed(1)} s, ${rate(nodes, elapsed)}, ${size(source.size)}${skipped})`,
  );
}

/**
 * Nodix scripts: finds the definitions that cannot be imported. Without --skip-invalid, one
 * of them stops the import; with it, they are named and left out.
 */
async function nodixFlaws(source: DocumentSource, skipInvalid: boolean): Promise<ReadonlySet<number> | undefined> {
  const flaws: NodixFlaw[] = [];
  await asDocument(source, 'nodix', () => source.read('nodix', nowhere, { onFlaw: (flaw) => flaws.push(flaw) }));
  if (flaws.length === 0) return undefined;
  const list = flaws.map(({ name, error }) => `\n  ${name}: ${error.message}`).join('');
  const some = flaws.length === 1 ? '1 definition' : `${flaws.length} definitions`;
  if (!skipInvalid) {
    throw new Error(
      `${source.name} is not a valid nodix document: ${some} cannot be imported, so nothing was:${list}\n` +
        '  fix them, or pass --skip-invalid to import the other definitions',
    );
  }
  process.stderr.write(`leaving out ${some} of ${source.name} that cannot be imported:${list}\n`);
  return new Set(flaws.map(({ index }) => index));
}

/** A sink that keeps nothing: for reading a document only to check it. */
const nowhere: NodeSink = { open: () => {}, leaf: () => {}, close: () => {} };

/**
 * Runs a read of the document; a document that is not of `format` at all is answered with
 * the format it would import as, if any.
 */
async function asDocument(source: DocumentSource, format: ImportFormat, read: () => Promise<void>): Promise<void> {
  try {
    await read();
  } catch (error) {
    if (!(error instanceof JsonTextError || error instanceof PlanError)) throw error;
    // another format is worth a try when this one fails on the document's form (its syntax,
    // its top level), not on a value deep inside it
    const onForm = error instanceof JsonTextError || error.pointer === '';
    const other = onForm ? await formatThatWorks(source, format) : undefined;
    const hint = other === undefined ? '' : `\n  it reads as a valid ${other} document: run again with --format ${other}`;
    throw new Error(`${source.name} is not a valid ${format} document: ${error.message}${hint}`);
  }
}

async function formatThatWorks(source: DocumentSource, failed: ImportFormat): Promise<ImportFormat | undefined> {
  for (const format of IMPORT_FORMATS) {
    if (format === failed) continue;
    try {
      await source.read(format, nowhere);
      return format;
    } catch (error) {
      if (!(error instanceof JsonTextError || error instanceof PlanError)) throw error;
    }
  }
  return undefined;
}

/** --data: the document is checked, then written into the data directory in one durable write. */
async function importOffline(dir: string, path: string, source: DocumentSource, format: ImportFormat): Promise<void> {
  try {
    let text = '';
    for await (const piece of source.pieces()) text += piece.text;
    let plan: Plan | undefined;
    await asDocument(source, format, async () => void (plan = planText(text, format)));
    if (path === '' && plan!.root.type !== 'object') {
      throw new Error(`the root is an object, and ${source.name} holds a ${plan!.root.type}: import it under a path instead`);
    }
    const { importIntoDataDir } = await import('../../store/offline.js');
    const { nodes, version } = await importIntoDataDir(dir, path, text, format);
    process.stderr.write(`imported ${count(nodes)} nodes into ${path === '' ? 'the root' : path} of ${dir} (version ${version})\n`);
  } finally {
    await source.close();
  }
}
