import { type CommandSpec, expectPositionals, helpOption } from '../command.js';
import { tokenOption, urlArgument, withRemote } from '../remote.js';
import { formatFields } from '../table.js';

export const infoCommand: CommandSpec = {
  name: 'info',
  summary: "show a station's id, version, uptime and counts",
  synopsis: '[URL] [options]',
  description: "Shows what the station reports about itself (station.info): one field a line, or JSON with --json.",
  arguments: [urlArgument],
  options: [{ name: 'json', description: 'print the answer as JSON' }, tokenOption, helpOption],
  examples: ['grove info', 'grove info https://station.example.com --json'],
  run: (args) =>
    withRemote(args, async ({ client, positionals }) => {
      expectPositionals(positionals, [], 0);
      const info = await client.info();
      process.stdout.write(args.values.json ? JSON.stringify(info, null, 2) + '\n' : formatFields(info));
    }),
};
