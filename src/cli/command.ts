// How a command declares its arguments and options: one declaration drives both
// node:util parseArgs and the --help text, so the two cannot drift apart.

import { parseArgs } from 'node:util';

export interface OptionSpec {
  readonly name: string;
  readonly short?: string;
  /** A flag when absent; otherwise the option takes a value, shown in help as this label. */
  readonly value?: string;
  readonly multiple?: boolean;
  readonly description: string;
  /**
   * The environment variable that gives the option when the command line does not: a flag's
   * is true or false (1/0, yes/no), a repeatable option's a comma-separated list.
   */
  readonly env?: string;
}

export interface CommandSpec {
  readonly name: string;
  /** One line for `grove --help`. */
  readonly summary: string;
  /** The arguments after the command's name, e.g. `[URL] PATH VALUE`. */
  readonly synopsis: string;
  readonly description: string;
  readonly arguments: ReadonlyArray<readonly [name: string, description: string]>;
  readonly options: readonly OptionSpec[];
  readonly examples: readonly string[];
  /** Runs with what parseArgs found; throws UsageError for misuse, anything else for failure. */
  run(args: ParsedArgs): Promise<void>;
}

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  /** The variable each option given by the environment came from, for messages about it. */
  readonly fromEnvironment?: Readonly<Record<string, string>>;
}

/** The user asked for something the command cannot mean: exit code 2, with a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const helpOption: OptionSpec = { name: 'help', short: 'h', description: 'show this help' };

// parseArgs takes "-5" for an option; a leading marker keeps negative numbers positional
// (`grove set n -5`) and readable as option values (`--offset -1` is refused as negative, not as missing).
const NEGATIVE_NUMBER = /^-(?:\d|\.\d|Infinity$)/;
const ESCAPE = '\u0000';

export function parseCommandArgs(spec: CommandSpec, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  const options = Object.fromEntries(
    spec.options.map((option) => [
      option.name,
      {
        type: option.value === undefined ? ('boolean' as const) : ('string' as const),
        // parseArgs refuses these keys when present but undefined
        ...(option.short === undefined ? {} : { short: option.short }),
        ...(option.multiple === undefined ? {} : { multiple: option.multiple }),
      },
    ]),
  );
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.map((arg) => (NEGATIVE_NUMBER.test(arg) ? ESCAPE + arg : arg)),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError(parseErrorMessage(error as Error & { code: string }));
    }
    throw error;
  }
  const unescape = (text: string) => (text.startsWith(ESCAPE) ? text.slice(1) : text);
  const values: Record<string, string | boolean | string[] | undefined> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    values[name] =
      typeof value === 'string' ? unescape(value) : Array.isArray(value) ? value.map(String).map(unescape) : value;
  }
  const fromEnvironment: Record<string, string> = {};
  for (const option of spec.options) {
    const text = option.env === undefined ? undefined : env[option.env];
    if (values[option.name] !== undefined || text === undefined || text === '') continue;
    values[option.name] = environmentValue(option, text);
    fromEnvironment[option.name] = option.env!;
  }
  return { values, positionals: parsed.positionals.map(unescape), fromEnvironment };
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

/** An option's value as its environment variable gives it. */
function environmentValue(option: OptionSpec, text: string): string | boolean | string[] {
  if (option.value === undefined) {
    const word = text.trim().toLowerCase();
    if (TRUE.includes(word)) return true;
    if (FALSE.includes(word)) return false;
    throw new UsageError(`$${option.env} must be true or false (1 or 0, yes or no) for --${option.name}; got ${JSON.stringify(text)}`);
  }
  if (option.multiple) return text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return text;
}

/** parseArgs' messages, without its advice to use `--` for what is usually a typo. */
function parseErrorMessage(error: Error & { code: string }): string {
  const option = /'([^']+)'/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option} (a value starting with "-" goes after "--")`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return error.message.split('\n')[0].replace(/^Option/, 'option');
    default:
      return error.message;
  }
}

/** True when --help or -h comes before any `--`: help wins over every other mistake. */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

export function commandHelp(spec: CommandSpec): string {
  const optionLabels = spec.options.map((option) => {
    const flags = option.short === undefined ? `    --${option.name}` : `-${option.short}, --${option.name}`;
    return option.value === undefined ? flags : `${flags} ${option.value}`;
  });
  const width = Math.max(...optionLabels.map((label) => label.length), ...spec.arguments.map(([name]) => name.length));
  const row = (label: string, text: string) => `  ${label.padEnd(width)}  ${text}`;
  const lines = [`Usage: grove ${spec.name} ${spec.synopsis}`.trimEnd(), '', spec.description, ''];
  if (spec.arguments.length > 0) {
    lines.push('Arguments:', ...spec.arguments.map(([name, text]) => row(name, text)), '');
  }
  const described = (option: OptionSpec) => (option.env === undefined ? option.description : `${option.description} [$${option.env}]`);
  lines.push('Options:', ...spec.options.map((option, i) => row(optionLabels[i], described(option))), '');
  if (spec.options.some((option) => option.env !== undefined)) {
    lines.push('An option in [$BRACKETS] can also come from that environment variable; the command line wins.', '');
  }
  lines.push(spec.examples.length > 1 ? 'Examples:' : 'Example:', ...spec.examples.map((example) => `  ${example}`));
  return lines.join('\n') + '\n';
}

/** How a message names an option: by its variable when the environment gave it. */
function optionName(args: ParsedArgs, name: string): string {
  const variable = args.fromEnvironment?.[name];
  return variable === undefined ? `--${name}` : `$${variable} (--${name})`;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A whole number option within [min, max], or undefined when absent. */
export function integerOption(
  args: ParsedArgs,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return undefined;
  const value = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `${min} to ${max}`;
    throw new UsageError(`${optionName(args, name)} must be a whole number, ${range}; got ${JSON.stringify(text)}`);
  }
  return value;
}

/** One of `choices`, `fallback` when absent. */
export function choiceOption<T extends string>(args: ParsedArgs, name: string, choices: readonly T[], fallback: T): T {
  const text = stringOption(args, name);
  if (text === undefined) return fallback;
  if (!(choices as readonly string[]).includes(text)) {
    const expected = choices.join(', ').replace(/, ([^,]+)$/, ' or $1');
    throw new UsageError(`${optionName(args, name)} must be ${expected}; got ${JSON.stringify(text)}`);
  }
  return text as T;
}

/** Checks the count of positionals, naming what is missing or extra. */
export function expectPositionals(positionals: readonly string[], names: readonly string[], required: number): void {
  if (positionals.length < required) {
    throw new UsageError(`missing ${names.slice(positionals.length, required).join(' and ')}`);
  }
  if (positionals.length > names.length) {
    const extra = positionals.slice(names.length).map((arg) => JSON.stringify(arg));
    throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.join(' ')}`);
  }
}
