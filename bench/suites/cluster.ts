// The cluster over NATS JetStream: a real nats-server and stations as child processes
// (`grove serve --cluster`), so each has its own event loop, as in production.
// - Replication lag under a steady, paced load of 10,000 tree.set/s on the owner (station
//   a), in JSON-RPC batches of 100 over SOCKETS WebSocket(s): the replicas (b, c) report in
//   cluster.info the lag from the owner's clock when it recorded a write to their applying
//   it, p50 and p99 (to 0.01 ms) of their last 10,000 records (about a second of the load),
//   and how many records they applied in all (each acknowledged write must be one). It is read
//   every second from the second one (so the first second, the warm-up, is left out; a
//   quick run reads it from the middle of its 2 s) and once more when the replicas hold
//   every write; the rows give the median of those windows beside a single tree.set's
//   round trip on the owner (a write is acknowledged once JetStream holds it). The lag
//   starts when the owner records a write: time a write waited on the owner before that
//   (a saturated owner) shows in the batches' answer times and in the write rate
//   achieved (writes acknowledged over the time from the first sent to the last answered),
//   not in the lag.
// - tree.get over HTTP (autocannon, as in rpc.ts) against one station alone and against the
//   three stations of the cluster at once, one autocannon per station, summed. Everything
//   shares this machine's cores: the stations, nats-server and the load generators.
// nats-server and the child processes come from test/helpers/nats.ts; every one started here is
// stopped in the end, also when the suite fails (and killed on exit as a last resort).
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';
import WebSocket from 'ws';

import { type Child, type NatsServer, spawnChild, startNats } from '../../test/helpers/nats.js';
import { summarise, type Timing } from '../measure.js';
import { type Row, type Suite, withRatio } from '../report.js';

/** The CLI, next to this module in dist/. */
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

const RATE = 10_000; // writes per second offered
const BATCH = 100; // tree.set calls per JSON-RPC batch (DESIGN's limit)
// The writer's WebSockets to the owner, taking batches in turn. A station answers a
// connection's messages one at a time but a batch's calls together, so a batch's 100 writes
// share one JetStream publish: one connection carries about 30,000 writes/s unpaced on 2
// idle cores, 3x the offered rate; 2, 4, 8 or 32 sustained 10,000/s no better than 1.
const SOCKETS = 1;
const KEYS = 10_000; // distinct keys written over and over (a batch's 100 are distinct)
const CONNECTIONS = 10; // autocannon connections per station
const LAG_TARGET_MS = 50;
// a deadline for a start-up, not a measurement: three stations starting at once on a loaded
// 2-core machine took more than 15 s once in CI
const READY_TIMEOUT_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

// ---------------------------------------------------------------------------------------
// Child processes (test/helpers/nats.ts's: killed on exit if still running)

interface Station {
  name: string;
  child: Child;
  url: string;
}

