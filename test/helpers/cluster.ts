// Three stations a, b, c forming a cluster over real nats-server processes, for the cluster
// tests (cluster, identity.cluster).
import { expect } from 'vitest';

import type { AbstractType } from '../../src/abstractTypes.js';
import type { Station, StationOptions } from '../../src/station/server.js';
import { type Caller, httpCaller, openStation, resolving } from './station.js';

export const IDS = ['a', 'b', 'c'] as const;
export type Id = (typeof IDS)[number];

/** Cluster logs: quiet unless GROVE_CLUSTER_LOG is set (then on stderr, by station). */
export const logFor = (id: string) => (process.env.GROVE_CLUSTER_LOG ? (line: string) => process.stderr.write(`[${id}] ${line}\n`) : () => {});

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it stops throwing (its value) or `timeoutMs` passes (its last error). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(everyMs);
    }
  }
}

export interface Member {
  station: Station;
  /** Resolves with a call's result, rejects with its error. */
  ok: (method: string, params?: unknown) => Promise<any>;
  /** The whole reply. */
  call: Caller;
}

/**
 * Starts stations a, b, c (in that order: a claims the root) on the given NATS servers, each
 * into `members` as soon as it runs (so that a failed start still closes the others).
 */
export async function startThree(
  members: Partial<Record<Id, Member>>,
  servers: (id: Id) => string[],
  extra: Partial<NonNullable<StationOptions['cluster']>> = {},
  types: (id: Id) => AbstractType[] = () => [],
): Promise<Record<Id, Member>> {
  for (const id of IDS) {
    const station = await openStation({
      stationId: id,
      types: types(id),
      cluster: { servers: servers(id), leaseMs: 1000, log: logFor(id), ...extra },
    });
    const call = httpCaller(station.url);
    members[id] = { station, call, ok: resolving(call) };
  }
  // everyone has heard everyone's heartbeat: followers and peers in place
  await eventually(async () => {
    for (const id of IDS) {
      const info = await members[id]!.ok('cluster.info');
      expect(info.peers.filter((peer: { alive: boolean }) => peer.alive).map((peer: { id: string }) => peer.id).sort()).toEqual([...IDS]);
      expect(info.replication.map((r: { station: string }) => r.station).sort()).toEqual(IDS.filter((other) => other !== id));
    }
  });
  return members as Record<Id, Member>;
}

export async function closeAll(members: Partial<Record<Id, Member>>): Promise<void> {
  const started = Object.values(members);
  for (const id of IDS) delete members[id];
  await Promise.all(started.map((member) => member.station.close()));
}

