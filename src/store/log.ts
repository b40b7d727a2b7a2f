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
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
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
  /**
   * Why reading stopped before the end of the file, if it did. `torn` when no good record
   * follows: what a crash leaves (an incomplete header, a record running past the end,
   * preallocated zeros, half-written garbage); otherwise the damage is in the middle.
   */
  problem?: { offset: number; torn: boolean; reason: string };
}

/**
 * The records of a segment's bytes. Reading stops at the first bad record; it is a torn
 * tail when no good record (a consistent header and a matching checksum) starts anywhere
 * after it, and damage in the middle when one does.
 */
export function readSegment(bytes: Buffer): SegmentRead {
  const records: SegmentRead['records'] = [];
  let offset = 0;
  const stop = (reason: string): SegmentRead => ({
    records,
    end: offset,
    problem: { offset, torn: !recordAfter(bytes, offset + 1), reason },
  });
  while (offset < bytes.length) {
    const left = bytes.length - offset;
    if (zeros(bytes, offset)) return stop(`zeros to the end (${left} bytes)`);
    if (left < HEADER_BYTES) return stop(`an incomplete record header (${left} bytes)`);
    const length = bytes.readUInt32LE(offset);
    if ((~length >>> 0) !== bytes.readUInt32LE(offset + 4)) return stop('a damaged record header');
    const end = offset + HEADER_BYTES + length;
    if (end > bytes.length) return stop(`a record of ${length} bytes with ${left - HEADER_BYTES} written`);
    const payload = bytes.subarray(offset + HEADER_BYTES, end);
    if (crc32(payload) !== bytes.readUInt32LE(offset + 8)) return stop('a record whose checksum does not match');
    records.push({ payload, offset });
    offset = end;
  }
  return { records, end: offset };
}

/** Whether a good record starts anywhere at or after `from` (only damage found on the way is then in the middle). */
function recordAfter(bytes: Buffer, from: number): boolean {
  for (let at = from; at + HEADER_BYTES <= bytes.length; at++) {
    const length = bytes.readUInt32LE(at);
    if ((~length >>> 0) !== bytes.readUInt32LE(at + 4) || length === 0) continue;
    const end = at + HEADER_BYTES + length;
    if (end <= bytes.length && crc32(bytes.subarray(at + HEADER_BYTES, end)) === bytes.readUInt32LE(at + 8)) return true;
  }
  return false;
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
  const header = snapshotHeaderOf(file, bytes.subarray(0, newline));
  const body = bytes.subarray(newline + 1);
  checkSnapshotBody(file, header, newline + 1, body.length, crc32(body));
  return { header, body };
}

function snapshotHeaderOf(file: string, line: Buffer): SnapshotHeader {
  try {
    return JSON.parse(line.toString('utf8'));
  } catch {
    throw new StoreError(`snapshot ${file} has no readable header`, file, 0);
  }
}

/** Refuses a snapshot whose body (from `offset`, `bytes` long, checksum `crc`) is not what its header says. */
function checkSnapshotBody(file: string, header: SnapshotHeader, offset: number, bytes: number, crc: number): void {
  if (header.grove !== 'snapshot' || bytes !== header.bytes || crc !== header.crc) {
    throw new StoreError(`snapshot ${file} is damaged: its size or checksum does not match its header`, file, offset);
  }
}