/** `grove serve --memory` on a free port, in the cluster at `nats` (or alone); resolves once it listens, and kills it if it does not. */
async function startStation(id: string, nats: string | undefined): Promise<Station> {
  const args = [CLI, 'serve', '--memory', '--port', '0', '--rate-limit', '0', '--station-id', id, ...(nats ? ['--cluster', nats] : [])];
  const child = spawnChild(process.execPath, args, { stdout: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      timer = setTimeout(() => reject(new Error(`station ${id} did not listen within ${READY_TIMEOUT_MS} ms:\n${child.stderr()}`)), READY_TIMEOUT_MS);
      child.process.stdout!.setEncoding('utf8');
      child.process.stdout!.on('data', (chunk: string) => {
        stdout += chunk;
        const listening = /listening on (http:\/\/\S+)/.exec(stdout);
        if (listening) resolve(listening[1]!);
      });
      void child.exited.then(() => reject(new Error(`station ${id} exited (${child.exit()}) before listening:\n${child.stderr()}`)));
    });
    return { name: `station ${id}`, child, url };
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------
// JSON-RPC

interface RpcResponse {
  id: number | null;
  result?: any;
  error?: { code: number; message: string };
}

async function call(url: string, method: string, params: object): Promise<any> {
  let body: RpcResponse;
  try {
    const response = await fetch(`${url}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    body = (await response.json()) as RpcResponse;
  } catch (error) {
    throw new Error(`${method} on ${url} failed: ${(error as Error).message} (${String((error as Error).cause ?? '')})`);
  }
  if (body.error) throw new Error(`${method} on ${url}: ${body.error.message} (${body.error.code})`);
  return body.result;
}

/** A WebSocket to a station's /ws that sends calls or batches and resolves with their answers. */
class RpcSocket {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, { resolve(answers: RpcResponse[]): void; reject(error: Error): void }>();
  #failure: Error | undefined;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => {
      const parsed = JSON.parse(String(data)) as RpcResponse | RpcResponse[];
      const answers = Array.isArray(parsed) ? parsed : [parsed];
      const id = answers[0]?.id;
      const waiter = id === null || id === undefined ? undefined : this.#pending.get(id);
      if (!waiter) return this.#fail(new Error(`an answer to no call: ${String(data).slice(0, 300)}`));
      this.#pending.delete(id!);
      waiter.resolve(answers);
    });
    ws.on('close', () => this.#fail(new Error('the WebSocket closed')));
    ws.on('error', (error) => this.#fail(error));
  }

  static open(url: string): Promise<RpcSocket> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RpcSocket(ws)));
      ws.once('error', reject);
    });
  }

  /** Sends calls as one message (a batch when several) and resolves with every answer; keyed by the first call's id. */
  send(calls: { id: number }[]): Promise<RpcResponse[]> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending.set(calls[0]!.id, { resolve, reject });
      this.#ws.send(JSON.stringify(calls.length === 1 ? calls[0] : calls));
    });
  }

  close(): void {
    this.#ws.close();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#pending.values()) waiter.reject(error);
    this.#pending.clear();
  }
}

const setCall = (id: number, key: number, value: number) => ({ jsonrpc: '2.0', id, method: 'tree.set', params: { path: `load/k${key}`, value } });

// ---------------------------------------------------------------------------------------
// Replication lag

/** Median milliseconds of a single tree.set, one at a time, on `socket`, after a few unrecorded. */
async function setRoundTrip(socket: RpcSocket, count: number): Promise<Timing> {
  const times: number[] = [];
  for (let i = -10; i < count; i++) {
    const started = process.hrtime.bigint();
    const [answer] = await socket.send([setCall(1_000_000_000 + i, 0, i)]);
    if (answer!.error) throw new Error(`tree.set failed: ${answer!.error.message}`);
    if (i >= 0) times.push(seconds(started) * 1000);
  }
  return summarise(times);
}

/** A replica's entry for the owner in its cluster.info `replication` (src/cluster/cluster.ts). */
interface Replication {
  station: string;
  appliedVersion: number;
  /** p50 and p99 (to 0.01 ms) over the last `samples` records applied (at most 10,000); `applied` counts every record ever applied. */
  lagMs: { p50: number; p99: number; samples: number; applied: number };
}

interface LagWindow {
  /** Seconds into the load when cluster.info was read. */
  at: number;
  station: string;
  p50: number;
  p99: number;
  samples: number;
  /** The owner's records this replica had applied by then, ever. */
  applied: number;
  /** The owner's version it had applied by then. */
  appliedVersion: number;
}

/** The replicas' lag behind `owner` as they report it now, a window for each. */
async function readLag(replicas: Station[], owner: string, at: number): Promise<LagWindow[]> {
  const infos = await Promise.all(replicas.map((r) => call(r.url, 'cluster.info', {})));
  return infos.map((info, i) => {
    const entry = (info.replication as Replication[]).find((r) => r.station === owner);
    if (!entry) throw new Error(`${replicas[i]!.name} does not follow ${owner}: ${JSON.stringify(info.replication)}`);
    return { at, station: info.station, ...entry.lagMs, appliedVersion: entry.appliedVersion };
  });
}

interface LoadResult {
  offered: number;
  acked: number;
  failed: number;
  firstError?: string;
  /** Seconds from the first batch sent to the last answer. */
  seconds: number;
  lastVersion: number;
  /** Milliseconds from sending a batch to its answer. */
  batchMs: number[];
  /** Read every second during the load (an empty window left out). */
  windows: LagWindow[];
  /** Read once the replicas held every acknowledged write: their windows cover the load's last records. */
  last: LagWindow[];
}

/**
 * Offers RATE tree.set per second to the owner for `duration` seconds, a batch of BATCH
 * every BATCH/RATE seconds on a fixed schedule (a late tick sends at once, so the offered
 * rate holds even when this process falls behind), and reads the replicas' lag every second.
 */
async function writeLoad(owner: Station, replicas: Station[], duration: number): Promise<LoadResult> {
  const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => RpcSocket.open(owner.url)));
  const intervalMs = (BATCH * 1000) / RATE;
  const batches = Math.round((duration * 1000) / intervalMs);
  const result: LoadResult = { offered: 0, acked: 0, failed: 0, seconds: 0, lastVersion: 0, batchMs: [], windows: [], last: [] };
  const answered: Promise<void>[] = [];
  const polls: Promise<void>[] = [];
  let lastAnswer = 0n;
  let id = 0;
  let counting = true;
  let pollFailure: unknown;
  try {
    const started = process.hrtime.bigint();
    const startMs = performance.now();
    // every second from the second one (the first second's window is the warm-up), or from
    // the middle of a short load
    let nextPoll = Math.min(2, duration / 2);
    for (let b = 0; b < batches; b++) {
      const wait = startMs + b * intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      const elapsed = seconds(started);
      if (elapsed >= nextPoll) {
        nextPoll = Math.floor(elapsed) + 1;
        polls.push(
          readLag(replicas, 'a', elapsed).then(
            (windows) => void result.windows.push(...windows.filter((w) => w.samples > 0)),
            (error: unknown) => void (pollFailure ??= error),
          ),
        );
      }
      const calls = Array.from({ length: BATCH }, (_, i) => setCall(++id, (b * BATCH + i) % KEYS, b));
      result.offered += BATCH;
      const sent = process.hrtime.bigint();
      answered.push(
        sockets[b % SOCKETS]!.send(calls).then(
          (answers) => {
            if (!counting) return;
            lastAnswer = process.hrtime.bigint();
            result.batchMs.push(Number(lastAnswer - sent) / 1e6);
            for (const answer of answers) {
              if (answer.error) {
                result.failed++;
                result.firstError ??= `${answer.error.message} (${answer.error.code})`;
              } else {
                result.acked++;
                result.lastVersion = Math.max(result.lastVersion, answer.result.version);
              }
            }
          },
          (error: Error) => {
            if (!counting) return;
            result.failed += BATCH;
            result.firstError ??= error.message;
          },
        ),
      );
    }
    // answers still missing 10 s after the last batch count as failed
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(answered), new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    clearTimeout(timer);
    counting = false;
    const unanswered = result.offered - result.acked - result.failed;
    if (unanswered > 0) {
      result.failed += unanswered;
      result.firstError ??= `${unanswered} writes unanswered 10 s after the load`;
    }
    result.seconds = Number((lastAnswer || process.hrtime.bigint()) - started) / 1e9;
    await Promise.all(polls);
    if (pollFailure) throw pollFailure;
    const deadline = Date.now() + 15_000;
    for (;;) {
      const windows = await readLag(replicas, 'a', seconds(started));
      if (windows.every((w) => w.appliedVersion >= result.lastVersion)) {
        result.last = windows;
        break;
      }
      if (Date.now() > deadline) {
        const applied = windows.map((w) => `${w.station} ${w.appliedVersion}`).join(', ');
        throw new Error(`the replicas applied ${applied} of the owner's version ${result.lastVersion} 15 s after the load`);
      }
      await sleep(50);
    }
    return result;
  } finally {
    for (const socket of sockets) socket.close();
  }
}

