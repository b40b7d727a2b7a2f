// Bounded under load (issue 14): how fast a replica cut off from NATS catches up with the
// 10,000 writes it missed, against live replication of the same writes one by one; and what
// one write costs the change hub with 1, 1,000 and 20,000 subscriptions open elsewhere in the
// tree (one of them at the written path), against the cost with only that one; and how long
// a store snapshot and a big tree.delete hold the event loop on a 1M-node tree (holds.ts).
import { ChangeHub } from '../../src/station/changes.js';
import { Tree } from '../../src/tree.js';
import type { Station } from '../../src/station/server.js';
import { openLink } from '../../test/helpers/link.js';
import { startNats } from '../../test/helpers/nats.js';
import { startStation } from '../../src/station/server.js';
import { measure } from '../measure.js';
import { deleteHolds, snapshotHolds } from './holds.js';
import { type Row, type Suite, withRatio } from '../report.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(url: string, method: string, params: unknown): Promise<any> {
  const response = await fetch(`${url}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const reply = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (reply.error) throw new Error(`${method}: ${reply.error.message}`);
  return reply.result;
}

/** Resolves with the ms it took until `done()`, polled every 2 ms. */
async function timeUntil(done: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!done()) {
    if (performance.now() - started > timeoutMs) throw new Error(`not done within ${timeoutMs} ms`);
    await sleep(2);
  }
  return performance.now() - started;
}

/** Catch-up of `writes` missed writes and live replication of as many, one station (b) behind a link that is cut. */
async function catchUp(writes: number): Promise<{ liveMs: number; reconnectMs: number; catchUpMs: number }> {
  const nats = await startNats();
  const link = await openLink(nats.port);
  const stations: Station[] = [];
  try {
    const quiet = () => {};
    stations.push(await startStation({ port: 0, stationId: 'a', rateLimit: false, cluster: { servers: [nats.url], leaseMs: 1000, log: quiet } }));
    stations.push(await startStation({ port: 0, stationId: 'b', rateLimit: false, cluster: { servers: [link.url], leaseMs: 60_000, log: quiet } }));
    const [a, b] = stations as [Station, Station];
    const applied = () => b.context.cluster!.info().replication.find((r) => r.station === 'a')?.appliedVersion ?? 0;
    await call(a.url, 'tree.set', { path: 'k', value: {} });
    await timeUntil(() => applied() >= a.context.hub.version, 10_000);
    const oneByOne = async () => {
      for (let i = 0; i < writes; i++) await call(a.url, 'tree.set', { path: `k/${i % 500}`, value: i });
    };
    // live: each write replicated as it is made
    let started = performance.now();
    await oneByOne();
    await timeUntil(() => applied() >= a.context.hub.version, 60_000);
    const liveMs = performance.now() - started;
    // missed: the same writes while b is cut off, applied once NATS is reachable again
    link.cut();
    await timeUntil(() => !b.context.cluster!.info().connected, 10_000);
    await oneByOne();
    link.restore();
    // the NATS client tries again every 250 ms (cluster.ts): NATS is back for b once it has reconnected
    const reconnectMs = await timeUntil(() => b.context.cluster!.info().connected, 10_000);
    started = performance.now();
    await timeUntil(() => applied() >= a.context.hub.version, 60_000);
    return { liveMs, reconnectMs, catchUpMs: performance.now() - started };
  } finally {
    for (const station of stations.reverse()) await station.close().catch(() => {});
    await link.close();
    await nats.close();
  }
}

/** Nanoseconds one write costs the hub with `open` subscriptions, each at its own path, one at the written one. */
function fanOut(open: number, quick: boolean): { median: number; spread: number } {
  const tree = Tree.create();
  const hub = new ChangeHub(tree, { pollMs: 60_000, maxSubscriptions: open + 1 });
  try {
    let heard = 0;
    for (let i = 0; i < open; i++) hub.subscribe(`subs/${i % 100}/s${i}`, () => heard++);
    tree.set('subs/0/s0', 0);
    let n = 0;
    return measure(() => {
      for (let i = 0; i < 100; i++) hub.write('bench', () => tree.set('subs/0/s0', n++));
    }, { batch: 100, quick });
  } finally {
    hub.close();
    tree.setFeed('off');
    tree.close();
  }
}

export const boundedSuite: Suite = {
  name: 'bounded',
  description: 'issue 14: catch-up of missed writes after a NATS outage; per-write cost of subscription fan-out at 1, 1,000 and 20,000 subscriptions; the event loop held by a store snapshot and a big tree.delete on a 1M-node tree',
  async run({ quick }): Promise<Row[]> {
    const writes = quick ? 1000 : 10_000;
    const { liveMs, reconnectMs, catchUpMs } = await catchUp(writes);
    const fan = [1, 1000, 20_000].map((open) => ({ open, timing: fanOut(open, quick) }));
    const one = fan[0]!.timing;
    const nodes = quick ? 200_000 : 1_000_000;
    const rounds = quick ? 1 : 5;
    const snapshot = await snapshotHolds(nodes, rounds);
    const deletes = deleteHolds(nodes, rounds);
    const sized = `${nodes.toLocaleString('en')}`;
    return [
      withRatio({
        suite: 'bounded',
        name: `the longest event-loop hold while a store snapshot of a ${sized}-node tree is taken, writes going on`,
        value: snapshot.snapshot.median,
        unit: 'ms',
        spread: snapshot.snapshot.spread,
        baseline: { name: "the tree's export on the event loop (what a snapshot held before)", value: snapshot.exportOnLoop.median },
        target: '<= 50 ms',
      }),
      withRatio({
        suite: 'bounded',
        name: `tree.delete of an object of ${sized} leaves through the change hub, feed on (records)`,
        value: deletes.withFeed.median,
        unit: 'ms',
        spread: deletes.withFeed.spread,
        baseline: { name: 'the same delete with the feed off', value: deletes.feedOff.median },
        target: '<= 50 ms',
      }),
      withRatio({
        suite: 'bounded',
        name: `catch-up of ${writes.toLocaleString('en')} writes missed during an outage, from the replica's reconnect to NATS to all applied`,
        value: catchUpMs,
        unit: 'ms',
        spread: 0,
        baseline: { name: 'live replication of the same writes one by one', value: liveMs },
        target: '<= 0.05x',
      }),
      { suite: 'bounded', name: "the replica's reconnect once its link to NATS is back", value: reconnectMs, unit: 'ms', spread: 0 },
      ...fan.map(({ open, timing }) =>
        withRatio({
          suite: 'bounded',
          name: `one write with ${open.toLocaleString('en')} subscription${open === 1 ? '' : 's'} open (one at its path)`,
          value: timing.median / 1000,
          unit: 'µs',
          spread: timing.spread,
          ...(open === 1 ? {} : { baseline: { name: 'with 1 subscription', value: one.median / 1000 }, target: '<= 2x' }),
        }),
      ),
    ];
  },
};
