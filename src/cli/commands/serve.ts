import { readFileSync } from 'node:fs';
import { defaultLimits } from '../../rpc/limits.js';
import { defaultStationLimits } from '../../station/context.js';
import { LOG_LEVELS } from '../../station/logLevels.js';
import type { Logger } from '../../station/logging.js';
import { type CommandSpec, choiceOption, expectPositionals, helpOption, integerOption, stringOption, UsageError } from '../command.js';

const DEFAULT_PORT = 7070;
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_DATA = './data';
const DEFAULT_RATE_LIMIT = 1000;
const DEFAULT_LOG_LEVEL = 'info';
const DEFAULT_AUTH_FAILURES = 20;

export const serveCommand: CommandSpec = {
  name: 'serve',
  summary: 'run a station: the tree over JSON-RPC (HTTP and WebSocket) and the explorer',
  synopsis: '[options]',
  description: [
    'Runs a station until interrupted (Ctrl-C or SIGTERM close it gracefully).',
    'With tokens, every call must carry one as a bearer token; without, anyone who can',
    'reach the port may read and write. It prints its URL once it is listening.',
    'Web pages of other origins may not call it (--cors lets one in), and it answers only',
    'to IP addresses, localhost, its --host, --advertise and --allow-host names (README "Security").',
    'The tree is kept in a data directory (default ./data): a write is acknowledged only',
    'once it is in the write-ahead log on disk, and a restart rebuilds the tree from it.',
    'With --demo, demo data is loaded only into an empty store.',
    'With --cluster, the station joins the stations sharing that NATS JetStream: each',
    'replicates the whole tree, and a write for a subtree another station owns is',
    'forwarded to it (README "Cluster"). Without it, no NATS is needed.',
    'It logs JSON lines to stderr (each with a timestamp and level; --log-level debug adds',
    'every request) and serves /healthz, /readyz and /metrics (Prometheus) for operators.',
  ].join('\n'),
  arguments: [],
  options: [
    { name: 'port', short: 'p', value: 'N', env: 'GROVE_PORT', description: `TCP port; 0 picks a free one (default: ${DEFAULT_PORT})` },
    {
      name: 'host',
      value: 'HOST',
      env: 'GROVE_HOST',
      description: `interface to listen on; 0.0.0.0 for every one (default: ${DEFAULT_HOST})`,
    },
    {
      name: 'token',
      value: 'T',
      multiple: true,
      env: 'GROVE_TOKEN',
      description: 'accept this bearer token; repeatable (the variable: comma-separated)',
    },
    {
      name: 'rules',
      value: 'FILE',
      env: 'GROVE_RULES',
      description: 'per-path read/write rules for each token (default: tokens may do anything)',
    },
    { name: 'demo', env: 'GROVE_DEMO', description: 'load demo data into the tree (only when the store is empty)' },
    { name: 'data', value: 'DIR', env: 'GROVE_DATA', description: `data directory for the write-ahead log and snapshots (default: ${DEFAULT_DATA})` },
    { name: 'memory', env: 'GROVE_MEMORY', description: 'keep the tree in memory only: nothing is written to disk' },
    {
      name: 'fsync',
      value: 'always|batch|off',
      env: 'GROVE_FSYNC',
      description: 'always: fsync every write; batch: concurrent writes share one fsync; off: leave it to the OS (default: batch)',
    },
    { name: 'repair', env: 'GROVE_REPAIR', description: 'start even if the log is damaged in the middle, keeping everything before the damage' },
    {
      name: 'cors',
      value: 'ORIGIN',
      multiple: true,
      env: 'GROVE_CORS',
      description: 'let pages from this origin (scheme://host[:port]) call the station; repeatable (default: same origin only)',
    },
    {
      name: 'allow-host',
      value: 'NAME',
      multiple: true,
      env: 'GROVE_ALLOW_HOST',
      description: 'answer requests for this host name too (a DNS name the station is reached by); repeatable',
    },
    {
      name: 'trust-proxy',
      value: 'ADDRESS',
      multiple: true,
      env: 'GROVE_TRUST_PROXY',
      description: 'a reverse proxy in front (an address or CIDR range) whose X-Forwarded-For names the client; repeatable',
    },
    {
      name: 'rate-limit',
      value: 'N',
      env: 'GROVE_RATE_LIMIT',
      description: `calls per second per token (or client address), a batch counting each call; 0 for none (default: ${DEFAULT_RATE_LIMIT})`,
    },
    {
      name: 'auth-failures',
      value: 'N',
      env: 'GROVE_AUTH_FAILURES',
      description: `unknown tokens per minute per client address before it is refused for the rest of the minute; 0 for none (default: ${DEFAULT_AUTH_FAILURES})`,
    },
    {
      name: 'max-queued-bytes',
      value: 'N',
      env: 'GROVE_MAX_QUEUED_BYTES',
      description: `unsent bytes past which a connection is not read and its subscriptions end as too slow (default: ${defaultLimits.maxQueuedBytes})`,
    },
    {
      name: 'max-unsent-bytes',
      value: 'N',
      env: 'GROVE_MAX_UNSENT_BYTES',
      description: `bytes one message's answer may take, and unsent bytes past which a connection is closed (default: ${defaultLimits.maxUnsentBytes})`,
    },
    {
      name: 'max-station-subscriptions',
      value: 'N',
      env: 'GROVE_MAX_STATION_SUBSCRIPTIONS',
      description: `subscriptions and event streams the station holds at once, over all connections (default: ${defaultStationLimits.maxStationSubscriptions})`,
    },
    {
      name: 'station-id',
      value: 'ID',
      env: 'GROVE_STATION_ID',
      description: 'this station\'s network-unique id: letters, digits, _ or - (default: generated; kept in the data directory)',
    },
    {
      name: 'cluster',
      value: 'URL',
      multiple: true,
      env: 'GROVE_CLUSTER',
      description: 'join the cluster on this NATS server (nats://host:port; repeatable, or comma-separated)',
    },
    {
      name: 'advertise',
      value: 'URL',
      env: 'GROVE_ADVERTISE',
      description: 'the URL other stations and clients reach this one at (default: the URL it listens on)',
    },
    {
      name: 'lease',
      value: 'MS',
      env: 'GROVE_LEASE',
      description: 'how long an owner may be silent before a replica takes over its subtrees (default: 3000)',
    },
    {
      name: 'replicas',
      value: 'N',
      env: 'GROVE_REPLICAS',
      description: 'JetStream replicas of the streams and buckets, up to the NATS cluster size (default: 1)',
    },
    {
      name: 'log-level',
      value: 'LEVEL',
      env: 'GROVE_LOG_LEVEL',
      description: `${LOG_LEVELS.join(', ')}; debug adds a line per request (default: ${DEFAULT_LOG_LEVEL})`,
    },
    helpOption,
  ],
  examples: [
    'grove serve --demo',
    'GROVE_TOKEN=s3cret grove serve --host 0.0.0.0 --port 8080 --rules rules.json --allow-host grove.example.com',
    'GROVE_DATA=/var/lib/grove GROVE_LOG_LEVEL=warn grove serve',
    'grove serve --cluster nats://127.0.0.1:4222 --station-id a --port 7071 --data ./data-a',
  ],
  run: async (args) => {
    expectPositionals(args.positionals, [], 0);
    const tokens = (args.values.token as string[] | undefined) ?? [];
    const port = integerOption(args, 'port', 0, 65535) ?? DEFAULT_PORT;
    const rulesFile = stringOption(args, 'rules');
    const memory = args.values.memory === true;
    const dataOption = stringOption(args, 'data');
    if (memory && dataOption !== undefined) throw new Error('--memory and --data exclude each other: pick one');
    const data = memory ? false : (dataOption ?? DEFAULT_DATA);
    const fsync = choiceOption(args, 'fsync', ['always', 'batch', 'off'], 'batch');
    const rateLimit = integerOption(args, 'rate-limit', 0, 1_000_000_000) ?? DEFAULT_RATE_LIMIT;
    const logLevel = choiceOption(args, 'log-level', LOG_LEVELS, DEFAULT_LOG_LEVEL);
    const authFailures = integerOption(args, 'auth-failures', 0, 1_000_000_000) ?? DEFAULT_AUTH_FAILURES;
    if (rulesFile !== undefined) checkReadable(rulesFile);
    const limits = {
      maxQueuedBytes: integerOption(args, 'max-queued-bytes', 1, Number.MAX_SAFE_INTEGER),
      maxUnsentBytes: integerOption(args, 'max-unsent-bytes', 1, Number.MAX_SAFE_INTEGER),
      maxStationSubscriptions: integerOption(args, 'max-station-subscriptions', 1, Number.MAX_SAFE_INTEGER),
    };
    if ((limits.maxQueuedBytes ?? defaultLimits.maxQueuedBytes) > (limits.maxUnsentBytes ?? defaultLimits.maxUnsentBytes)) {
      throw new UsageError('--max-queued-bytes must not be larger than --max-unsent-bytes (the connection would be closed before it stops being read)');
    }
    const clusterServers = ((args.values.cluster as string[] | undefined) ?? []).flatMap((url) => url.split(',')).filter((url) => url !== '');
    const clusterOnly = ['advertise', 'lease', 'replicas'].filter((name) => args.values[name] !== undefined);
    if (clusterServers.length === 0 && clusterOnly.length > 0) throw new UsageError(`--${clusterOnly[0]} needs --cluster`);
    const cluster =
      clusterServers.length === 0
        ? undefined
        : {
            servers: clusterServers,
            advertise: stringOption(args, 'advertise'),
            leaseMs: integerOption(args, 'lease', 100, 3_600_000),
            replicas: integerOption(args, 'replicas', 1, 5),
          };
    // loaded here, not at the top: the other commands need neither the addon nor fastify
    const { startStation } = await import('../../station/server.js');
    const { createLogger } = await import('../../station/logging.js');
    const logger = createLogger(logLevel);
    const station = await startStation({
      host: stringOption(args, 'host') ?? DEFAULT_HOST,
      port,
      tokens,
      rulesFile,
      demo: args.values.demo === true,
      stationId: stringOption(args, 'station-id'),
      corsOrigins: (args.values.cors as string[] | undefined) ?? [],
      rateLimit: rateLimit === 0 ? false : { max: rateLimit, timeWindowMs: 1000 },
      logger,
      authFailureLimit: authFailures === 0 ? false : { max: authFailures, timeWindowMs: 60_000 },
      allowedHosts: (args.values['allow-host'] as string[] | undefined) ?? [],
      trustProxy: (args.values['trust-proxy'] as string[] | undefined) ?? [],
      data,
      fsync,
      repair: args.values.repair === true,
      cluster,
      limits: Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined)),
    });
    if (station.store) logger.info({ dir: station.store.dir, fsync, version: station.tree.version }, 'store opened');
    if (station.context.cluster) logger.info({ station: station.context.id, servers: clusterServers }, 'joined the cluster');
    // the one line on stdout, for scripts that start a station and wait for its URL
    process.stdout.write(`grove station listening on ${station.url}\n`);
    await closeOnSignal(() => station.close(), logger);
  },
};

function checkReadable(file: string): void {
  try {
    readFileSync(file);
  } catch (error) {
    throw new Error(`cannot read the rules file: ${(error as Error).message}`);
  }
}

/** Resolves once the first SIGINT or SIGTERM has closed the station; a second one ends at once. */
function closeOnSignal(close: () => Promise<void>, logger: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      const now = () => process.exit(1);
      process.once('SIGINT', now);
      process.once('SIGTERM', now);
      logger.info({ signal }, 'closing the station (send the signal again to stop at once)');
      close().then(resolve, reject);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
