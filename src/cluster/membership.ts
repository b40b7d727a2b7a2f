// Who is in the cluster (README "Cluster"): the stations bucket holds each station's
// heartbeat, and a station heard from within a lease is alive. This file reads the registry
// for one station and writes its own heartbeat.
import type { WatchedBucket } from './bucket.js';

/** A station's heartbeat in the stations bucket. */
export interface StationEntry {
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

/** A station of the registry, as cluster.info lists it. */
export interface Peer {
  id: string;
  url?: string;
  alive: boolean;
  silentMs: number;
  version: number;
}

/** Where a follower of a station discovered in the registry starts: after where it joined. */
export function joinedAt(entry: StationEntry): { seq: number; applied: number } {
  return { seq: entry.joinedSeq, applied: entry.joinedVersion ?? 0 };
}

/** The registry as station `self` sees it. */
export class Membership {
  /** When this station's last heartbeat was stored (0: none yet). */
  lastHeartbeat = 0;

  constructor(
    readonly self: string,
    readonly leaseMs: number,
    readonly stations: WatchedBucket<StationEntry>,
  ) {}

  /** Whether `id` renewed its lease within the last lease (this station always is). */
  alive(id: string): boolean {
    if (id === this.self) return true;
    const entry = this.stations.get(id);
    return entry !== undefined && Date.now() - entry.created < this.leaseMs;
  }

  aliveIds(): string[] {
    return this.stations.entries().map((e) => e.key).filter((id) => this.alive(id));
  }

  /** The stations of the registry, this one included, and whether each is heard from. */
  peers(): Peer[] {
    const now = Date.now();
    return this.stations.entries().map((entry) => ({
      id: entry.key,
      url: entry.value.url,
      alive: this.alive(entry.key),
      silentMs: entry.key === this.self ? now - this.lastHeartbeat : now - entry.created,
      version: entry.value.version,
    }));
  }

  /** Stores this station's heartbeat; where it joined stays what the first one said. */
  async heartbeat(entry: StationEntry): Promise<void> {
    const previous = this.stations.get(this.self)?.value;
    // followers that discover this station start after where it joined: keep that across heartbeats
    if (previous && this.lastHeartbeat > 0) Object.assign(entry, { joinedSeq: previous.joinedSeq, joinedVersion: previous.joinedVersion });
    await this.stations.put(this.self, entry);
    this.lastHeartbeat = Date.now();
  }
}
