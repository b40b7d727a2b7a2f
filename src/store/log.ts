// The write-ahead log's files. A data directory holds segments `wal-<seq>.log` and
// snapshots `snapshot-<version>.json`. A segment is a run of records, each
//
//   [u32 length][u32 ~length][u32 crc32 of the payload][payload: JSON of a LogRecord]
//
// (little-endian). The length's complement makes a damaged length detectable on its own,
// so a flipped byte anywhere is either a checksum mismatch or a bad header, never a record
// that seems to run past the end of the file. A snapshot is one header line
// {"grove":"snapshot","version","segment","bytes","crc"} and then the typed JSON of the
// whole tree; it holds every record of the segments before `segment`.
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

import { type LogRecord, recordText } from './ops.js';

export const HEADER_BYTES = 12;

export class StoreError extends Error {
  readonly code = 'STORE_FAILED';
  constructor(
    message: string,
    readonly file?: string,
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export function segmentName(seq: number): string {
  return `wal-${String(seq).padStart(10, '0')}.log`;
}

export function snapshotName(version: number): string {
  return `snapshot-${String(version).padStart(16, '0')}.json`;
}

export function encodeRecord(record: LogRecord): Buffer {
  const text = recordText(record);
  const length = Buffer.byteLength(text, 'utf8');
  const out = Buffer.allocUnsafe(HEADER_BYTES + length);
  out.write(text, HEADER_BYTES, 'utf8');
  out.writeUInt32LE(length, 0);
  out.writeUInt32LE(~length >>> 0, 4);
  out.writeUInt32LE(crc32(out.subarray(HEADER_BYTES)), 8);
  return out;
}

export interface DirListing {
  segments: number[];
  snapshots: number[];
}

export function listDir(dir: string): DirListing {
  const segments: number[] = [];
  const snapshots: number[] = [];
  for (const name of readdirSync(dir)) {
    let match = /^wal-(\d{10})\.log$/.exec(name);
    if (match) segments.push(Number(match[1]));
    match = /^snapshot-(\d{16})\.json$/.exec(name);
    if (match) snapshots.push(Number(match[1]));
  }
  segments.sort((a, b) => a - b);
  snapshots.sort((a, b) => a - b);
  return { segments, snapshots };
}

export interface SegmentRead {
  records: LogRecord[];
  /** Where the good records end. */
  end: number;
  /** Why reading stopped before the end of the file, if it did. */
  problem?: { offset: number; torn: boolean; reason: string };
}

/**
 * The records of a segment's bytes. Reading stops at the first bad record: `torn` when it
 * is what a crash in the middle of appending leaves (an incomplete header, a record running
 * past the end, a bad checksum on the very last record, or zeros to the end).
 */
export function readSegment(bytes: Buffer): SegmentRead {
  const records: LogRecord[] = [];
  let offset = 0;
  const stop = (torn: boolean, reason: string): SegmentRead => ({ records, end: offset, problem: { offset, torn, reason } });
  while (offset < bytes.length) {
    const left = bytes.length - offset;
    if (zeros(bytes, offset)) return stop(true, `zeros to the end (${left} bytes)`);
    if (left < HEADER_BYTES) return stop(true, `an incomplete record header (${left} bytes)`);
    const length = bytes.readUInt32LE(offset);
    if ((~length >>> 0) !== bytes.readUInt32LE(offset + 4)) return stop(false, 'a damaged record header');
    const end = offset + HEADER_BYTES + length;
    if (end > bytes.length) return stop(true, `a record of ${length} bytes with ${left - HEADER_BYTES} written`);
    const payload = bytes.subarray(offset + HEADER_BYTES, end);
    if (crc32(payload) !== bytes.readUInt32LE(offset + 8)) return stop(end === bytes.length, 'a record whose checksum does not match');
    let record: LogRecord;
    try {
      record = JSON.parse(payload.toString('utf8'));
    } catch {
      return stop(false, 'a record that is not JSON');
    }
    records.push(record);
    offset = end;
  }
  return { records, end: offset };
}

function zeros(bytes: Buffer, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

export interface SnapshotHeader {
  grove: 'snapshot';
  version: number;
  segment: number;
  bytes: number;
  crc: number;
}

/** A snapshot's header and body, or a StoreError saying what is wrong with it. */
export function readSnapshot(file: string): { header: SnapshotHeader; body: string } {
  const bytes = readFileSync(file);
  const newline = bytes.indexOf(10);
  let header: SnapshotHeader;
  try {
    header = JSON.parse(bytes.subarray(0, newline).toString('utf8'));
  } catch {
    throw new StoreError(`snapshot ${file} has no readable header`, file, 0);
  }
  const body = bytes.subarray(newline + 1);
  if (header.grove !== 'snapshot' || body.length !== header.bytes || crc32(body) !== header.crc) {
    throw new StoreError(`snapshot ${file} is damaged: its size or checksum does not match its header`, file, newline + 1);
  }
  return { header, body: body.toString('utf8') };
}

/** Writes a snapshot durably: a temp file, fsync, rename, fsync of the directory. */
export function snapshotBytes(version: number, segment: number, body: string): Buffer {
  const data = Buffer.from(body, 'utf8');
  const header: SnapshotHeader = { grove: 'snapshot', version, segment, bytes: data.length, crc: crc32(data) };
  return Buffer.concat([Buffer.from(JSON.stringify(header) + '\n', 'utf8'), data]);
}

export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some filesystems cannot fsync a directory; the rename is then as durable as they make it
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The lock a station (or an offline export/import) holds on a data directory: a file
 * naming its process. A lock whose process is gone (a crash) is taken over.
 */
export function lockDir(dir: string): () => void {
  const file = join(dir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return () => {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isSafeInteger(pid) && pid !== process.pid && alive(pid)) {
        throw new StoreError(`the data directory ${dir} is in use by process ${pid} (its LOCK file); stop that station first`, file);
      }
      unlinkSync(file);
    }
  }
  throw new StoreError(`cannot lock the data directory ${dir}`, file);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // a killed process no one has reaped yet (a zombie) holds nothing
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return true;
    }
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
