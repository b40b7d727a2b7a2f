// The station's own methods: who it is (station.info), in-band auth for WebSocket
// clients, subscriptions, and node.invoke of abstract-type operations.
import { GroveError } from '../../errors.js';
import { type MethodDefinition, RawJson, type RpcContext } from '../../rpc/index.js';
import type { Identity } from '../../auth/index.js';
import { isWithin } from '../../paths.js';
import { eventMembers, type Subscription } from '../changes.js';
import type { StationContext } from '../context.js';
import { plainJsonValue } from '../../codec/jsonValues.js';
import { clusterMethods } from './cluster.js';
import { historyMethods } from './history.js';
import { plotMethods } from './plot.js';
import { treeMethods, normalise } from './tree.js';

const path = { type: 'string', maxLength: 16_640 };

export function stationMethods(station: StationContext): MethodDefinition[] {
  const subscriptions = new Subscriptions(station);
  return [
    ...treeMethods(station),
    ...plotMethods(station),
    ...historyMethods(station),
    {
      name: 'station.info',
      summary:
        'The station: id, software version, uptime, tree version, node count, open connections (by transport), peers (and in a cluster, who owns what).',
      params: { type: 'object', properties: {}, additionalProperties: false },
      result: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          version: { type: 'string' },
          uptime: { type: 'number' },
          treeVersion: { type: 'integer' },
          nodes: { type: 'integer' },
          connections: { type: 'integer', description: 'Open WebSocket connections and SSE streams.' },
          transports: {
            type: 'object',
            description: 'Open connections by transport: WebSocket, SSE streams, and plain HTTP (kept alive between requests, or serving one).',
            properties: { websocket: { type: 'integer' }, sse: { type: 'integer' }, http: { type: 'integer' } },
            required: ['websocket', 'sse', 'http'],
          },
          peers: { type: 'array' },
          owners: { type: 'array', description: 'In a cluster: each owned path prefix and its station.' },
        },
        required: ['id', 'version', 'uptime', 'treeVersion', 'nodes', 'connections', 'transports', 'peers'],
      },
      handler: (_params, context) => {
        station.auth.checkInfo(station.identify(context), 'station.info');
        const { cluster } = station;
        const transports = station.openConnections();
        return {
          id: station.id,
          version: station.version,
          uptime: (Date.now() - station.startedAt) / 1000,
          treeVersion: station.tree.version,
          nodes: station.tree.root.size - 1,
          connections: station.connections(),
          transports,
          peers: cluster?.peers().filter((peer) => peer.id !== station.id) ?? [],
          ...(cluster ? { owners: cluster.owners() } : {}),
        };
      },
    },
    {
      name: 'auth',
      summary:
        'Authenticates a WebSocket connection with a bearer token, for the calls that follow on it; ' +
        'answers with what the token may do (path prefixes it may read and write, "" for all; whether it may call station.info).',
      params: { type: 'object', properties: { token: { type: 'string', minLength: 1 } }, required: ['token'], additionalProperties: false },
      result: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          read: { type: 'array', items: { type: 'string' } },
          write: { type: 'array', items: { type: 'string' } },
          info: { type: 'boolean' },
        },
        required: ['name', 'read', 'write', 'info'],
      },
      handler: (params: { token: string }, context) => {
        const identity = station.identify({ token: params.token, address: context.address });
        context.token = params.token;
        const { name, read, write, info } = identity;
        return { name, read, write, info };
      },
    },
    {
      name: 'tree.subscribe',
      summary:
        'Sends tree.changed notifications for every change at, under or above a path (WebSocket only); ' +
        'with since, first replays what changed after that version, or fails when the log no longer reaches back. ' +
        'tree.progress { subscription, version } tells a quiet subscription how far it is up to date; ' +
        'tree.subscriptionEnded { subscription, reason, message } ends one (reason "slow": resubscribe from the last version seen).',
      params: {
        type: 'object',
        properties: { path, since: { type: 'integer', minimum: 0 } },
        required: ['path'],
        additionalProperties: false,
      },
      result: {
        type: 'object',
        properties: { subscription: { type: 'string' }, version: { type: 'integer' } },
        required: ['subscription', 'version'],
      },
      handler: (params: { path: string; since?: number }, context) => subscriptions.open(params.path, params.since, context),
    },
    {
      name: 'tree.unsubscribe',
      summary: 'Ends a subscription of this connection, by its id or by its path.',
      params: {
        type: 'object',
        properties: { subscription: { type: 'string' }, path },
        additionalProperties: false,
      },
      result: { type: 'object', properties: { closed: { type: 'integer' } }, required: ['closed'] },
      handler: (params: { subscription?: string; path?: string }, context) =>
        ({ closed: subscriptions.close(context, params.subscription, params.path) }),
    },
    {
      name: 'node.invoke',
      summary: "Runs an operation of the node's abstract type with the node and the given args.",
      params: {
        type: 'object',
        properties: { path, method: { type: 'string', minLength: 1 }, args: {}, signature: { type: 'object' } },
        required: ['path', 'method'],
        additionalProperties: false,
      },
      result: {},
      handler: (params: { path: string; method: string; args?: unknown }, context) => {
        // authenticated before routing, as every call is (tree.ts define)
        const identity = station.identify(context);
        const at = normalise(station, params.path);
        station.auth.check(identity, 'write', at);
        const run = () => invoke(station, identity, at, params);
        return station.cluster ? station.cluster.route('node.invoke', params, context, run) : run();
      },
    },
    ...(station.cluster ? clusterMethods(station, station.cluster) : []),
  ];
}

