// What travels on a station's change stream: its write records (the store's LogRecord,
// src/store/records.ts: ops by node id) with the publishing station's clock, the version of
// the record before it, and the fences an ownership transfer put on it. Records are
// published in batches, one record per line; a batch too big for one NATS message is
// split into parts.
import type { LogRecord } from '../store/records.js';

/** Apply this record only once `station`'s stream has been applied up to `version`. */
export interface Fence {
  station: string;
  version: number;
}

/** A stream record's members besides the record's own ({"v","origin","ops"}). */
export interface StreamRecord {
  /** The version of the record. */
  v: number;
  /** The version of the station's previous published record: a follower that has not reached it missed one. */
  p: number;
  /** The owner's clock (ms since the epoch) when it recorded the write: replication lag is measured from it. */
  t: number;
  f?: Fence[];
}

/** A record as its stream carries it: the record's JSON with the stream's members in front. */
export function streamRecordText(record: Pick<LogRecord, 'text'>, previous: number, time: number, fences: Fence[]): string {
  const extra = fences.length > 0 ? `,"f":${JSON.stringify(fences)}` : '';
  return `{"p":${previous},"t":${time}${extra},${record.text.slice(1)}`;
}

/** A batch's records, one per line, each with its text (what Tree.applyRecord takes). */
export function batchRecords(batch: string): { text: string; record: StreamRecord }[] {
  if (batch.startsWith('[')) {
    throw new Error('the stream holds records of an earlier Grove (by path, not by id): empty JetStream (or delete the GROVE_* streams) before running this version');
  }
  return batch.split('\n').map((text) => ({ text, record: JSON.parse(text) as StreamRecord }));
}

/** The header naming a message's part of a batch, as "index/count" (absent when it is whole). */
export const PART_HEADER = 'Grove-Part';

/** Message ids: "<station>.<last version of the batch>" and ".<part>" for parts; the version can be read back. */
export function messageId(station: string, version: number, part?: number): string {
  return part === undefined ? `${station}.${version}` : `${station}.${version}.${part}`;
}

export function versionOfMessageId(id: string): number {
  return Number(id.split('.')[1] ?? 0);
}

/** Splits a batch's bytes into parts of at most `size` bytes. */
export function splitParts(bytes: Uint8Array, size: number): Uint8Array[] {
  if (bytes.length <= size) return [bytes];
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
  return parts;
}

/** Joins parts back in arrival order; a stream delivers a batch's parts one after another. */
export class PartAssembler {
  #parts: Uint8Array[] = [];

  /** The whole batch once its last part arrives, else undefined. */
  add(data: Uint8Array, part: string | undefined): Uint8Array | undefined {
    if (part === undefined) {
      this.#parts = [];
      return data;
    }
    const [index, count] = part.split('/').map(Number) as [number, number];
    if (index === 1) this.#parts = [];
    this.#parts.push(data);
    if (index < count) return undefined;
    const whole = Buffer.concat(this.#parts);
    this.#parts = [];
    return whole;
  }
}
