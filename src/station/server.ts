// A station: one tree served over JSON-RPC 2.0 (POST /rpc, GET /ws), change events over
// SSE (GET /events), the browser client at /client.js, with auth, limits, rate limiting
// and CORS as configured.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';

import cors from '@fastify/cors';
import fastifyStatic from '@fastify/static';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';

import type { AbstractType } from '../abstractTypes.js';
import { Cluster, type ClusterOptions } from '../cluster/cluster.js';
import { createRpcEngine, type RpcLimits, rpcServer, websocketOptions, wireError } from '../rpc/index.js';
import { packageRoot, packageVersion } from '../packageRoot.js';
import { Tree } from '../tree.js';
import { loadAuthConfig } from '../auth/index.js';
import { ChangeHub, type DurableConsumer } from './changes.js';
import { type FsyncPolicy, Store, StoreError } from '../store/store.js';
import { defaultStationLimits, type StationContext, type StationLimits } from './context.js';
import { counterType, loadDemo } from './demo.js';
import { componentLog, type Logger, type LogLevel, StationLogController, stationLogger } from './logging.js';
import { monitoring } from './monitoring.js';
import { stationMethods } from './methods/station.js';
import { allowedRequests, originGuard } from './origin.js';
import { CallerLimits, type RateLimit, requestRateLimit } from './rates.js';
import { eventsRoute } from './sse.js';
import { exportRoute } from './export.js';
import { NODIX_RECORD_TYPES } from '../codec/nodixTypes.js';

export interface StationOptions {
  /** The tree to serve; default a new one. */
  tree?: Tree;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Bearer tokens with full access (also GROVE_TOKEN in the CLI). */
  tokens?: string[];
  /** A JSON rules file: per-token path rules and subtree owners (src/auth/index.ts). */
  rulesFile?: string;
  demo?: boolean;
  stationId?: string;
  /** Where the station logs: a pino logger, or a level for JSON lines on stderr (default: warn). */
  logger?: Logger | LogLevel;
  limits?: Partial<StationLimits & RpcLimits>;
  /**
   * Calls per caller (its token when it presents a known one, else its client address) per
   * time window, or false for none; a batch of 100 counts 100 (README "Security"). Default
   * 1000 a second.
   */
  rateLimit?: RateLimit | false;
  /** Failed authentications (unknown tokens) per client address per time window, or false for none. Default 20 a minute. */
  authFailureLimit?: RateLimit | false;
  /** Origins allowed to call from a browser on another origin; default none (README "Security"). */
  corsOrigins?: string[];
  /** Host names the station answers to besides IP addresses, localhost, its listen host and --advertise's (README "Security"). */
  allowedHosts?: string[];
  /**
   * Addresses (or CIDR ranges) of reverse proxies in front of the station, whose
   * X-Forwarded-For is believed: rate limits then count the client's address, not the proxy's.
   */
  trustProxy?: string[];
  /** Abstract types whose operations node.invoke runs (the demo adds "counter"). */
  types?: AbstractType[];
  /** Change events kept for resuming subscriptions; default 10,000. */
  changeLogSize?: number;
  /**
   * Bytes of change events (as JSON) kept for resuming subscriptions; default 4 MiB, so
   * that a large import is not held in memory a second time as the events that made it.
   */
  changeLogBytes?: number;
  /**
   * A data directory to keep the tree in (write-ahead log and snapshots, README "Store"),
   * or false / absent for a tree in memory only. The tree is rebuilt from it at start.
   */
  data?: string | false;
  /** When a write is durable: always (fsync each), batch (default: group commit), off. */
  fsync?: FsyncPolicy;
  /** Start even if the log is damaged in the middle, keeping what precedes the damage. */
  repair?: boolean;
  /**
   * Join a cluster over NATS JetStream (README "Cluster"); the station id names this station
   * there (default a random one). Absent: a station alone, which needs no NATS.
   */
  cluster?: Omit<ClusterOptions, 'stationId'>;
  /** Store internals for tests (snapshot size, fault injection). */
  storeOptions?: { snapshotBytes?: number; inject?: (phase: 'write' | 'fsync') => void; log?: (line: string) => void };
}

export interface Station {
  readonly url: string;
  readonly tree: Tree;
  readonly app: FastifyInstance;
  readonly context: StationContext;
  /** The data directory's store, when the station has one. */
  readonly store?: Store;
  close(): Promise<void>;
}

const DEFAULT_CHANGE_LOG_BYTES = 4 * 2 ** 20;

