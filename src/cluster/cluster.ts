// A station's membership of a cluster over NATS JetStream (README "Cluster"):
// - its committed writes go to its own stream (publisher.ts); it follows every other
//   station's stream into its local tree, and takes snapshots when following is not enough
//   (replication.ts, follower.ts, replicas.ts), so any station serves any read;
// - a key-value bucket of stations carries heartbeats (membership.ts); another maps path
//   prefixes to the station that owns them, longest prefix winning, changed only by
//   compare-and-set (ownership.ts);
// - a write or node.invoke for a path another station owns is forwarded to it over NATS
//   request/reply and answered as if local (routing.ts);
// - a prefix migrates (station.migrate) by holding its writes, publishing what is pending,
//   letting the target catch up, then moving ownership with a fence; a replica that has
//   applied all of a silent owner's stream takes its prefixes over once the lease runs out;
// - NATS coming back without its store finds each station making its stream, the buckets
//   (jetstream.ts), its owner entries and its followers' consumers again (#recover).
// Why this file is over 400 lines: it is the one place these parts meet, with the state they
// share (the connection, the lease, prefixes being moved) and the order things happen in at
// start-up, recovery, migration, takeover and close; each part's own rules are in its file.
import { randomUUID } from 'node:crypto';

import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import { connect, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/transport-node';

import { ErrorCode, type RpcContext, type RpcEngine, RpcError } from '../rpc/index.js';
import { isWithin } from '../paths.js';
import type { Tree } from '../tree.js';
import { type BucketEntry, WatchedBucket } from './bucket.js';
import { claimIdRange } from './ids.js';
import { clusterUnavailable } from './errors.js';
import { type Buckets, changeStream, openBuckets, prepareStream, registryCreated } from './jetstream.js';
import { joinedAt, Membership, type Peer, type StationEntry } from './membership.js';
import {
  catchUpSubject,
  checkStationId,
  ownerKey,
  prefixOfKey,
  rpcSubject,
  snapshotSubject,
  streamName,
} from './names.js';
import { fenceOf, handedOver, type OwnedPrefix, type OwnerEntry, Ownership } from './ownership.js';
import { Publisher } from './publisher.js';
import { CATCH_UP_TIMEOUT_MS, type ClusterHub, Replication } from './replication.js';
import { ancestorKeys, answerForwarded, callPaths, forward, MAX_HOPS } from './routing.js';

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

export interface ClusterInfo {
  station: string;
  url?: string;
  connected: boolean;
  leaseMs: number;
  peers: Peer[];
  owners: OwnedPrefix[];
  replication: { station: string; appliedVersion: number; seq: number; lagMs: { p50: number; p99: number; samples: number; applied: number } }[];
}

/** How long a read with minVersion waits for replication to reach it. */
const MIN_VERSION_WAIT_MS = 5000;

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
  #members!: Membership;
  #ownership!: Ownership;
  #snapshots!: ObjectStore;
  readonly #replication: Replication;
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
    this.publisher = new Publisher(this.id, changeStream(this.#js, jsm, this.id, this.#options), {
      checkWritable: () => this.checkWritable(),
      nextId: () => tree.nextId,
      claim: (paths) => this.#ownership.claim(paths),
      maxPayload: nc.info?.max_payload ?? 1 << 20,
      confirmMs: this.#options.confirmMs,
      log: this.#options.log,
    });
    const cluster = this;
    this.#replication = new Replication({
      self: this.id,
      tree,
      nc,
      js: this.#js,
      publisher: this.publisher,
      get hub() {
        return cluster.#host.hub;
      },
      get ownership() {
        return cluster.#ownership;
      },
      get members() {
        return cluster.#members;
      },
      get snapshots() {
        return cluster.#snapshots;
      },
      get closed() {
        return cluster.#closed;
      },
      log: (line: string) => this.#options.log(line),
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
      await prepareStream(jsm, options.stationId, cluster.#options);
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

  /** Opens the cluster's buckets (src/cluster/jetstream.ts), noting the snapshots' and when the registry was made. */
  async #openBuckets(): Promise<Buckets> {
    const buckets = await openBuckets(this.#nc, this.#jsm, this.#options);
    this.#snapshots = buckets.snapshots;
    this.#bucketsCreated = buckets.created;
    return buckets;
  }

  /**
   * After NATS returns: if it lost its store (the registry bucket is gone or made anew), this
   * station makes its stream, the buckets and its id range again, watches them afresh, puts back
   * every owner entry it knows of (create: the first station to do so wins, all know the same map);
   * its heartbeat follows.
   */
  async #recover(): Promise<void> {
    if ((await registryCreated(this.#jsm)) === this.#bucketsCreated) {
      await this.publisher.realign();
      return;
    }
    this.#options.log(`NATS lost its JetStream store: creating this station's stream and the cluster's buckets again`);
    await this.publisher.realign();
    await this.#openBuckets();
    await claimIdRange(new Kvm(this.#nc), this.id, this.idRange, this.#options.replicas);
    await this.#members.stations.restart();
    const known = this.#ownership.bucket.entries();
    await this.#ownership.bucket.restart();
    for (const entry of known) await this.#ownership.bucket.create(entry.key, entry.value);
    // their consumers went with the store: new ones, from where each was (streams come back at the sequence they had)
    for (const follower of [...this.#replication.followers.values()]) this.#replication.refollow(follower);
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
    this.#members = new Membership(this.id, this.#options.leaseMs, new WatchedBucket(buckets.stations));
    this.#ownership = new Ownership(this.id, new WatchedBucket(buckets.owners));
    await this.#members.stations.start();
    await this.#ownership.bucket.start();
    this.#watchStatus();
    // forwarded calls may arrive from here on; they are refused until the first heartbeat, after the restore
    this.#serve();
    await this.#replication.restoreOwned();
    await this.#heartbeat();
    if (await this.#ownership.bucket.create(ownerKey(''), { owner: this.id, epoch: 1 })) this.#createdOwners.push(ownerKey(''));
    this.#ownership.bucket.onChange((key, previous, next) => this.#ownerChanged(key, previous, next));
    this.#members.stations.onChange((key, _previous, next) => {
      // a station seen for the first time (every heartbeat lands here too); one being resynced gets its follower from the snapshot
      if (next && key !== this.id && !this.#replication.isFollowing(key)) void this.#replication.follow(key, joinedAt(next.value));
    });
    // others' prefixes from snapshots, shortest first, so a nested owner's snapshot lands last
    const owners = new Map<string, number>();
    for (const entry of this.#ownership.bucket.entries()) {
      const { owner } = entry.value;
      const depth = prefixOfKey(entry.key).length;
      if (owner !== this.id) owners.set(owner, Math.min(owners.get(owner) ?? Infinity, depth));
    }
    for (const [owner] of [...owners].sort((a, b) => a[1] - b[1])) await this.#replication.resync(owner);
    for (const entry of this.#members.stations.entries()) {
      if (entry.key !== this.id && !this.#replication.followers.has(entry.key)) await this.#replication.follow(entry.key, joinedAt(entry.value));
    }
    this.#timer = setInterval(() => void this.#tick(), Math.max(50, Math.floor(this.#options.leaseMs / 4))).unref();
  }

  /**
   * For a start-up that failed (the station cannot listen): gives back the owner keys this start
   * created, if no one changed them since, so a station that never served owns nothing.
   */
  async release(): Promise<void> {
    for (const key of this.#createdOwners.splice(0)) {
      const entry = this.#ownership.bucket.get(key);
      if (entry?.value.owner !== this.id) continue;
      await this.#ownership.bucket.kv.delete(key, { previousSeq: entry.revision }).catch(() => {});
    }
  }

  /** Leaves: stops following, lets pending writes reach the stream, then withdraws the heartbeat. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const follower of this.#replication.followers.values()) follower.stop();
    await Promise.race([this.publisher.idle(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    this.publisher.close();
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#members?.stations.stop();
    this.#ownership?.bucket.stop();
    if (this.#connected) await this.#members?.stations.kv.delete(this.id).catch(() => {});
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
    // before start() there is no registry yet: a station still joining
    const lastHeartbeat = this.#members?.lastHeartbeat ?? 0;
    if (lastHeartbeat === 0) throw clusterUnavailable('this station is still joining the cluster: retry in a moment', { station: this.id });
    const silent = Date.now() - lastHeartbeat;
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
    const owners = method === 'node.invoke' || method === 'station.migrate' ? new Set(paths.map((p) => this.ownerOf(p))) : this.#ownership.writeOwners(method, params);
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
      return Promise.all(ancestorKeys(paths).map((key) => this.#ownership.bucket.refresh(key))).then(() => this.route(method, params, context, local, true));
    }
    return this.#forward(owner!, method, params, context);
  }

  /** The station owning `path`: the owner of its longest owned prefix. */
  ownerOf(path: string): string {
    return this.#ownership.ownerOf(path);
  }

  /**
   * Resolves once this station's copy of `path` includes version `version` of whoever owned
   * it when that version was made: versions move on across the cluster (a station applying
   * another's record moves its own counter past it), so a version handed over at a migration
   * or a takeover marks where one owner's versions end and the next one's begin.
   */
  async reached(path: string, version: number): Promise<void> {
    const owner = this.#ownership.ownerAt(path, version);
    if (owner === this.id) return this.#host.hub.assertReached(version, path);
    const follower = this.#replication.followers.get(owner);
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
    if (!this.#members.alive(to)) throw clusterUnavailable(`station "${to}" is not in the cluster (no heartbeat): migrate to one of ${this.#members.aliveIds().join(', ')}`, { to });
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
      const exact = this.#ownership.bucket.get(key);
      const current = this.#ownership.entryOf(path)!;
      const next = handedOver(current.value, to, { station: this.id, version });
      const moved = exact ? await this.#ownership.bucket.update(key, next, exact.revision) : await this.#ownership.bucket.create(key, next);
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
      replication: [...this.#replication.followers.values()].map((follower) => ({
        station: follower.station,
        appliedVersion: follower.applied,
        seq: follower.seq,
        lagMs: follower.lag.summary(),
      })),
    };
  }

  /** The stations of the registry, this one included, and whether each is heard from. */
  peers(): Peer[] {
    return this.#members.peers();
  }

  /** The owned prefixes, by path. */
  owners(): OwnedPrefix[] {
    return this.#ownership.list();
  }

  #movingFor(paths: string[]): Promise<void> | undefined {
    for (const [prefix, done] of this.#moving) if (paths.some((path) => isWithin(path, prefix))) return done;
    return undefined;
  }

  async #forward(owner: string, method: string, params: Record<string, unknown>, context: RpcContext): Promise<unknown> {
    const hops = context.hops ?? 0;
    if (hops >= MAX_HOPS) throw clusterUnavailable(`the owner of this path keeps changing (${hops} hops); retry`, { owner });
    if (!this.#connected) this.checkWritable();
    return forward(this.#nc, this.#members, owner, method, params, context);
  }

  /** Answers forwarded calls, snapshot requests and catch-up requests addressed to this station. */
  #serve(): void {
    this.#subscriptions.push(
      this.#nc.subscribe(rpcSubject(this.id), {
        callback: (_error, message) => void answerForwarded(this.#host.engine, message, this.#options.log),
      }),
      this.#nc.subscribe(snapshotSubject(this.id), {
        callback: (_error, message) => {
          const { prefixes } = message.json<{ prefixes?: string[] }>();
          this.#replication.snapshot(prefixes)
            .then((object) => message.respond(JSON.stringify({ object })))
            .catch((error) => message.respond(JSON.stringify({ error: (error as Error).message })));
        },
      }),
      this.#nc.subscribe(catchUpSubject(this.id), {
        callback: (_error, message) => {
          const { station, version } = message.json<{ station: string; version: number }>();
          const follower = this.#replication.followers.get(station);
          const answer = (ok: boolean) => {
            message.respond(JSON.stringify(ok ? { ok } : { error: `applied ${follower?.applied ?? 0} of ${station}'s stream, not ${version}, in time` }));
          };
          if (follower) void follower.waitFor(version, CATCH_UP_TIMEOUT_MS - 1000).then(answer);
          else answer(false);
        },
      }),
    );
  }

  /** A prefix this station owned went to another without a migration of ours: its copy may hold writes never acknowledged. */
  #ownerChanged(key: string, previous: BucketEntry<OwnerEntry> | undefined, next: BucketEntry<OwnerEntry> | undefined): void {
    if (previous?.value.owner !== this.id || !next || next.value.owner === this.id) return;
    if (fenceOf(next.value)?.station === this.id && this.#movingFor([prefixOfKey(key)])) return;
    this.#options.log(`"${prefixOfKey(key)}" is now owned by ${next.value.owner}: taking its snapshot`);
    void this.#replication.resync(next.value.owner);
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
    await this.#members.heartbeat(entry);
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
    for (const follower of this.#replication.followers.values()) if (follower.failed) this.#replication.refollow(follower);
    if (this.#ticking) return;
    // just back from a NATS outage: every heartbeat seen is as stale as this station's own was; let
    // the others renew theirs first (two leases: theirs may come a lease late); and only a station
    // whose own lease is fresh may take over another's
    if (Date.now() - this.#reconnectedAt < 2 * this.#options.leaseMs) return;
    if (Date.now() - this.#members.lastHeartbeat > this.#options.leaseMs / 2) return;
    this.#ticking = true;
    try {
      for (const entry of this.#ownership.bucket.entries()) {
        const { owner } = entry.value;
        if (owner === this.id || this.#members.alive(owner)) continue;
        const follower = this.#replication.followers.get(owner);
        if (!follower) continue;
        const { state } = await this.#jsm.streams.info(streamName(owner));
        if (state.last_seq > follower.seq) continue; // not everything it published is applied here yet
        const next = handedOver(entry.value, this.id, { station: owner, version: follower.applied });
        if (await this.#ownership.bucket.update(entry.key, next, entry.revision)) {
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
