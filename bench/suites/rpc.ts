// The station over HTTP, with autocannon firing from its own worker thread so that the
// load does not share the servers' event loop: tree.get beside a bare fastify route that
// answers the same POST with a constant, and a batch of 100 tree.get beside single calls.
// The three take turns in short rounds, so a machine busy with something else for a while
// slows all of them alike; each result is the median of its rounds.
import autocannon from 'autocannon';
import Fastify from 'fastify';

import { startStation } from '../../src/station/server.js';
import { summarise, type Timing } from '../measure.js';
import { type Row, type Suite, withRatio } from '../report.js';

const CONNECTIONS = 10;
const BATCH = 100;

function getCall(id: number) {
  return { jsonrpc: '2.0', id, method: 'tree.get', params: { path: 'bench/item' } };
}

/** Requests per second answered with 2xx while `seconds` of load run. */
async function requestsPerSecond(url: string, body: string, seconds: number): Promise<number> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: seconds,
    workers: 1,
  });
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${url}: ${failed} of ${result.requests.total} requests failed`);
  return result.requests.average;
}

/** Each load's requests per second over the rounds, after one unrecorded round (JIT, connections). */
async function takeTurns(loads: { url: string; body: string }[], rounds: number, seconds: number): Promise<Timing[]> {
  const samples = loads.map((): number[] => []);
  for (let round = 0; round <= rounds; round++) {
    for (const [i, { url, body }] of loads.entries()) {
      const perSecond = await requestsPerSecond(url, body, round === 0 ? 1 : seconds);
      if (round > 0) samples[i]!.push(perSecond);
    }
  }
  return samples.map(summarise);
}

export const rpcSuite: Suite = {
  name: 'rpc',
  description: `tree.get over HTTP vs a bare fastify route, and a batch of ${BATCH} vs single calls (autocannon, ${CONNECTIONS} connections)`,
  async run({ quick }): Promise<Row[]> {
    const [rounds, seconds] = quick ? [2, 1] : [5, 3];
    const station = await startStation({ port: 0, rateLimit: false });
    station.tree.set('bench/item', { name: 'widget', count: 42 });
    const constant = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { name: 'widget', count: 42 } });
    const bare = Fastify();
    bare.post('/rpc', (_request, reply) => reply.type('application/json').send(constant));
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
    try {
      const single = JSON.stringify(getCall(1));
      const [baseline, singles, batches] = await takeTurns(
        [
          { url: `${bareUrl}/rpc`, body: single },
          { url: `${station.url}/rpc`, body: single },
          { url: `${station.url}/rpc`, body: JSON.stringify(Array.from({ length: BATCH }, (_, i) => getCall(i + 1))) },
        ],
        rounds,
        seconds,
      );
      return [
        withRatio({
          suite: 'rpc',
          name: 'tree.get over HTTP',
          value: singles!.median,
          unit: 'req/s',
          spread: singles!.spread,
          baseline: { name: 'bare fastify route', value: baseline!.median },
          target: '>= 0.7x the bare route',
        }),
        { suite: 'rpc', name: 'baseline: bare fastify POST route answering a constant', value: baseline!.median, unit: 'req/s', spread: baseline!.spread },
        withRatio({
          suite: 'rpc',
          name: `tree.get in batches of ${BATCH} over HTTP`,
          value: batches!.median * BATCH,
          unit: 'calls/s',
          spread: batches!.spread,
          baseline: { name: 'single calls', value: singles!.median },
          target: '>= 20x single calls',
        }),
      ];
    } finally {
      await bare.close();
      await station.close();
    }
  },
};
