// Publishes this station's committed writes to its change stream, in order, as a durable
// consumer of the change hub: a write is acknowledged only once JetStream holds it. Records
// queued while a publish is in flight go out together in the next message (group commit),
// so one round trip serves many writes. Every message names the stream sequence it follows
// (Nats-Expected-Last-Subject-Sequence), which JetStream keeps as long as the stream, so the
// stream only ever holds a gap-free prefix of this station's log, however long anything was idle.
// A failed publish reads where the stream ends before it is retried: its own message there means
// the ack was lost; a stream purged, or lost with NATS's store, is continued from what it holds.
import { headers, type MsgHdrs } from '@nats-io/transport-node';

import { type LogRecord, recordText } from '../store/records.js';
import { clusterUnavailable } from './errors.js';
import { streamName } from './names.js';
import { type Fence, messageId, PART_HEADER, splitParts, streamRecordText, versionOfMessageId } from './records.js';

/** Writes applied from another station's stream carry this origin; they are not published again. */
export const REPLICA_ORIGIN_PREFIX = 'replica:';

export const replicaOrigin = (station: string) => `${REPLICA_ORIGIN_PREFIX}${station}`;

export interface PublisherOptions {
  /** Throws when this station may not take writes now (NATS away, lease lapsed). */
  checkWritable(): void;
  /** Which of a record's ops this station may publish (it owns their paths) and the fences on them. */
  claim(paths: string[]): { owned: boolean[]; fences: Fence[] };
  /** Largest message NATS takes, in bytes. */
  maxPayload: number;
  /** The tree's next id: every message carries it, so a station that restarts without a store never gives an id twice. */
  nextId(): number;
  /** How long a write waits for JetStream before its caller is told (default 5 s); publishing goes on. */
  confirmMs?: number;
  log(line: string): void;
}

/** The end of a station's stream, as the publisher needs it. */
export interface StreamEnd {
  /** The stream's last sequence (a purge keeps it; a re-created stream starts again at 0). */
  lastSeq: number;
  /** The last message on this station's subject, if the stream holds one. */
  last?: { seq: number; msgId: string; nextId: number };
}

/** The JetStream calls the publisher makes on its station's stream (a fake stands in for it in tests). */
export interface ChangeStream {
  /** Publishes unless the subject's last sequence is not `expectedSeq`; resolves with the new message's sequence. */
  publish(data: Uint8Array, options: { msgId: string; expectedSeq: number; headers: MsgHdrs }): Promise<number>;
  /** Where the stream ends; undefined when there is no stream (NATS lost its store, or it was deleted). */
  end(): Promise<StreamEnd | undefined>;
  /** Creates the stream anew, its sequence continuing after `lastSeq`, so followers go on where they were. */
  recreate(lastSeq: number): Promise<void>;
}

interface Pending {
  text: string;
  version: number;
  /** When its caller is told that JetStream has not confirmed it (performance.now() ms). */
  due: number;
  /** Its caller has been answered, one way or the other. */
  settled: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

/** The header carrying the publishing station's next id. */
export const NEXT_ID_HEADER = 'Grove-Next-Id';
const RETRY_MS = 250;
/** How often writes waiting for JetStream are checked against their confirmation time. */
const SWEEP_MS = 100;

/**
 * Publishes this station's writes to the change stream: one of the change hub's durable
 * consumers (DurableConsumer, src/station/changes.ts, whose shape the station checks where it
 * hands the publisher over), so a write is acknowledged once JetStream holds it.
 */
export class Publisher {
  readonly #station: string;
  readonly #stream: ChangeStream;
  readonly #options: PublisherOptions;
  #queue: Pending[] = [];
  /** The records of the message being published. */
  #inFlight: Pending[] = [];
  #sweeper: NodeJS.Timeout | undefined;
  #publishing = false;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  /** The sequence of this station's newest message in the stream, as publishing expects it (0: none). */
  #expectedSeq = 0;
  /** The version of the newest record handed to the stream (queued or published). */
  #recorded = 0;
  /** The version of the newest record the stream holds, and that message's stream sequence. */
  #published = 0;
  #publishedSeq = 0;

  constructor(station: string, stream: ChangeStream, options: PublisherOptions) {
    this.#station = station;
    this.#stream = stream;
    this.#options = options;
  }

