// Cluster failover with real processes: three `grove serve --cluster` stations (a, b, c) in
// child processes over one real nats-server. Station a owns the tree; b and c forward their
// writes to it. a is killed with SIGKILL while writers keep going through b and c: once a's
// lease runs out one of them takes the tree over, and no write that was acknowledged (through
// any station, before or after the kill) is lost, doubled, or missing on either survivor.
// Then a comes back on its data directory as a replica: it forwards writes to the new owner
// and converges on the survivors' tree, dropping whatever it stored but never got confirmed.
// Last, on a fresh cluster with a long lease, a dies the same way but comes straight back, well
// within its lease, while writers through b and c go on: it still owns the tree (no one took
// over), and it drops the writes its disk holds that never reached its stream, restoring the
// tree from a replica that applied it all, but no write it acknowledged while coming back; the
// calls forwarded to the dead a fail once the new a heartbeats, not after the forwarding timeout.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { type NatsServer, startNats } from './helpers/nats.js';
import { ErrorCode } from '../src/wire/errors.js';

const MAIN = 'dist/src/cli/main.js';
const LEASE_MS = 1000;
/** The JSON-RPC error of a write the cluster cannot take now (src/cluster/errors.ts). */
const CLUSTER_UNAVAILABLE = ErrorCode.ClusterUnavailable;
const WRITERS_PER_REPLICA = 2; // through b and through c: 4 in all
const LOAD_BEFORE_KILL_MS = 3000;
/** A call's longest wait: above the 10 s a forward to a dead owner may take to time out. */
const CALL_TIMEOUT_MS = 15_000;
const CONVERGE_MS = 15_000;
/** Writes made on a's data directory while it is out of the cluster: never acknowledged by it. */
const OFFLINE_WRITES = 5;
/** How long a's link to NATS stalls before it is killed: shorter than half its lease, when it would stop taking writes. */
const STALL_MS = 300;
/** The lease of the restore test: a's quick restart lands well within it, so no replica takes over. */
const LONG_LEASE_MS = 10_000;
/** How long the restore test writes through a, b and c before a's link stalls. */
const LOAD_BEFORE_STALL_MS = 2000;
/** How long a forwarded call may wait for its owner's answer (src/cluster/cluster.ts). */
const FORWARD_TIMEOUT_MS = 10_000;
/**
 * In the restore test, how long after the restarted a listens a call forwarded to the dead a may
 * still be failing: the forwarder learns a is a new process from its first heartbeat, sent before it
 * listens, so loose; far below the forwarding timeout, which is what must not be waited for.
 */
const RESTART_SLACK_MS = 3000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface StationProcess {
  id: string;
  child: ChildProcess;
  url: string;
  exited: Promise<unknown>;
}

const children = new Set<ChildProcess>();
const dirs: string[] = [];
/** Each station's stderr (its cluster log), dumped when a test fails. */
const logs = new Map<string, () => string>();

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Runs `grove serve` in a child process; resolves once it prints its URL. */
function serve(name: string, args: string[]): Promise<StationProcess> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', '--rate-limit', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  void exited.then(() => children.delete(child));
  let output = '';
  let errors = '';
  logs.set(name, () => errors.slice(-6000));
  child.stderr!.on('data', (chunk) => (errors += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`station ${name} did not listen within 20 s: ${output}${errors}`)), 20_000);
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const match = /grove station listening on (http:\/\/\S+)\n/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ id: name, child, url: match[1]!, exited });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`station ${name} exited (${signal ?? code}) before listening: ${output}${errors}`));
    });
  });
}

function clusterStation(id: string, data: string, nats: string, leaseMs = LEASE_MS): Promise<StationProcess> {
  return serve(id, ['--data', data, '--station-id', id, '--cluster', nats, '--lease', String(leaseMs)]);
}

/**
 * A TCP relay to NATS whose station-to-NATS direction can be stalled: what the station sends
 * then stays in its socket (publishes, heartbeats, replies to forwarded calls), while what NATS
 * sends still reaches it. A station killed during a stall dies with writes applied and stored
 * on its disk that JetStream never got.
 */
type Relay = { url: string; stall(): void; close(): Promise<void> };