/** node.invoke on this station: the node's abstract-type operation, as one write. */
function invoke(station: StationContext, identity: Identity, at: string, params: { path: string; method: string; args?: unknown }): unknown {
  return station.hub.write(identity.name, () => {
    station.auth.verifyWrite({ method: 'node.invoke', params });
    const node = station.tree.node(at);
    try {
      const result = station.types.invoke(node, params.method, params.args ?? null) ?? null;
      // leaf values (a counter past 2^53, bytes) travel in their plain JSON encoding
      return typeof result === 'bigint' || typeof result === 'number' || result instanceof Uint8Array ? plainJsonValue(result) : result;
    } finally {
      node.release();
    }
  });
}

/** Whether a caller may read a path, or undefined when it may read everything. */
export function readerOf(identity: Identity): ((path: string) => boolean) | undefined {
  if (identity.read.includes('')) return undefined;
  return (path) => identity.read.some((prefix) => isWithin(path, prefix));
}

/**
 * Each connection's subscriptions, ended with the connection, or with a
 * `tree.subscriptionEnded` notification when its send queue passes limits.maxQueuedBytes (reason
 * "slow": the client may resubscribe from the last version it saw once it has caught up).
 */
class Subscriptions {
  readonly #station: StationContext;
  readonly #byConnection = new Map<string, Map<string, Subscription>>();
  #next = 0;

  constructor(station: StationContext) {
    this.#station = station;
  }

  open(rawPath: string, since: number | undefined, context: RpcContext) {
    const station = this.#station;
    const identity = station.identify(context);
    const at = normalise(station, rawPath);
    station.auth.check(identity, 'read', at);
    const { notify, onClose, queuedBytes } = context;
    if (notify === undefined || onClose === undefined) {
      throw new GroveError('INVALID_ARGUMENT', 'tree.subscribe needs a WebSocket connection (/ws); over HTTP, read GET /events?path=...');
    }
    const mine = this.#connection(context.connectionId, onClose);
    if (mine.size >= station.limits.maxSubscriptions) {
      throw new GroveError(
        'LIMIT_EXCEEDED',
        `this connection already has ${mine.size} subscriptions, the most allowed (maxSubscriptions); unsubscribe first`,
        at,
      );
    }
    const id = `s${++this.#next}`;
    // a subscriber that reads slower than the tree changes must not hold the station's memory without bound
    const { maxQueuedBytes } = station.engine.limits;
    // params: the notification's members after the subscription's id, as JSON (an event's are made once, for every subscriber)
    const send = (method: string, members: string) => {
      if (queuedBytes === undefined || queuedBytes() <= maxQueuedBytes) return notify(method, new RawJson(`{"subscription":"${id}",${members}}`));
      const unread = `over ${maxQueuedBytes} bytes of notifications this connection has not read yet`;
      // still replaying: the subscribe fails, and the hub never starts it
      if (!mine.has(id)) throw new GroveError('LIMIT_EXCEEDED', `the replay stopped with ${unread}; read the subtree again instead`, at);
      this.#endAll(context.connectionId, notify, 'slow', `the station holds ${unread}`);
    };
    const onEnd = (error: unknown) => {
      mine.delete(id);
      context.log.error({ err: error, subscription: id }, 'a subscription failed to send a change');
      notify('tree.subscriptionEnded', { subscription: id, reason: 'error', message: 'the station failed to send a change' });
    };
    const subscription = station.hub.subscribe(at, (event) => send('tree.changed', eventMembers(event)), {
      since,
      mayRead: readerOf(identity),
      // a quiet subscription learns how far it is up to date, so it can resume from the log
      onProgress: (version) => send('tree.progress', `"version":${version}`),
      onEnd,
    });
    mine.set(id, subscription);
    // the replay, if any, has been sent: the client has seen everything up to this version
    return { subscription: id, version: station.hub.version };
  }

  close(context: RpcContext, id: string | undefined, rawPath: string | undefined): number {
    const mine = this.#byConnection.get(context.connectionId);
    if (id === undefined && rawPath === undefined) {
      throw new GroveError('INVALID_ARGUMENT', 'tree.unsubscribe needs the subscription id (or the path) to end');
    }
    const at = rawPath === undefined ? undefined : normalise(this.#station, rawPath);
    let closed = 0;
    for (const [key, subscription] of mine ?? []) {
      if (key === id || subscription.path === at) {
        subscription.close();
        mine!.delete(key);
        closed++;
      }
    }
    return closed;
  }

  /** The connection's subscriptions by id; the first call arranges for them to end with it. */
  #connection(connectionId: string, onClose: (cleanup: () => void) => void): Map<string, Subscription> {
    let mine = this.#byConnection.get(connectionId);
    if (mine === undefined) {
      const created = new Map<string, Subscription>();
      this.#byConnection.set(connectionId, created);
      onClose(() => {
        for (const subscription of created.values()) subscription.close();
        this.#byConnection.delete(connectionId);
      });
      mine = created;
    }
    return mine;
  }

  #endAll(connectionId: string, notify: NonNullable<RpcContext['notify']>, reason: string, message: string): void {
    const mine = this.#byConnection.get(connectionId);
    for (const [id, subscription] of mine ?? []) {
      subscription.close();
      notify('tree.subscriptionEnded', { subscription: id, reason, message });
    }
    mine?.clear();
  }
}