  /**
   * Reads where this station's stream ends, so publishing continues its chain. Returns the
   * last version it holds and the next id its station had then.
   */
  async init(): Promise<{ version: number; nextId: number }> {
    const end = await this.#stream.end();
    if (!end) throw new Error(`there is no stream ${streamName(this.#station)}`);
    this.#publishedSeq = end.lastSeq;
    this.#expectedSeq = end.last?.seq ?? 0;
    this.#published = end.last ? versionOfMessageId(end.last.msgId) : 0;
    this.#recorded = this.#published;
    return { version: this.#published, nextId: end.last?.nextId ?? 0 };
  }

  /** The version of the newest record queued for the stream. */
  get recordedVersion(): number {
    return this.#recorded;
  }

  /** The newest version the stream holds and its sequence. */
  get published(): { version: number; seq: number } {
    return { version: this.#published, seq: this.#publishedSeq };
  }

  check(origin: string): void {
    if (!origin.startsWith(REPLICA_ORIGIN_PREFIX)) this.#options.checkWritable();
  }

  record(record: LogRecord): Promise<void> | undefined {
    if (record.origin.startsWith(REPLICA_ORIGIN_PREFIX) || this.#closed) return undefined;
    const { owned, fences } = this.#options.claim(record.paths);
    let published = record;
    if (owned.some((mine) => !mine)) {
      // only a write made outside the RPC methods (a worker, the local API) can land on a path another station owns
      this.#options.log(`not replicated: a ${record.origin} write at ${record.paths[owned.indexOf(false)]}, which another station owns`);
      const ops = record.ops.filter((_, i) => owned[i]);
      if (ops.length === 0) return undefined;
      published = { ...record, ops, text: recordText(record.v, record.origin, ops) };
    }
    // wall-clock ms with the monotonic clock's fraction: replicas on this machine measure sub-ms lag
    const text = streamRecordText(published, this.#recorded, Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000, fences);
    this.#recorded = record.v;
    return new Promise<void>((resolve, reject) => {
      const due = performance.now() + (this.#options.confirmMs ?? 5000);
      this.#queue.push({ text, version: record.v, due, settled: false, resolve, reject });
      this.#sweeper ??= setInterval(() => this.#sweep(), SWEEP_MS).unref();
      if (!this.#publishing) {
        this.#publishing = true;
        // let this turn's writes join the message
        setImmediate(() => void this.#drain());
      }
    });
  }

  /** Resolves once everything queued so far is in the stream. */
  idle(): Promise<void> {
    if (!this.#publishing) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops publishing; writes not confirmed yet are refused to their callers. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const pending of [...this.#inFlight, ...this.#queue]) {
      if (pending.settled) continue;
      pending.settled = true;
      pending.reject(clusterUnavailable('the station closed before JetStream confirmed this write, which was applied on it', { version: pending.version }));
    }
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0 && !this.#closed) {
      const batch = this.#take();
      this.#inFlight = batch;
      const body = Buffer.from(batch.map((p) => p.text).join('\n'));
      const version = batch[batch.length - 1]!.version;
      const parts = splitParts(body, this.#options.maxPayload - 4096);
      for (let i = 0; i < parts.length; i++) {
        const id = parts.length === 1 ? messageId(this.#station, version) : messageId(this.#station, version, i + 1);
        await this.#publish(id, parts[i]!, parts.length === 1 ? undefined : `${i + 1}/${parts.length}`);
      }
      // #publish gives up once closed: the batch may not be in the stream, so it is not acknowledged (the sweep refuses it)
      if (this.#closed) break;
      this.#published = version;
      this.#inFlight = [];
      for (const pending of batch) {
        if (pending.settled) continue;
        pending.settled = true;
        pending.resolve();
      }
    }
    this.#publishing = false;
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  /** Tells the callers of writes JetStream has not confirmed in time; the writes stay queued. */
  #sweep(): void {
    const now = performance.now();
    const confirmMs = this.#options.confirmMs ?? 5000;
    for (const pending of [...this.#inFlight, ...this.#queue]) {
      if (pending.settled || now < pending.due) continue;
      pending.settled = true;
      pending.reject(
        clusterUnavailable(
          `the write was applied on this station but JetStream has not confirmed it within ${confirmMs} ms (NATS unreachable?); ` +
            'it stays queued and is published in order when NATS answers',
          { version: pending.version },
        ),
      );
    }
    if (this.#inFlight.length === 0 && this.#queue.length === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  /** Takes records for one message: all queued, up to about 1 MiB of them. */
  #take(): Pending[] {
    let bytes = 0;
    let count = 0;
    while (count < this.#queue.length && (count === 0 || bytes + this.#queue[count]!.text.length < 1 << 20)) {
      bytes += this.#queue[count]!.text.length;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  /** Publishes one message, retrying until the stream holds it (or this publisher is closed). */
  async #publish(id: string, data: Uint8Array, part: string | undefined): Promise<void> {
    const h = headers();
    if (part) h.set(PART_HEADER, part);
    h.set(NEXT_ID_HEADER, String(this.#options.nextId()));
    for (let attempt = 0; !this.#closed; attempt++) {
      try {
        this.#publishedSeq = this.#expectedSeq = await this.#stream.publish(data, { msgId: id, expectedSeq: this.#expectedSeq, headers: h });
        if (attempt > 0) this.#options.log(`publishing to ${streamName(this.#station)} goes on (sequence ${this.#publishedSeq})`);
        return;
      } catch (error) {
        if (attempt === 0) this.#options.log(`publishing to ${streamName(this.#station)} failed, retrying: ${(error as Error).message}`);
        // the stream may hold this very message (its ack was lost), or not be what this station last saw
        if (await this.#realign(id).catch(() => false)) return;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  /**
   * Reads where the stream ends and continues from there: true when it ends with message `id`.
   * A stream that is gone (NATS lost its store) is created again with its sequence where this
   * station last saw it, so followers resume; records acknowledged before and lost with it are
   * in every replica that applied them, and a replica that had not finds a gap and takes a snapshot.
   */
  async #realign(id?: string): Promise<boolean> {
    let end = await this.#stream.end();
    // gone, or created again empty behind where this station saw it
    if (!end || (end.lastSeq < this.#publishedSeq && !end.last)) {
      this.#options.log(`${streamName(this.#station)} is gone (NATS lost its store?): creating it again after sequence ${this.#publishedSeq}`);
      await this.#stream.recreate(this.#publishedSeq);
      end = await this.#stream.end();
      if (!end) return false;
    }
    if (id !== undefined && end.last?.msgId === id) {
      this.#publishedSeq = this.#expectedSeq = end.last.seq;
      return true;
    }
    if ((end.last?.seq ?? 0) !== this.#expectedSeq) {
      this.#options.log(`${streamName(this.#station)} ends at sequence ${end.last?.seq ?? 0}, not ${this.#expectedSeq} (purged or lost?): publishing goes on from there`);
    }
    this.#expectedSeq = end.last?.seq ?? 0;
    this.#publishedSeq = end.lastSeq;
    return false;
  }

  /** After NATS returns: makes sure the stream is there (NATS may have lost it) and publishing continues from its end. */
  async realign(): Promise<void> {
    if (!this.#closed) await this.#realign();
  }
}