/** Builds a station without listening (tests use it with inject or listen themselves). */
export async function createStation(options: StationOptions = {}): Promise<Station> {
  const allowed = allowedRequests({
    cors: options.corsOrigins,
    listen: options.host ?? '127.0.0.1',
    advertise: options.cluster?.advertise,
    allowHosts: options.allowedHosts,
  });
  const tree = options.tree ?? Tree.create();
  const types = tree.types;
  const log = stationLogger(options.logger);
  const storeLog = options.storeOptions?.log ?? componentLog(log, 'store');
  // Nodix's record types, so that nodes imported with them are found by their names (once per tree)
  for (const type of NODIX_RECORD_TYPES) if (types.byName(type.name) === undefined) types.register(type);
  for (const type of [...(options.demo ? [counterType] : []), ...(options.types ?? [])]) types.register(type);
  const opened = options.data ? Store.open(options.data, tree, { fsync: options.fsync, repair: options.repair, ...options.storeOptions, log: storeLog }) : undefined;
  const store = opened?.store;
  // demo data goes only into an empty store; it is loaded once the hub logs it, then snapshotted
  const loadedDemo = options.demo === true && (opened === undefined || opened.recovery.empty);
  const { maxBodyBytes, maxBatch, maxDepth, maxQueuedBytes, maxUnsentBytes, ...stationLimits } = options.limits ?? {};
  const rpcLimits = Object.fromEntries(
    Object.entries({ maxBodyBytes, maxBatch, maxDepth, maxQueuedBytes, maxUnsentBytes }).filter(([, v]) => v !== undefined),
  );
  const limits = { ...defaultStationLimits, ...stationLimits };
  // the nonces of owner keys live in the tree: its log, snapshots and streams keep them
  const nonces = { last: (key: string) => tree.nonceOf(key), accept: (key: string, nonce: number, prefix: string) => tree.acceptNonce(key, nonce, prefix) };
  const auth = loadAuthConfig({ tokens: options.tokens ?? [], rulesFile: options.rulesFile, nonces });
  // the station keeps its id in its data directory: a restart is the same station
  const id = options.stationId ?? store?.station?.id ?? randomUUID().slice(0, 8);
  if (store && store.station?.id !== id) store.setStation({ id });
  let cluster: Cluster | undefined;
  try {
    cluster = options.cluster && (await Cluster.connect(tree, { log: componentLog(log, 'cluster'), ...options.cluster, stationId: id }));
  } catch (error) {
    await store?.close();
    throw error;
  }
  const durable = [...(store ? [durableConsumer(store)] : []), ...(cluster ? [cluster.publisher] : [])];
  const hub = new ChangeHub(tree, {
    logSize: options.changeLogSize,
    logBytes: options.changeLogBytes ?? DEFAULT_CHANGE_LOG_BYTES,
    durable,
    maxSubscriptions: limits.maxStationSubscriptions,
  });
  if (loadedDemo) {
    loadDemo(tree);
    hub.flush();
  }
  if (store) {
    store.onFailure = () => reloadDurable(store, tree, hub, storeLog);
    if (loadedDemo) await store.snapshot();
  }
  const snapshots = store && setInterval(() => {
    if (store.snapshotDue) store.snapshot(() => hub.flush()).catch((error) => storeLog(`snapshot failed: ${(error as Error).message}`));
  }, 1000).unref();
  // typed as fastify's own logger, so that app stays a plain FastifyInstance
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new StationLogController(),
    ...(options.trustProxy?.length ? { trustProxy: options.trustProxy } : {}),
  });
  const callers = new CallerLimits(auth, {
    calls: options.rateLimit ?? { max: 1000, timeWindowMs: 1000 },
    authFailures: options.authFailureLimit ?? { max: 20, timeWindowMs: 60_000 },
  });
  const streams = new Set<unknown>();
  // every TCP connection, plain HTTP or upgraded to a WebSocket or streaming SSE: the rest are HTTP
  let sockets = 0;
  app.server.on('connection', (socket) => {
    sockets++;
    socket.once('close', () => sockets--);
  });
  const openConnections = () => {
    const websocket = app.websocketServer?.clients.size ?? 0;
    return { websocket, sse: streams.size, http: Math.max(0, sockets - websocket - streams.size) };
  };
  const context: StationContext = {
    id,
    version: packageVersion,
    startedAt: Date.now(),
    tree,
    hub,
    auth,
    engine: undefined as never, // set below: the engine's methods need the context first
    limits,
    types,
    cluster,
    connections: () => {
      const open = openConnections();
      return open.websocket + open.sse;
    },
    openConnections,
    identify: (caller) => callers.identify(caller),
  };
  const engine = createRpcEngine({
    info: { title: 'Grove station', version: packageVersion, description: 'A typed object tree over JSON-RPC 2.0.' },
    limits: rpcLimits,
    admit: (calls, context) => callers.admit(calls, context),
  });
  (context as { engine: typeof engine }).engine = engine;
  for (const method of stationMethods(context)) engine.register(method);
  try {
    await cluster?.start({ hub, engine });
  } catch (error) {
    clearInterval(snapshots);
    await cluster!.release();
    await cluster!.close();
    hub.close();
    await store?.close();
    throw error;
  }

  // Registered here rather than inside rpcServer so that app.websocketServer counts connections;
  // and first, so that a /ws upgrade the hooks below refuse has its socket closed after the answer.
  await app.register(websocket, websocketOptions(engine));
  await app.register(originGuard, { allowed });
  // fastify's own 404 logs the whole URL, with any ?token= in it
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0];
    return reply.code(404).send({ message: `Route ${request.method}:${path} not found`, error: 'Not Found', statusCode: 404 });
  });
  await app.register(requestRateLimit, { limits: callers });
  if (options.corsOrigins && options.corsOrigins.length > 0) await app.register(cors, { origin: options.corsOrigins });
  await app.register(rpcServer, { engine });
  await app.register(eventsRoute, { station: context, streams });
  await app.register(exportRoute, { station: context });
  await app.register(monitoring, { station: context, store });
  await app.register(fastifyStatic, { root: join(packageRoot, 'dist', 'src', 'client'), prefix: '/client/' });
  // the client's one import from outside src/client: /client/errors.js asks for /wire/errors.js
  await app.register(fastifyStatic, { root: join(packageRoot, 'dist', 'src', 'wire'), prefix: '/wire/', decorateReply: false });
  app.get('/client.js', (_request, reply) => reply.type('text/javascript').send("export * from './client/index.js';\n"));
  // The explorer (web/): its index.html at "/", its other files beside it.
  await app.register(fastifyStatic, { root: join(packageRoot, 'web'), prefix: '/', decorateReply: false, index: 'index.html' });
  app.addHook('onClose', async () => {
    clearInterval(snapshots);
    await cluster?.close();
    hub.flush();
    hub.close();
    await store?.close();
    if (!options.tree) tree.close();
  });

  let url = '';
  return {
    get url() {
      return url;
    },
    tree,
    app,
    context,
    store,
    async close() {
      await app.close();
    },
    // listen() is startStation's; it sets the url
    ...{ listen: async (host: string, port: number) => (url = await app.listen({ host, port })) },
  } as Station;
}