// ---------------------------------------------------------------------------------------
// Reads

/** Requests per second answered with 2xx while `duration` seconds of load run. */
async function requestsPerSecond(url: string, body: string, duration: number): Promise<number> {
  const result = await autocannon({
    url: `${url}/rpc`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration,
    workers: 1,
  });
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${url}: ${failed} of ${result.requests.total} requests failed`);
  return result.requests.average;
}

/** One station alone, then all of `cluster` at once (summed), in turns, after an unrecorded round of each. */
async function readTurns(alone: string, cluster: string[], body: string, rounds: number, duration: number): Promise<[Timing, Timing]> {
  const one: number[] = [];
  const all: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const d = round === 0 ? 1 : duration;
    const single = await requestsPerSecond(alone, body, d);
    const spread = (await Promise.all(cluster.map((url) => requestsPerSecond(url, body, d)))).reduce((a, b) => a + b, 0);
    if (round > 0) {
      one.push(single);
      all.push(spread);
    }
  }
  return [summarise(one), summarise(all)];
}

// ---------------------------------------------------------------------------------------

/** What the cluster logged on a station (JSON lines with component "cluster"): retries, failures, takeovers. */
function clusterComplaints(stations: Station[]): string[] {
  return stations.flatMap((s) =>
    s.child
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{') && (JSON.parse(line) as { component?: string }).component === 'cluster')
      .map((line) => `${s.name}: ${(JSON.parse(line) as { msg: string }).msg}`),
  );
}

export const clusterSuite: Suite = {
  name: 'cluster',
  description: `3 stations (child processes) over NATS JetStream: replication lag at ${RATE.toLocaleString('en')} writes/s, tree.get on 1 vs 3 stations`,
  async run({ quick }): Promise<Row[]> {
    const duration = quick ? 2 : 10;
    const [rounds, readSeconds] = quick ? [1, 1] : [3, 3];
    const cores = cpus().length;
    let nats: NatsServer | undefined;
    const stations: Station[] = [];
    try {
      nats = await startNats().catch((error: Error) => {
        throw new Error(`the cluster suite could not start nats-server: ${error.message}`, { cause: error });
      });
      // a first, so that it owns the root; then the replicas (a station that fails to start is stopped at once)
      stations.push(await startStation('a', nats.url));
      const others = await Promise.allSettled([startStation('b', nats.url), startStation('c', nats.url), startStation('alone', undefined)]);
      for (const other of others) if (other.status === 'fulfilled') stations.push(other.value);
      for (const other of others) if (other.status === 'rejected') throw other.reason;
      const [a, b, c, alone] = stations as [Station, Station, Station, Station];

      // the replicas follow a once they have seen its heartbeat; a write they have applied shows it
      const { version } = await call(a.url, 'tree.set', { path: 'bench/item', value: { name: 'widget', count: 42 } });
      for (const replica of [b, c]) await call(replica.url, 'tree.get', { path: 'bench/item', minVersion: version });
      await call(alone.url, 'tree.set', { path: 'bench/item', value: { name: 'widget', count: 42 } });

      const probe = await RpcSocket.open(a.url);
      let roundTrip: Timing;
      try {
        roundTrip = await setRoundTrip(probe, quick ? 50 : 200);
      } finally {
        probe.close();
      }

      const before = await readLag([b, c], 'a', 0);
      const load = await writeLoad(a, [b, c], duration);
      if (load.failed > 0) console.error(`  ${load.failed} of ${load.offered} writes failed, the first: ${load.firstError}`);
      // every acknowledged write is a record each replica applied (a failed one may be too)
      for (const [i, last] of load.last.entries()) {
        const applied = last.applied - before[i]!.applied;
        if (applied < load.acked) {
          console.error(`  ${last.station} applied ${applied} records during the load, fewer than the ${load.acked} writes acknowledged`);
        }
      }
      const achieved = load.acked / load.seconds;
      const windows = [...load.windows, ...load.last];
      const p99 = summarise(windows.map((w) => w.p99));
      const p50 = summarise(windows.map((w) => w.p50));
      const worst = Math.max(...windows.map((w) => w.p99));
      const batch = summarise(load.batchMs);
      const batchP99 = [...load.batchMs].sort((x, y) => x - y)[Math.floor((load.batchMs.length - 1) * 0.99)] ?? NaN;

      // the replicas hold what the owner holds
      const copies = await Promise.all([a, b, c].map((s) => call(s.url, 'tree.get', { path: 'load' }).then(JSON.stringify)));
      if (copies.some((copy) => copy !== copies[0])) console.error('  the replicas\' copies of "load" differ from the owner\'s after the load');

      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tree.get', params: { path: 'bench/item/count' } });
      const [one, three] = await readTurns(alone.url, [a.url, b.url, c.url], body, rounds, readSeconds);

      for (const line of clusterComplaints([a, b, c])) console.error(`  ${line}`);
      const rate = `${RATE.toLocaleString('en')} writes/s offered`;
      const processes = `3 station processes + nats-server on ${cores} cores`;
      const shortfall = achieved < 0.95 * RATE ? `; this machine sustained only ${Math.round(achieved).toLocaleString('en')}/s` : '';
      const failures = load.failed > 0 ? `; ${load.failed.toLocaleString('en')} writes failed` : '';
      return [
        withRatio({
          suite: 'cluster',
          name: `replication lag p99 at ${rate} (replicas b, c; median of 1-s windows; ${processes}${shortfall}${failures})`,
          value: p99.median,
          unit: 'ms',
          spread: p99.spread,
          baseline: { name: 'one tree.set round trip on the owner', value: roundTrip.median },
          target: `<= ${LAG_TARGET_MS} ms at ${rate}`,
        }),
        withRatio({
          suite: 'cluster',
          name: `replication lag p50 at ${rate}`,
          value: p50.median,
          unit: 'ms',
          spread: p50.spread,
          baseline: { name: 'one tree.set round trip on the owner', value: roundTrip.median },
        }),
        {
          suite: 'cluster',
          name: `replication lag p99, the worst of ${windows.length} windows (b and c, read every second and at the end)`,
          value: worst,
          unit: 'ms',
        },
        withRatio({
          suite: 'cluster',
          name: `writes acknowledged per second on the owner, first sent to last answered (batches of ${BATCH} over ${SOCKETS} WebSocket${SOCKETS === 1 ? '' : 's'}, every ${(BATCH * 1000) / RATE} ms)`,
          value: achieved,
          unit: 'writes/s',
          baseline: { name: 'offered', value: RATE },
          target: '>= 0.95x the offered rate',
        }),
        {
          suite: 'cluster',
          name: `a batch of ${BATCH} tree.set under that load, sent to answered (p99 ${batchP99.toFixed(1)} ms)`,
          value: batch.median,
          unit: 'ms',
          spread: batch.spread,
        },
        {
          suite: 'cluster',
          name: 'baseline: one tree.set on the owner over WebSocket, acknowledged once JetStream holds it (no load)',
          value: roundTrip.median,
          unit: 'ms',
          spread: roundTrip.spread,
        },
        withRatio({
          suite: 'cluster',
          name: `tree.get over HTTP, 3 stations of the cluster at once (one autocannon each, summed; ${cores} cores for all)`,
          value: three.median,
          unit: 'req/s',
          spread: three.spread,
          baseline: { name: '1 station alone', value: one.median },
        }),
        {
          suite: 'cluster',
          name: 'baseline: tree.get over HTTP, 1 station alone (a child process, no cluster)',
          value: one.median,
          unit: 'req/s',
          spread: one.spread,
        },
      ];
    } finally {
      // SIGTERM: a station leaves the cluster cleanly, which needs nats-server still there
      await Promise.all(stations.map((s) => s.child.stop()));
      await nats?.close();
    }
  },
};
