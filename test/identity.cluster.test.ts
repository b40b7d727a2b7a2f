// Stable node identity across a cluster, model-based: random writes of every kind sent
// through random stations of three (forwarded to the owner of their paths), writes from a
// worker thread on the owner, and prefixes migrating between stations. Stations replicate
// by node id, so after every step each station holds the same nodes, under the same ids,
// with the same content hash as the others: the owner's copy is everyone's; and a minVersion
// taken before a migration still means the version it was.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { closeAll, eventually, type Id, IDS, type Member, startThree } from './helpers/cluster.js';
import { type NatsServer, startNats } from './helpers/nats.js';
import { resultOf } from './helpers/station.js';
import { leaf, path, transact, write } from './helpers/writes.js';
import { ErrorCode } from '../src/wire/errors.js';

const WRITER = fileURLToPath(new URL('./fixtures/tree-writer.mjs', import.meta.url));

/** A worker thread writing into one station's tree. */
class TreeWriter {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, () => void>();
  #next = 0;

  constructor(member: Member) {
    this.#worker = new Worker(WRITER, { workerData: member.station.tree.share() });
    this.#worker.on('message', ({ id }) => this.#waiting.get(id)?.());
  }

  set(params: { path: string; value: unknown }): Promise<void> {
    const id = ++this.#next;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.#worker.postMessage({ id, ...params });
    });
  }

  close(): Promise<number> {
    return this.#worker.terminate();
  }
}

const station = fc.constantFrom(...IDS);
const step = fc.oneof(
  { weight: 30, arbitrary: fc.record({ via: station, call: write }) },
  { weight: 5, arbitrary: fc.record({ via: station, call: transact }) },
  { weight: 4, arbitrary: fc.record({ worker: fc.record({ path, value: leaf }) }) },
  { weight: 4, arbitrary: fc.record({ via: station, migrate: fc.record({ path: fc.constantFrom('a', 'b', 'x/z'), to: station }) }) },
);

describe('a cluster of three stations holds the same nodes under the same ids', () => {
  let nats: NatsServer;
  const members = {} as Record<Id, Member>;
  const writers = {} as Record<Id, TreeWriter>;

  beforeAll(async () => {
    nats = await startNats();
    await startThree(members, () => [nats.url]);
    for (const id of IDS) writers[id] = new TreeWriter(members[id]);
  }, 60_000);

  afterAll(async () => {
    for (const id of IDS) await writers[id]?.close();
    await closeAll(members);
    await nats?.close();
  }, 60_000);

  /** Every station's nodes with their ids (the record form) and the root's hash, once they agree. */
  async function converged(after: string): Promise<void> {
    await eventually(async () => {
      const copies = await Promise.all(
        IDS.map(async (id) => ({
          nodes: members[id].station.tree.exportJSON('', 'store'),
          hash: resultOf(await members[id].call('tree.hash', { path: '' })),
        })),
      );
      for (const copy of copies.slice(1)) expect(copy, `after ${after}`).toEqual(copies[0]);
    }, 20_000);
  }

  it('after every step of random writes, worker writes and migrations through every station', async () => {
    let steps = 0;
    let written = 0;
    let moved = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 40, maxLength: 80 }), async (run) => {
        for (const next of run) {
          steps++;
          if ('worker' in next) {
            // a worker writes on the station that owns the path: what it writes there is that station's to publish
            const owner = members.a.station.context.cluster!.ownerOf(next.worker.path) as Id;
            await writers[owner].set(next.worker);
          } else if ('migrate' in next) {
            const reply = await members[next.via].call('station.migrate', next.migrate);
            // a move can be refused (a leaf where the prefix would be); it never leaves the stations apart
            if (reply.error) expect(reply.error.code, JSON.stringify(reply.error)).not.toBe(ErrorCode.InternalError);
            else moved++;
          } else {
            const reply = await members[next.via].call(next.call.method, next.call.params);
            if (reply.error) expect(reply.error.code, JSON.stringify({ ...next, error: reply.error })).not.toBe(ErrorCode.InternalError);
            else written++;
          }
          await converged(JSON.stringify(next));
        }
      }),
      { numRuns: 6, seed: Number(process.env.GROVE_MODEL_SEED ?? 20261202), endOnFailure: true },
    );
    console.log(`identity cluster model: ${steps} steps, ${written} writes and ${moved} moves acknowledged`);
    expect(steps).toBeGreaterThan(300);
    expect(written).toBeGreaterThan(steps / 5);
    expect(moved).toBeGreaterThan(10);
  }, 600_000);

  it('reads a minVersion taken before a migration as the old owner\'s version, on every station, and one after as the new owner\'s', async () => {
    // the owner's version counter runs ahead of what the new owner ever published
    for (let i = 0; i < 30; i++) resultOf(await members.a.call('tree.set', { path: `m/n${i}`, value: i }));
    const { version: before } = resultOf(await members.c.call('tree.set', { path: 'm/x', value: 'before' }));
    resultOf(await members.c.call('station.migrate', { path: 'm', to: 'b' }));
    for (const id of IDS) {
      const reply = await members[id].call('tree.get', { path: 'm/x', minVersion: before });
      expect(reply.error, `${id} at minVersion ${before}`).toBeUndefined();
      expect(reply.result).toBe('before');
    }
    const { version: after } = resultOf(await members.a.call('tree.set', { path: 'm/x', value: 'after' }));
    expect(after).toBeGreaterThan(before);
    for (const id of IDS) expect(resultOf(await members[id].call('tree.get', { path: 'm/x', minVersion: after })), id).toBe('after');
  }, 60_000);
});