/** Builds a station and listens; the default is http://127.0.0.1:7070. */
export async function startStation(options: StationOptions = {}): Promise<Station> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 7070;
  // a port already taken fails here, before anything joins the cluster; one taken in between fails at listen below
  if (port !== 0) await checkPortFree(host, port);
  const station = (await createStation(options)) as Station & { listen(host: string, port: number): Promise<string> };
  let url: string;
  try {
    url = await station.listen(host, port);
  } catch (error) {
    // all or nothing: no heartbeat, owner key or NATS connection outlives a station that cannot listen
    await station.context.cluster?.release();
    await station.close();
    throw listenError(error, port);
  }
  if (options.cluster && options.cluster.advertise === undefined) station.context.cluster?.advertiseAt(url);
  return station;
}

/** Binds `port` for a moment: throws listen's error (EADDRINUSE, EACCES) if it cannot. */
function checkPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => reject(listenError(error, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** Listen's error, with what to do about it where that is clear. */
function listenError(error: unknown, port: number): Error {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE') return Object.assign(new Error(`port ${port} is in use: choose another with --port`), { code });
  if (code === 'EACCES') return Object.assign(new Error(`port ${port} needs privileges this process lacks: choose one above 1023 with --port`), { code });
  return error as Error;
}

/** The hub's view of the store: a failing store refuses writes with a clear RPC error. */
function durableConsumer(store: Store): DurableConsumer {
  const rpcError = (error: unknown) =>
    error instanceof StoreError ? wireError('StoreFailed', error.message, { store: store.dir }) : error;
  return {
    check() {
      try {
        store.check();
      } catch (error) {
        throw rpcError(error);
      }
    },
    record(record) {
      return store.record(record)?.catch((error) => {
        throw rpcError(error);
      });
    },
  };
}

/**
 * After a write failed to become durable: puts the tree back to what the disk holds, so that
 * no write that was not acknowledged stays visible (subscribers see the undoing as changes).
 */
function reloadDurable(store: Store, tree: Tree, hub: ChangeHub, log: (line: string) => void): void {
  const scratch = Tree.create();
  try {
    store.durableState(scratch);
    // the nodes come back with their ids (the record form), in place of what the root holds
    const durable = tree.readChildren(scratch.exportJSON('', 'store'));
    store.suspended(() => {
      hub.flush();
      for (const child of tree.root.children()) {
        tree.root.remove(child);
        child.release();
      }
      for (const child of durable) {
        tree.root.append(child);
        child.release();
      }
      hub.flush();
    });
  } catch (error) {
    log(`could not reload the tree from ${store.dir}: ${(error as Error).message}`);
  } finally {
    scratch.close();
  }
}
