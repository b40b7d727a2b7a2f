// During a failover a forwarded write says what happens next: -32008 with data.retryAfterMs (about
// the owner's lease) and "station a stopped answering; a replica takes over within about 1 s: retry
// then"; a client that opts in (createClient({ retry })) retries the writes that are safe to deliver
// twice (conditioned on what they replace: tree.cas here) and succeeds once a replica owns the path,
// while a write that is not safe to retry is answered with the error at once. Real nats-server, stations in process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, GroveRpcError } from '../src/client/index.js';
import { type Child, type NatsServer, spawnChild, startNats } from './helpers/nats.js';
import { closeAll, eventually, type Id, logFor, type Member } from './helpers/cluster.js';
import { errorOf, httpCaller, openStation, resolving } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const MAIN = 'dist/src/cli/main.js';
const CLUSTER_UNAVAILABLE = ErrorCode.ClusterUnavailable;
const LEASE_MS = 3000;

let nats: NatsServer;
let a: Child;
const members: Partial<Record<Id, Member>> = {};

/** Station a in a child process (so it can die without a word), b and c in this one; a owns the root. */
beforeAll(async () => {
  nats = await startNats();
  a = spawnChild(process.execPath, [MAIN, 'serve', '--memory', '--cluster', nats.url, '--station-id', 'a', '--port', '0', '--lease', String(LEASE_MS)], { stdout: true });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    a.process.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    void a.exited.then(() => reject(new Error(`station a exited: ${a.stderr()}`)));
  });
  const ok = resolving(httpCaller(url));
  await eventually(async () => expect((await ok('cluster.info')).owners).toEqual([{ path: '', owner: 'a', epoch: 1 }]), 20_000);
  for (const id of ['b', 'c'] as const) {
    const station = await openStation({ stationId: id, cluster: { servers: [nats.url], leaseMs: LEASE_MS, log: logFor(id) } });
    const call = httpCaller(station.url);
    members[id] = { station, call, ok: resolving(call) };
  }
  members.a = { station: undefined as never, call: httpCaller(url), ok };
  await eventually(async () => {
    for (const id of ['b', 'c'] as const) {
      const info = await members[id]!.ok('cluster.info');
      expect(info.peers.filter((peer: { alive: boolean }) => peer.alive).length).toBe(3);
      expect(info.replication.length).toBe(2);
    }
  }, 20_000);
}, 60_000);

afterAll(async () => {
  await a?.stop('SIGKILL');
  delete members.a;
  await closeAll(members);
  await nats?.close();
}, 30_000);

describe('a write forwarded to an owner that stopped', () => {
  it('says when to retry, and a client opted in retries a conditioned write until a replica takes it', { timeout: 240_000 }, async () => {
    const { b } = members as Record<Id, Member>;
    const written = await members.a!.ok('tree.set', { path: 'doc', value: 1 });
    const node = await b.ok('tree.get', { path: 'doc', minVersion: written.version });
    expect(node).toBe(1);

    // a dies: b has no owner to forward to until a replica takes a's prefixes over, a lease later
    await a.stop('SIGKILL');
    const refused = errorOf(await b.call('tree.set', { path: 'doc', value: 2 }), CLUSTER_UNAVAILABLE);
    expect(refused.message).toBe(`station a stopped answering; a replica takes over within about 3 s: retry then`);
    expect(refused.data).toMatchObject({ owner: 'a', retryAfterMs: LEASE_MS });

    const client = createClient({ url: b.station.url, retry: { attempts: 30, maxWaitMs: 30_000 } });
    const plain = createClient({ url: b.station.url });
    try {
      // not safe to deliver twice: answered with the error, not retried (the takeover may still be ahead)
      const unsafe = await client.add('list', { n: 1 }).catch((error) => error);
      const owners = (await b.ok('cluster.info')).owners;
      if (owners[0].owner === 'a') {
        expect(unsafe).toBeInstanceOf(GroveRpcError);
        expect(unsafe.code).toBe(CLUSTER_UNAVAILABLE);
      }
      // conditioned on what it replaces (a compare-and-set): retried until a replica owns the path and takes it
      expect(await client.cas('doc', 1, 3)).toEqual({ ok: true, value: 3 });
      await eventually(async () => expect(await plain.get('doc')).toBe(3), 15_000);
      // a plain client is told, not retried: the same write again now conflicts with what it did
      expect(await plain.cas('doc', 1, 4)).toMatchObject({ ok: false });
      expect((await b.ok('cluster.info')).owners[0].owner).not.toBe('a');
    } finally {
      client.close();
      plain.close();
    }
  });
});
