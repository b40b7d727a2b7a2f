// The write-ahead log's files. A data directory holds `grove.json` (the format and the
// station's identity), segments `wal-<seq>.log` and snapshots `snapshot-<version>.json`.
// A segment is a run of records, each
//
//   [u32 length][u32 ~length][u32 crc32 of the payload][payload: a record's JSON, store/records.ts]
//
// (little-endian). The length's complement makes a damaged length detectable on its own,
// so a flipped byte anywhere is either a checksum mismatch or a bad header, never a record
// that seems to run past the end of the file. A snapshot is one header line
// {"grove":"snapshot","format","version","nextId","segment","bytes","crc"} and then the
// tree with every node's id and version (include/grove/record.h); it holds every record of
// the segments before `segment`.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

import type { LogRecord } from './records.js';

/**
 * The data directory format: 2 since nodes keep their ids (records by id, snapshots with
 * ids and versions). Format 1 (records by path) is refused with how to move its tree over.
 */
export const FORMAT = 2;

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
  const { text } = record;
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
  /** The payload of each good record (a record's JSON), and where it starts. */
  records: { payload: Buffer; offset: number }[];
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
  const records: SegmentRead['records'] = [];
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
    records.push({ payload, offset });
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
  format: number;
  version: number;
  /** The tree's next id when it was taken: ids of nodes removed before it are never given again. */
  nextId: number;
  segment: number;
  bytes: number;
  crc: number;
}

/** A snapshot's header and body, or a StoreError saying what is wrong with it. */
export function readSnapshot(file: string): { header: SnapshotHeader; body: Buffer } {
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
  return { header, body };
}

/** A snapshot file's bytes: its header line, then the body. */
export function snapshotBytes(version: number, nextId: number, segment: number, body: string): Buffer {
  const data = Buffer.from(body, 'utf8');
  const header: SnapshotHeader = { grove: 'snapshot', format: FORMAT, version, nextId, segment, bytes: data.length, crc: crc32(data) };
  return Buffer.concat([Buffer.from(JSON.stringify(header) + '\n', 'utf8'), data]);
}

/** What `grove.json` says of a data directory. */
export interface DirMeta {
  format: number;
  /** The station that keeps its tree here: its id, and its id range in a cluster (src/store/meta). */
  station?: { id: string; idRange?: number };
}

const META = 'grove.json';

/**
 * The directory's `grove.json`, created for a new directory. A directory of format 1 (it
 * has a log or snapshots and no grove.json) is refused, saying how to move its tree over.
 */
export function readMeta(dir: string): DirMeta {
  const file = join(dir, META);
  if (!existsSync(file)) {
    const { segments, snapshots } = listDir(dir);
    if (segments.length > 0 || snapshots.length > 0) {
      throw new StoreError(
        `the data directory ${dir} was written by an earlier Grove (format 1: its log finds nodes by path, this one by id). ` +
          `Move its tree over with the Grove that wrote it: \`grove export --data ${dir} "" --format typed --out tree.json\`, ` +
          `then with this one: \`grove import --data NEW_DIR "" tree.json --format typed\`, and start on NEW_DIR`,
        file,
      );
    }
    const meta: DirMeta = { format: FORMAT };
    writeMeta(dir, meta);
    return meta;
  }
  let meta: DirMeta;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new StoreError(`${file} is not readable JSON: it says which format the directory holds`, file);
  }
  if (meta.format !== FORMAT) {
    throw new StoreError(
      `the data directory ${dir} holds format ${meta.format}, and this Grove reads format ${FORMAT}` +
        (meta.format > FORMAT ? ': start it with the newer Grove that wrote it' : ''),
      file,
    );
  }
  return meta;
}

/** Writes `grove.json` durably (a temp file, fsync, rename, fsync of the directory). */
export function writeMeta(dir: string, meta: DirMeta): void {
  const temp = join(dir, `${META}.tmp`);
  const fd = openSync(temp, 'w');
  try {
    writeFileSync(fd, JSON.stringify(meta, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, join(dir, META));
  fsyncDir(dir);
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
