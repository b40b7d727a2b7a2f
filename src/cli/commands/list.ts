import { type CommandSpec, expectPositionals, helpOption, integerOption } from '../command.js';
import { normalPath, pathArgument, tokenOption, urlArgument, withRemote } from '../remote.js';
import { formatChildren } from '../table.js';

const DEFAULT_LIMIT = 100;

export const listCommand: CommandSpec = {
  name: 'list',
  summary: 'list the children of a node: name, type, id, children',
  synopsis: '[URL] [PATH] [options]',
  description: 'Lists the children of the node at PATH (default: the root) as a table, a page at a time.',
  arguments: [urlArgument, pathArgument],
  options: [
    { name: 'offset', value: 'N', description: 'skip the first N children (default: 0)' },
    { name: 'limit', value: 'N', description: `show at most N children (default: ${DEFAULT_LIMIT})` },
    { name: 'json', description: 'print the answer as JSON: { total, children }' },
    tokenOption,
    helpOption,
  ],
  examples: ['grove list', 'grove list users --offset 100 --limit 50'],
  run: (args) =>
    withRemote(args, async ({ client, positionals }) => {
      expectPositionals(positionals, ['PATH'], 0);
      const offset = integerOption(args, 'offset', 0) ?? 0;
      const limit = integerOption(args, 'limit', 1) ?? DEFAULT_LIMIT;
      const listing = await client.list(normalPath(positionals[0]), { offset, limit });
      const text = args.values.json ? JSON.stringify(listing, null, 2) + '\n' : formatChildren(listing, offset);
      process.stdout.write(text);
    }),
};
