// A station's operations endpoints (issue 17): /healthz, /readyz and /metrics, against real
// stations over HTTP, with a data directory, with tokens, and in a cluster over a real NATS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

import { createLogger } from '../src/station/logging.js';
import type { Station } from '../src/station/server.js';
import { type NatsServer, startNats } from './helpers/nats.js';
import { httpCaller, openStation, post, resultOf, waitFor, WsClient } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const dirs: string[] = [];
const stations: Station[] = [];
afterAll(async () => {
  for (const station of stations.splice(0)) await station.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function open(options: Parameters<typeof openStation>[0] = {}): Promise<Station> {
  const station = await openStation(options);
  stations.push(station);
  return station;
}

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'grove-monitoring-'));
  dirs.push(dir);
  return join(dir, 'data');
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(url, { headers });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

/** The samples of a Prometheus text exposition: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    expect(match, `a sample line: ${line}`).not.toBeNull();
    found.set(match![1]!, Number(match![2]));
  }
  return found;
}

async function scrape(station: Station, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const reply = await get(`${station.url}/metrics`, headers);
  expect(reply.status).toBe(200);
  expect(reply.type).toMatch(/^text\/plain; version=0\.0\.4/);
  return samples(reply.text);
}

const callKey = (method: string, code: number) => `grove_rpc_calls_total{method="${method}",transport="http",code="${code}"}`;

describe('/healthz and /readyz', () => {
  it('answer a station alone: alive, and ready once its store takes writes', async () => {
    let failing = false;
    const inject = (phase: string) => {
      if (failing && phase === 'fsync') throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
    };
    const logged: { level: string; time: string; msg: string; component?: string; req?: { url: string } }[] = [];
    const logger = createLogger('debug', { write: (line: string) => void logged.push(JSON.parse(line)) });
    const station = await open({ data: dataDir(), storeOptions: { inject }, logger });
    const health = await get(`${station.url}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: 'ok' });
    const ready = await get(`${station.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ ready: true, checks: { store: `writable (${station.store!.dir})`, cluster: 'none' } });

    failing = true;
    const call = httpCaller(station.url);
    expect((await call('tree.set', { path: 'a', value: 1 })).error?.code).toBe(ErrorCode.StoreFailed);
    const refused = await get(`${station.url}/readyz`);
    expect(refused.status).toBe(503);
    const body = JSON.parse(refused.text);
    expect(body.ready).toBe(false);
    expect(body.checks.store).toMatch(/^writes refused: the write could not be made durable/);
    expect((await get(`${station.url}/healthz`)).status).toBe(200);
    expect((await scrape(station)).get('grove_store_writable')).toBe(0);
    // the store's own report is a warning of the station's logger, and each request a debug line
    expect(logged.find((line) => line.component === 'store')).toMatchObject({ level: 'warn', msg: expect.stringMatching(/^writes fail: the write could not be made durable/) });
    expect(logged.filter((line) => line.msg === 'request' && line.req?.url === '/readyz').map((line) => line.level)).toEqual(['debug', 'debug']);
    expect(logged.every((line) => new Date(line.time).toISOString() === line.time)).toBe(true);

    failing = false;
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the store tries the disk again after a second
    resultOf(await call('tree.set', { path: 'a', value: 2 }));
    expect((await get(`${station.url}/readyz`)).status).toBe(200);
    expect((await scrape(station)).get('grove_store_writable')).toBe(1);
  });

  it('need no token on a station with tokens, while /metrics does', async () => {
    const station = await open({ tokens: ['s3cret-token'] });
    expect((await get(`${station.url}/healthz`)).status).toBe(200);
    expect((await get(`${station.url}/readyz`)).status).toBe(200);
    const refused = await get(`${station.url}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.text).toContain('this station requires a token');
    expect((await get(`${station.url}/metrics`, { authorization: 'Bearer wrong-token' })).status).toBe(401);
    const metrics = await scrape(station, { authorization: 'Bearer s3cret-token' });
    expect(metrics.get(`grove_station_info{station="${station.context.id}",version="${station.context.version}"}`)).toBe(1);
  });
});

describe('/metrics', () => {
  const path = fc.constantFrom('a', 'b', 'c/d', 'c/e', 'f/g/h');
  const call = fc.oneof(
    fc.record({ method: fc.constant('tree.set'), params: fc.record({ path, value: fc.integer({ min: -5, max: 5 }) }) }),
    fc.record({ method: fc.constant('tree.get'), params: fc.record({ path }) }),
    fc.record({ method: fc.constant('tree.delete'), params: fc.record({ path }) }),
    fc.record({ method: fc.constant('tree.increment'), params: fc.record({ path, by: fc.integer({ min: 1, max: 3 }) }) }),
    fc.record({ method: fc.constant('tree.set'), params: fc.record({ path }) }), // no value: -32602
    fc.record({ method: fc.constantFrom('tree.nope', 'station.nope'), params: fc.constant({}) }),
  );
  // a body is one call, a batch of calls, or no JSON at all
  const body = fc.oneof(
    { weight: 6, arbitrary: call },
    { weight: 2, arbitrary: fc.array(call, { minLength: 1, maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constant('{"jsonrpc": "2.0", "method": ') },
  );

  it('count every call by method and error code, time each, and count the log batches of the writes that were made durable', async () => {
    const station = await open({ data: dataDir() });
    const known = new Set(station.context.engine.discover().methods.map((method) => method.name));
    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 1, maxLength: 15 }), async (bodies) => {
        const before = await scrape(station);
        const expected = new Map<string, number>();
        const count = (key: string) => expected.set(key, (expected.get(key) ?? 0) + 1);
        let durableWrites = 0;
        let id = 0;
        for (const item of bodies) {
          const calls = typeof item === 'string' ? [] : Array.isArray(item) ? item : [item];
          const sent = typeof item === 'string' ? item : Array.isArray(item) ? calls.map((c) => ({ jsonrpc: '2.0', id: ++id, ...c })) : { jsonrpc: '2.0', id: ++id, ...item };
          const reply = await post(station.url, sent);
          if (typeof item === 'string') {
            count(callKey('(invalid)', ErrorCode.ParseError));
            continue;
          }
          const answers = (Array.isArray(reply.body) ? reply.body : [reply.body]) as { id: number; error?: { code: number } }[];
          expect(answers).toHaveLength(calls.length);
          for (const [i, c] of calls.entries()) {
            const answer = answers.find((a) => a.id === (Array.isArray(sent) ? sent[i]!.id : (sent as { id: number }).id))!;
            const code = answer.error?.code ?? 0;
            count(callKey(known.has(c.method) ? c.method : '(unknown)', code));
            if (code === 0 && c.method !== 'tree.get') durableWrites++;
          }
        }
        const after = await scrape(station);
        const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
        const counted = [...after.keys()].filter((key) => key.startsWith('grove_rpc_calls_total{') && delta(key) !== 0);
        expect(new Map(counted.map((key) => [key, delta(key)]))).toEqual(expected);
        // one latency sample per call of a method
        for (const method of new Set(counted.map((key) => /method="([^"]+)"/.exec(key)![1]!))) {
          const calls = counted.filter((key) => key.includes(`method="${method}"`)).reduce((sum, key) => sum + delta(key), 0);
          expect(delta(`grove_rpc_call_duration_seconds_count{method="${method}"}`)).toBe(calls);
          expect(delta(`grove_rpc_call_duration_seconds_bucket{le="+Inf",method="${method}"}`)).toBe(calls);
        }
        // each durable write is one record; fsync batch: one fdatasync per batch
        expect(delta('grove_wal_batch_records_sum')).toBe(durableWrites);
        expect(delta('grove_wal_fsync_duration_seconds_count')).toBe(delta('grove_wal_batch_records_count'));
        if (durableWrites > 0) expect(delta('grove_wal_batch_bytes_sum')).toBeGreaterThan(0);
        expect(after.get('grove_tree_nodes')).toBe(station.tree.root.size - 1);
        expect(after.get('grove_tree_version')).toBe(station.tree.version);
      }),
      { numRuns: 25 },
    );
  });

  it('count connections and subscriptions as they open and close', async () => {
    const station = await open();
    const client = await WsClient.open(station.url);
    await client.call('tree.set', { path: 'watched', value: 1 });
    await client.call('tree.subscribe', { path: 'watched' });
    await waitFor(() => station.context.hub.subscriptionCount === 1, 'the subscription');
    let metrics = await scrape(station);
    expect(metrics.get('grove_connections')).toBe(1);
    expect(metrics.get('grove_subscriptions')).toBe(1);
    await client.close();
    await waitFor(() => station.context.connections() === 0, 'the socket to close');
    metrics = await scrape(station);
    expect(metrics.get('grove_connections')).toBe(0);
    expect(metrics.get('grove_subscriptions')).toBe(0);
    // the process's own metrics come along
    expect(metrics.has('process_resident_memory_bytes')).toBe(true);
    expect(metrics.has('nodejs_eventloop_lag_seconds')).toBe(true);
  });
});

describe('in a cluster', () => {
  let nats: NatsServer | undefined;
  afterAll(async () => {
    for (const station of stations.splice(0)) await station.close();
    await nats?.close();
  }, 30_000);

  it('report replication lag per stream, and ready only while joined', async () => {
    nats = await startNats();
    const cluster = { servers: [nats.url], leaseMs: 1000 };
    const a = await open({ stationId: 'a', cluster });
    const b = await open({ stationId: 'b', cluster });
    const onA = httpCaller(a.url);
    let version = 0;
    for (let i = 0; i < 20; i++) version = resultOf(await onA('tree.set', { path: `orders/${i}`, value: i })).version;
    // b follows a's stream: read what a wrote, through b, once b has it
    expect(resultOf(await httpCaller(b.url)('tree.get', { path: 'orders/19', minVersion: version }))).toBe(19);

    const metrics = await scrape(b);
    expect(metrics.get('grove_replication_applied_version{stream="a"}')).toBe(version);
    const p50 = metrics.get('grove_replication_lag_seconds{stream="a",quantile="0.5"}')!;
    const p99 = metrics.get('grove_replication_lag_seconds{stream="a",quantile="0.99"}')!;
    expect(p50).toBeGreaterThanOrEqual(0);
    expect(p99).toBeGreaterThanOrEqual(p50);
    expect(metrics.get('grove_cluster_connected')).toBe(1);
    await waitFor(() => a.context.cluster!.info().replication.some((stream) => stream.station === 'b'), 'a to follow b');
    for (const station of [a, b]) {
      const ready = await get(`${station.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.text).checks.cluster).toBe('joined, following 1 stream');
    }

    await nats.stop();
    await waitFor(() => !b.context.cluster!.info().connected, 'b to lose NATS');
    const away = await get(`${b.url}/readyz`);
    expect(away.status).toBe(503);
    expect(JSON.parse(away.text).checks.cluster).toMatch(/^not joined: NATS \(nats:\/\/127\.0\.0\.1:\d+\) is not reachable/);
    expect((await scrape(b)).get('grove_cluster_connected')).toBe(0);
    expect((await get(`${b.url}/healthz`)).status).toBe(200);

    await nats.start();
    // back once NATS is and a heartbeat renewed the lease
    let status = 0;
    for (let tries = 0; tries < 300 && status !== 200; tries++) {
      status = (await get(`${b.url}/readyz`)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
  }, 60_000);
});
