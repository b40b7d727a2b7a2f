// A cluster gives away nothing to a caller before it is authenticated, and moves a subtree
// a key owns only with that key's signature (README "Security"). Two stations on one real
// nats-server, sharing their tokens and rules as README "Cluster" asks: cluster.info needs a
// grant; a call is authenticated (and its paths checked against its token's rules) before it
// is routed, so a stranger's transaction across two owners learns nothing of who owns what;
// station.migrate of a subtree owned by a key needs the key's signature.
import * as secp from '@noble/secp256k1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { signWrite } from '../src/auth/index.js';
import type { Station } from '../src/station/server.js';
import { type NatsServer, startNats } from './helpers/nats.js';
import { errorOf, httpCaller, openStation, resultOf, writeRules } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const UNAUTHENTICATED = ErrorCode.Unauthenticated;
const FORBIDDEN = ErrorCode.Forbidden;

const ownerKey = secp.utils.randomSecretKey();
const otherKey = secp.utils.randomSecretKey();
const WRITER = 'writer-token';
const PART = 'part-token';

let nats: NatsServer;
const stations: Partial<Record<'a' | 'b', Station>> = {};

beforeAll(async () => {
  nats = await startNats();
  const rulesFile = writeRules({
    tokens: { [WRITER]: { name: 'writer', write: [''] }, [PART]: { name: 'part', read: ['public'], write: ['public'] } },
    owners: { keyed: secp.etc.bytesToHex(secp.getPublicKey(ownerKey)) },
  });
  for (const id of ['a', 'b'] as const) {
    stations[id] = await openStation({ stationId: id, rulesFile, cluster: { servers: [nats.url], leaseMs: 1000, log: () => {} } });
  }
  // both stations see each other, and b owns "b-side"
  const writer = httpCaller(stations.a!.url, WRITER);
  let alive = 0;
  const countAlive = async () => (alive = (await writer('cluster.info')).result?.peers.filter((peer: { alive: boolean }) => peer.alive).length ?? 0);
  for (const deadline = Date.now() + 10_000; (await countAlive()) < 2 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(alive, 'stations alive in cluster.info').toBe(2);
  resultOf(await writer('tree.set', { path: 'b-side/x', value: 1 }));
  resultOf(await writer('station.migrate', { path: 'b-side', to: 'b' }));
}, 30_000);

afterAll(async () => {
  await Promise.all(Object.values(stations).map((station) => station.close()));
  await nats?.close();
}, 30_000);

describe('cluster.info', () => {
  it('is refused to a token that may read only part of the tree, and answers one that reads the root', async () => {
    const error = errorOf(await httpCaller(stations.a!.url, PART)('cluster.info'), FORBIDDEN);
    expect(error.message).toBe('token "part" may not call cluster.info: give it "info": true in the rules file, or read access to the root');
    errorOf(await httpCaller(stations.a!.url)('cluster.info'), UNAUTHENTICATED);
    const info = resultOf(await httpCaller(stations.a!.url, WRITER)('cluster.info'));
    expect(info.owners.map((owner: { path: string }) => owner.path)).toEqual(['', 'b-side']);
  });

  it('and station.info, which lists the owners too, is refused likewise', async () => {
    errorOf(await httpCaller(stations.b!.url, PART)('station.info'), FORBIDDEN);
    expect(resultOf(await httpCaller(stations.b!.url, WRITER)('station.info')).owners).toHaveLength(2);
  });
});

describe('routing', () => {
  const across = { ops: [{ method: 'tree.set', params: { path: 'a-side/y', value: 1 } }, { method: 'tree.set', params: { path: 'b-side/y', value: 1 } }] };

  it('comes after authentication: a stranger\'s transaction across two owners learns nothing of who owns what', async () => {
    for (const call of [httpCaller(stations.a!.url), httpCaller(stations.a!.url, 'made-up-token')]) {
      const error = errorOf(await call('tree.transact', across), UNAUTHENTICATED);
      expect(JSON.stringify(error)).not.toMatch(/"b"|owners/);
    }
    // a token outside its rules is told so, and nothing about the owners either
    const forbidden = errorOf(await httpCaller(stations.a!.url, PART)('tree.transact', across), FORBIDDEN);
    expect(forbidden.message).toContain('token "part" may not write "a-side/y"');
    // whoever may write both is told to split it
    const split = errorOf(await httpCaller(stations.a!.url, WRITER)('tree.transact', across), ErrorCode.InvalidParams);
    expect(split.data).toEqual({ owners: expect.arrayContaining(['a', 'b']) });
  });

  it('comes after authentication for writes forwarded to their owner and reads that wait for a version', async () => {
    // refused at once by the station it reached: no forwarding, no waiting for b's version
    errorOf(await httpCaller(stations.a!.url)('tree.set', { path: 'b-side/z', value: 1 }), UNAUTHENTICATED);
    const started = Date.now();
    errorOf(await httpCaller(stations.a!.url)('tree.get', { path: 'b-side/x', minVersion: 1_000_000 }), UNAUTHENTICATED);
    errorOf(await httpCaller(stations.a!.url, PART)('tree.get', { path: 'b-side/x', minVersion: 1_000_000 }), FORBIDDEN);
    // (a wait for a version that never comes would take the full 5 s)
    expect(Date.now() - started).toBeLessThan(4000);
    errorOf(await httpCaller(stations.a!.url)('node.invoke', { path: 'b-side/x', method: 'run' }), UNAUTHENTICATED);
    errorOf(await httpCaller(stations.a!.url)('station.migrate', { path: 'b-side', to: 'a' }), UNAUTHENTICATED);
    errorOf(await httpCaller(stations.a!.url, PART)('station.migrate', { path: 'b-side', to: 'a' }), FORBIDDEN);
    expect(resultOf(await httpCaller(stations.b!.url, WRITER)('cluster.info')).owners).toContainEqual(expect.objectContaining({ path: 'b-side', owner: 'b' }));
  });
});

describe('station.migrate of a subtree a key owns', () => {
  it("needs the owner's signature, also to move an ancestor of it, and moves it once signed", async () => {
    const writer = httpCaller(stations.a!.url, WRITER);
    resultOf(await writer('tree.set', { path: 'keyed-neighbour', value: 1 }));
    const unsigned = errorOf(await writer('station.migrate', { path: 'keyed', to: 'b' }), FORBIDDEN);
    expect(unsigned.message).toMatch(/^missing signature: station\.migrate reaches "keyed", owned by a secp256k1 key/);
    // the whole tree holds "keyed": moving it moves "keyed" too
    errorOf(await writer('station.migrate', { path: '', to: 'b' }), FORBIDDEN);
    const byAnother = signWrite(otherKey, 'station.migrate', { path: 'keyed', to: 'b' }, Date.now());
    expect(errorOf(await writer('station.migrate', byAnother), FORBIDDEN).message).toMatch(/^bad signature/);
    // a write token is still needed besides the signature
    const signed = signWrite(ownerKey, 'station.migrate', { path: 'keyed', to: 'b' }, Date.now());
    errorOf(await httpCaller(stations.a!.url)('station.migrate', signed), UNAUTHENTICATED);
    expect(resultOf(await writer('station.migrate', signed))).toMatchObject({ path: 'keyed', from: 'a', to: 'b' });
    // unsigned moves of what no key owns go on as before
    expect(resultOf(await writer('station.migrate', { path: 'keyed-neighbour', to: 'b' }))).toMatchObject({ to: 'b' });
  });
});
