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

import { type AbstractType, TypeRegistry } from '../abstractTypes.js';
import { createRpcEngine, ErrorCode, type RpcLimits, rpcServer, websocketOptions } from '../rpc/index.js';
import { Tree } from '../tree.js';
import { loadAuthConfig } from './auth.js';
import { ChangeHub } from './changes.js';
import { defaultStationLimits, type StationContext, type StationLimits } from './context.js';
import { counterType, loadDemo } from './demo.js';
import { stationMethods } from './methods/station.js';
import { eventsRoute } from './sse.js';

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
}

export interface Station {
  readonly url: string;
  readonly tree: Tree;
  readonly app: FastifyInstance;
  readonly context: StationContext;
  close(): Promise<void>;
}

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
  const types = new TypeRegistry();
  for (const type of [...(options.demo ? [counterType] : []), ...(options.types ?? [])]) types.register(type);
  if (options.demo) loadDemo(tree);
  const { maxBodyBytes, maxBatch, maxDepth, ...stationLimits } = options.limits ?? {};
  const rpcLimits = Object.fromEntries(Object.entries({ maxBodyBytes, maxBatch, maxDepth }).filter(([, v]) => v !== undefined));
  const limits = { ...defaultStationLimits, ...stationLimits };
  const auth = loadAuthConfig({ tokens: options.tokens ?? [], rulesFile: options.rulesFile });
  const hub = new ChangeHub(tree, { logSize: options.changeLogSize });
  const app = Fastify({ logger: options.logger ?? false });
  const streams = new Set<unknown>();
  const context: StationContext = {
    id: options.stationId ?? randomUUID().slice(0, 8),
    version: packageVersion,
    startedAt: Date.now(),
    tree,
    hub,
    auth,
    engine: undefined as never, // set below: the engine's methods need the context first
    limits,
    types,
    connections: () => (app.websocketServer?.clients.size ?? 0) + streams.size,
  };
  const engine = createRpcEngine({
    info: { title: 'Grove station', version: packageVersion, description: 'A typed object tree over JSON-RPC 2.0.' },
    limits: rpcLimits,
  });
  (context as { engine: typeof engine }).engine = engine;
  for (const method of stationMethods(context)) engine.register(method);

  if (options.corsOrigins && options.corsOrigins.length > 0) await app.register(cors, { origin: options.corsOrigins });
  const rate = options.rateLimit ?? { max: 1000, timeWindowMs: 1000 };
  if (rate !== false) {
    await app.register(rateLimit, {
      max: rate.max,
      timeWindow: rate.timeWindowMs,
      errorResponseBuilder: (_request, { max, after }) => ({
        statusCode: 429,
        jsonrpc: '2.0',
        id: null,
        error: {
          code: ErrorCode.LimitExceeded,
          message: `rate limit exceeded: at most ${max} requests per ${rate.timeWindowMs} ms from one client; retry in ${after}`,
          data: { limit: 'rateLimit', max },
        },
      }),
    });
  }
  // Registered here rather than inside rpcServer so that app.websocketServer counts connections.
  await app.register(websocket, websocketOptions(engine));
  await app.register(rpcServer, { engine });
  await app.register(eventsRoute, { station: context, streams });
  await app.register(fastifyStatic, { root: join(packageRoot, 'dist', 'src', 'client'), prefix: '/client/' });
  app.get('/client.js', (_request, reply) => reply.type('text/javascript').send("export * from './client/index.js';\n"));
  // The explorer (web/): its index.html at "/", its other files beside it.
  await app.register(fastifyStatic, { root: join(packageRoot, 'web'), prefix: '/', decorateReply: false, index: 'index.html' });
  app.addHook('onClose', async () => {
    hub.close();
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
  await station.listen(options.host ?? '127.0.0.1', options.port ?? 7070);
  return station;
}
