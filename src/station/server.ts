// A station: one tree served over JSON-RPC 2.0 (POST /rpc, GET /ws), change events over
// SSE (GET /events), the browser client at /client.js, with auth, limits, rate limiting
// and CORS as configured.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';

import type { AbstractType } from '../abstractTypes.js';
import { Cluster, type ClusterOptions } from '../cluster/cluster.js';
import { createRpcEngine, ErrorCode, RpcError, type RpcLimits, rpcServer, websocketOptions } from '../rpc/index.js';
import { Tree } from '../tree.js';
import { loadAuthConfig } from './auth.js';
import { ChangeHub, type DurableConsumer } from './changes.js';
import { type FsyncPolicy, Store, StoreError } from '../store/store.js';
import { defaultStationLimits, type StationContext, type StationLimits } from './context.js';
import { counterType, loadDemo } from './demo.js';
import { stationMethods } from './methods/station.js';
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
  /** A JSON rules file: per-token path rules and subtree owners (src/station/auth.ts). */
  rulesFile?: string;
  demo?: boolean;
  stationId?: string;
  logger?: boolean;
  limits?: Partial<StationLimits & RpcLimits>;
  /** Requests per client (IP) per time window, or false for none. Default 1000 a second. */
  rateLimit?: { max: number; timeWindowMs: number } | false;
  /** Origins allowed to call from a browser on another origin; default none. */
  corsOrigins?: string[];
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

/** The RPC error a write gets when the store cannot make it durable. */
export const STORE_FAILED = -32007;

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = [join(here, '..', '..'), join(here, '..', '..', '..')].find((dir) => {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'grove';
  } catch {
    return false;
  }
})!;
const packageVersion: string = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version;

/** Builds a station without listening (tests use it with inject or listen themselves). */
export async function createStation(options: StationOptions = {}): Promise<Station> {
  const tree = options.tree ?? Tree.create();
  const types = tree.types;
  // Nodix's record types, so that nodes imported with them are found by their names (once per tree)
  for (const type of NODIX_RECORD_TYPES) if (types.byName(type.name) === undefined) types.register(type);
  for (const type of [...(options.demo ? [counterType] : []), ...(options.types ?? [])]) types.register(type);
  const opened = options.data ? Store.open(options.data, tree, { fsync: options.fsync, repair: options.repair, ...options.storeOptions }) : undefined;
  const store = opened?.store;
  // demo data goes only into an empty store; it is then snapshotted below
  const loadedDemo = options.demo === true && (opened === undefined || opened.recovery.empty);
  if (loadedDemo) loadDemo(tree);
  const { maxBodyBytes, maxBatch, maxDepth, ...stationLimits } = options.limits ?? {};
  const rpcLimits = Object.fromEntries(Object.entries({ maxBodyBytes, maxBatch, maxDepth }).filter(([, v]) => v !== undefined));
  const limits = { ...defaultStationLimits, ...stationLimits };
  const auth = loadAuthConfig({ tokens: options.tokens ?? [], rulesFile: options.rulesFile });
  const id = options.stationId ?? randomUUID().slice(0, 8);
  let cluster: Cluster | undefined;
  try {
    cluster = options.cluster && (await Cluster.connect(tree, { ...options.cluster, stationId: id }));
  } catch (error) {
    await store?.close();
    throw error;
  }
  const durable = [...(store ? [durableConsumer(store)] : []), ...(cluster ? [cluster.publisher] : [])];
  const hub = new ChangeHub(tree, { logSize: options.changeLogSize, logBytes: options.changeLogBytes ?? DEFAULT_CHANGE_LOG_BYTES, durable });
  if (store) {
    store.onFailure = () => reloadDurable(store, tree, hub);
    if (loadedDemo) await store.snapshot(tree, () => hub.flush());
  }
  const snapshots = store && setInterval(() => {
    if (store.snapshotDue) store.snapshot(tree, () => hub.flush()).catch((error) => (options.storeOptions?.log ?? console.error)(`snapshot failed: ${(error as Error).message}`));
  }, 1000).unref();
  const app = Fastify({ logger: options.logger ?? false });
  const streams = new Set<unknown>();
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
    connections: () => (app.websocketServer?.clients.size ?? 0) + streams.size,
  };
  const engine = createRpcEngine({
    info: { title: 'Grove station', version: packageVersion, description: 'A typed object tree over JSON-RPC 2.0.' },
    limits: rpcLimits,
  });
  (context as { engine: typeof engine }).engine = engine;
  for (const method of stationMethods(context)) engine.register(method);
  try {
    await cluster?.start({ hub, engine });
  } catch (error) {
    clearInterval(snapshots);
    await cluster!.close();
    hub.close();
    await store?.close();
    throw error;
  }

  if (options.corsOrigins && options.corsOrigins.length > 0) await app.register(cors, { origin: options.corsOrigins });
  const rate = options.rateLimit ?? { max: 1000, timeWindowMs: 1000 };
  if (rate !== false) {
    await app.register(rateLimit, {
      max: rate.max,
      timeWindow: rate.timeWindowMs,
      errorResponseBuilder: (_request, { max, after }) =>
        Object.assign(
          new RpcError(
            ErrorCode.LimitExceeded,
            `rate limit exceeded: at most ${max} requests per ${rate.timeWindowMs} ms from one client; retry in ${after}`,
            { limit: 'rateLimit', max },
          ),
          { statusCode: 429 },
        ),
    });
  }
  // Registered here rather than inside rpcServer so that app.websocketServer counts connections.
  await app.register(websocket, websocketOptions(engine));
  await app.register(rpcServer, { engine, messageRate: rate === false ? undefined : { max: rate.max, timeWindowMs: rate.timeWindowMs } });
  await app.register(eventsRoute, { station: context, streams });
  await app.register(exportRoute, { station: context });
  await app.register(fastifyStatic, { root: join(packageRoot, 'dist', 'src', 'client'), prefix: '/client/' });
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
  const station = (await createStation(options)) as Station & { listen(host: string, port: number): Promise<string> };
  const url = await station.listen(options.host ?? '127.0.0.1', options.port ?? 7070);
  if (options.cluster && options.cluster.advertise === undefined) station.context.cluster?.advertiseAt(url);
  return station;
}

/** The hub's view of the store: a failing store refuses writes with a clear RPC error. */
function durableConsumer(store: Store): DurableConsumer {
  const rpcError = (error: unknown) =>
    error instanceof StoreError ? new RpcError(STORE_FAILED, error.message, { store: store.dir }) : error;
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
function reloadDurable(store: Store, tree: Tree, hub: ChangeHub): void {
  const scratch = Tree.create();
  try {
    store.durableState(scratch);
    const text = scratch.exportJSON('', 'typed');
    store.suspended(() => {
      hub.flush();
      tree.importJSON('', text, { format: 'typed', replace: true });
      hub.flush();
    });
  } catch (error) {
    console.error(`grove store: could not reload the tree from ${store.dir}: ${(error as Error).message}`);
  } finally {
    scratch.close();
  }
}
