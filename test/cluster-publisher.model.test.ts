// A model-based test of the publisher's sequencing (src/cluster/publisher.ts) against a fake
// JetStream stream with the semantics the real one has (test/cluster-restart.test.ts checks the
// real server): messages deduplicated by id while the server remembers them, refused unless the
// subject's last sequence is the one expected, a purge keeping the stream's sequence, and a lost
// store taking the stream, its sequence and its memory of ids. Random interleavings of writes,
// failed publishes, lost acks, restarts (ids forgotten), purges and lost stores; after each step
// and at the end the stream holds, since its last purge or loss, an ordered, gap-free,
// duplicate-free run of the station's records, and every record acknowledged since then.
import fc from 'fast-check';
import type { MsgHdrs } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ChangeStream, Publisher, type StreamEnd } from '../src/cluster/publisher.js';
import { batchRecords } from '../src/cluster/records.js';

interface Stored {
  seq: number;
  msgId: string;
  data: Uint8Array;
  headers: MsgHdrs;
}

/** JetStream's stream, as far as the publisher sees it, with faults to inject. */
class FakeStream implements ChangeStream {
  exists = true;
  lastSeq = 0;
  messages: Stored[] = [];
  /** Message ids the server remembers (its duplicate window). */
  remembered = new Map<string, number>();
  /** Publishes to refuse before storing (NATS away), and to store but lose the ack of. */
  failNext = 0;
  loseAckNext = 0;
  /** Purges and lost stores so far, and at which of them each stored record went in. */
  epoch = 0;
  storedAt = new Map<number, number>();

  async publish(data: Uint8Array, { msgId, expectedSeq, headers: h }: { msgId: string; expectedSeq: number; headers: MsgHdrs }): Promise<number> {
    await Promise.resolve();
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('timeout');
    }
    if (!this.exists) throw new Error('jetstream is not enabled');
    const duplicate = this.remembered.get(msgId);
    if (duplicate !== undefined) return duplicate;
    const subjectLast = this.messages.at(-1)?.seq ?? 0;
    if (subjectLast !== expectedSeq) throw new Error(`wrong last sequence: ${subjectLast}`);
    const seq = ++this.lastSeq;
    // the bytes are copied: the publisher may reuse its buffer
    this.messages.push({ seq, msgId, data: Uint8Array.from(data), headers: h });
    for (const { record } of batchRecords(Buffer.from(data).toString('utf8'))) this.storedAt.set(record.v, this.epoch);
    this.remembered.set(msgId, seq);
    if (this.loseAckNext > 0) {
      this.loseAckNext--;
      throw new Error('timeout');
    }
    return seq;
  }

  async end(): Promise<StreamEnd | undefined> {
    await Promise.resolve();
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('timeout');
    }
    if (!this.exists) return undefined;
    const last = this.messages.at(-1);
    return { lastSeq: this.lastSeq, ...(last ? { last: { seq: last.seq, msgId: last.msgId, nextId: 0 } } : {}) };
  }

  async recreate(lastSeq: number): Promise<void> {
    await Promise.resolve();
    this.exists = true;
    if (this.lastSeq < lastSeq && this.messages.length === 0) this.lastSeq = lastSeq;
  }

  /** The records the stream holds, in order. */
  records(): { v: number; p: number }[] {
    return this.messages.flatMap((m) => batchRecords(Buffer.from(m.data).toString('utf8')).map(({ record }) => ({ v: record.v, p: record.p })));
  }
}

type Step =
  | { kind: 'write'; count: number }
  | { kind: 'fail'; count: number }
  | { kind: 'loseAck'; count: number }
  | { kind: 'run'; ms: number }
  | { kind: 'restart' }
  | { kind: 'purge' }
  | { kind: 'loseStore' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('write' as const), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fail' as const), count: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('loseAck' as const), count: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('run' as const), ms: fc.integer({ min: 0, max: 1000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'purge' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'loseStore' as const }) },
);

/** The stream's records are ordered, gap-free (each names the one before it) and duplicate-free. */
function expectChain(records: { v: number; p: number }[]): void {
  for (let i = 1; i < records.length; i++) {
    expect(records[i]!.v, `record ${i} comes after the one before`).toBeGreaterThan(records[i - 1]!.v);
    expect(records[i]!.p, `record ${i} (v${records[i]!.v}) follows v${records[i - 1]!.v}`).toBe(records[i - 1]!.v);
  }
}

describe('the publisher against a stream that restarts, forgets ids, is purged and is lost', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps an ordered, gap-free, duplicate-free prefix holding every acknowledged record', { timeout: 240_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 60 }), async (steps) => {
        const stream = new FakeStream();
        const publisher = new Publisher('s', stream, {
          checkWritable() {},
          claim: (paths) => ({ owned: paths.map(() => true), fences: [] }),
          maxPayload: 1 << 20,
          nextId: () => 1,
          confirmMs: 1e9,
          log() {},
        });
        await publisher.init();
        let version = 0;
        /** Versions acknowledged since the stream last lost records (a purge or a lost store). */
        const acknowledged = new Set<number>();
        const pending: Promise<void>[] = [];
        for (const s of steps) {
          switch (s.kind) {
            case 'write':
              for (let i = 0; i < s.count; i++) {
                const v = ++version;
                const text = `{"v":${v},"origin":"local","ops":[]}`;
                const done = publisher.record({ v, origin: 'local', ops: [], text, paths: [] })!;
                pending.push(
                  done.then(() => {
                    // an ack means the stream holds the record, or did until a purge or a lost store took it
                    if (stream.storedAt.get(v)! < stream.epoch) return;
                    expect(stream.records().map((r) => r.v)).toContain(v);
                    acknowledged.add(v);
                  }),
                );
              }
              break;
            case 'fail':
              stream.failNext += s.count;
              break;
            case 'loseAck':
              stream.loseAckNext += s.count;
              break;
            case 'run':
              await vi.advanceTimersByTimeAsync(s.ms);
              break;
            case 'restart':
              stream.remembered.clear();
              break;
            case 'purge':
              stream.messages = [];
              stream.epoch++;
              acknowledged.clear();
              break;
            case 'loseStore':
              stream.exists = false;
              stream.messages = [];
              stream.lastSeq = 0;
              stream.remembered.clear();
              stream.epoch++;
              acknowledged.clear();
              break;
          }
          expectChain(stream.records());
        }
        // the faults end: everything queued is published, in order, without anyone acting
        stream.failNext = 0;
        stream.loseAckNext = 0;
        let idle = false;
        void publisher.idle().then(() => (idle = true));
        for (let i = 0; !idle; i++) {
          expect(i, 'the publisher has not drained after 100 retries').toBeLessThan(100);
          await vi.advanceTimersByTimeAsync(300);
        }
        await Promise.all(pending);
        const held = stream.records();
        expectChain(held);
        for (const v of acknowledged) expect(held.map((r) => r.v)).toContain(v);
        publisher.close();
      }),
      { numRuns: 300 },
    );
  });
});
