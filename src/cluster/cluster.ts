// A station's membership of a cluster over NATS JetStream (README "Cluster"):
// - its committed writes go to its own stream (publisher.ts); it follows every other
//   station's stream into its local tree (follower.ts), so any station serves any read;
// - a key-value bucket of stations carries heartbeats; another maps path prefixes to the
//   station that owns them (longest prefix wins), changed only by compare-and-set;
// - a write or node.invoke for a path another station owns is forwarded to it over NATS
//   request/reply and answered as if local;
// - a prefix migrates (station.migrate) by holding its writes, publishing what is pending,
//   letting the target catch up, then moving ownership with a fence; a replica that has
//   applied all of a silent owner's stream takes its prefixes over once the lease runs out;
// - NATS coming back without its store finds each station making its stream, the buckets,
//   its owner entries and its followers' consumers again (#recover).
import { randomUUID } from 'node:crypto';

import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  StorageType,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type ObjectStore, Objm } from '@nats-io/obj';
import { connect, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/transport-node';

import { stringifyExact } from '../codec/exactJson.js';
import { ErrorCode, parseExact, type RpcContext, type RpcEngine, RpcError, RawJson, toRpcError, wireError } from '../rpc/index.js';
import { reaches, writeOps } from '../auth/index.js';
import { isWithin, normalizePath } from '../auth/paths.js';
import type { Tree } from '../tree.js';
import { type BucketEntry, WatchedBucket } from './bucket.js';
import { claimIdRange } from './ids.js';
import { clusterUnavailable } from './errors.js';
import { Follower, type FollowerHost } from './follower.js';
import {
  catchUpSubject,
  changesSubject,
  checkStationId,
  ancestorsOf,
  OWNERS_BUCKET,
  ownerKey,
  prefixOfKey,
  rpcSubject,
  snapshotSubject,
  SNAPSHOTS_BUCKET,
  STATIONS_BUCKET,
  streamName,
} from './names.js';
import { type ChangeStream, NEXT_ID_HEADER, Publisher, replicaOrigin } from './publisher.js';
import type { Fence, StreamRecord } from './records.js';

export interface ClusterOptions {
  /** NATS server URLs (any of one NATS cluster). */
  servers: string[];
  stationId: string;
  /** The URL clients reach this station at, shown to others in cluster.info. */
  advertise?: string;
  /** How long an owner may stay silent before a replica takes over its prefixes (default 3000 ms). */
  leaseMs?: number;
  /** JetStream replicas of the streams and buckets (a NATS cluster of 3 can keep 3; default 1). */
  replicas?: number;
  /** How long a write waits for JetStream before its caller gets an error (default 5000 ms). */
  confirmMs?: number;
  /**
   * How long JetStream recognises a retried message by its id (default 120000 ms). Publishing is
   * correct without it (each message names the sequence it follows); tests make it short.
   */
  duplicateWindowMs?: number;
  /** The id range this station had (its data directory keeps it); a new station gets one from the cluster. */
  idRange?: number;
  log?: (line: string) => void;
}

/** A station's heartbeat in the stations bucket. */
interface StationEntry {
  id: string;
  /** Different each time the station starts: a forwarded call's caller learns the owner restarted without answering. */
  incarnation: string;
  url?: string;
  /** Its stream's last sequence and version when it joined: followers that discover it start after them. */
  joinedSeq: number;
  joinedVersion: number;
  /** Its tree version at the heartbeat. */
  version: number;
}

/**
 * Who owns a prefix, and who owned it before: each earlier owner with the version it handed
 * over at (oldest first, the last few). The last one fences the owner's records behind that
 * station's stream; the list says whose stream a version of the prefix is in (minVersion).
 */
interface OwnerEntry {
  owner: string;
  epoch: number;
  history?: Fence[];
}

/** Earlier owners an entry remembers. */
const HISTORY = 16;

/** The fence on an owner's records: the previous owner's stream, up to where it handed over. */
function fenceOf(entry: OwnerEntry): Fence | undefined {
  return entry.history?.at(-1);
}

/** The entry after `current` hands over to `owner` at `fence`. */
function handedOver(current: OwnerEntry | undefined, owner: string, fence: Fence): OwnerEntry {
  return { owner, epoch: (current?.epoch ?? 0) + 1, history: [...(current?.history ?? []), fence].slice(-HISTORY) };
}

export interface ClusterInfo {
  station: string;
  url?: string;
  connected: boolean;
  leaseMs: number;
  peers: { id: string; url?: string; alive: boolean; silentMs: number; version: number }[];
  owners: { path: string; owner: string; epoch: number }[];
  replication: { station: string; appliedVersion: number; seq: number; lagMs: { p50: number; p99: number; samples: number; applied: number } }[];
}

/** Bytes of records a station's stream keeps. */
const STREAM_MAX_BYTES = 1024 ** 3;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Forwarding gives up after this many hops (ownership moving faster than calls). */
const MAX_HOPS = 3;
const FORWARD_TIMEOUT_MS = 10_000;
const SNAPSHOT_TIMEOUT_MS = 30_000;
const CATCH_UP_TIMEOUT_MS = 15_000;
/** How long a read with minVersion waits for replication to reach it. */
const MIN_VERSION_WAIT_MS = 5000;

/**
 * What the cluster asks of the station's change hub (src/station/changes.ts): declared here,
 * the layer below the station, so that the cluster need not import the station.
 */
export interface ClusterHub {
  /** Runs a write for `origin` through the hub's durable consumers and subscribers. */
  write<T>(origin: string, apply: () => T): T | Promise<T>;
  flush(): void;
  /** Throws VERSION_CONFLICT unless every change up to `version` has been published here. */
  assertReached(version: number, path: string): void;
  /** With the tree's writers held back: the record form of each path's node, and the nonces. */
  exportFrozen(paths: string[]): { nodes: (string | undefined)[]; nonces: Record<string, number> };
}

/** The station's side that the cluster drives once the station is built. */
export interface ClusterHost {
  hub: ClusterHub;
  engine: RpcEngine;
}

export class Cluster {
  readonly id: string;
  readonly publisher: Publisher;
  #options: Required<Omit<ClusterOptions, 'advertise' | 'idRange'>> & { advertise?: string };
  readonly #tree: Tree;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  #host!: ClusterHost;
  #stations!: WatchedBucket<StationEntry>;
  #owners!: WatchedBucket<OwnerEntry>;
  #snapshots!: ObjectStore;
  readonly #followers = new Map<string, Follower>();
  readonly #resyncs = new Map<string, Promise<void>>();
  /** Prefixes this station is migrating away: writes under them wait for the move. */
  readonly #moving = new Map<string, Promise<void>>();
  #subscriptions: NatsSubscription[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** A takeover check is running. */
  #ticking = false;
  /** A heartbeat is in flight, and which one (a reconnect starts a new generation). */
  #beating = false;
  #beats = 0;
  #connected = true;
  #lastHeartbeat = 0;
  /** When the stations bucket this station uses was created (a newer one: NATS lost its store). */
  #bucketsCreated: string | undefined;
  /** When NATS last came back after a disconnect (0: never lost). */
  #reconnectedAt = 0;
  #closed = false;
  readonly #incarnation = randomUUID();
  /** Owner keys this start created (the root's, on a new cluster): release() gives them back. */
  readonly #createdOwners: string[] = [];
  /** This station's range of node ids in the cluster (src/cluster/ids.ts). */
  idRange = 0;

  private constructor(tree: Tree, nc: NatsConnection, jsm: JetStreamManager, options: ClusterOptions) {
    this.id = options.stationId;
    this.#tree = tree;
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = jetstream(nc);
    this.#options = {
      servers: options.servers,
      stationId: options.stationId,
      advertise: options.advertise,
      leaseMs: options.leaseMs ?? 3000,
      replicas: options.replicas ?? 1,
      confirmMs: options.confirmMs ?? 5000,
      duplicateWindowMs: options.duplicateWindowMs ?? 120_000,
      log: options.log ?? ((line) => process.stderr.write(`grove cluster: ${line}\n`)),
    };
    this.publisher = new Publisher(this.id, this.#changeStream(), {
      checkWritable: () => this.checkWritable(),
      nextId: () => tree.nextId,
      claim: (paths) => this.#claim(paths),
      maxPayload: nc.info?.max_payload ?? 1 << 20,
      confirmMs: this.#options.confirmMs,
      log: this.#options.log,
    });
  }

  /**
   * Connects to NATS and prepares this station's stream; the tree's version counter moves
   * past the last version the stream holds, so versions never repeat, and its ids move to
   * this station's range of the cluster (and past every id its stream says it gave). The
   * publisher is then ready to be one of the change hub's durable consumers; start() does the rest.
   */
  static async connect(tree: Tree, options: ClusterOptions): Promise<Cluster> {
    checkStationId(options.stationId);
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: options.servers,
        name: `grove-${options.stationId}`,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
    } catch (error) {
      throw new Error(`cannot reach NATS at ${options.servers.join(', ')}: ${(error as Error).message}`);
    }
    try {
      const jsm = await jetstreamManager(nc);
      const cluster = new Cluster(tree, nc, jsm, options);
      await cluster.#prepareStream();
      const { version, nextId } = await cluster.publisher.init();
      tree.advanceVersion(version);
      tree.advanceIds(nextId);
      cluster.idRange = await claimIdRange(new Kvm(nc), options.stationId, options.idRange, options.replicas ?? 1);
      tree.idRange = cluster.idRange;
      return cluster;
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /** The publisher's view of this station's stream. */
  #changeStream(): ChangeStream {
    const name = streamName(this.id);
    return {
      publish: async (data, { msgId, expectedSeq, headers }) =>
        (await this.#js.publish(changesSubject(this.id), data, { msgID: msgId, headers, expect: { lastSubjectSequence: expectedSeq } })).seq,
      end: async () => {
        let lastSeq: number;
        try {
          lastSeq = (await this.#jsm.streams.info(name)).state.last_seq;
        } catch (error) {
          if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return undefined;
          throw error;
        }
        // null when the subject holds no message
        const last = await this.#jsm.streams.getMessage(name, { last_by_subj: changesSubject(this.id) });
        if (!last) return { lastSeq };
        return { lastSeq, last: { seq: last.seq, msgId: last.header.get('Nats-Msg-Id'), nextId: Number(last.header.get(NEXT_ID_HEADER) || 0) } };
      },
      recreate: async (lastSeq) => {
        await this.#prepareStream();
        // a purge up to a sequence past the end moves an empty stream's sequence there
        if ((await this.#jsm.streams.info(name)).state.last_seq < lastSeq) await this.#jsm.streams.purge(name, { seq: lastSeq + 1 });
      },
    };
  }

  async #prepareStream(): Promise<void> {
    const config = {
      name: streamName(this.id),
      subjects: [changesSubject(this.id)],
      storage: StorageType.File,
      num_replicas: this.#options.replicas,
      duplicate_window: this.#options.duplicateWindowMs * 1_000_000, // ns: retries of a message are recognised
      // the oldest records go first; a follower left that far behind finds a gap and takes a snapshot
      max_bytes: STREAM_MAX_BYTES,
    };
    try {
      await this.#jsm.streams.info(config.name);
    } catch {
      await this.#jsm.streams.add(config);
    }
  }

  /**
   * Creates the buckets unless they exist, and notes when the registry's was created: NATS that
   * comes back without its store has none, and a station that finds one newer made it anew.
   */
  async #openBuckets(): Promise<{ stations: KV; owners: KV }> {
    const kvm = new Kvm(this.#nc);
    const replicas = this.#options.replicas;
    // a station gone for a day leaves the registry; a snapshot no one fetched within an hour is dropped
    // a heartbeat not answered within a lease is no use: give up on it then rather than hold the next one back
    const timeout = Math.max(1000, this.#options.leaseMs);
    const stations = await kvm.create(STATIONS_BUCKET, { history: 1, replicas, ttl: DAY_MS, timeout });
    const owners = await kvm.create(OWNERS_BUCKET, { history: 1, replicas });
    this.#snapshots = await new Objm(this.#nc).create(SNAPSHOTS_BUCKET, { replicas, ttl: HOUR_MS * 1_000_000 });
    this.#bucketsCreated = (await this.#jsm.streams.info(`KV_${STATIONS_BUCKET}`)).created;
    return { stations, owners };
  }

  /**
   * After NATS returns: if it lost its store (the registry bucket is gone or made anew), this
   * station makes its stream, the buckets and its id range again, watches them afresh, puts back
   * every owner entry it knows of (create: the first station to do so wins, all know the same map);
   * its heartbeat follows.
   */
  async #recover(): Promise<void> {
    let created: string | undefined;
    try {
      created = (await this.#jsm.streams.info(`KV_${STATIONS_BUCKET}`)).created;
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    }
    if (created === this.#bucketsCreated) {
      await this.publisher.realign();
      return;
    }
    this.#options.log(`NATS lost its JetStream store: creating this station's stream and the cluster's buckets again`);
    await this.publisher.realign();
    await this.#openBuckets();
    await claimIdRange(new Kvm(this.#nc), this.id, this.idRange, this.#options.replicas);
    await this.#stations.restart();
    const known = this.#owners.entries();
    await this.#owners.restart();
    for (const entry of known) await this.#owners.create(entry.key, entry.value);
    // their consumers went with the store: new ones, from where each was (streams come back at the sequence they had)
    for (const follower of [...this.#followers.values()]) this.#refollow(follower);
  }

  /** #recover, again until it succeeds: JetStream may take a moment after the server is back. */
  async #recoverUntilDone(): Promise<void> {
    for (let attempt = 0; this.#connected && !this.#closed; attempt++) {
      try {
        return await this.#recover();
      } catch (error) {
        if (attempt === 0) this.#options.log(`restoring the cluster's state on NATS failed, retrying: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /** Joins: heartbeats, learns who owns what, takes snapshots of others' prefixes and follows their streams. */
  async start(host: ClusterHost): Promise<void> {
    this.#host = host;
    const buckets = await this.#openBuckets();
    this.#stations = new WatchedBucket(buckets.stations);
    this.#owners = new WatchedBucket(buckets.owners);
    await this.#stations.start();
    await this.#owners.start();
    this.#watchStatus();
    // forwarded calls may arrive from here on; they are refused until the first heartbeat, after the restore
    this.#serve();
    await this.#restoreOwned();
    await this.#heartbeat();
    if (await this.#owners.create(ownerKey(''), { owner: this.id, epoch: 1 })) this.#createdOwners.push(ownerKey(''));
    this.#owners.onChange((key, previous, next) => this.#ownerChanged(key, previous, next));
    this.#stations.onChange((key, _previous, next) => {
      // a station seen for the first time (every heartbeat lands here too); one being resynced gets its follower from the snapshot
      if (next && key !== this.id && !this.#followers.has(key) && !this.#resyncs.has(key)) void this.#follow(key, joinedAt(next.value));
    });
    // others' prefixes from snapshots, shortest first, so a nested owner's snapshot lands last
    const owners = new Map<string, number>();
    for (const entry of this.#owners.entries()) {
      const { owner } = entry.value;
      const depth = prefixOfKey(entry.key).length;
      if (owner !== this.id) owners.set(owner, Math.min(owners.get(owner) ?? Infinity, depth));
    }
    for (const [owner] of [...owners].sort((a, b) => a[1] - b[1])) await this.#resync(owner);
    for (const entry of this.#stations.entries()) {
      if (entry.key !== this.id && !this.#followers.has(entry.key)) await this.#follow(entry.key, joinedAt(entry.value));
    }
    this.#timer = setInterval(() => void this.#tick(), Math.max(50, Math.floor(this.#options.leaseMs / 4))).unref();
  }

  /**
   * For a start-up that failed (the station cannot listen): gives back the owner keys this start
   * created, if no one changed them since, so a station that never served owns nothing.
   */
  async release(): Promise<void> {
    for (const key of this.#createdOwners.splice(0)) {
      const entry = this.#owners.get(key);
      if (entry?.value.owner !== this.id) continue;
      await this.#owners.kv.delete(key, { previousSeq: entry.revision }).catch(() => {});
    }
  }

  /** Leaves: stops following, lets pending writes reach the stream, then withdraws the heartbeat. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const follower of this.#followers.values()) follower.stop();
    await Promise.race([this.publisher.idle(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    this.publisher.close();
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#stations?.stop();
    this.#owners?.stop();
    if (this.#connected) await this.#stations?.kv.delete(this.id).catch(() => {});
    await this.#nc.close().catch(() => {});
  }

  /** Sets the URL this station is reached at, once it listens (when none was given). */
  advertiseAt(url: string): void {
    this.#options.advertise = url;
    void this.#heartbeat().catch(() => {});
  }

  /** Throws the cluster's error while this station may not take writes. */
  checkWritable(): void {
    if (!this.#connected) {
      throw clusterUnavailable(
        `NATS (${this.#options.servers.join(', ')}) is not reachable: writes are refused until it returns; reads are served from this station's copy`,
        { station: this.id },
      );
    }
    if (this.#lastHeartbeat === 0) throw clusterUnavailable('this station is still joining the cluster: retry in a moment', { station: this.id });
    const silent = Date.now() - this.#lastHeartbeat;
    if (silent > this.#options.leaseMs / 2) {
      throw clusterUnavailable(`this station has not renewed its lease for ${silent} ms: writes are refused until it does`, {
        station: this.id,
      });
    }
  }

  /**
   * Runs a call where it belongs: `local` here, or forwarded to the owner of its paths,
   * whose answer is returned as if local. Writes and node.invoke go to the owner; a write
   * whose paths several stations own is refused (split it); writes under a prefix being
   * migrated wait for the move. A forwarded call whose owner is not this station by its
   * view makes it read the owners bucket first: ownership just moved.
   */
  route(method: string, params: Record<string, unknown>, context: RpcContext, local: () => unknown, refreshed = false): unknown {
    const paths = callPaths(method, params);
    const moving = this.#movingFor(paths);
    if (moving) return moving.then(() => this.route(method, params, context, local));
    const owners = method === 'node.invoke' || method === 'station.migrate' ? new Set(paths.map((p) => this.ownerOf(p))) : this.#writeOwners(method, params);
    if (owners.size > 1) {
      throw new RpcError(
        ErrorCode.InvalidParams,
        `this call writes where different stations own the tree (${[...owners].join(', ')}): split it into one call per owner`,
        { owners: [...owners] },
      );
    }
    const [owner] = owners as Set<string>;
    if (owner === this.id) return local();
    if ((context.hops ?? 0) > 0 && !refreshed) {
      return Promise.all(ancestorKeys(paths).map((key) => this.#owners.refresh(key))).then(() => this.route(method, params, context, local, true));
    }
    return this.#forward(owner!, method, params, context);
  }

  /** The station owning `path`: the owner of its longest owned prefix. */
  ownerOf(path: string): string {
    return this.#ownerEntry(path)?.value.owner ?? this.id;
  }

  /**
   * Resolves once this station's copy of `path` includes version `version` of whoever owned
   * it when that version was made: versions move on across the cluster (a station applying
   * another's record moves its own counter past it), so a version handed over at a migration
   * or a takeover marks where one owner's versions end and the next one's begin.
   */
  async reached(path: string, version: number): Promise<void> {
    const entry = this.#ownerEntry(path)?.value;
    const era = entry?.history?.find((fence) => version <= fence.version);
    const owner = era?.station ?? entry?.owner ?? this.id;
    if (owner === this.id) return this.#host.hub.assertReached(version, path);
    const follower = this.#followers.get(owner);
    if (follower && (await follower.waitFor(version, MIN_VERSION_WAIT_MS))) return;
    throw clusterUnavailable(
      `this station's copy of "${path}" has not reached version ${version} of its owner ${owner} within ${MIN_VERSION_WAIT_MS} ms (it is at ${follower?.applied ?? 0})`,
      { path, owner, applied: follower?.applied ?? 0 },
    );
  }

  /**
   * Moves `path` to station `to` (run on the owner; route() forwards it here): holds writes
   * under it, waits until the stream holds every write made so far and `to` has applied
   * them, then hands ownership over with a fence at that version. Held writes then go to `to`.
   */
  async migrate(path: string, to: string): Promise<{ path: string; from: string; to: string; version: number }> {
    if (to === this.id) return { path, from: this.id, to, version: this.publisher.published.version };
    if (!this.#alive(to)) throw clusterUnavailable(`station "${to}" is not in the cluster (no heartbeat): migrate to one of ${this.#aliveIds().join(', ')}`, { to });
    this.checkWritable();
    // the prefix moves as a node that exists, made here, by the owner of where it stands: its new
    // owner then never adds it beside this station's children, whose order this station's stream decides
    const here = this.#tree.tryNode(path);
    here?.release();
    if (here === undefined) await this.#host.hub.write('cluster', () => this.#tree.set(path, {}));
    let release!: () => void;
    this.#moving.set(path, new Promise<void>((resolve) => (release = resolve)));
    try {
      this.#host.hub.flush();
      await this.publisher.idle();
      const version = this.publisher.published.version;
      const reply = await this.#nc.request(catchUpSubject(to), JSON.stringify({ station: this.id, version }), { timeout: CATCH_UP_TIMEOUT_MS });
      const answer = reply.json<{ ok?: boolean; error?: string }>();
      if (!answer.ok) throw clusterUnavailable(`station "${to}" could not catch up with this one: ${answer.error}`, { to });
      const key = ownerKey(path);
      const exact = this.#owners.get(key);
      const current = this.#ownerEntry(path)!;
      const next = handedOver(current.value, to, { station: this.id, version });
      const moved = exact ? await this.#owners.update(key, next, exact.revision) : await this.#owners.create(key, next);
      if (!moved) throw clusterUnavailable(`the ownership of "${path}" changed during the move; read cluster.info and retry`, { path });
      this.#options.log(`moved "${path}" to ${to} at version ${version}`);
      return { path, from: this.id, to, version };
    } catch (error) {
      if (error instanceof RpcError) throw error;
      throw clusterUnavailable(`moving "${path}" to ${to} failed: ${(error as Error).message}`, { path, to });
    } finally {
      this.#moving.delete(path);
      release();
    }
  }

  info(): ClusterInfo {
    return {
      station: this.id,
      url: this.#options.advertise,
      connected: this.#connected,
      leaseMs: this.#options.leaseMs,
      peers: this.peers(),
      owners: this.owners(),
      replication: [...this.#followers.values()].map((follower) => ({
        station: follower.station,
        appliedVersion: follower.applied,
        seq: follower.seq,
        lagMs: follower.lag.summary(),
      })),
    };
  }

  /** The stations of the registry, this one included, and whether each is heard from. */
  peers(): ClusterInfo['peers'] {
    const now = Date.now();
    return this.#stations.entries().map((entry) => ({
      id: entry.key,
      url: entry.value.url,
      alive: this.#alive(entry.key),
      silentMs: entry.key === this.id ? now - this.#lastHeartbeat : now - entry.created,
      version: entry.value.version,
    }));
  }

  /** The owned prefixes, by path. */
  owners(): ClusterInfo['owners'] {
    return this.#owners
      .entries()
      .map((entry) => ({ path: prefixOfKey(entry.key), owner: entry.value.owner, epoch: entry.value.epoch }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  #ownerEntry(path: string): BucketEntry<OwnerEntry> | undefined {
    let best: BucketEntry<OwnerEntry> | undefined;
    let bestLength = -1;
    for (const entry of this.#owners.entries()) {
      const prefix = prefixOfKey(entry.key);
      if (prefix.length > bestLength && isWithin(path, prefix)) {
        best = entry;
        bestLength = prefix.length;
      }
    }
    return best;
  }

  /** The owners a write call reaches: of each path it writes, and of owned prefixes it would replace. */
  #writeOwners(method: string, params: Record<string, unknown>): Set<string> {
    const owners = new Set<string>();
    for (const op of writeOps(method, params)) {
      owners.add(this.ownerOf(op.path));
      // the same rule as for subtrees owned by a key: a write at an ancestor may replace it, an add may stand beside it
      for (const entry of this.#owners.entries()) {
        const prefix = prefixOfKey(entry.key);
        if (prefix !== op.path && isWithin(prefix, op.path) && reaches(op, prefix)) owners.add(entry.value.owner);
      }
    }
    return owners;
  }

  #movingFor(paths: string[]): Promise<void> | undefined {
    for (const [prefix, done] of this.#moving) if (paths.some((path) => isWithin(path, prefix))) return done;
    return undefined;
  }

  /** For the publisher: which paths are this station's to publish, and the fences of their ownership. */
  #claim(paths: string[]): { owned: boolean[]; fences: Fence[] } {
    const fences = new Map<string, Fence>();
    const owned = paths.map((path) => {
      const entry = this.#ownerEntry(path);
      if (entry === undefined) return true;
      if (entry.value.owner !== this.id) return false;
      const after = fenceOf(entry.value);
      if (after && (fences.get(after.station)?.version ?? -1) < after.version) fences.set(after.station, after);
      return true;
    });
    return { owned, fences: [...fences.values()] };
  }

  #alive(id: string): boolean {
    if (id === this.id) return true;
    const entry = this.#stations.get(id);
    return entry !== undefined && Date.now() - entry.created < this.#options.leaseMs;
  }

  #aliveIds(): string[] {
    return this.#stations.entries().map((e) => e.key).filter((id) => this.#alive(id));
  }

  /**
   * The error of a call whose owner does not answer: a replica takes its prefixes over once its
   * lease runs out, so the caller is told when a retry should succeed (data.retryAfterMs).
   */
  #failover(owner: string, what: string, then: string, cause?: string): RpcError {
    const leaseMs = this.#options.leaseMs;
    return clusterUnavailable(`station ${owner} ${what}; a replica takes over within about ${Math.max(1, Math.round(leaseMs / 1000))} s: ${then}`, {
      owner,
      retryAfterMs: leaseMs,
      ...(cause ? { cause } : {}),
    });
  }

  async #forward(owner: string, method: string, params: Record<string, unknown>, context: RpcContext): Promise<unknown> {
    const hops = context.hops ?? 0;
    if (hops >= MAX_HOPS) throw clusterUnavailable(`the owner of this path keeps changing (${hops} hops); retry`, { owner });
    if (!this.#connected) this.checkWritable();
    if (!this.#alive(owner)) throw this.#failover(owner, 'stopped answering', 'retry then');
    const body = stringifyExact({ method, params, token: context.token, hops: hops + 1, from: this.id, connection: context.connectionId });
    let reply;
    let watch: NodeJS.Timeout | undefined;
    try {
      // an owner that dies with the call gets no full timeout: once its lease lapses, or it is back as a new process, the caller is told
      const incarnation = this.#stations.get(owner)?.value.incarnation;
      const silent = new Promise<never>((_resolve, reject) => {
        watch = setInterval(() => {
          if (this.#alive(owner) && this.#stations.get(owner)?.value.incarnation === incarnation) return;
          reject(this.#failover(owner, 'stopped answering while it had this call (it may or may not have applied it)', 'read, then retry'));
        }, 100);
      });
      reply = await Promise.race([this.#nc.request(rpcSubject(owner), body, { timeout: FORWARD_TIMEOUT_MS }), silent]);
    } catch (error) {
      if (error instanceof RpcError) throw error;
      const message = (error as Error).message;
      if (/max.?payload/i.test(message)) {
        throw new RpcError(ErrorCode.LimitExceeded, `the call is too large to forward to its owner ${owner} over NATS (${body.length} bytes): send it to that station`, {
          owner,
          url: this.#stations.get(owner)?.value.url,
        });
      }
      // no responders or no answer in time: the owner is gone, or going, and its lease decides what happens next
      throw this.#failover(owner, 'stopped answering', 'retry then', message);
    } finally {
      clearInterval(watch);
    }
    const answer = reply.json<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }>();
    if (answer.error) throw new RpcError(answer.error.code, answer.error.message, answer.error.data);
    return answer.result ?? null;
  }

  /** Answers forwarded calls, snapshot requests and catch-up requests addressed to this station. */
  #serve(): void {
    const log = { error: (details: object, message: string) => this.#options.log(`${message}: ${JSON.stringify(details)}`) };
    this.#subscriptions.push(
      this.#nc.subscribe(rpcSubject(this.id), {
        callback: (_error, message) => {
          void (async () => {
            let reply: string;
            try {
              const { method, params, token, hops, from, connection } = parseExact(message.string()) as {
                method: string;
                params: Record<string, unknown>;
                token?: string;
                hops: number;
                from: string;
                connection: string;
              };
              const context: RpcContext = { transport: 'cluster', connectionId: `${from}/${connection}`, token, log, hops };
              const result = await this.#host.engine.call(method, params, context);
              reply = `{"result":${result instanceof RawJson ? result.text : JSON.stringify(result ?? null)}}`;
            } catch (error) {
              const rpc = toRpcError(error) ?? wireError('InternalError');
              if (!toRpcError(error)) this.#options.log(`forwarded call failed: ${(error as Error)?.stack ?? error}`);
              reply = JSON.stringify({ error: { code: rpc.code, message: rpc.message, data: rpc.data } });
            }
            message.respond(reply);
          })();
        },
      }),
      this.#nc.subscribe(snapshotSubject(this.id), {
        callback: (_error, message) => {
          const { prefixes } = message.json<{ prefixes?: string[] }>();
          this.#snapshot(prefixes)
            .then((object) => message.respond(JSON.stringify({ object })))
            .catch((error) => message.respond(JSON.stringify({ error: (error as Error).message })));
        },
      }),
      this.#nc.subscribe(catchUpSubject(this.id), {
        callback: (_error, message) => {
          const { station, version } = message.json<{ station: string; version: number }>();
          const follower = this.#followers.get(station);
          const answer = (ok: boolean) => {
            message.respond(JSON.stringify(ok ? { ok } : { error: `applied ${follower?.applied ?? 0} of ${station}'s stream, not ${version}, in time` }));
          };
          if (follower) void follower.waitFor(version, CATCH_UP_TIMEOUT_MS - 1000).then(answer);
          else answer(false);
        },
      }),
    );
  }

  #ownedPrefixes(): string[] {
    return this.#owners
      .entries()
      .filter((entry) => entry.value.owner === this.id)
      .map((entry) => prefixOfKey(entry.key));
  }

  /** Asks `station` for a snapshot (of what it owns, or of `prefixes`) and reads it from the object store. */
  async #fetchSnapshot(station: string, prefixes?: string[]): Promise<Snapshot> {
    const reply = await this.#nc.request(snapshotSubject(station), JSON.stringify({ prefixes }), { timeout: SNAPSHOT_TIMEOUT_MS });
    const { object, error } = reply.json<{ object?: string; error?: string }>();
    if (!object) throw new Error(error ?? 'no snapshot');
    const blob = await this.#snapshots.getBlob(object);
    await this.#snapshots.delete(object).catch(() => {});
    return JSON.parse(Buffer.from(blob!).toString('utf8'));
  }

  /**
   * A station starting up that owns prefixes may hold writes it stored but never got into
   * its stream (it died first; no one was told they were done): it takes its prefixes back
   * as its stream has them, from a replica that has applied all of that stream.
   */
  async #restoreOwned(): Promise<void> {
    const mine = this.#ownedPrefixes();
    const { version } = this.publisher.published;
    if (mine.length === 0 || version === 0) return;
    for (const replica of this.#aliveIds().filter((id) => id !== this.id)) {
      try {
        const reply = await this.#nc.request(catchUpSubject(replica), JSON.stringify({ station: this.id, version }), { timeout: CATCH_UP_TIMEOUT_MS });
        if (!reply.json<{ ok?: boolean }>().ok) continue;
        this.#applySnapshot(this.id, await this.#fetchSnapshot(replica, mine));
        this.#options.log(`restored ${mine.map((p) => `"${p}"`).join(', ')} as this station's stream holds them (version ${version}), from ${replica}`);
        return;
      } catch (error) {
        this.#options.log(`${replica} could not restore this station's prefixes: ${(error as Error).message}`);
      }
    }
    if (this.#aliveIds().length > 1) this.#options.log(`no replica restored this station's prefixes: keeping its own copy`);
  }

  /**
   * Writes a snapshot of every prefix this station owns (or `prefixes`) to the object store,
   * each in record form (ids kept); returns its name. The subtrees are read with other
   * threads' writes held back, after every change made so far was handed to the publisher,
   * so the snapshot holds every record up to its version and none after. The nonces of
   * owner keys come with it: a replay of a signed write stays refused on whoever applies it.
   */
  async #snapshot(prefixes = this.#ownedPrefixes()): Promise<string> {
    const { nodes, nonces } = this.#host.hub.exportFrozen(prefixes);
    const version = this.publisher.recordedVersion;
    const seq = this.publisher.published.seq;
    const parts = prefixes.map((prefix, i) => `{"p":${JSON.stringify(prefix)},"n":${nodes[i] === undefined ? 'null' : JSON.stringify(nodes[i])}}`);
    const name = `${this.id}-${randomUUID()}`;
    const body = `{"version":${version},"seq":${seq},"nonces":${JSON.stringify(nonces)},"parts":[${parts.join(',')}]}`;
    await this.#snapshots.putBlob({ name }, Buffer.from(body));
    return name;
  }

  /** Replaces this station's copy of what `station` owns with its snapshot, then follows its stream from there. */
  #resync(station: string): Promise<void> {
    const running = this.#resyncs.get(station);
    if (running) return running;
    const run = (async () => {
      this.#followers.get(station)?.stop();
      this.#followers.delete(station);
      let snapshot: Snapshot;
      try {
        snapshot = await this.#fetchSnapshot(station);
      } catch (error) {
        // an owner that cannot answer (it died): keep this copy and apply whatever its stream holds
        this.#options.log(`no snapshot from ${station} (${(error as Error).message}): following its whole stream over this station's copy`);
        await this.#follow(station, { seq: 0, applied: 0 });
        return;
      }
      this.#applySnapshot(station, snapshot);
      await this.#follow(station, { seq: snapshot.seq, applied: snapshot.version });
    })().finally(() => this.#resyncs.delete(station));
    this.#resyncs.set(station, run);
    return run;
  }

  /**
   * Puts a snapshot's prefixes in place of this station's copies, keeping what lies under
   * them that others own (this station's copy of those is as fresh as theirs). The nodes come
   * with their ids; where each goes is found here by path, the one thing a station may look
   * up by path: what it holds at a prefix.
   */
  #applySnapshot(station: string, { parts, nonces }: Pick<Snapshot, 'parts' | 'nonces'>): void {
    const ordered = [...parts].sort((a, b) => a.p.length - b.p.length);
    // the nested prefixes others own, as this station holds them now
    const kept: { p: string; n: string | null }[] = [];
    for (const { p } of ordered) {
      for (const entry of this.#owners.entries()) {
        const nested = prefixOfKey(entry.key);
        if (nested === p || !isWithin(nested, p) || entry.value.owner === station) continue;
        kept.push({ p: nested, n: this.#exportAt(nested) });
      }
    }
    try {
      const written = this.#host.hub.write(replicaOrigin(station), () => {
        for (const part of [...ordered, ...kept]) this.#putAt(part.p, part.n);
        // each key's newer nonce stays: this station may know of one the snapshot's station has not applied yet
        for (const [key, nonce] of Object.entries(nonces)) this.#tree.acceptNonce(key, nonce, '');
      });
      if (written instanceof Promise) written.catch((error) => this.#options.log(`storing ${station}'s snapshot failed: ${(error as Error).message}`));
    } catch (error) {
      this.#options.log(`applying ${station}'s snapshot failed: ${(error as Error).message}`);
    }
  }

  /** The node at `path` in record form, or null. */
  #exportAt(path: string): string | null {
    const node = this.#tree.tryNode(path);
    if (node === undefined) return null;
    try {
      return node.exportJSON('store');
    } finally {
      node.release();
    }
  }

  /** Makes the node at `path` the one in record form `text` (null: none), by id. */
  #putAt(path: string, text: string | null): void {
    if (path === '') return this.#putRoot(text!);
    const here = this.#tree.tryNode(path);
    try {
      if (text === null) {
        if (here !== undefined) this.#tree.delete(path);
        return;
      }
      const node = this.#tree.readSubtree(text);
      try {
        if (here !== undefined) {
          const parent = here.parent()!;
          try {
            parent.replaceById(here.id, node);
          } finally {
            parent.release();
          }
          return;
        }
        const parentPath = path.slice(0, Math.max(path.lastIndexOf('/'), 0));
        const parent = this.#tree.tryNode(parentPath);
        if (parent === undefined) {
          this.#options.log(`a snapshot's "${path}" has no parent here yet: it comes with the snapshot of whoever owns "${parentPath}"`);
          return;
        }
        try {
          parent.append(node);
        } finally {
          parent.release();
        }
      } finally {
        node.release();
      }
    } finally {
      here?.release();
    }
  }

  /** Makes the root's children those of the root in record form `text`, by id. */
  #putRoot(text: string): void {
    const root = this.#tree.root;
    const children = this.#tree.readChildren(text);
    for (const old of root.children()) {
      root.remove(old);
      old.release();
    }
    for (const child of children) {
      root.append(child);
      child.release();
    }
  }

  #applyReplicated(station: string, record: StreamRecord, text: string): void {
    try {
      const written = this.#host.hub.write(replicaOrigin(station), () => {
        // versions move on across the cluster: what this station does next comes after what it applied
        this.#tree.advanceVersion(record.v);
        this.#tree.applyRecord(text, { keepVersions: false });
      });
      if (written instanceof Promise) written.catch((error) => this.#options.log(`storing a record of ${station}'s failed: ${(error as Error).message}`));
    } catch (error) {
      // a record that does not apply means this copy is not the owner's: a snapshot replaces it
      this.#options.log(`applying a record of ${station}'s failed, taking its snapshot: ${(error as Error).message}`);
      void this.#resync(station);
    }
  }

  /** Replaces a follower with a new one (a new consumer) that starts where it was. */
  #refollow(follower: Follower): void {
    follower.stop();
    this.#followers.delete(follower.station);
    void this.#follow(follower.station, { seq: follower.seq, applied: follower.applied }, follower.failed);
  }

  /** Follows `station`'s stream from `from`; `quiet` when retrying one that failed (it was logged then). */
  async #follow(station: string, from: { seq: number; applied: number }, quiet = false): Promise<void> {
    if (this.#followers.has(station) || this.#closed) return;
    const follower = new Follower(station, this.#followerHost, from);
    this.#followers.set(station, follower);
    try {
      await follower.start(this.#js);
    } catch (error) {
      // kept where it is: upkeep starts it again (its stream may not be back yet)
      follower.failed = true;
      if (!quiet) this.#options.log(`cannot follow ${streamName(station)}: ${(error as Error).message}`);
    }
  }

  readonly #followerHost: FollowerHost = {
    apply: (station: string, record: StreamRecord, text: string) => this.#applyReplicated(station, record, text),
    fenced: async (fence: Fence) => {
      // a fence on this station's own stream: what it published is in its tree already (it follows no stream of its own)
      if (fence.station === this.id) return;
      while (!this.#closed) {
        const follower = this.#followers.get(fence.station);
        if (follower && (await follower.waitFor(fence.version, 1000))) return;
        if (!follower) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    gap: (station: string, applied: number, previous: number) => {
      if (!this.#alive(station)) {
        this.#options.log(`${streamName(station)} no longer holds records after version ${applied} (it starts after ${previous}); applying what it holds`);
        return false;
      }
      this.#options.log(`${streamName(station)} skipped records after version ${applied}: taking a snapshot from ${station}`);
      void this.#resync(station);
      return true;
    },
    log: (line: string) => this.#options.log(line),
  };

  /** A prefix this station owned went to another without a migration of ours: its copy may hold writes never acknowledged. */
  #ownerChanged(key: string, previous: BucketEntry<OwnerEntry> | undefined, next: BucketEntry<OwnerEntry> | undefined): void {
    if (previous?.value.owner !== this.id || !next || next.value.owner === this.id) return;
    if (fenceOf(next.value)?.station === this.id && this.#movingFor([prefixOfKey(key)])) return;
    this.#options.log(`"${prefixOfKey(key)}" is now owned by ${next.value.owner}: taking its snapshot`);
    void this.#resync(next.value.owner);
  }

  #watchStatus(): void {
    void (async () => {
      for await (const status of this.#nc.status()) {
        if (status.type === 'disconnect') {
          this.#connected = false;
          this.#options.log(`lost NATS: cluster writes are refused until it returns`);
        } else if (status.type === 'reconnect') {
          this.#connected = true;
          this.#reconnectedAt = Date.now();
          this.#options.log(`NATS is back`);
          // a heartbeat sent before the outage may still wait for its answer: send a new one at once
          this.#beats++;
          this.#beating = false;
          void this.#recoverUntilDone().finally(() => void this.#tick());
        }
      }
    })().catch(() => {});
  }

  async #heartbeat(): Promise<void> {
    const entry: StationEntry = {
      id: this.id,
      incarnation: this.#incarnation,
      url: this.#options.advertise,
      joinedSeq: this.publisher.published.seq,
      joinedVersion: this.publisher.published.version,
      version: this.#tree.version,
    };
    const previous = this.#stations.get(this.id)?.value;
    // followers that discover this station start after where it joined: keep that across heartbeats
    if (previous && this.#lastHeartbeat > 0) Object.assign(entry, { joinedSeq: previous.joinedSeq, joinedVersion: previous.joinedVersion });
    await this.#stations.put(this.id, entry);
    this.#lastHeartbeat = Date.now();
  }

  /** Renews the lease, then takes over the prefixes of owners that went silent, once caught up with them. */
  /** Renews the lease; one heartbeat at a time, but one lost with the connection does not hold up the next. */
  #beat(): void {
    if (this.#beating || this.#closed || !this.#connected) return;
    const generation = ++this.#beats;
    this.#beating = true;
    this.#heartbeat()
      .catch((error) => {
        if (this.#connected) this.#options.log(`heartbeat failed: ${(error as Error).message}`);
      })
      .finally(() => {
        if (generation === this.#beats) this.#beating = false;
      });
  }

  async #tick(): Promise<void> {
    // while NATS is away a heartbeat or a takeover would only queue in the client until it times out
    if (this.#closed || !this.#connected) return;
    this.#beat();
    for (const follower of this.#followers.values()) if (follower.failed) this.#refollow(follower);
    if (this.#ticking) return;
    // just back from a NATS outage: every heartbeat seen is as stale as this station's own was; let
    // the others renew theirs first (two leases: theirs may come a lease late); and only a station
    // whose own lease is fresh may take over another's
    if (Date.now() - this.#reconnectedAt < 2 * this.#options.leaseMs) return;
    if (Date.now() - this.#lastHeartbeat > this.#options.leaseMs / 2) return;
    this.#ticking = true;
    try {
      for (const entry of this.#owners.entries()) {
        const { owner } = entry.value;
        if (owner === this.id || this.#alive(owner)) continue;
        const follower = this.#followers.get(owner);
        if (!follower) continue;
        const { state } = await this.#jsm.streams.info(streamName(owner));
        if (state.last_seq > follower.seq) continue; // not everything it published is applied here yet
        const next = handedOver(entry.value, this.id, { station: owner, version: follower.applied });
        if (await this.#owners.update(entry.key, next, entry.revision)) {
          this.#options.log(`took over "${prefixOfKey(entry.key)}" from ${owner}, silent past its lease, at its version ${follower.applied}`);
        }
      }
    } catch (error) {
      if (this.#connected) this.#options.log(`cluster upkeep failed: ${(error as Error).message}`);
    } finally {
      this.#ticking = false;
    }
  }
}

/** Prefixes of a station's tree in record form (null where nothing is), the nonces of owner keys, and where its stream stood. */
interface Snapshot {
  version: number;
  seq: number;
  nonces: Record<string, number>;
  parts: { p: string; n: string | null }[];
}

/** Where a follower of a station discovered in the registry starts: after where it joined. */
function joinedAt(entry: StationEntry): { seq: number; applied: number } {
  return { seq: entry.joinedSeq, applied: entry.joinedVersion ?? 0 };
}

/** The paths a call acts on: node.invoke's and station.migrate's path, or each path a write writes. */
function callPaths(method: string, params: Record<string, unknown>): string[] {
  if (method === 'node.invoke' || method === 'station.migrate') return [normalizePath(String(params.path ?? ''))];
  return writeOps(method, params).map((op) => op.path);
}

/** The owners-bucket keys of the paths and every ancestor of them. */
function ancestorKeys(paths: string[]): string[] {
  return [...new Set(paths.flatMap((path) => ancestorsOf(path).map(ownerKey)))];
}