async function natsRelay(target: string): Promise<Relay> {
  const { hostname, port } = new URL(target.replace(/^nats:/, 'http:'));
  const sockets = new Set<Socket>();
  const fromStations = new Set<Socket>();
  let stalled = false;
  const server: Server = createServer((station) => {
    const nats = tcpConnect({ host: hostname, port: Number(port) });
    fromStations.add(station);
    for (const socket of [station, nats]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        station.destroy();
        nats.destroy();
        sockets.delete(socket);
        fromStations.delete(station);
      });
    }
    station.on('data', (chunk) => {
      if (!stalled) nats.write(chunk);
    });
    nats.on('data', (chunk) => station.write(chunk));
    if (stalled) station.pause();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `nats://127.0.0.1:${(server.address() as { port: number }).port}`,
    stall() {
      stalled = true;
      for (const socket of fromStations) socket.pause();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function kill(station: StationProcess): Promise<void> {
  station.child.kill('SIGKILL');
  await station.exited;
}

interface Reply {
  result?: any;
  error?: { code: number; message: string; data?: unknown };
}

/** One JSON-RPC call over HTTP; rejects only when the station does not answer (it is dead, or too slow). */
async function call(url: string, method: string, params: unknown = {}): Promise<Reply> {
  const response = await fetch(`${url}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  return (await response.json()) as Reply;
}

/** A call that must succeed. */
async function result(url: string, method: string, params: unknown = {}): Promise<any> {
  const reply = await call(url, method, params);
  if (reply.error) throw new Error(`${method} at ${url} failed (${reply.error.code}): ${reply.error.message}`);
  return reply.result;
}

async function ownerOfRoot(url: string): Promise<string | undefined> {
  const info = await result(url, 'cluster.info');
  return (info.owners as { path: string; owner: string }[]).find((o) => o.path === '')?.owner;
}

/** The values of the items under 'log' (plain JSON: generated name → value). */
async function logValues(url: string): Promise<string[]> {
  const log = (await result(url, 'tree.get', { path: 'log' })) as Record<string, string> | null;
  return Object.values(log ?? {});
}

/** Polls `check` until it returns true or `ms` pass; returns whether it did. */
async function eventually(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // not there yet (a station still starting)
    }
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
}

function duplicates(values: string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => (seen.has(v) ? true : (seen.add(v), false)));
}

/** Kills every child still running, whatever happened: SIGKILL needs no cooperation. */
async function killChildren(): Promise<void> {
  await Promise.all(
    [...children].map((child) => {
      const exited = new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
      child.kill('SIGKILL');
      return exited;
    }),
  );
}

function removeDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** The stream sequence `station`'s change stream ends at, read from JetStream itself. */
async function streamEnd(natsUrl: string, station: string): Promise<number> {
  const nc = await natsConnect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(`GROVE_${station}`)).state.last_seq;
  } finally {
    await nc.close();
  }
}

/** Dumps every station's log when the running test fails, so a failure explains itself. */
function dumpLogsOnFailure(): void {
  onTestFailed(() => {
    for (const [name, log] of logs) console.error(`--- stderr of ${name} (last 6000 chars) ---\n${log()}`);
  });
}

/**
 * For a describe block: a fresh nats-server, a relay in front of it (for station a, whose
 * link can then stall before it dies) and a data directory per station; all of it, and every
 * station started, gone after the block. The getters read what beforeAll made.
 */
function relayedNats(name: string): { nats: NatsServer; relay: Relay; data: Record<'a' | 'b' | 'c', string> } {
  let server: NatsServer | undefined;
  let front: Relay | undefined;
  const data = { a: '', b: '', c: '' };
  beforeAll(async () => {
    logs.clear(); // the stations of earlier blocks are gone: dump only this block's logs
    server = await startNats();
    front = await natsRelay(server.url);
    for (const id of ['a', 'b', 'c'] as const) data[id] = tempDir(`grove-${name}-${id}-`);
  }, 20_000);
  afterAll(async () => {
    await killChildren();
    await front?.close();
    await server?.close();
    removeDirs();
  }, 20_000);
  return {
    get nats() {
      return server!;
    },
    get relay() {
      return front!;
    },
    data,
  };
}

describe('cluster: failover with real processes', () => {
  const fixture = relayedNats('failover');
  const stations: Partial<Record<'a' | 'b' | 'c', StationProcess>> = {};
  /** Every write acknowledged in the first test, by value. */
  const acknowledged = new Set<string>();
  /** Those whose answer came before the kill, while a owned the tree: a had each on its disk first. */
  const ackedByA = new Set<string>();
  let newOwner: 'b' | 'c' | undefined;
  let failoverDone = false;

  it('loses no acknowledged write when the owner is killed under load', { timeout: 240_000 }, async () => {
    dumpLogsOnFailure();
    const started = Date.now();
    // a first, so that it creates the root's owner entry; then b and c join as replicas
    // a reaches NATS through the relay, so that its link can stall just before it dies
    const a = (stations.a = await clusterStation('a', fixture.data.a, fixture.relay.url));
    const [b, c] = await Promise.all([clusterStation('b', fixture.data.b, fixture.nats.url), clusterStation('c', fixture.data.c, fixture.nats.url)]);
    stations.b = b;
    stations.c = c;
    expect(await ownerOfRoot(a.url)).toBe('a');
    for (const replica of [b, c]) {
      expect(await eventually(5000, async () => (await ownerOfRoot(replica.url)) === 'a'), `${replica.id} sees a as the root's owner`).toBe(true);
    }
    await result(a.url, 'tree.set', { path: 'log', value: {} });

    let killedAt = 0; // when a was killed (0: not yet)
    let tookOverAt = 0; // when b reported the new owner (0: not yet)
    let stop = false;
    const before = { acked: 0, failures: [] as string[] };
    let ackedThroughA = 0;
    /** Through b and c, answered after the kill: failures by code, and acknowledgements. */
    const afterKill = { failedCodes: new Map<number, number>(), failures: [] as string[], acked: { b: 0, c: 0 } };
    const ackedAfterTakeover = new Map<string, number>(); // writer → acknowledged since the takeover

    const writer = async (station: StationProcess, name: string) => {
      for (let n = 0; !stop; n++) {
        const value = `${name}-${n}`;
        let reply: Reply;
        try {
          reply = await call(station.url, 'tree.add', { path: 'log', value });
        } catch (error) {
          // no answer: only the killed station may fail to answer
          if (station.id !== 'a' || killedAt === 0) throw new Error(`${station.id} did not answer tree.add: ${(error as Error).message}`);
          return;
        }
        if (reply.error) {
          const line = `${value}: ${reply.error.code} ${reply.error.message}`;
          // a call sent before the kill may fail after it (its forward to a never got an answer)
          if (killedAt > 0) {
            afterKill.failedCodes.set(reply.error.code, (afterKill.failedCodes.get(reply.error.code) ?? 0) + 1);
            afterKill.failures.push(line);
          } else before.failures.push(line);
          await sleep(20);
          continue;
        }
        expect(typeof reply.result?.version, `tree.add's answer: ${JSON.stringify(reply.result)}`).toBe('number');
        acknowledged.add(value);
        if (killedAt === 0) ackedByA.add(value);
        if (station.id === 'a') ackedThroughA++;
        else if (killedAt === 0) before.acked++;
        else {
          afterKill.acked[station.id as 'b' | 'c']++;
          if (tookOverAt > 0) ackedAfterTakeover.set(name, (ackedAfterTakeover.get(name) ?? 0) + 1);
        }
      }
    };
    const replicaWriters = [b, c].flatMap((station) => Array.from({ length: WRITERS_PER_REPLICA }, (_, w) => ({ station, name: `${station.id}${w}` })));
    // a writer that breaks (a survivor stopped answering) stops them all and is reported after
    let broken: unknown;
    const writing = [...replicaWriters.map(({ station, name }) => writer(station, name)), writer(a, 'a0')].map((w) =>
      w.catch((error) => {
        broken ??= error;
        stop = true;
      }),
    );

    await sleep(LOAD_BEFORE_KILL_MS);
    // a dies the way a crashing host does: its link to NATS stalls first, then the process is gone
    fixture.relay.stall();
    await sleep(STALL_MS);
    killedAt = Date.now();
    await kill(a);

    // one of the survivors takes the root over once a's lease runs out
    const tookOver = await eventually(20_000, async () => {
      const owner = await ownerOfRoot(b.url);
      if (owner === 'b' || owner === 'c') newOwner = owner;
      return newOwner !== undefined;
    });
    tookOverAt = Date.now();
    expect(tookOver, 'b or c takes the root over from the killed a').toBe(true);
    expect(await eventually(5000, async () => (await ownerOfRoot(c.url)) === newOwner), `c agrees that ${newOwner} owns the root`).toBe(true);

    // writes through b and c succeed again: every writer gets a few through after the takeover
    const resumed = await eventually(20_000, async () => broken !== undefined || replicaWriters.every(({ name }) => (ackedAfterTakeover.get(name) ?? 0) >= 3));
    stop = true;
    await Promise.all(writing);
    const stopped = Date.now();
    if (broken) throw broken;

    expect(resumed, `every writer through b and c gets writes through after the takeover (${JSON.stringify([...ackedAfterTakeover])})`).toBe(true);
    expect(before.acked, 'writes through b and c acknowledged before the kill').toBeGreaterThan(20);
    expect(ackedThroughA, 'writes through a acknowledged before the kill').toBeGreaterThan(5);
    // between the kill and the takeover, writes through b and c failed, with the cluster's error only
    expect(afterKill.failures.length, 'writes through b and c refused after the kill').toBeGreaterThan(0);
    expect([...afterKill.failedCodes.keys()], `failed writes after the kill: ${afterKill.failures.slice(0, 5).join('; ')}`).toEqual([CLUSTER_UNAVAILABLE]);
    expect(before.failures.filter((line) => !line.includes(`: ${CLUSTER_UNAVAILABLE} `)), 'writes refused before the kill with another error').toEqual([]);
    expect(afterKill.acked.b, 'writes through b acknowledged after the kill').toBeGreaterThan(0);
    expect(afterKill.acked.c, 'writes through c acknowledged after the kill').toBeGreaterThan(0);

    // every acknowledged write is on both survivors, once each, and their trees are identical
    let state = { missing: { b: [] as string[], c: [] as string[] }, doubled: { b: [] as string[], c: [] as string[] }, hashes: ['', ''] };
    const converged = await eventually(CONVERGE_MS, async () => {
      const [valuesB, valuesC] = await Promise.all([logValues(b.url), logValues(c.url)]);
      const hashes = await Promise.all([b, c].map((s) => result(s.url, 'tree.hash', { path: '' })));
      const onB = new Set(valuesB);
      const onC = new Set(valuesC);
      state = {
        missing: { b: [...acknowledged].filter((v) => !onB.has(v)), c: [...acknowledged].filter((v) => !onC.has(v)) },
        doubled: { b: duplicates(valuesB), c: duplicates(valuesC) },
        hashes,
      };
      return state.missing.b.length === 0 && state.missing.c.length === 0 && hashes[0] === hashes[1];
    });
    expect(state.missing.b, 'acknowledged writes missing on b').toEqual([]);
    expect(state.missing.c, 'acknowledged writes missing on c').toEqual([]);
    expect(state.doubled.b, 'writes applied twice on b').toEqual([]);
    expect(state.doubled.c, 'writes applied twice on c').toEqual([]);
    expect(state.hashes[0], 'b and c hold the same tree').toBe(state.hashes[1]);
    expect(converged).toBe(true);

    console.log(
      `failover: ${acknowledged.size} writes acknowledged (before the kill ${before.acked} through b/c and ${ackedThroughA} through a; ` +
        `after it ${afterKill.acked.b + afterKill.acked.c} through b/c); ${afterKill.failures.length} refused with ${CLUSTER_UNAVAILABLE} ` +
        `after the kill, ${before.failures.length} refused before it; ${newOwner} took over within ${tookOverAt - killedAt} ms of the kill; ` +
        `writers stopped ${stopped - killedAt} ms after it; this test took ${Date.now() - started} ms`,
    );
    failoverDone = true;
  });

  it('brings the old owner back as a replica that forwards writes and converges', { timeout: 240_000 }, async () => {
    dumpLogsOnFailure();
    if (!failoverDone) throw new Error('the failover test did not finish: nothing to rejoin');
    const started = Date.now();
    const { b, c } = stations as Record<'b' | 'c', StationProcess>;
    const owner = stations[newOwner!]!;
    const inCluster = new Set(await logValues(owner.url));

    // a's disk, read by a station outside the cluster. It holds every write a acknowledged; writes
    // a took just before the kill may be there without the cluster ever having had them; and so
    // that such writes surely exist, a few more are made here on a's data, out of the cluster.
    const offline = await serve('a-offline', ['--data', fixture.data.a]);
    const onDisk = await logValues(offline.url);
    const diskHas = new Set(onDisk);
    expect([...ackedByA].filter((v) => !diskHas.has(v)), "writes a acknowledged, missing on a's disk").toEqual([]);
    const natural = onDisk.filter((v) => !inCluster.has(v));
    // the writes a took while its link stalled: applied and stored, never published, never acknowledged
    expect(natural.length, "writes on a's disk that the cluster never had").toBeGreaterThan(0);
    expect(natural.filter((v) => acknowledged.has(v)), 'of them, acknowledged').toEqual([]);
    const offlineValues = Array.from({ length: OFFLINE_WRITES }, (_, i) => `offline-${i}`);
    for (const value of offlineValues) await result(offline.url, 'tree.add', { path: 'log', value });
    await kill(offline);
    const unconfirmed = [...natural, ...offlineValues];

    const a = (stations.a = await clusterStation('a', fixture.data.a, fixture.nats.url));
    expect((await result(a.url, 'cluster.info')).station).toBe('a');
    expect(await ownerOfRoot(a.url), 'a no longer owns the root').toBe(newOwner);
    for (const survivor of [b, c]) expect(await ownerOfRoot(survivor.url), `${survivor.id} still sees ${newOwner} as the owner`).toBe(newOwner);

    // a write sent to a goes to the new owner, which has it once a answers
    const reply = await call(a.url, 'tree.add', { path: 'log', value: 'through-rejoined-a' });
    expect(reply.error, 'a write through the rejoined a').toBeUndefined();
    expect(await logValues(owner.url), `the new owner ${newOwner} has the write sent to a`).toContain('through-rejoined-a');
    // and a few more through every station: a must go on applying the new owner's stream
    const more = [a, b, c, a].map((_, i) => `rejoined-${i}`);
    for (const [i, station] of [a, b, c, a].entries()) await result(station.url, 'tree.add', { path: 'log', value: more[i] });

    // a converges on the same tree as b and c, without what it had that the cluster never confirmed
    const expected = [...acknowledged, 'through-rejoined-a', ...more];
    let state = { hashes: ['', '', ''], stale: [] as string[], missing: [] as string[], doubled: [] as string[] };
    const converged = await eventually(CONVERGE_MS, async () => {
      const hashes = await Promise.all([a, b, c].map((s) => result(s.url, 'tree.hash', { path: '' })));
      const onA = await logValues(a.url);
      const present = new Set(onA);
      state = { hashes, stale: unconfirmed.filter((v) => present.has(v)), missing: expected.filter((v) => !present.has(v)), doubled: duplicates(onA) };
      return hashes[0] === hashes[1] && hashes[1] === hashes[2];
    });
    const replication = JSON.stringify((await result(a.url, 'cluster.info')).replication);
    expect(state.stale, "writes on a's disk that the cluster never confirmed, still on the rejoined a").toEqual([]);
    expect(state.missing, `acknowledged writes missing on the rejoined a (its replication: ${replication})`).toEqual([]);
    expect(state.doubled, 'writes twice on the rejoined a').toEqual([]);
    expect(state.hashes[0], 'a holds the same tree as b').toBe(state.hashes[1]);
    expect(state.hashes[1], 'b holds the same tree as c').toBe(state.hashes[2]);
    expect(converged).toBe(true);
    console.log(
      `rejoin: a's disk held ${natural.length} writes from before the kill that the cluster never had (+${OFFLINE_WRITES} made offline); ` +
        `none survived the rejoin; a converged; this test took ${Date.now() - started} ms`,
    );
  });
});

