// The names a cluster shares in NATS: one change stream per station, two key-value
// buckets (stations, owners), an object store for snapshots, and request subjects.
import { GroveError } from '../errors.js';

/** Station ids name streams and subjects, so they keep to characters NATS allows there. */
const STATION_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function checkStationId(id: string): string {
  if (!STATION_ID.test(id)) {
    throw new GroveError('INVALID_ARGUMENT', `station id "${id}" must be 1 to 64 letters, digits, "_" or "-" (it names a NATS stream)`);
  }
  return id;
}

export const STATIONS_BUCKET = 'grove_stations';
export const OWNERS_BUCKET = 'grove_owners';
export const SNAPSHOTS_BUCKET = 'grove_snapshots';

export const streamName = (station: string) => `GROVE_${station}`;
export const changesSubject = (station: string) => `grove.changes.${station}`;
/** Forwarded JSON-RPC calls for a station. */
export const rpcSubject = (station: string) => `grove.rpc.${station}`;
/** Requests to a station for a snapshot of what it owns. */
export const snapshotSubject = (station: string) => `grove.snapshot.${station}`;
/** Requests to a station to report once it has applied another's stream up to a version. */
export const catchUpSubject = (station: string) => `grove.catchup.${station}`;

/**
 * An owned prefix as a key of the owners bucket: keys allow only [-/_=.A-Za-z0-9], so the
 * path travels in base64url; the root is "root".
 */
export function ownerKey(prefix: string): string {
  return prefix === '' ? 'root' : `p.${Buffer.from(prefix, 'utf8').toString('base64url')}`;
}

export function prefixOfKey(key: string): string {
  // every write looks up its owner among the keys: decode each key once
  let prefix = decodedKeys.get(key);
  if (prefix === undefined) {
    prefix = key === 'root' ? '' : Buffer.from(key.slice(2), 'base64url').toString('utf8');
    decodedKeys.set(key, prefix);
  }
  return prefix;
}

/** Owner keys decoded so far; there are as many as prefixes ever owned. */
const decodedKeys = new Map<string, string>();

/** The prefix itself and each of its ancestors, root first. */
export function ancestorsOf(path: string): string[] {
  if (path === '') return [''];
  const names = path.split('/');
  return ['', ...names.map((_, i) => names.slice(0, i + 1).join('/'))];
}
