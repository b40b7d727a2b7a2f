// What operators and orchestrators ask a station (README "Operations"):
//   GET /healthz  200 while the process answers at all;
//   GET /readyz   200 when it should get traffic: its store takes writes, it has joined its
//                 cluster and follows the stream of every live station; 503 naming what is not;
//   GET /metrics  Prometheus text: calls by method and error code, their latencies, the
//                 write-ahead log's batches and fsyncs, subscriptions, connections, replication
//                 lag per stream, the tree's size, and the process (CPU, memory, event loop).
// With tokens, /metrics needs one (Authorization: Bearer); /healthz and /readyz never do.
import type { FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client';

import type { CallRecord } from '../rpc/engine.js';
import { bearerToken } from '../rpc/http.js';
import type { Store } from '../store/store.js';
import { AuthError } from '../auth/index.js';
import type { StationContext } from './context.js';

export interface MonitoringOptions {
  station: StationContext;
  store?: Store;
}

export interface Readiness {
  ready: boolean;
  /** One line per part: what it is doing, or why it is not ready. */
  checks: { store: string; cluster: string };
}

/** Seconds: from a tenth of a millisecond (a read) to ten seconds (a write waiting for a cluster). */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const FSYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
/** Records per batch: group commit takes everything queued while the previous batch was on disk. */
const BATCH_RECORD_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
const BATCH_BYTE_BUCKETS = [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216];

/** The process's own metrics, one set per process however many stations it runs. */
let processRegistry: Registry | undefined;

export function readiness({ cluster }: StationContext, store: Store | undefined): Readiness {
  const failure = store?.failure;
  const storeCheck = store === undefined ? 'in memory' : failure === undefined ? `writable (${store.dir})` : `writes refused: ${failure.message}`;
  let clusterCheck = 'none';
  let clusterReady = true;
  if (cluster) {
    try {
      cluster.checkWritable();
      const info = cluster.info();
      const followed = new Set(info.replication.map((stream) => stream.station));
      const unfollowed = info.peers.filter((peer) => peer.alive && peer.id !== info.station && !followed.has(peer.id)).map((peer) => peer.id);
      clusterReady = unfollowed.length === 0;
      clusterCheck = clusterReady
        ? `joined, following ${followed.size} stream${followed.size === 1 ? '' : 's'}`
        : `joined, not yet following the stream of ${unfollowed.join(', ')}`;
    } catch (error) {
      clusterReady = false;
      clusterCheck = `not joined: ${(error as Error).message}`;
    }
  }
  return { ready: failure === undefined && clusterReady, checks: { store: storeCheck, cluster: clusterCheck } };
}

export const monitoring: FastifyPluginAsync<MonitoringOptions> = async (app, { station, store }) => {
  const registry = metricsOf(station, store);
  processRegistry ??= withDefaultMetrics();
  const scraped = Registry.merge([processRegistry, registry]);

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const state = readiness(station, store);
    return reply.code(state.ready ? 200 : 503).send(state);
  });

  app.get('/metrics', async (request, reply) => {
    try {
      station.auth.authenticate(bearerToken(request.headers.authorization));
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      return reply.code(401).header('www-authenticate', 'Bearer').type('text/plain').send(`${error.message}\n`);
    }
    return reply.type(scraped.contentType).send(await scraped.metrics());
  });
};

function withDefaultMetrics(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** One line of a metric's text: prom-client's registry writes it as `metricName{labels} value`. */
interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * Calls, counted and timed where they happen in plain maps and handed to prom-client only
 * when scraped: prom-client's own counter and histogram cost ~0.7 µs a call, half of what a
 * read in a batch costs.
 */
class CallTally {
  readonly #counts = new Map<string, { labels: { method: string; transport: string; code: number }; count: number }>();
  readonly #latencies = new Map<string, { buckets: Float64Array; sum: number; count: number }>();

  readonly observe = ({ method, transport, code, seconds }: CallRecord): void => {
    const key = `${method} ${transport} ${code}`;
    const counted = this.#counts.get(key);
    if (counted) counted.count++;
    else this.#counts.set(key, { labels: { method, transport, code }, count: 1 });
    let latency = this.#latencies.get(method);
    if (!latency) this.#latencies.set(method, (latency = { buckets: new Float64Array(LATENCY_BUCKETS.length), sum: 0, count: 0 }));
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]!) bucket++;
    if (bucket < LATENCY_BUCKETS.length) latency.buckets[bucket]!++;
    latency.sum += seconds;
    latency.count++;
  };

  counts(): Iterable<{ labels: { method: string; transport: string; code: number }; count: number }> {
    return this.#counts.values();
  }

  /** The histogram's samples as prom-client's registry reads them: cumulative buckets, then +Inf, sum and count, per method. */
  latencySamples(name: string): Sample[] {
    return [...this.#latencies].flatMap(([method, { buckets, sum, count }]): Sample[] => {
      let below = 0;
      return [
        ...LATENCY_BUCKETS.map((le, i) => ({ metricName: `${name}_bucket`, labels: { le, method }, value: (below += buckets[i]!) })),
        { metricName: `${name}_bucket`, labels: { le: '+Inf', method }, value: count },
        { metricName: `${name}_sum`, labels: { method }, value: sum },
        { metricName: `${name}_count`, labels: { method }, value: count },
      ];
    });
  }
}

