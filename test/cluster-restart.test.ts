// NATS restarting under a cluster of three stations, with real nats-server processes: after a
// restart (its store kept, past a short duplicate window, so JetStream no longer remembers any
// message id), after a restart that lost its store directory (streams and buckets gone), and
// with a 3-node NATS cluster losing a server, writes through every station are taken again
// without anyone acting, and the stations converge (equal tree.hash) on every acknowledged write.
import { rmSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type NatsCluster, type NatsServer, startNats, startNatsCluster } from './helpers/nats.js';
import { IDS_BUCKET } from '../src/cluster/ids.js';
import { OWNERS_BUCKET, SNAPSHOTS_BUCKET, STATIONS_BUCKET, streamName } from '../src/cluster/names.js';
import { closeAll, eventually, type Id, IDS, type Member, sleep, startThree } from './helpers/cluster.js';

/** Short, so that a test idles past it: publishing must not depend on it. */
const DUPLICATE_WINDOW_MS = 1000;
/** How long writes may take to be taken again after NATS returns: generous for a loaded machine. */
const RESUME_MS = 30_000;
/** The lease in the NATS cluster test: longer than a leader election there takes on a loaded machine. */
const ELECTION_LEASE_MS = 15_000;

const fresh: { nats?: { close(): Promise<void> }; members: Partial<Record<Id, Member>> } = { members: {} };
afterEach(async () => {
  await closeAll(fresh.members);
  await fresh.nats?.close();
  fresh.nats = undefined;
}, 30_000);

/** Writes `value` at `path` through `member`, retrying while the cluster refuses (it is coming back). */
async function writeEventually(member: Member, path: string, value: unknown): Promise<void> {
  await eventually(() => member.ok('tree.set', { path, value }), RESUME_MS, 200);
}

/** Every station holds every acknowledged write, and they agree on the whole tree. */
async function converged(members: Record<Id, Member>, acknowledged: Map<string, unknown>): Promise<void> {
  await eventually(async () => {
    const hashes = await Promise.all(IDS.map((id) => members[id].ok('tree.hash', { path: '' })));
    expect(new Set(hashes).size).toBe(1);
    for (const id of IDS) for (const [path, value] of acknowledged) expect(await members[id].ok('tree.get', { path })).toEqual(value);
  }, RESUME_MS, 200);
}

/** A write through each station, each remembered as acknowledged. */
async function writeThroughEach(members: Record<Id, Member>, acknowledged: Map<string, unknown>, round: string): Promise<void> {
  for (const id of IDS) {
    const path = `w/${round}-${id}`;
    await writeEventually(members[id], path, { round, via: id });
    acknowledged.set(path, { round, via: id });
  }
}

/** The server leading `station`'s stream (its servers are named n1, n2, n3). */
async function streamLeader(cluster: NatsCluster, station: string): Promise<NatsServer> {
  const nc = await connect({ servers: cluster.urls });
  try {
    const jsm = await jetstreamManager(nc);
    const leader = await eventually(async () => {
      const name = (await jsm.streams.info(streamName(station))).cluster?.leader;
      expect(name).toMatch(/^n\d$/);
      return name!;
    }, RESUME_MS, 200);
    return cluster.servers[Number(leader.slice(1)) - 1]!;
  } finally {
    await nc.close();
  }
}

/** Stations a, b, c on `servers` (a owns the root), a write through each, everywhere. */
async function threeWritten(servers: string[], extra: { replicas?: number; leaseMs?: number } = {}) {
  const members = await startThree(fresh.members, () => servers, { duplicateWindowMs: DUPLICATE_WINDOW_MS, ...extra });
  const acknowledged = new Map<string, unknown>();
  await members.a.ok('tree.set', { path: 'w', value: {} });
  await writeThroughEach(members, acknowledged, 'before');
  await converged(members, acknowledged);
  return { members, acknowledged };
}

describe('a NATS server restarting', () => {
  it('takes writes again after a restart past the duplicate window, and the stations converge', { timeout: 240_000 }, async () => {
    const nats = (fresh.nats = await startNats()) as NatsServer;
    const { members, acknowledged } = await threeWritten([nats.url]);

    // idle past the duplicate window: no message id of any station is remembered now
    await sleep(2 * DUPLICATE_WINDOW_MS);
    await nats.stop();
    await nats.start();
    await writeThroughEach(members, acknowledged, 'after');
    // and a second restart right after writes, within the window, for good measure
    await nats.stop();
    await nats.start();
    await writeThroughEach(members, acknowledged, 'again');
    await converged(members, acknowledged);
  });

  it('re-creates streams and buckets when NATS comes back without its store, losing nothing acknowledged', { timeout: 240_000 }, async () => {
    const nats = (fresh.nats = await startNats()) as NatsServer;
    const { members, acknowledged } = await threeWritten([nats.url]);

    await nats.stop();
    rmSync(nats.storeDir, { recursive: true, force: true });
    await nats.start();
    await writeThroughEach(members, acknowledged, 'after');
    await converged(members, acknowledged);
    // the registry and the owners map are back: every station is heard from, a still owns the root
    await eventually(async () => {
      for (const id of IDS) {
        const info = await members[id].ok('cluster.info');
        expect(info.peers.filter((peer: { alive: boolean }) => peer.alive).map((peer: { id: string }) => peer.id).sort()).toEqual([...IDS]);
        expect(info.owners).toEqual([{ path: '', owner: 'a', epoch: 1 }]);
      }
    }, RESUME_MS, 200);
    // on the server: each station's stream, the buckets, and each station's id range claimed again
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const streams: string[] = [];
      for await (const stream of jsm.streams.list()) streams.push(stream.config.name);
      expect(streams.sort()).toEqual(
        [...IDS.map(streamName), `KV_${STATIONS_BUCKET}`, `KV_${OWNERS_BUCKET}`, `KV_${IDS_BUCKET}`, `OBJ_${SNAPSHOTS_BUCKET}`].sort(),
      );
      const ids = await new Kvm(nc).open(IDS_BUCKET);
      for (const id of IDS) expect((await ids.get(`station.${id}`))?.string(), `station ${id}'s id range`).toMatch(/^\d+$/);
    } finally {
      await nc.close();
    }
    // and the streams followers read from carry on: more writes still reach everyone
    await writeThroughEach(members, acknowledged, 'later');
    await converged(members, acknowledged);
  });
});

describe('a 3-node NATS cluster losing a server', () => {
  it('takes writes again once JetStream has a new leader', { timeout: 240_000 }, async () => {
    const cluster = (fresh.nats = await startNatsCluster(3)) as NatsCluster;
    // a lease longer than JetStream takes to elect new leaders (seconds): the owner keeps its prefixes throughout
    const { members, acknowledged } = await threeWritten(cluster.urls, { replicas: 3, leaseMs: ELECTION_LEASE_MS });

    // the server leading a's stream (the root's owner) is killed: the other two hold a quorum of every stream and bucket
    const leader = await streamLeader(cluster, 'a');
    await leader.kill();
    await writeThroughEach(members, acknowledged, 'leader-down');
    await leader.start();
    await writeThroughEach(members, acknowledged, 'all-back');
    await converged(members, acknowledged);
  });
});
