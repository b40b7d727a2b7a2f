import { type CommandSpec, expectPositionals, helpOption, stringOption, UsageError } from '../command.js';
import { normalPath, pathArgument, tokenOption, urlArgument, withRemote } from '../remote.js';

export const setCommand: CommandSpec = {
  name: 'set',
  summary: 'replace the value or subtree at a path',
  synopsis: '[URL] PATH VALUE [options]',
  description: [
    'Replaces whatever is at PATH with VALUE, creating missing parents as objects.',
    'VALUE is read as JSON when it parses as JSON (42, true, null, "text", [1,2], {"a":1}),',
    'and as a string otherwise (hello). --json insists on JSON; --string takes it as it is.',
    'Integers beyond ±2^53 need --type (i64 or u64) and go to the station as decimal strings.',
    'Put a VALUE that starts with "-" but is not a number after "--".',
  ].join('\n'),
  arguments: [urlArgument, pathArgument, ['VALUE', 'the new value (see above)']],
  options: [
    {
      name: 'type',
      value: 'T',
      description: 'node type to convert to, e.g. u64, f32, bytes (default: from the value)',
    },
    { name: 'json', description: 'VALUE must be JSON; fail if it is not' },
    { name: 'string', description: 'VALUE is a string, even if it looks like JSON' },
    tokenOption,
    helpOption,
  ],
  examples: [
    'grove set config/name station-1',
    'grove set stats/hits 0 --type u64',
    'grove set config \'{"debug":false}\'',
  ],
  run: (args) =>
    withRemote(args, async ({ client, positionals }) => {
      expectPositionals(positionals, ['PATH', 'VALUE'], 2);
      const type = stringOption(args, 'type');
      const value = readValue(positionals[1], args.values.json === true, args.values.string === true, type);
      const { version } = await client.set(normalPath(positionals[0]), value, { type });
      process.stderr.write(`set ${positionals[0]} (version ${version})\n`);
    }),
};

const INTEGER = /^-?(?:0|[1-9]\d*)$/;
const EXACT_LIMIT = 2n ** 53n;

function readValue(text: string, json: boolean, string: boolean, type: string | undefined): unknown {
  if (json && string) throw new UsageError('--json and --string contradict each other: pick one');
  if (string) return text;
  // the wire carries integers beyond 2^53 as decimal strings; only a --type tells the station
  const trimmed = text.trim();
  if (INTEGER.test(trimmed) && (BigInt(trimmed) > EXACT_LIMIT || BigInt(trimmed) < -EXACT_LIMIT)) {
    if (type === undefined) throw new UsageError(`${trimmed} is beyond ±2^53: add --type i64 or --type u64`);
    return trimmed;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (json) throw new UsageError(`VALUE is not JSON: ${(error as Error).message}`);
    return text;
  }
  // a long integer literal that JSON.parse rounded (1e300 is a float, and fine)
  if (LONG_INTEGER_LITERAL.test(text) && holdsUnsafeInteger(value)) {
    throw new UsageError('VALUE holds an integer beyond ±2^53, which JSON would round: set it on its own with --type');
  }
  return value;
}

const LONG_INTEGER_LITERAL = /(?<![\d.eE])\d{16,}(?![\d.eE])/;

function holdsUnsafeInteger(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value);
  return value !== null && typeof value === 'object' && Object.values(value).some(holdsUnsafeInteger);
}
