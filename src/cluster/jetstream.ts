// What the cluster keeps on NATS JetStream (README "Cluster"): each station's stream of
// records, the stations and owners buckets, and the object store snapshots pass through.
// Made here when missing, the same way at a first start and after NATS lost its store.
import {
  type JetStreamClient,
  type JetStreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type ObjectStore, Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';

import { changesSubject, OWNERS_BUCKET, SNAPSHOTS_BUCKET, STATIONS_BUCKET, streamName } from './names.js';
import { type ChangeStream, NEXT_ID_HEADER } from './publisher.js';

/** Bytes of records a station's stream keeps. */
const STREAM_MAX_BYTES = 1024 ** 3;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface JetStreamOptions {
  /** JetStream replicas of the streams and buckets. */
  replicas: number;
  /** How long JetStream recognises a retried message by its id. */
  duplicateWindowMs: number;
  leaseMs: number;
}

export interface Buckets {
  stations: KV;
  owners: KV;
  snapshots: ObjectStore;
  /** When the stations bucket was created (registryCreated tells a bucket made anew). */
  created: string;
}

/** Creates `station`'s stream unless it exists. */
export async function prepareStream(jsm: JetStreamManager, station: string, options: JetStreamOptions): Promise<void> {
  const config = {
    name: streamName(station),
    subjects: [changesSubject(station)],
    storage: StorageType.File,
    num_replicas: options.replicas,
    duplicate_window: options.duplicateWindowMs * 1_000_000, // ns: retries of a message are recognised
    // the oldest records go first; a follower left that far behind finds a gap and takes a snapshot
    max_bytes: STREAM_MAX_BYTES,
  };
  try {
    await jsm.streams.info(config.name);
  } catch {
    await jsm.streams.add(config);
  }
}

/** The publisher's view of `station`'s stream. */
export function changeStream(js: JetStreamClient, jsm: JetStreamManager, station: string, options: JetStreamOptions): ChangeStream {
  const name = streamName(station);
  return {
    publish: async (data, { msgId, expectedSeq, headers }) =>
      (await js.publish(changesSubject(station), data, { msgID: msgId, headers, expect: { lastSubjectSequence: expectedSeq } })).seq,
    end: async () => {
      let lastSeq: number;
      try {
        lastSeq = (await jsm.streams.info(name)).state.last_seq;
      } catch (error) {
        if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return undefined;
        throw error;
      }
      // null when the subject holds no message
      const last = await jsm.streams.getMessage(name, { last_by_subj: changesSubject(station) });
      if (!last) return { lastSeq };
      return { lastSeq, last: { seq: last.seq, msgId: last.header.get('Nats-Msg-Id'), nextId: Number(last.header.get(NEXT_ID_HEADER) || 0) } };
    },
    recreate: async (lastSeq) => {
      await prepareStream(jsm, station, options);
      // a purge up to a sequence past the end moves an empty stream's sequence there
      if ((await jsm.streams.info(name)).state.last_seq < lastSeq) await jsm.streams.purge(name, { seq: lastSeq + 1 });
    },
  };
}

/**
 * Creates the buckets unless they exist, and notes when the registry's was created: NATS that
 * comes back without its store has none, and a station that finds one newer made it anew.
 */
export async function openBuckets(nc: NatsConnection, jsm: JetStreamManager, options: JetStreamOptions): Promise<Buckets> {
  const kvm = new Kvm(nc);
  const { replicas } = options;
  // a station gone for a day leaves the registry; a snapshot no one fetched within an hour is dropped
  // a heartbeat not answered within a lease is no use: give up on it then rather than hold the next one back
  const timeout = Math.max(1000, options.leaseMs);
  const stations = await kvm.create(STATIONS_BUCKET, { history: 1, replicas, ttl: DAY_MS, timeout });
  const owners = await kvm.create(OWNERS_BUCKET, { history: 1, replicas });
  const snapshots = await new Objm(nc).create(SNAPSHOTS_BUCKET, { replicas, ttl: HOUR_MS * 1_000_000 });
  const created = (await jsm.streams.info(`KV_${STATIONS_BUCKET}`)).created;
  return { stations, owners, snapshots, created };
}

/** When the stations bucket was created, or undefined when NATS has none (it lost its store). */
export async function registryCreated(jsm: JetStreamManager): Promise<string | undefined> {
  try {
    return (await jsm.streams.info(`KV_${STATIONS_BUCKET}`)).created;
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    return undefined;
  }
}
