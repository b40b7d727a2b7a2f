import { type CommandSpec, choiceOption, expectPositionals, helpOption, integerOption } from '../command.js';
import { normalPath, pathArgument, tokenOption, urlArgument, withRemote } from '../remote.js';

export const getCommand: CommandSpec = {
  name: 'get',
  summary: 'print the value or subtree at a path as JSON',
  synopsis: '[URL] [PATH] [options]',
  description: 'Prints the value or subtree at PATH (default: the root) as indented JSON.',
  arguments: [urlArgument, pathArgument],
  options: [
    {
      name: 'format',
      value: 'plain|typed',
      description: 'plain JSON, or typed JSON with every node\'s type (default: plain)',
    },
    { name: 'depth', value: 'N', description: 'levels below PATH to include (default: all)' },
    tokenOption,
    helpOption,
  ],
  examples: ['grove get config/name', 'grove get http://10.0.0.2:7070 stats --format typed --depth 1'],
  run: (args) =>
    withRemote(args, async ({ client, positionals }) => {
      expectPositionals(positionals, ['PATH'], 0);
      const format = choiceOption(args, 'format', ['plain', 'typed'], 'plain');
      const depth = integerOption(args, 'depth', 0);
      const value = await client.get(normalPath(positionals[0]), { format, depth });
      process.stdout.write(JSON.stringify(value, null, 2) + '\n');
    }),
};