describe('cluster: an owner back within its lease', () => {
  const fixture = relayedNats('restore');

  it('keeps the tree, and drops the writes its stream never got, restored from a replica, while writes go on', { timeout: 240_000 }, async () => {
    dumpLogsOnFailure();
    const started = Date.now();
    const rootOwner = [{ path: '', owner: 'a', epoch: 1 }];
    // a owns the root and reaches NATS through the relay; b and c are its replicas
    const a0 = await clusterStation('a', fixture.data.a, fixture.relay.url, LONG_LEASE_MS);
    const [b, c] = await Promise.all([clusterStation('b', fixture.data.b, fixture.nats.url, LONG_LEASE_MS), clusterStation('c', fixture.data.c, fixture.nats.url, LONG_LEASE_MS)]);
    expect(await ownerOfRoot(a0.url)).toBe('a');
    for (const replica of [b, c]) {
      expect(await eventually(5000, async () => (await ownerOfRoot(replica.url)) === 'a'), `${replica.id} sees a as the root's owner`).toBe(true);
    }
    await result(a0.url, 'tree.set', { path: 'log', value: {} });

    // a writer through a until it dies, and two through each of b and c (forwarded to a) that go on
    // through a's death and restart; two more through each of b and c join them as a restarts, and
    // retry at once when refused: the restarted a must not lose what it takes while it comes back
    const acknowledged = new Set<string>();
    const refusedBeforeStall: string[] = [];
    /** Calls answered with an error once a's link stalled: when each was sent and answered, and why. */
    const failedAfterStall: { station: string; value: string; sentAt: number; answeredAt: number; code: number; message: string }[] = [];
    let stalledAt = 0; // when a's link stalled (0: not yet)
    let killedAt = 0; // when a was killed (0: not yet)
    let rejoinedAt = 0; // when the restarted a listened (0: not yet)
    const ackedSinceRejoin = new Map<string, number>(); // writer → acknowledged of the calls it sent once a was back
    let stop = false;
    const writer = async (station: StationProcess, name: string) => {
      for (let n = 0; !stop && !(station === a0 && killedAt > 0); n++) {
        const value = `${name}-${n}`;
        const sentAt = Date.now();
        let reply: Reply;
        try {
          reply = await call(station.url, 'tree.add', { path: 'log', value });
        } catch (error) {
          if (station === a0 && stalledAt > 0) return; // a died with this call
          throw new Error(`${station.id} did not answer tree.add ${value} (sent ${sentAt - started} ms into the test): ${(error as Error).message}`);
        }
        if (reply.error) {
          const { code, message } = reply.error;
          if (stalledAt === 0) refusedBeforeStall.push(`${value}: ${code} ${message}`);
          else failedAfterStall.push({ station: station.id, value, sentAt, answeredAt: Date.now(), code, message });
          await sleep(2);
          continue;
        }
        acknowledged.add(value);
        if (rejoinedAt > 0 && sentAt >= rejoinedAt) ackedSinceRejoin.set(name, (ackedSinceRejoin.get(name) ?? 0) + 1);
      }
    };
    const replicaWriters = ['b0', 'b1', 'c0', 'c1', 'rb0', 'rb1', 'rc0', 'rc1'].map((name) => ({ station: name.includes('b') ? b : c, name }));
    // a writer that breaks (a survivor stopped answering) stops them all and is reported at the end
    let broken: unknown;
    const run = (station: StationProcess, name: string) =>
      writer(station, name).catch((error: unknown) => {
        broken ??= error;
        stop = true;
      });
    const writing = [run(a0, 'a0'), ...replicaWriters.slice(0, 4).map(({ station, name }) => run(station, name))];
    await sleep(LOAD_BEFORE_STALL_MS);
    // a's link to NATS stalls and a dies: it takes with it writes it applied and stored, never published
    fixture.relay.stall();
    stalledAt = Date.now();
    await sleep(STALL_MS);
    await kill(a0);
    killedAt = Date.now();
    // the process is gone and so is its connection (its host's kernel closes it; the relay held it
    // open): NATS drops a's subscription, so b and c find no one answering a's calls from now on,
    // while those a took before it died stay unanswered; the writers through b and c wait on these
    await fixture.relay.close();
    const ackedBeforeKill = new Set(acknowledged);
    expect(ackedBeforeKill.size, 'writes acknowledged before the stall').toBeGreaterThan(20);
    expect(refusedBeforeStall.filter((line) => !line.includes(`: ${CLUSTER_UNAVAILABLE} `)), 'writes refused before the stall with another error').toEqual([]);

    // b and c have applied all that a's stream holds; what they have is what the stream has
    const lastSeq = await streamEnd(fixture.nats.url, 'a');
    for (const replica of [b, c]) {
      const caughtUp = await eventually(5000, async () => {
        const { replication } = await result(replica.url, 'cluster.info');
        return (replication as { station: string; seq: number }[]).find((r) => r.station === 'a')!.seq >= lastSeq;
      });
      expect(caughtUp, `${replica.id} applies a's whole stream (to seq ${lastSeq})`).toBe(true);
    }
    const inStream = new Set(await logValues(b.url));
    // a's registry heartbeat is still fresh: to b it is alive, and it still owns the root
    const peerA = (await result(b.url, 'cluster.info')).peers.find((p: { id: string }) => p.id === 'a');
    expect(peerA?.alive, `b still counts a as alive, ${Date.now() - killedAt} ms after the kill (lease ${LONG_LEASE_MS} ms)`).toBe(true);

    // a's disk, read offline: the writes a took while its link stalled are there, never in the stream
    const offline = await serve('a-offline', ['--data', fixture.data.a]);
    const onDisk = await logValues(offline.url);
    // and a few more made on a's data out of the cluster, as the rejoin test does: surely unacknowledged
    const offlineValues = Array.from({ length: OFFLINE_WRITES }, (_, i) => `restore-offline-${i}`);
    for (const value of offlineValues) await result(offline.url, 'tree.add', { path: 'log', value });
    await kill(offline);
    const natural = onDisk.filter((v) => !inStream.has(v));
    expect(natural.length, "writes on a's disk that its stream never got").toBeGreaterThan(0);
    expect(natural.filter((v) => acknowledged.has(v)), 'of them, acknowledged').toEqual([]);
    const unconfirmed = [...natural, ...offlineValues];
    const diskHas = new Set(onDisk);
    expect([...ackedBeforeKill].filter((v) => !diskHas.has(v)), "writes acknowledged before the kill, missing on a's disk").toEqual([]);

    // a comes straight back on its data, well within its lease, while the writers through b and c go
    // on; the new ones keep calling, refused at once until a is back, so that some of their calls
    // reach a while it starts
    writing.push(...replicaWriters.slice(4).map(({ station, name }) => run(station, name)));
    const restartedAt = Date.now();
    const a = await clusterStation('a', fixture.data.a, fixture.nats.url, LONG_LEASE_MS);
    rejoinedAt = Date.now();
    const rejoinedMs = rejoinedAt - killedAt;
    // nobody took over: the root is still a's, at epoch 1, for all three
    for (const station of [a, b, c]) {
      expect((await result(station.url, 'cluster.info')).owners, `owners on ${station.id}, a back ${rejoinedMs} ms after the kill`).toEqual(rootOwner);
    }
    expect((await result(b.url, 'station.info')).owners, "station.info's owners on b").toEqual(rootOwner);
    // a restored its tree before it listened: its disk's unconfirmed writes are gone already
    const onA = new Set(await logValues(a.url));
    expect(unconfirmed.filter((v) => onA.has(v)), "writes on a's disk that never reached its stream, still on a after it came back").toEqual([]);

    // writes through every station go on: b's and c's are forwarded to a
    const after = ['b', 'c', 'a', 'b', 'c'].map((id, i) => ({ station: { a, b, c }[id as 'a' | 'b' | 'c'], value: `after-restart-${id}-${i}` }));
    for (const { station, value } of after) {
      const reply = await call(station.url, 'tree.add', { path: 'log', value });
      expect(reply.error, `tree.add ${value} through ${station.id} after a came back`).toBeUndefined();
      acknowledged.add(value);
    }
    // and every writer through b and c gets a few through once a is back
    const resumed = await eventually(15_000, async () => broken !== undefined || replicaWriters.every(({ name }) => (ackedSinceRejoin.get(name) ?? 0) >= 3));
    stop = true;
    await Promise.all(writing);
    const stoppedAt = Date.now();
    if (broken) throw broken;
    expect(resumed, `every writer through b and c gets writes through after a came back (${JSON.stringify([...ackedSinceRejoin])})`).toBe(true);

    // once the link stalled, writes failed with the cluster's error only
    const byCode = new Map<number, number>();
    for (const { code } of failedAfterStall) byCode.set(code, (byCode.get(code) ?? 0) + 1);
    const sample = failedAfterStall
      .filter((f) => f.code !== CLUSTER_UNAVAILABLE)
      .slice(0, 5)
      .map((f) => `${f.value}: ${f.code} ${f.message}`);
    expect([...byCode.keys()].filter((code) => code !== CLUSTER_UNAVAILABLE), `writes refused after the stall with another error: ${sample.join('; ')}`).toEqual([]);
    // the calls b and c forwarded to a as it died (a took them, or they went to its dead connection)
    // end once the restarted a heartbeats as a new process: not after the 10 s a forward may wait
    const hung = failedAfterStall.filter((f) => f.station !== 'a' && f.sentAt < killedAt);
    expect(hung.length, 'calls through b and c forwarded to a before it died, failed').toBeGreaterThan(0);
    expect(rejoinedAt + RESTART_SLACK_MS, `a back ${rejoinedAt - stalledAt} ms after the stall: too late to tell a quick failure from the forwarding timeout`).toBeLessThan(
      stalledAt + FORWARD_TIMEOUT_MS,
    );
    const late = failedAfterStall.filter((f) => f.answeredAt > rejoinedAt + RESTART_SLACK_MS).map((f) => `${f.value} after ${f.answeredAt - f.sentAt} ms: ${f.message}`);
    expect(late, `failed calls answered over ${RESTART_SLACK_MS} ms after a was back (${rejoinedAt - killedAt} ms after the kill): ${late.join('; ')}`).toEqual([]);

    // every acknowledged write on all three, once; none of a's unconfirmed ones anywhere; one tree
    const stations = [a, b, c];
    let state = { missing: [[], [], []] as string[][], doubled: [[], [], []] as string[][], stale: [[], [], []] as string[][], hashes: ['', '', ''] };
    const converged = await eventually(CONVERGE_MS, async () => {
      const values = await Promise.all(stations.map((s) => logValues(s.url)));
      const hashes = await Promise.all(stations.map((s) => result(s.url, 'tree.hash', { path: '' })));
      const present = values.map((v) => new Set(v));
      state = {
        missing: present.map((p) => [...acknowledged].filter((x) => !p.has(x))),
        doubled: values.map(duplicates),
        stale: present.map((p) => unconfirmed.filter((x) => p.has(x))),
        hashes,
      };
      return state.missing.every((m) => m.length === 0) && hashes.every((h) => h === hashes[0]);
    });
    const lateAcked = [...acknowledged].filter((v) => !ackedBeforeKill.has(v)).length;
    for (const [i, station] of stations.entries()) {
      expect(state.missing[i], `acknowledged writes missing on ${station.id} (of ${acknowledged.size}, ${lateAcked} of them after the kill)`).toEqual([]);
      expect(state.doubled[i], `writes twice on ${station.id}`).toEqual([]);
      expect(state.stale[i], `a's unconfirmed writes on ${station.id}`).toEqual([]);
    }
    expect(state.hashes[0], 'a holds the same tree as b').toBe(state.hashes[1]);
    expect(state.hashes[1], 'b holds the same tree as c').toBe(state.hashes[2]);
    expect(converged).toBe(true);
    // still no takeover
    for (const station of stations) expect((await result(station.url, 'cluster.info')).owners, `owners on ${station.id} at the end`).toEqual(rootOwner);
    // some calls reached a while it was coming back, before its first heartbeat, and were refused:
    // without them this test could not tell whether a keeps the writes it takes while it restores
    const joining = failedAfterStall.filter((f) => /still joining/.test(f.message)).length;
    expect(joining, 'calls through b and c refused by the restarted a while it was still joining').toBeGreaterThan(0);

    const kinds = new Map<string, number>();
    for (const { message } of failedAfterStall) {
      const kind = /stopped answering/.test(message)
        ? 'owner stopped answering'
        : /still joining/.test(message)
          ? 'still joining'
          : /no responders/i.test(message)
            ? 'no responders'
            : message.slice(0, 60);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    const longest = Math.max(...failedAfterStall.map((f) => f.answeredAt - f.sentAt));
    const lastFailed = Math.max(...failedAfterStall.map((f) => f.answeredAt));
    const sentOnceBack = failedAfterStall.filter((f) => f.sentAt >= rejoinedAt).length;
    console.log(
      `restore: ${ackedBeforeKill.size} writes acknowledged before the kill, ${lateAcked} after it; a's disk held ${natural.length} its stream never got ` +
        `(+${OFFLINE_WRITES} made offline); a restarted ${restartedAt - killedAt} ms after the kill and was back ${rejoinedMs} ms after it ` +
        `(lease ${LONG_LEASE_MS} ms), still owner at epoch 1, without them; ${failedAfterStall.length} writes refused with ${CLUSTER_UNAVAILABLE} after the stall ` +
        `(${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}; ${hung.length} of them forwarded before the kill), the longest took ${longest} ms, ` +
        `the last answered ${lastFailed - rejoinedAt} ms after a was back (${sentOnceBack} sent once it was); writers stopped ${stoppedAt - rejoinedAt} ms after it; all three converged; ` +
        `this test took ${Date.now() - started} ms`,
    );
  });
});
