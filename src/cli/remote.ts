// What every command that talks to a station shares: which station, which token, and
// errors that say what to do about them.

import { createClient, GroveConnectionError, GroveRpcError, type GroveClient, RpcErrorCode } from '../client/index.js';
import { type OptionSpec, type ParsedArgs, stringOption } from './command.js';

export const DEFAULT_URL = 'http://127.0.0.1:7070';

// Imports send up to ~1 MB per call and a station may take a while to build it.
const TIMEOUT_MS = 60_000;

export const urlArgument = [
  'URL',
  `the station, http(s)://HOST:PORT (default: $GROVE_URL, else ${DEFAULT_URL})`,
] as const;

export const pathArgument = ['PATH', 'names joined by "/"; "" or "/" is the root'] as const;

export const tokenOption: OptionSpec = {
  name: 'token',
  value: 'T',
  description: 'bearer token for a station that requires one',
  env: 'GROVE_TOKEN',
};

export interface Remote {
  readonly url: string;
  readonly token: string | undefined;
  readonly client: GroveClient;
  /** The positionals after the URL. */
  readonly positionals: readonly string[];
}

/** Connects as `args` say, runs `work`, and closes the connection however `work` ends. */
export async function withRemote(args: ParsedArgs, work: (remote: Remote) => Promise<void>): Promise<void> {
  const remote = connect(args);
  try {
    await work(remote);
  } catch (error) {
    throw explainRemoteError(error, remote.url);
  } finally {
    remote.client.close();
  }
}

/** Takes the URL off the front of the positionals, if it is there, and connects over HTTP. */
function connect(args: ParsedArgs): Remote {
  const [first, ...rest] = args.positionals;
  const explicit = first !== undefined && /^https?:\/\//i.test(first);
  const url = explicit ? first : process.env.GROVE_URL || DEFAULT_URL;
  const token = stringOption(args, 'token');
  const client = createClient({ url, token, transport: 'http', timeoutMs: TIMEOUT_MS });
  return { url, token, client, positionals: explicit ? rest : args.positionals };
}

/** A path as the station takes it: no leading or trailing "/". */
export function normalPath(path: string | undefined): string {
  return (path ?? '').replace(/^\/+|\/+$/g, '');
}

export function joinPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

/** Adds what to do about the failures a user can fix from the command line. */
function explainRemoteError(error: unknown, url: string): unknown {
  if (error instanceof GroveConnectionError && error.status === undefined) {
    const advice = `is a station running at ${url}? Start one with "grove serve", or pass its URL`;
    return new Error(`${error.message}\n  ${advice}`);
  }
  if (error instanceof GroveRpcError && error.code === RpcErrorCode.Unauthenticated) {
    return new Error(`${error.message}\n  pass a token with --token or GROVE_TOKEN`);
  }
  return error;
}