/** A histogram read from a CallTally, in the shape of prom-client's metrics (whose Histogram cannot be set from counts). */
function tallyHistogram(tally: CallTally, name: string, help: string): Metric {
  const read = () => ({ name, help, type: 'histogram', aggregator: 'sum', values: tally.latencySamples(name) });
  return { ...read(), get: async () => read() } as unknown as Metric;
}

/** The station's metrics: counted as calls and batches happen, read from the station at each scrape. */
function metricsOf(station: StationContext, store: Store | undefined): Registry {
  const registers = [new Registry()];
  const tally = new CallTally();
  station.engine.onCall(tally.observe);
  new Counter({
    name: 'grove_rpc_calls_total',
    help: 'JSON-RPC calls answered, by method, transport (http, ws, cluster: forwarded by another station) and error code (0: a result)',
    labelNames: ['method', 'transport', 'code'],
    registers,
    collect() {
      this.reset();
      for (const { labels, count } of tally.counts()) this.inc(labels, count);
    },
  });
  registers[0]!.registerMetric(
    tallyHistogram(tally, 'grove_rpc_call_duration_seconds', 'Time from a call to its answer (a write: until it is durable), by method'),
  );

  if (store) {
    const fsyncSeconds = new Histogram({
      name: 'grove_wal_fsync_duration_seconds',
      help: 'Time of one fdatasync of the write-ahead log (one per batch)',
      buckets: FSYNC_BUCKETS,
      registers,
    });
    const batchRecords = new Histogram({ name: 'grove_wal_batch_records', help: 'Records made durable together by one write and fsync', buckets: BATCH_RECORD_BUCKETS, registers });
    const batchBytes = new Histogram({ name: 'grove_wal_batch_bytes', help: 'Bytes of one durable batch of the write-ahead log', buckets: BATCH_BYTE_BUCKETS, registers });
    store.onBatch = ({ records, bytes, syncSeconds }) => {
      batchRecords.observe(records);
      batchBytes.observe(bytes);
      if (syncSeconds !== undefined) fsyncSeconds.observe(syncSeconds);
    };
    new Gauge({
      name: 'grove_store_writable',
      help: '1 while the data directory takes writes, 0 while they are refused (the disk fails)',
      registers,
      collect() {
        this.set(store.failure === undefined ? 1 : 0);
      },
    });
  }

  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  gauge('grove_subscriptions', 'Open subscriptions (WebSocket and SSE)', () => station.hub.subscriptionCount);
  gauge('grove_connections', 'Open WebSocket connections and SSE streams', () => station.connections());
  gauge('grove_tree_nodes', 'Nodes in the tree, the root aside', () => station.tree.root.size - 1);
  gauge('grove_tree_version', 'The tree version: that of its last change', () => station.tree.version);
  new Gauge({
    name: 'grove_station_info',
    help: 'Always 1; the labels say which station and Grove version this is',
    labelNames: ['station', 'version'],
    registers,
    collect() {
      this.set({ station: station.id, version: station.version }, 1);
    },
  });

  const { cluster } = station;
  if (cluster) {
    gauge('grove_cluster_connected', '1 while NATS is reachable, else 0', () => (cluster.info().connected ? 1 : 0));
    new Gauge({
      name: 'grove_replication_lag_seconds',
      help: "Replication lag of each followed station's stream over its last 10,000 records, from the owner's clock at the write to the apply here",
      labelNames: ['stream', 'quantile'],
      registers,
      collect() {
        this.reset();
        for (const { station: stream, lagMs } of cluster.info().replication) {
          if (lagMs.samples === 0) continue;
          this.set({ stream, quantile: '0.5' }, lagMs.p50 / 1000);
          this.set({ stream, quantile: '0.99' }, lagMs.p99 / 1000);
        }
      },
    });
    new Gauge({
      name: 'grove_replication_applied_version',
      help: "The owner's version of the newest record applied from each followed station's stream",
      labelNames: ['stream'],
      registers,
      collect() {
        this.reset();
        for (const { station: stream, appliedVersion } of cluster.info().replication) this.set({ stream }, appliedVersion);
      },
    });
  }
  return registers[0]!;
}
