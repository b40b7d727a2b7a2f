#!/usr/bin/env node
// The `grove` command: picks the command, parses its arguments, and turns failures into
// exit codes: 0 done, 1 failed (the message, not a stack), 2 misused (with a pointer to --help).

import { type CommandSpec, commandHelp, parseCommandArgs, UsageError, wantsHelp } from './command.js';
import { exportCommand } from './commands/export.js';
import { getCommand } from './commands/get.js';
import { importCommand } from './commands/import.js';
import { infoCommand } from './commands/info.js';
import { listCommand } from './commands/list.js';
import { serveCommand } from './commands/serve.js';
import { setCommand } from './commands/set.js';
import { packageVersion } from '../packageRoot.js';
import { DEFAULT_URL } from './remote.js';

const COMMANDS: readonly CommandSpec[] = [
  serveCommand,
  getCommand,
  setCommand,
  listCommand,
  infoCommand,
  exportCommand,
  importCommand,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'Usage: grove COMMAND [arguments] [options]',
    '',
    'Grove: a typed object tree served over JSON-RPC.',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    `Commands that talk to a station take its URL first (default: $GROVE_URL, else ${DEFAULT_URL})`,
    'and a token with --token (default: $GROVE_TOKEN).',
    '',
    'Run "grove COMMAND --help" for a command\'s arguments and options; "grove --version" for the version.',
    '',
  ].join('\n');
}


async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = COMMANDS.find((candidate) => candidate.name === topic);
    if (topic !== undefined && command === undefined) return misuse(`unknown command "${topic}"`);
    process[name === undefined ? 'stderr' : 'stdout'].write(command ? commandHelp(command) : overview());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`grove ${packageVersion}\n`);
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    const known = COMMANDS.map((candidate) => candidate.name).join(', ');
    return misuse(`unknown ${name.startsWith('-') ? 'option' : 'command'} "${name}"; the commands are ${known}`);
  }
  if (wantsHelp(rest)) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  try {
    await command.run(parseCommandArgs(command, rest));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) return misuse(error.message, command);
    process.stderr.write(`grove ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function misuse(message: string, command?: CommandSpec): number {
  const where = command === undefined ? 'grove' : `grove ${command.name}`;
  process.stderr.write(`${where}: ${message}\nRun "${where} --help" for usage.\n`);
  return 2;
}

// A closed pipe (`grove get ... | head`) is the reader having seen enough, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

// Setting exitCode rather than calling exit() lets a large output finish writing to a pipe.
process.exitCode = await main(process.argv.slice(2));
