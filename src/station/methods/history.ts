// tree.history: the recent changes that touched a node, from the station's change log (the
// events subscribers replay from), newest first, each with its version and origin.
import { RawJson } from '../../rpc/index.js';
import { eventJson } from '../changes.js';
import type { StationContext } from '../context.js';
import { readerOf } from './station.js';
import { define, method, normalise, path } from './tree.js';

const MAX_LIMIT = 1000;

const HISTORY = method({
  name: 'tree.history',
  summary:
    'The recent changes that touched a node (at, under or above it), newest first, from the change log that subscriptions ' +
    'replay from: each as tree.changed carries it (path, op, value, oldValue, version, origin, changes). The log holds the ' +
    'changes after `floor` only, and starts afresh with the station.',
  access: 'read',
  params: { path, limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, description: 'The most changes (default 50).' } },
  required: ['path'],
  result: {
    type: 'object',
    properties: {
      changes: { type: 'array', items: { type: 'object' } },
      floor: { type: 'integer', description: 'The log holds the changes after this version: older ones are not listed.' },
      version: { type: 'integer', description: "The station's version when the log was read." },
    },
    required: ['changes', 'floor', 'version'],
  },
  run: (p: { path: string; limit?: number }, { station, identity }) => {
    const { hub } = station;
    const changes = hub.history(normalise(station, p.path), p.limit ?? 50, readerOf(identity));
    return new RawJson(`{"changes":[${changes.map(eventJson).join(',')}],"floor":${hub.floor},"version":${hub.version}}`);
  },
});

export function historyMethods(station: StationContext) {
  return [define(station, HISTORY)];
}
