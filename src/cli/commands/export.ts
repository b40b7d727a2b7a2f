import { writeFile } from 'node:fs/promises';
import { type CommandSpec, choiceOption, expectPositionals, helpOption, stringOption } from '../command.js';
import { count } from '../progress.js';
import { normalPath, pathArgument, tokenOption, urlArgument, withRemote } from '../remote.js';

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'write a subtree as JSON, to stdout or a file',
  synopsis: '[URL] [PATH] [options]  |  --data DIR [PATH] [options]',
  description: [
    'Writes the subtree at PATH (default: the root) as one line of JSON.',
    'Typed JSON keeps every node\'s type, so "grove import" rebuilds the subtree exactly;',
    'plain JSON is for other programs, and loses types.',
    'With --data, reads a station\'s data directory instead (offline: not while a station',
    'uses it), for backups.',
  ].join('\n'),
  arguments: [urlArgument, pathArgument],
  options: [
    {
      name: 'format',
      value: 'typed|plain',
      description: 'typed JSON with every node\'s type, or plain JSON (default: typed)',
    },
    { name: 'out', short: 'o', value: 'FILE', description: 'write to FILE instead of standard output' },
    { name: 'data', value: 'DIR', description: 'export from this data directory, offline, instead of a station' },
    tokenOption,
    helpOption,
  ],
  examples: [
    'grove export config --out config.json',
    'grove export http://10.0.0.2:7070 users --format plain > users.json',
    'grove export --data ./data --out backup.json',
  ],
  run: async (args) => {
    const data = stringOption(args, 'data');
    if (data !== undefined) {
      expectPositionals(args.positionals, ['PATH'], 0);
      const format = choiceOption(args, 'format', ['typed', 'plain'], 'typed');
      const { exportDataDir } = await import('../../store/offline.js');
      return write(args, (await exportDataDir(data, normalPath(args.positionals[0]), format)) + '\n');
    }
    return withRemote(args, async ({ client, positionals }) => {
      expectPositionals(positionals, ['PATH'], 0);
      const format = choiceOption(args, 'format', ['typed', 'plain'], 'typed');
      const document = JSON.stringify(await client.get(normalPath(positionals[0]), { format })) + '\n';
      await write(args, document);
    });
  },
};

async function write(args: Parameters<CommandSpec['run']>[0], document: string): Promise<void> {
      const out = stringOption(args, 'out');
      if (out === undefined) {
        process.stdout.write(document);
        return;
      }
      await writeFile(out, document);
      process.stderr.write(`exported ${count(Buffer.byteLength(document))} bytes to ${out}\n`);
}
