// The cluster's methods, on a station started with one: who owns what and how far
// replication got (cluster.info), and moving a subtree to another station (station.migrate).
import type { Cluster } from '../../cluster/cluster.js';
import type { MethodDefinition } from '../../rpc/index.js';
import type { StationContext } from '../context.js';
import { normalise } from './tree.js';

const path = { type: 'string', maxLength: 16_640 };

export function clusterMethods(station: StationContext, cluster: Cluster): MethodDefinition[] {
  return [
    {
      name: 'cluster.info',
      summary: 'The cluster as this station sees it: stations and their heartbeats, owned prefixes, replication progress and lag.',
      params: { type: 'object', properties: {}, additionalProperties: false },
      result: {
        type: 'object',
        properties: {
          station: { type: 'string' },
          connected: { type: 'boolean' },
          peers: { type: 'array' },
          owners: { type: 'array' },
          replication: { type: 'array' },
        },
        required: ['station', 'connected', 'peers', 'owners', 'replication'],
      },
      handler: (_params, context) => {
        station.auth.checkInfo(station.identify(context), 'cluster.info');
        return cluster.info();
      },
    },
    {
      name: 'station.migrate',
      summary: 'Moves the subtree at a path to another station of the cluster, which owns it from then on; no write is lost or doubled.',
      params: {
        type: 'object',
        properties: {
          path,
          to: { type: 'string', minLength: 1, maxLength: 64 },
          signature: { type: 'object', description: 'Required where a key owns the subtree: { nonce, sig } over method, params and nonce, as for writes.' },
        },
        required: ['path', 'to'],
        additionalProperties: false,
      },
      result: {
        type: 'object',
        properties: { path: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, version: { type: 'integer' } },
        required: ['path', 'from', 'to', 'version'],
      },
      handler: (params: { path: string; to: string }, context) => {
        // moving a subtree rewrites who may write it: it takes write access to all of it, and
        // the owner's signature where a key owns it or a subtree under it; checked before routing
        const at = normalise(station, params.path);
        station.auth.check(station.identify(context), 'write', at);
        return cluster.route('station.migrate', params, context, async () => {
          // the nonce is taken as a write of its own, durable (and published) before the move
          await station.hub.write(station.identify(context).name, () => station.auth.verifyWrite({ method: 'station.migrate', params }));
          return cluster.migrate(at, params.to);
        });
      },
    },
  ];
}
