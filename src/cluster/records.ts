// What travels on a station's change stream: its write records (the store's LogRecord,
// src/store/ops.ts) with the publishing station's clock, the version of the record before
// it, and the fences an ownership transfer put on it. Records are published in batches;
// a batch too big for one NATS message is split into parts.
import { type LogRecord, recordText } from '../store/ops.js';

/** Apply this record only once `station`'s stream has been applied up to `version`. */
export interface Fence {
  station: string;
  version: number;
}

export interface StreamRecord extends LogRecord {
  /** The version of the station's previous published record: a follower that has not reached it missed one. */
  p: number;
  /** The owner's clock (ms since the epoch) when it recorded the write: replication lag is measured from it. */
  t: number;
  f?: Fence[];
}

export function streamRecordText(record: LogRecord, previous: number, time: number, fences: Fence[]): string {
  const extra = fences.length > 0 ? `,"f":${JSON.stringify(fences)}` : '';
  return `{"p":${previous},"t":${time}${extra},${recordText(record).slice(1)}`;
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
