// The station's own methods: who it is (station.info), in-band auth for WebSocket
// clients, subscriptions, and node.invoke of abstract-type operations.
import { GroveError } from '../../errors.js';
import { type MethodDefinition, type RpcContext } from '../../rpc/index.js';
import type { ChangeEvent, Subscription } from '../changes.js';
import type { StationContext } from '../context.js';
import { treeMethods, normalise } from './tree.js';

const path = { type: 'string', maxLength: 16_640 };

export function stationMethods(station: StationContext): MethodDefinition[] {
  const subscriptions = new Subscriptions(station);
  return [
    ...treeMethods(station),
    {
      name: 'station.info',
      summary: 'The station: id, software version, uptime, tree version, node count, open connections, peers.',
      params: { type: 'object', properties: {}, additionalProperties: false },
      result: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          version: { type: 'string' },
          uptime: { type: 'number' },
          treeVersion: { type: 'integer' },
          nodes: { type: 'integer' },
          connections: { type: 'integer' },
          peers: { type: 'array' },
        },
        required: ['id', 'version', 'uptime', 'treeVersion', 'nodes', 'connections', 'peers'],
      },
      handler: (_params, context) => {
        station.auth.authenticate(context.token);
        return {
          id: station.id,
          version: station.version,
          uptime: (Date.now() - station.startedAt) / 1000,
          treeVersion: station.tree.version,
          nodes: station.tree.root.size - 1,
          connections: station.connections(),
          peers: [],
        };
      },
    },
    {
      name: 'auth',
      summary: 'Authenticates a WebSocket connection with a bearer token, for the calls that follow on it.',
      params: { type: 'object', properties: { token: { type: 'string', minLength: 1 } }, required: ['token'], additionalProperties: false },
      result: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      handler: (params: { token: string }, context) => {
        const identity = station.auth.authenticate(params.token);
        context.token = params.token;
        return { name: identity.name };
      },
    },
    {
      name: 'tree.subscribe',
      summary:
        'Sends tree.changed notifications for every change at, under or above a path (WebSocket only); ' +
        'with since, first replays what changed after that version, or fails when the log no longer reaches back.',
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
        const identity = station.auth.authenticate(context.token);
        const at = normalise(station, params.path);
        station.auth.check(identity, 'write', at);
        station.auth.verifyWrite({ method: 'node.invoke', params });
        const origin = identity.token === undefined ? context.connectionId : identity.name;
        return station.hub.write(origin, () => {
          const node = station.tree.node(at);
          try {
            return station.types.invoke(node, params.method, params.args ?? null) ?? null;
          } finally {
            node.release();
          }
        });
      },
    },
  ];
}

/** Each connection's subscriptions, ended with the connection. */
class Subscriptions {
  readonly #station: StationContext;
  readonly #byConnection = new Map<string, Map<string, Subscription>>();
  #next = 0;

  constructor(station: StationContext) {
    this.#station = station;
  }

  open(rawPath: string, since: number | undefined, context: RpcContext) {
    const station = this.#station;
    const identity = station.auth.authenticate(context.token);
    const at = normalise(station, rawPath);
    station.auth.check(identity, 'read', at);
    const { notify, onClose } = context;
    if (notify === undefined || onClose === undefined) {
      throw new GroveError('INVALID_ARGUMENT', 'tree.subscribe needs a WebSocket connection (/ws); over HTTP, read GET /events?path=...');
    }
    let mine = this.#byConnection.get(context.connectionId);
    if (mine === undefined) {
      const created = new Map<string, Subscription>();
      this.#byConnection.set(context.connectionId, created);
      onClose(() => {
        for (const subscription of created.values()) subscription.close();
        this.#byConnection.delete(context.connectionId);
      });
      mine = created;
    }
    if (mine.size >= station.limits.maxSubscriptions) {
      throw new GroveError(
        'LIMIT_EXCEEDED',
        `this connection already has ${mine.size} subscriptions, the most allowed (maxSubscriptions); unsubscribe first`,
        at,
      );
    }
    const id = `s${++this.#next}`;
    const send = (event: ChangeEvent) => notify('tree.changed', { subscription: id, ...event });
    mine.set(id, station.hub.subscribe(at, send, since));
    return { subscription: id, version: station.tree.version };
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
}
