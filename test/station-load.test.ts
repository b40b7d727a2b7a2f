// A bounded load test: 50 clients, half over HTTP and half over WebSocket, mixing reads,
// writes, batches and subscriptions for GROVE_LOAD_SECONDS (default 5; the run is
// 30), against a station in its own thread (the built one, from dist). Asserts no errors,
// that every subscriber saw exactly the acknowledged writes under its path in version
// order (some resubscribing from their last version along the way), and that the
// station's heap settles; prints requests/s and latency percentiles.
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';

import WebSocket from 'ws';
import { expect, it, onTestFinished } from 'vitest';

import { createClient, type GroveClient, type Subscription } from '../src/client/index.js';

const seconds = Number(process.env.GROVE_LOAD_SECONDS ?? 5);
const CLIENTS = 50;
const GROUPS = 5;
/** Heap the run may leave behind after a GC: the change log's 10,000 events and some slack. */
const HEAP_SLACK_BYTES = 48 * 2 ** 20;

// before the station's thread starts, so that it has gc()
setFlagsFromString('--expose-gc');

interface Subscriber {
  path: string;
  seen: number[];
  subscription: Subscription;
}

const group = (n: number) => `load/g${n}`;
const under = (path: string, prefix: string) => prefix === '' || path === prefix || path.startsWith(`${prefix}/`);

/** Sends a command to the station's thread and resolves with its answer. */
function ask<T>(worker: Worker, command?: string): Promise<T> {
  const answer = new Promise<T>((resolve, reject) => worker.once('message', resolve).once('error', reject));
  if (command !== undefined) worker.postMessage(command);
  return answer;
}

it(`serves ${CLIENTS} clients for ${seconds} s with no errors, every change seen in order, memory settled`, async () => {
  const paths = Array.from({ length: GROUPS * CLIENTS }, (_, i) => `${group(i % GROUPS)}/c${Math.floor(i / GROUPS)}`);
  const station = new Worker(new URL('./fixtures/station-worker.mjs', import.meta.url), { workerData: { paths } });
  onTestFinished(() => station.terminate());
  const { url } = await ask<{ url: string }>(station);
  const heapBefore = await ask<number>(station, 'heap');

  const clients: GroveClient[] = [];
  const subscribers = new Map<number, Subscriber>();
  const acknowledged: { version: number; paths: string[] }[] = [];
  const latencies: number[] = [];
  const errors: unknown[] = [];
  let resubscribes = 0;

  for (let i = 0; i < CLIENTS; i++) {
    const transport = i % 2 === 0 ? 'http' : 'ws';
    clients.push(createClient({ url, transport, WebSocket }));
    if (transport === 'ws') {
      const path = i % 10 === 1 ? '' : group(i % GROUPS);
      const seen: number[] = [];
      const onError = (error: Error) => errors.push(error);
      subscribers.set(i, { path, seen, subscription: await clients[i]!.subscribe(path, (change) => seen.push(change.version), { onError }) });
    }
  }

  /** Times one call; an error is counted, never thrown, so the run goes on. */
  const timed = async <T>(call: () => Promise<T>): Promise<T | undefined> => {
    const start = performance.now();
    try {
      return await call();
    } catch (error) {
      errors.push(error);
      return undefined;
    } finally {
      latencies.push(performance.now() - start);
    }
  };

  const deadline = Date.now() + seconds * 1000;
  const run = async (i: number) => {
    const client = clients[i]!;
    const subscriber = subscribers.get(i);
    let value = 0;
    for (let op = 0; Date.now() < deadline; op++) {
      const mine = `${group(op % GROUPS)}/c${i}`;
      const roll = Math.random();
      if (roll < 0.45) {
        await timed(() => client.get(`${group(Math.floor(Math.random() * GROUPS))}/c${Math.floor(Math.random() * CLIENTS)}`));
      } else if (roll < 0.55) {
        await timed(() => client.list(group(op % GROUPS), { limit: 10 }));
      } else if (roll < 0.65) {
        await timed(() => client.batch((batch) => { for (let k = 0; k < 10; k++) void batch.get(`${group(k % GROUPS)}/c${k}`); }));
      } else if (roll < 0.9) {
        const result = await timed(() => client.set(mine, ++value));
        if (result) acknowledged.push({ version: result.version, paths: [mine] });
      } else {
        const other = `${group((op + 1) % GROUPS)}/c${i}`;
        const ops = [
          { method: 'tree.set', params: { path: mine, value: ++value } },
          { method: 'tree.set', params: { path: other, value } },
        ] as const;
        const result = await timed(() => client.transact(ops));
        if (result) acknowledged.push({ version: result.version, paths: [mine, other] });
      }
      // some subscribers let go and resubscribe from their last version, as after a reconnect
      if (subscriber && i % 5 === 0 && op % 20 === 19) {
        const since = subscriber.subscription.lastVersion;
        await subscriber.subscription.unsubscribe();
        subscriber.subscription = await client.subscribe(subscriber.path, (change) => subscriber.seen.push(change.version), { since });
        resubscribes++;
      }
    }
  };
  const started = performance.now();
  // how busy each side's event loop was says which of them limited the rate
  const [clientLoop, stationLoop] = [performance.eventLoopUtilization(), station.performance.eventLoopUtilization()];
  await Promise.all(clients.map((_, i) => run(i)));
  const elapsed = (performance.now() - started) / 1000;
  const busy = (performance.eventLoopUtilization(clientLoop).utilization * 100).toFixed(0);
  const stationBusy = (station.performance.eventLoopUtilization(stationLoop).utilization * 100).toFixed(0);

  const expected = new Map(
    [...subscribers.values()].map(({ path }) => [
      path,
      acknowledged
        .filter((write) => write.paths.some((written) => under(written, path)))
        .map((write) => write.version)
        .sort((a, b) => a - b),
    ]),
  );
  const delivered = () => [...subscribers.values()].every(({ path, seen }) => seen.length >= expected.get(path)!.length);
  for (const wait = Date.now() + 10_000; !delivered() && Date.now() < wait; ) await new Promise((resolve) => setTimeout(resolve, 20));

  const sorted = [...latencies].sort((a, b) => a - b);
  const percentile = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  console.log(
    `load: ${CLIENTS} clients, ${elapsed.toFixed(1)} s, ${latencies.length} requests (${(latencies.length / elapsed).toFixed(0)}/s), ` +
      `${acknowledged.length} writes, ${resubscribes} resubscribes; latency p50 ${percentile(0.5).toFixed(2)} ms, ` +
      `p99 ${percentile(0.99).toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms; event loops busy: clients ${busy}%, station ${stationBusy}%`,
  );

  expect(errors).toEqual([]);
  for (const { path, seen } of subscribers.values()) {
    expect(seen.length).toBe(expected.get(path)!.length);
    expect(seen).toEqual(expected.get(path));
  }

  // measured with the station still up, its change log full
  clients.forEach((client) => client.close());
  await new Promise((resolve) => setTimeout(resolve, 100));
  const heapAfter = await ask<number>(station, 'heap');
  await ask(station, 'close');
  console.log(`load: heap ${(heapBefore / 2 ** 20).toFixed(1)} MiB before, ${(heapAfter / 2 ** 20).toFixed(1)} MiB after`);
  expect(heapAfter - heapBefore).toBeLessThan(HEAP_SLACK_BYTES);
}, (seconds + 60) * 1000);
