// Each station of a cluster gives node ids in a range of its own (Tree.idRange: ids start
// at range * 2^40), so that ids are unique across the cluster and every station can hold
// every node under its owner's id. Ranges are handed out by a key-value bucket changed only
// by create (compare-and-set): "range.<n>" names the station holding range n, and
// "station.<id>" the range a station holds, so a station that restarts gets its own back.
import type { KV, Kvm } from '@nats-io/kv';

import { isWrongRevision } from './bucket.js';
import { clusterUnavailable } from './errors.js';

export const IDS_BUCKET = 'grove_ids';

/** The largest range (Tree.kMaxIdRange): ids stay below 2^53. */
const MAX_RANGE = 8191;

/**
 * The id range of `station` in the cluster: the one it holds already (by the bucket, or
 * `known`, what its data directory kept), else the first free one, claimed by create.
 */
export async function claimIdRange(kvm: Kvm, station: string, known: number | undefined, replicas: number): Promise<number> {
  const kv = await kvm.create(IDS_BUCKET, { history: 1, replicas });
  const held = await kv.get(`station.${station}`);
  const recorded = held?.operation === 'PUT' ? Number(held.string()) : undefined;
  if (recorded !== undefined && known !== undefined && known !== 0 && recorded !== known) {
    throw clusterUnavailable(
      `station "${station}" keeps id range ${known} in its data directory, but the cluster gave it ${recorded}: ` +
        'is another data directory running under this station id?',
      { station, known, recorded },
    );
  }
  const wanted = recorded ?? (known !== undefined && known !== 0 ? known : undefined);
  if (wanted !== undefined) {
    await holdRange(kv, station, wanted);
    return wanted;
  }
  for (let range = 1; range <= MAX_RANGE; range++) {
    if (await tryCreate(kv, `range.${range}`, station)) {
      await kv.put(`station.${station}`, String(range));
      return range;
    }
    // a claim this station started before it died
    const owner = await kv.get(`range.${range}`);
    if (owner?.string() === station) {
      await kv.put(`station.${station}`, String(range));
      return range;
    }
  }
  throw clusterUnavailable(`the cluster has given out every id range (${MAX_RANGE}): no more stations can join`, { station });
}

/** Makes sure the bucket names `station` as the holder of `range` (NATS may have lost its data). */
async function holdRange(kv: KV, station: string, range: number): Promise<void> {
  if (!(await tryCreate(kv, `range.${range}`, station))) {
    const owner = (await kv.get(`range.${range}`))?.string();
    if (owner !== station) {
      throw clusterUnavailable(`id range ${range} of station "${station}" is held by station "${owner}" in the cluster`, { station, range, owner });
    }
  }
  await kv.put(`station.${station}`, String(range));
}

async function tryCreate(kv: KV, key: string, value: string): Promise<boolean> {
  try {
    await kv.create(key, value);
    return true;
  } catch (error) {
    if (isWrongRevision(error)) return false;
    throw error;
  }
}
