// Start-up is all or nothing: `grove serve --cluster` on a port that is in use exits 1 with one
// line saying what to fix, and leaves nothing behind in the cluster (no heartbeat in the stations
// bucket, no owner key), with a real nats-server and a running station beside it.
import { createServer, type Server } from 'node:net';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNERS_BUCKET, STATIONS_BUCKET } from '../src/cluster/names.js';
import { type NatsServer, spawnChild, startNats } from './helpers/nats.js';
import { logFor } from './helpers/cluster.js';
import { openStation, resolving, httpCaller } from './helpers/station.js';
import { createStation, type Station } from '../src/station/server.js';

const MAIN = 'dist/src/cli/main.js';
/** How long a station that cannot listen may take to exit. */
const EXIT_WITHIN_MS = 20_000;

let nats: NatsServer;
let busy: Server;
let port: number;

beforeAll(async () => {
  nats = await startNats();
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  port = (busy.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => busy?.close(resolve));
  await nats?.close();
});

async function keys(bucket: string, url = nats.url): Promise<string[]> {
  const nc = await connect({ servers: url });
  try {
    const kv = await new Kvm(nc).open(bucket);
    const found = new Set<string>();
    // a set: the keys' listing may name a key twice when it is written meanwhile (here a's
    // heartbeat), as the server sends it (nats.go dedupes them likewise, nats-io/nats.go#2029)
    for await (const key of await kv.keys()) found.add(key);
    return [...found].sort();
  } finally {
    await nc.close();
  }
}

/** Runs `grove serve --cluster` for station `id` on the busy port; resolves with its exit and stderr. */
async function serveOnBusyPort(id: string): Promise<{ exit: string | undefined; stderr: string }> {
  const child = spawnChild(process.execPath, [MAIN, 'serve', '--memory', '--cluster', nats.url, '--station-id', id, '--port', String(port)]);
  // a station that stays up with no port would never exit: give it long enough to fail on a loaded machine, then stop it
  const stayed = await Promise.race([child.exited.then(() => false), new Promise((resolve) => setTimeout(() => resolve(true), EXIT_WITHIN_MS))]);
  const stderr = child.stderr();
  if (stayed) await child.stop('SIGKILL');
  return { exit: stayed ? undefined : child.exit(), stderr };
}

describe('a station that cannot listen', () => {
  it('exits 1 saying the port is in use, and registers nothing: not even the root of a new cluster', { timeout: 240_000 }, async () => {
    const { exit, stderr } = await serveOnBusyPort('d');
    expect(exit).toBe('1');
    expect(stderr.trim().split('\n').at(-1)).toBe(`grove serve: port ${port} is in use: choose another with --port`);
    // nothing in the buckets (they may not even exist)
    expect(await keys(STATIONS_BUCKET).catch(() => [])).toEqual([]);
    expect(await keys(OWNERS_BUCKET).catch(() => [])).toEqual([]);
  });

  it('is absent from cluster.info of a running station', { timeout: 240_000 }, async () => {
    let a: Station | undefined;
    try {
      a = await openStation({ stationId: 'a', cluster: { servers: [nats.url], leaseMs: 1000, log: logFor('a') } });
      const ok = resolving(httpCaller(a.url));
      const { exit, stderr } = await serveOnBusyPort('e');
      expect(exit).toBe('1');
      expect(stderr).toContain(`port ${port} is in use: choose another with --port`);
      const info = await ok('cluster.info');
      expect(info.peers.map((peer: { id: string }) => peer.id)).toEqual(['a']);
      expect(info.owners).toEqual([{ path: '', owner: 'a', epoch: 1 }]);
      expect(await keys(STATIONS_BUCKET)).toEqual(['a']);
    } finally {
      await a?.close();
    }
  });

  it('that joined before its listen failed gives back the root it claimed and its heartbeat', { timeout: 240_000 }, async () => {
    // the path of a port taken between startStation's check and its listen: createStation joins, then the station is released and closed
    const own = await startNats();
    try {
      const station = await createStation({ stationId: 'f', cluster: { servers: [own.url], leaseMs: 1000, log: logFor('f') } });
      const cluster = station.context.cluster!;
      expect(cluster.owners()).toEqual([{ path: '', owner: 'f', epoch: 1 }]);
      await cluster.release();
      await station.close();
      for (const bucket of [STATIONS_BUCKET, OWNERS_BUCKET]) expect(await keys(bucket, own.url), bucket).toEqual([]);
    } finally {
      await own.close();
    }
  });
});
