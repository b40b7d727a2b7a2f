// Follows one other station's change stream from a sequence, applying its records to the
// local tree in order: records already applied are skipped, a record whose predecessor
// was never applied reports a gap (the cluster then resyncs from a snapshot), and a record
// fenced by an ownership transfer waits until the previous owner's stream is applied that far.
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';

import { streamName } from './names.js';
import { batchRecords, type Fence, PART_HEADER, PartAssembler, type StreamRecord } from './records.js';

export interface FollowerHost {
  /** Applies one record of `station`'s (its text, as the stream carries it) to the local tree. */
  apply(station: string, record: StreamRecord, text: string): void;
  /** Resolves once `fence.station`'s stream is applied up to `fence.version`. */
  fenced(fence: Fence): Promise<void>;
  /**
   * The stream skipped a record this station never applied. Returns true when a snapshot
   * will replace this follower (it stops), false to go on past the gap (no one can send one).
   */
  gap(station: string, applied: number, previous: number): boolean;
  log(line: string): void;
}

/** Messages one pull asks JetStream for. */
const CATCH_UP_BATCH = 1000;
/** How long one pull waits on the server (its heartbeats come every half of it). */
const PULL_EXPIRES_MS = 5000;

/** The last replication lags seen, in ms, for p50/p99. */
class LagWindow {
  readonly #samples = new Float64Array(10_000);
  #count = 0;

  add(ms: number): void {
    this.#samples[this.#count++ % this.#samples.length] = ms;
  }

  /** p50 and p99 in ms (to 0.01 ms) over `samples`, the records the window holds; `applied` counts every record. */
  summary(): { p50: number; p99: number; samples: number; applied: number } {
    const n = Math.min(this.#count, this.#samples.length);
    if (n === 0) return { p50: 0, p99: 0, samples: 0, applied: 0 };
    const sorted = this.#samples.slice(0, n).sort();
    const at = (q: number) => Math.round(sorted[Math.floor((n - 1) * q)]! * 100) / 100;
    return { p50: at(0.5), p99: at(0.99), samples: n, applied: this.#count };
  }
}

export class Follower {
  readonly station: string;
  readonly #host: FollowerHost;
  readonly lag = new LagWindow();
  /** The version of the newest record applied from this stream. */
  applied: number;
  /** The stream sequence of the newest message consumed. */
  seq: number;
  #messages: ConsumerMessages | undefined;
  #stopped = false;
  /** Consuming ended with an error (the stream went away with NATS's store): the cluster starts a new follower here. */
  failed = false;
  #waiters: { version: number; wake: () => void }[] = [];

  constructor(station: string, host: FollowerHost, from: { seq: number; applied: number }) {
    this.station = station;
    this.#host = host;
    this.seq = from.seq;
    this.applied = from.applied;
  }

  /** Starts consuming after `this.seq`. */
  async start(js: JetStreamClient): Promise<void> {
    const consumer = await js.consumers.get(
      streamName(this.station),
      this.seq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.seq + 1 } : { deliver_policy: DeliverPolicy.All },
    );
    if (this.#stopped) return;
    // pulls of 1,000: a follower that was cut off takes what it missed in large gulps, not 100 at a time;
    // pulls that expire in seconds, not 30: the server's heartbeats (every half of it) stop when the one
    // holding this consumer dies, and the client makes the consumer again on another server that much sooner
    this.#messages = await consumer.consume({ max_messages: CATCH_UP_BATCH, expires: PULL_EXPIRES_MS });
    void this.#run(this.#messages);
  }

  stop(): void {
    this.#stopped = true;
    void this.#messages?.close().catch(() => {});
    for (const waiter of this.#waiters.splice(0)) waiter.wake();
  }

  /** Resolves true once records up to `version` are applied, false after `timeoutMs`. */
  waitFor(version: number, timeoutMs: number): Promise<boolean> {
    if (this.applied >= version) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        version,
        wake: () => {
          clearTimeout(timer);
          resolve(this.applied >= version);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  async #run(messages: ConsumerMessages): Promise<void> {
    const parts = new PartAssembler();
    try {
      for await (const message of messages) {
        if (this.#stopped) break;
        const whole = parts.add(message.data, message.headers?.get(PART_HEADER) || undefined);
        if (whole === undefined) {
          this.seq = message.seq;
          continue;
        }
        for (const { record, text } of batchRecords(Buffer.from(whole).toString('utf8'))) {
          if (record.v <= this.applied) continue;
          if (record.p > this.applied && this.#host.gap(this.station, this.applied, record.p)) return;
          for (const fence of record.f ?? []) await this.#host.fenced(fence);
          if (this.#stopped) return;
          this.#host.apply(this.station, record, text);
          this.applied = record.v;
          this.lag.add(Math.max(0, performance.timeOrigin + performance.now() - record.t));
        }
        this.seq = message.seq;
        this.#wake();
      }
    } catch (error) {
      if (this.#stopped) return;
      this.failed = true;
      this.#host.log(`following ${streamName(this.station)} stopped: ${(error as Error).message}`);
    }
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const ready = this.#waiters.filter((w) => w.version <= this.applied);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.version > this.applied);
    for (const waiter of ready) waiter.wake();
  }
}
