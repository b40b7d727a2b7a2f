// Following the other stations (README "Cluster"): each one's stream is applied into the
// local tree (follower.ts), and what a station owns is replaced wholesale from its snapshot
// when following is not enough (a gap in its stream, a record that does not apply, a takeover).
// A station starting up that owns prefixes takes them back as its stream has them.
import { randomUUID } from 'node:crypto';

import type { JetStreamClient } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';

import type { Tree } from '../tree.js';
import { Follower, type FollowerHost } from './follower.js';
import type { Membership } from './membership.js';
import { catchUpSubject, snapshotSubject, streamName } from './names.js';
import type { Ownership } from './ownership.js';
import { type Publisher, replicaOrigin } from './publisher.js';
import type { Fence, StreamRecord } from './records.js';
import { exportAt, putAt, type Snapshot } from './replicas.js';

const SNAPSHOT_TIMEOUT_MS = 30_000;
/** How long a station has to apply another's stream up to a version it is asked to reach. */
export const CATCH_UP_TIMEOUT_MS = 15_000;

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

/** What replication reads of the cluster; the hub, the ownership and the registry once it has started. */
export interface ReplicationHost {
  readonly self: string;
  readonly tree: Tree;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly publisher: Publisher;
  readonly hub: ClusterHub;
  readonly ownership: Ownership;
  readonly members: Membership;
  readonly snapshots: ObjectStore;
  readonly closed: boolean;
  log(line: string): void;
}

export class Replication {
  readonly #host: ReplicationHost;
  /** The follower of each other station's stream. */
  readonly followers = new Map<string, Follower>();
  /** Snapshots being fetched and applied, by station. */
  readonly #resyncs = new Map<string, Promise<void>>();

  constructor(host: ReplicationHost) {
    this.#host = host;
  }

  /** Whether `station` is followed, or about to be (its snapshot is being applied). */
  isFollowing(station: string): boolean {
    return this.followers.has(station) || this.#resyncs.has(station);
  }

