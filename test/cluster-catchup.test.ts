// Catch-up after an outage (issue 14): a replica cut off from NATS while its owner takes
// 10,000 writes one by one applies all of them once NATS is back, in order, and holds the
// owner's tree exactly; its subscribers hear of every one. (How fast: npm run bench, catchup.)
import { afterAll, describe, expect, it } from 'vitest';

import type { Station } from '../src/station/server.js';
import { eventually, logFor } from './helpers/cluster.js';
import { openLink, type Link } from './helpers/link.js';
import { type NatsServer, startNats } from './helpers/nats.js';
import { httpCaller, openStation, resultOf, WsClient } from './helpers/station.js';

let nats: NatsServer | undefined;
let link: Link | undefined;
const stations: Station[] = [];
afterAll(async () => {
  for (const station of stations.reverse()) await station.close().catch(() => {});
  await link?.close();
  await nats?.close();
});

describe('a replica cut off from NATS', () => {
  it('applies the 10,000 writes it missed once NATS is back, and holds the owner\'s tree', async () => {
    nats = await startNats();
    link = await openLink(nats.port);
    const owner = await openStation({ stationId: 'a', cluster: { servers: [nats.url], leaseMs: 1000, log: logFor('a') } });
    stations.push(owner);
    // a long lease: the owner must not be taken for dead while the replica is away
    const replica = await openStation({ stationId: 'b', cluster: { servers: [link.url], leaseMs: 60_000, log: logFor('b') } });
    stations.push(replica);
    const ownerCall = httpCaller(owner.url);
    resultOf(await ownerCall('tree.set', { path: 'k', value: {} }));
    const applied = () => replica.context.cluster!.info().replication.find((r) => r.station === 'a')?.appliedVersion ?? 0;
    await eventually(async () => expect(applied()).toBe(owner.context.hub.version));
    const watcher = await WsClient.open(replica.url);
    resultOf(await watcher.call('tree.subscribe', { path: 'k' }));

    link.cut();
    await eventually(async () => expect(replica.context.cluster!.info().connected).toBe(false));
    for (let i = 0; i < 10_000; i++) resultOf(await ownerCall('tree.set', { path: `k/${i % 500}`, value: i }));
    expect(applied()).toBeLessThan(owner.context.hub.version);
    link.restore();
    await eventually(async () => expect(applied()).toBe(owner.context.hub.version), 60_000);
    expect(replica.tree.exportJSON('k', 'typed')).toBe(owner.tree.exportJSON('k', 'typed'));
    await eventually(async () => expect(watcher.notifications.filter((n) => n.method === 'tree.changed')).toHaveLength(10_000), 30_000);
    const values = watcher.notifications.map((n) => n.params.value);
    expect(values.slice(0, 3)).toEqual([0, 1, 2]);
    expect(values.at(-1)).toBe(9999);
    await watcher.close();
  }, 180_000);
});