/** Only a snapshot's header line (what its body needs from the log), without reading the body. */
export function readSnapshotHeader(file: string): SnapshotHeader | undefined {
  const fd = openSync(file, 'r');
  try {
    const start = Buffer.alloc(4096);
    const line = start.subarray(0, readSync(fd, start, 0, start.length, 0)).toString('utf8').split('\n', 1)[0]!;
    return JSON.parse(line) as SnapshotHeader;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** UTF-16 units of a snapshot body encoded (and checksummed) per turn of the event loop, about 4 ms. */
const SLICE_UNITS = 2 ** 22;
/** Bytes of a snapshot file read back per read. */
const READ_BYTES = 2 ** 22;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A snapshot file's bytes, its header line and then the body, as buffers to write in
 * order: encoded and checksummed a slice per turn of the event loop, so a 60 MB body does
 * not hold other clients for the 100 ms one Buffer.from and crc32 of it take.
 */
export async function snapshotBuffers(version: number, nextId: number, segment: number, body: string): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let crc = 0;
  for (let start = 0; start < body.length; ) {
    let end = Math.min(start + SLICE_UNITS, body.length);
    // a surrogate pair stays in one slice: each half alone would encode as U+FFFD
    if (end < body.length && isHighSurrogate(body.charCodeAt(end - 1))) end--;
    const chunk = Buffer.from(body.slice(start, end), 'utf8');
    chunks.push(chunk);
    bytes += chunk.length;
    crc = crc32(chunk, crc);
    start = end;
    if (start < body.length) await nextTurn();
  }
  const header: SnapshotHeader = { grove: 'snapshot', format: FORMAT, version, nextId, segment, bytes, crc };
  return [Buffer.from(JSON.stringify(header) + '\n', 'utf8'), ...chunks];
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;

/** Reads a snapshot file back in pieces and checks its size and checksum against its header, as readSnapshot does, without holding the event loop. */
export async function verifySnapshot(file: string): Promise<SnapshotHeader> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(READ_BYTES);
    let { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const newline = buffer.subarray(0, bytesRead).indexOf(10);
    const header = snapshotHeaderOf(file, buffer.subarray(0, newline));
    let crc = crc32(buffer.subarray(newline + 1, bytesRead));
    let bytes = bytesRead - newline - 1;
    for (let position = bytesRead; bytesRead > 0; position += bytesRead) {
      ({ bytesRead } = await handle.read(buffer, 0, buffer.length, position));
      crc = crc32(buffer.subarray(0, bytesRead), crc);
      bytes += bytesRead;
    }
    checkSnapshotBody(file, header, newline + 1, bytes, crc);
    return header;
  } finally {
    await handle.close();
  }
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
 * The lock a station (or an offline export/import) holds on a data directory. It is a
 * generation of files `LOCK.<n>`, each naming the process that created it; the holder is
 * the creator of the newest. A generation is created exclusively (a hard link of a file
 * already holding the pid, so no one ever reads it half-written), and the next one only
 * once the newest's process is gone: of several processes finding a dead holder's lock at
 * once, exactly one creates the next generation, and the others then find it held. No
 * lock is ever removed by anyone but its holder, except generations older than one just
 * created (their holders are gone), so a stale lock is taken over without a race.
 */
export function lockDir(dir: string): () => void {
  for (let attempt = 0; attempt < 100; attempt++) {
    const newest = lockGenerations(dir).at(-1);
    if (newest !== undefined) {
      const pid = lockHolder(dir, newest);
      // gone since it was listed: look again
      if (pid === null) continue;
      if (pid !== undefined && pid !== process.pid && alive(pid)) {
        throw new StoreError(`the data directory ${dir} is in use by process ${pid} (its LOCK file); stop that station first`, join(dir, lockName(newest)));
      }
    }
    const generation = (newest ?? 0) + 1;
    const file = join(dir, lockName(generation));
    const temp = join(dir, `LOCK.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    writeFileSync(temp, `${process.pid}\n`);
    try {
      linkSync(temp, file);
    } catch (error) {
      // another process took this generation first: see who holds it
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    } finally {
      unlinkSync(temp);
    }
    const generations = lockGenerations(dir);
    // one who listed before a newer generation was made and paused until older ones were
    // removed may make an old one again: the newest wins, and this one steps back
    if (generations.at(-1)! > generation) {
      removeFile(file);
      continue;
    }
    for (const older of generations) if (older < generation) removeFile(join(dir, lockName(older)));
    return () => removeFile(file);
  }
  throw new StoreError(`cannot lock the data directory ${dir}: other processes keep taking and releasing it`, join(dir, 'LOCK'));
}

/** `LOCK` itself (what earlier Grove wrote) is generation 0. */
function lockName(generation: number): string {
  return generation === 0 ? 'LOCK' : `LOCK.${generation}`;
}

function lockGenerations(dir: string): number[] {
  const generations: number[] = [];
  for (const name of readdirSync(dir)) {
    const match = /^LOCK(?:\.(\d+))?$/.exec(name);
    if (match) generations.push(match[1] === undefined ? 0 : Number(match[1]));
  }
  return generations.sort((a, b) => a - b);
}

/** The pid a lock file names: null when the file is gone, undefined when it names none. */
function lockHolder(dir: string, generation: number): number | null | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(dir, lockName(generation)), 'utf8'), 10);
    return Number.isSafeInteger(pid) ? pid : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
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