  /** Asks `station` for a snapshot (of what it owns, or of `prefixes`) and reads it from the object store. */
  async #fetchSnapshot(station: string, prefixes?: string[]): Promise<Snapshot> {
    const reply = await this.#host.nc.request(snapshotSubject(station), JSON.stringify({ prefixes }), { timeout: SNAPSHOT_TIMEOUT_MS });
    const { object, error } = reply.json<{ object?: string; error?: string }>();
    if (!object) throw new Error(error ?? 'no snapshot');
    const blob = await this.#host.snapshots.getBlob(object);
    await this.#host.snapshots.delete(object).catch(() => {});
    return JSON.parse(Buffer.from(blob!).toString('utf8'));
  }

  /**
   * A station starting up that owns prefixes may hold writes it stored but never got into
   * its stream (it died first; no one was told they were done): it takes its prefixes back
   * as its stream has them, from a replica that has applied all of that stream.
   */
  async restoreOwned(): Promise<void> {
    const mine = this.#host.ownership.prefixesOf(this.#host.self);
    const { version } = this.#host.publisher.published;
    if (mine.length === 0 || version === 0) return;
    for (const replica of this.#host.members.aliveIds().filter((id) => id !== this.#host.self)) {
      try {
        const reply = await this.#host.nc.request(catchUpSubject(replica), JSON.stringify({ station: this.#host.self, version }), { timeout: CATCH_UP_TIMEOUT_MS });
        if (!reply.json<{ ok?: boolean }>().ok) continue;
        this.#applySnapshot(this.#host.self, await this.#fetchSnapshot(replica, mine));
        this.#host.log(`restored ${mine.map((p) => `"${p}"`).join(', ')} as this station's stream holds them (version ${version}), from ${replica}`);
        return;
      } catch (error) {
        this.#host.log(`${replica} could not restore this station's prefixes: ${(error as Error).message}`);
      }
    }
    if (this.#host.members.aliveIds().length > 1) this.#host.log(`no replica restored this station's prefixes: keeping its own copy`);
  }

  /**
   * Writes a snapshot of every prefix this station owns (or `prefixes`) to the object store,
   * each in record form (ids kept); returns its name. The subtrees are read with other
   * threads' writes held back, after every change made so far was handed to the publisher,
   * so the snapshot holds every record up to its version and none after. The nonces of
   * owner keys come with it: a replay of a signed write stays refused on whoever applies it.
   */
  async snapshot(prefixes = this.#host.ownership.prefixesOf(this.#host.self)): Promise<string> {
    const { nodes, nonces } = this.#host.hub.exportFrozen(prefixes);
    const version = this.#host.publisher.recordedVersion;
    const seq = this.#host.publisher.published.seq;
    const parts = prefixes.map((prefix, i) => `{"p":${JSON.stringify(prefix)},"n":${nodes[i] === undefined ? 'null' : JSON.stringify(nodes[i])}}`);
    const name = `${this.#host.self}-${randomUUID()}`;
    const body = `{"version":${version},"seq":${seq},"nonces":${JSON.stringify(nonces)},"parts":[${parts.join(',')}]}`;
    await this.#host.snapshots.putBlob({ name }, Buffer.from(body));
    return name;
  }

  /** Replaces this station's copy of what `station` owns with its snapshot, then follows its stream from there. */
  resync(station: string): Promise<void> {
    const running = this.#resyncs.get(station);
    if (running) return running;
    const run = (async () => {
      this.followers.get(station)?.stop();
      this.followers.delete(station);
      let snapshot: Snapshot;
      try {
        snapshot = await this.#fetchSnapshot(station);
      } catch (error) {
        // an owner that cannot answer (it died): keep this copy and apply whatever its stream holds
        this.#host.log(`no snapshot from ${station} (${(error as Error).message}): following its whole stream over this station's copy`);
        await this.follow(station, { seq: 0, applied: 0 });
        return;
      }
      this.#applySnapshot(station, snapshot);
      await this.follow(station, { seq: snapshot.seq, applied: snapshot.version });
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
      for (const nested of this.#host.ownership.nestedOthers(p, station)) kept.push({ p: nested, n: exportAt(this.#host.tree, nested) });
    }
    try {
      const written = this.#host.hub.write(replicaOrigin(station), () => {
        for (const part of [...ordered, ...kept]) putAt(this.#host.tree, part.p, part.n, (line) => this.#host.log(line));
        // each key's newer nonce stays: this station may know of one the snapshot's station has not applied yet
        for (const [key, nonce] of Object.entries(nonces)) this.#host.tree.acceptNonce(key, nonce, '');
      });
      if (written instanceof Promise) written.catch((error) => this.#host.log(`storing ${station}'s snapshot failed: ${(error as Error).message}`));
    } catch (error) {
      this.#host.log(`applying ${station}'s snapshot failed: ${(error as Error).message}`);
    }
  }

  #applyReplicated(station: string, record: StreamRecord, text: string): void {
    try {
      const written = this.#host.hub.write(replicaOrigin(station), () => {
        // versions move on across the cluster: what this station does next comes after what it applied
        this.#host.tree.advanceVersion(record.v);
        this.#host.tree.applyRecord(text, { keepVersions: false });
      });
      if (written instanceof Promise) written.catch((error) => this.#host.log(`storing a record of ${station}'s failed: ${(error as Error).message}`));
    } catch (error) {
      // a record that does not apply means this copy is not the owner's: a snapshot replaces it
      this.#host.log(`applying a record of ${station}'s failed, taking its snapshot: ${(error as Error).message}`);
      void this.resync(station);
    }
  }

  /** Replaces a follower with a new one (a new consumer) that starts where it was. */
  refollow(follower: Follower): void {
    follower.stop();
    this.followers.delete(follower.station);
    void this.follow(follower.station, { seq: follower.seq, applied: follower.applied }, follower.failed);
  }

  /** Follows `station`'s stream from `from`; `quiet` when retrying one that failed (it was logged then). */
  async follow(station: string, from: { seq: number; applied: number }, quiet = false): Promise<void> {
    if (this.followers.has(station) || this.#host.closed) return;
    const follower = new Follower(station, this.#followerHost, from);
    this.followers.set(station, follower);
    try {
      await follower.start(this.#host.js);
    } catch (error) {
      // kept where it is: upkeep starts it again (its stream may not be back yet)
      follower.failed = true;
      if (!quiet) this.#host.log(`cannot follow ${streamName(station)}: ${(error as Error).message}`);
    }
  }

  readonly #followerHost: FollowerHost = {
    apply: (station: string, record: StreamRecord, text: string) => this.#applyReplicated(station, record, text),
    fenced: async (fence: Fence) => {
      // a fence on this station's own stream: what it published is in its tree already (it follows no stream of its own)
      if (fence.station === this.#host.self) return;
      while (!this.#host.closed) {
        const follower = this.followers.get(fence.station);
        if (follower && (await follower.waitFor(fence.version, 1000))) return;
        if (!follower) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    gap: (station: string, applied: number, previous: number) => {
      if (!this.#host.members.alive(station)) {
        this.#host.log(`${streamName(station)} no longer holds records after version ${applied} (it starts after ${previous}); applying what it holds`);
        return false;
      }
      this.#host.log(`${streamName(station)} skipped records after version ${applied}: taking a snapshot from ${station}`);
      void this.resync(station);
      return true;
    },
    log: (line: string) => this.#host.log(line),
  };
}
