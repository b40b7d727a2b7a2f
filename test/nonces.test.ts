// A write signed by the key owning a subtree is accepted once, for ever: the nonce it
// carries is kept with the tree (its log, snapshots and cluster streams), so a captured
// signed write replayed after the station was stopped (SIGTERM) or killed (SIGKILL), after
// the subtree migrated to another station, or after another station took over from a dead
// owner, is refused, and the value it would reset stays.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as secp from '@noble/secp256k1';
import { afterEach, describe, expect, it } from 'vitest';

import { signWrite } from '../src/auth/index.js';
import type { Station } from '../src/station/server.js';
import { eventually } from './helpers/cluster.js';
import { type NatsServer, startNats } from './helpers/nats.js';
import { serve, stopAll } from './helpers/processes.js';
import { errorOf, httpCaller, openStation, resultOf, writeRules } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const FORBIDDEN = ErrorCode.Forbidden;
const ownerKey = secp.utils.randomSecretKey();
const rulesFile = writeRules({ owners: { keyed: secp.etc.bytesToHex(secp.getPublicKey(ownerKey)) } });
const signedSet = (value: number, nonce: number) => signWrite(ownerKey, 'tree.set', { path: 'keyed/v', value }, nonce);

const dirs: string[] = [];
const stations: Station[] = [];
let nats: NatsServer | undefined;
afterEach(async () => {
  await stopAll();
  for (const station of stations.splice(0)) await station.close().catch(() => {});
  await nats?.close();
  nats = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}, 30_000);

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'grove-nonces-'));
  dirs.push(dir);
  return dir;
}

/** Replays `signed` through `call`: refused as a replay, and keyed/v still holds `holds`. */
async function refusedAgain(call: ReturnType<typeof httpCaller>, signed: object, holds: number): Promise<void> {
  expect(errorOf(await call('tree.set', signed), FORBIDDEN).message).toMatch(/^replayed nonce: \d+ is not greater than \d+/);
  expect(resultOf(await call('tree.get', { path: 'keyed/v' }))).toBe(holds);
}

describe('a signed write is accepted once', () => {
  it.each(['SIGTERM', 'SIGKILL'] as const)('also after the station is stopped with %s and started again', async (signal) => {
    const data = dataDir();
    const args = ['--data', data, '--rules', rulesFile];
    let station = await serve(args);
    const first = signedSet(1, 1000);
    resultOf(await httpCaller(station.url)('tree.set', first));
    resultOf(await httpCaller(station.url)('tree.set', signedSet(2, 1001)));
    await station.stop(signal);
    station = await serve(args);
    await refusedAgain(httpCaller(station.url), first, 2);
  }, 60_000);

  it('also on the station a migration moved the subtree to', async () => {
    nats = await startNats();
    for (const id of ['a', 'b']) {
      stations.push(await openStation({ stationId: id, rulesFile, cluster: { servers: [nats.url], leaseMs: 1000, log: () => {} } }));
    }
    const [a, b] = stations.map((station) => httpCaller(station.url));
    await eventually(async () => expect(resultOf(await a!('cluster.info')).peers.filter((peer: { alive: boolean }) => peer.alive)).toHaveLength(2));
    const first = signedSet(1, 2000);
    resultOf(await a!('tree.set', first));
    resultOf(await a!('tree.set', signedSet(2, 2001)));
    resultOf(await a!('station.migrate', signWrite(ownerKey, 'station.migrate', { path: 'keyed', to: 'b' }, 2002)));
    await refusedAgain(b!, first, 2);
    await refusedAgain(a!, first, 2); // forwarded to b
  }, 60_000);

  it('also on the station that took over from a dead owner', async () => {
    nats = await startNats();
    const station = (id: string) => serve(['--data', dataDir(), '--rules', rulesFile, '--station-id', id, '--cluster', nats!.url, '--lease', '1000']);
    const a = await station('a');
    const b = await station('b');
    const [callA, callB] = [httpCaller(a.url), httpCaller(b.url)];
    await eventually(async () => expect(resultOf(await callA('cluster.info')).peers.filter((peer: { alive: boolean }) => peer.alive)).toHaveLength(2));
    const first = signedSet(1, 3000);
    resultOf(await callA('tree.set', first));
    const { version } = resultOf(await callA('tree.set', signedSet(2, 3001)));
    resultOf(await callB('tree.get', { path: 'keyed/v', minVersion: version }));
    await a.stop('SIGKILL');
    await eventually(async () => expect(resultOf(await callB('cluster.info')).owners).toEqual([{ path: '', owner: 'b', epoch: 2 }]), 20_000);
    await refusedAgain(callB, first, 2);
  }, 60_000);
});
