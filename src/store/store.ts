// The embedded durable store: a write-ahead log with group commit, snapshots, recovery.
// See README "Store" for the design; src/store/log.ts for the files.
import { closeSync, fdatasync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, unlinkSync, writeFileSync, writev } from 'node:fs';
import { join } from 'node:path';

import { GroveError } from '../errors.js';
import type { Tree } from '../tree.js';
import {
  type DirMeta,
  encodeRecord,
  FORMAT,
  fsyncDir,
  listDir,
  lockDir,
  readMeta,
  readSegment,
  readSnapshot,
  readSnapshotHeader,
  segmentName,
  type SnapshotHeader,
  snapshotName,
  StoreError,
  writeMeta,
} from './log.js';
import { checkpoint } from './checkpoint.js';
import type { LogRecord } from './records.js';

export { StoreError } from './log.js';

export type FsyncPolicy = 'always' | 'batch' | 'off';

export interface StoreOptions {
  /** always: each record its own write and fsync; batch (default): concurrent records share one; off: no fsync. */
  fsync?: FsyncPolicy;
  /** Start even when a log record in the middle is bad, keeping everything before it. */
  repair?: boolean;
  /** Log bytes after which a snapshot is taken in the background (default 64 MiB). */
  snapshotBytes?: number;
  /** Where log lines go (default stderr). */
  log?: (line: string) => void;
  /** Tests: called before each write and fsync of the log; throwing fails it like the disk would. */
  inject?: (phase: 'write' | 'fsync') => void;
}

export interface RecoveryInfo {
  version: number;
  snapshot?: number;
  records: number;
  ms: number;
  empty: boolean;
}

interface Segment {
  seq: number;
  fd: number;
  /** Bytes of this segment known durable. */
  durable: number;
}

interface Pending {
  segment: Segment;
  bytes: Buffer;
  resolve(): void;
  reject(error: Error): void;
}

/** How long a failed store waits before it tries the disk again. */
const PROBE_MS = 1000;

export class Store {
  readonly dir: string;
  readonly #options: Required<Omit<StoreOptions, 'inject'>> & Pick<StoreOptions, 'inject'>;
  #unlock: () => void;
  #segment: Segment | undefined;
  #queue: Pending[] = [];
  #writing = false;
  #failed: StoreError | undefined;
  #failedAt = 0;
  #sinceSnapshot = 0;
  #snapshotting: Promise<void> | undefined;
  #closed = false;
  #suspended = 0;
  #idleWaiters: (() => void)[] = [];
  /** Where the durable log ended when writes failed: the reload reads no further. */
  #failedLimit: { seq: number; end: number } | undefined;
  /** Called after a failed write's effects must be undone: the station reloads the tree. */
  onFailure?: (error: StoreError) => void;
  /** Called after each batch is durable (metrics): its records and bytes, and the fdatasync's time (none with fsync off). */
  onBatch?: (batch: { records: number; bytes: number; syncSeconds?: number }) => void;

  private constructor(dir: string, options: StoreOptions) {
    this.dir = dir;
    this.#options = {
      fsync: options.fsync ?? 'batch',
      repair: options.repair ?? false,
      snapshotBytes: options.snapshotBytes ?? 64 * 2 ** 20,
      log: options.log ?? ((line) => process.stderr.write(`grove store: ${line}\n`)),
      inject: options.inject,
    };
    mkdirSync(dir, { recursive: true });
    try {
      this.#unlock = lockDir(dir);
    } catch (error) {
      // a directory no one can write (read-only, no permission) needs no lock: the station
      // serves what it holds, and writes are refused until the disk takes them (see check())
      if (!unwritable(error)) throw error;
      this.#unlock = () => {};
      this.#readOnly = failure(error, dir);
    }
    try {
      this.#meta = readMeta(dir);
    } catch (error) {
      if (!unwritable(error)) {
        this.#unlock();
        throw error;
      }
      this.#meta = { format: FORMAT };
    }
  }

  #readOnly: StoreError | undefined;
  #meta: DirMeta;

  /** The station that keeps its tree here, as grove.json says: its id and, in a cluster, its id range. */
  get station(): DirMeta['station'] {
    return this.#meta.station;
  }

  /** Records the station's id and id range in grove.json (durably), so that a restart keeps them. */
  setStation(station: NonNullable<DirMeta['station']>): void {
    this.#meta = { ...this.#meta, station };
    writeMeta(this.dir, this.#meta);
  }

  /** Opens (creating) a data directory and rebuilds its tree into `tree`, which should be empty. */
  static open(dir: string, tree: Tree, options: StoreOptions = {}): { store: Store; recovery: RecoveryInfo } {
    const store = new Store(dir, options);
    try {
      const recovery = store.#recover(tree);
      return { store, recovery };
    } catch (error) {
      store.#unlock();
      throw error;
    }
  }

  /** The policy in force. */
  get fsync(): FsyncPolicy {
    return this.#options.fsync;
  }

  /** Why writes fail, while the disk is failing. */
  get failure(): StoreError | undefined {
    return this.#failed;
  }

  #recover(tree: Tree): RecoveryInfo {
    const started = performance.now();
    // ids of this station's range that the log gave out move the counter past them
    tree.idRange = this.#meta.station?.idRange ?? 0;
    const state = readState(this.dir, tree, this.#options.repair, this.#options.log);
    tree.advanceVersion(state.version);
    // recovery's own changes are not news
    tree.takeChanges();
    // appends go on in the last segment (a torn tail cut off), or in a new one after a repair
    const seq = state.reuse?.seq ?? state.nextSegment;
    try {
      if (this.#readOnly) throw this.#readOnly;
      this.#segment = { ...this.#openSegment(seq), durable: state.reuse?.end ?? 0 };
    } catch (error) {
      if (!(unwritable(error) || error === this.#readOnly)) throw error;
      this.#segment = { seq, fd: -1, durable: state.reuse?.end ?? 0 };
      this.#failed = failure(error, this.dir);
      this.#failedAt = Date.now();
      this.#options.log(`${this.dir} cannot be written: serving what it holds; writes are refused until it can (${this.#failed.message})`);
    }
    this.#sinceSnapshot = state.logBytes;
    return {
      version: tree.version,
      snapshot: state.snapshot,
      records: state.records,
      ms: performance.now() - started,
      empty: state.snapshot === undefined && state.records === 0,
    };
  }

  #openSegment(seq: number): Segment {
    const fd = openSync(join(this.dir, segmentName(seq)), 'a');
    fsyncDir(this.dir);
    return { seq, fd, durable: 0 };
  }

  /**
   * Throws when writes cannot be made durable now (the disk failed and still fails, or the
   * store is closed); otherwise a write may go ahead. Tries the disk again once a second.
   */
  check(): void {
    if (this.#closed) throw new StoreError('the store is closed');
    if (this.#failed === undefined) return;
    if (Date.now() - this.#failedAt < PROBE_MS || this.#writing) throw this.#failed;
    try {
      this.#probe();
      this.#options.log(`the disk works again: writes resume (${this.dir})`);
      this.#failed = undefined;
    } catch (error) {
      this.#failedAt = Date.now();
      this.#failed = failure(error, this.dir);
      throw this.#failed;
    }
  }

  /** Cuts the current segment back to its durable end and proves a write and fsync work. */
  #probe(): void {
    const segment = this.#segment!;
    this.#options.inject?.('write');
    if (segment.fd < 0) {
      // started on a directory that could not be written: take it now
      if (this.#readOnly) {
        this.#unlock = lockDir(this.dir);
        this.#readOnly = undefined;
      }
      segment.fd = this.#openSegment(segment.seq).fd;
    }
    ftruncateSync(segment.fd, segment.durable);
    const file = join(this.dir, 'probe.tmp');
    writeFileSync(file, 'probe');
    const fd = openSync(file, 'r+');
    try {
      this.#options.inject?.('fsync');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      unlinkSync(file);
    }
    fsyncSync(segment.fd);
  }

  /**
   * Logs one write call's record (store/records.ts); resolves when it is durable (per the
   * fsync policy), rejects with a StoreError when it cannot be.
   */
  record(record: LogRecord): Promise<void> | undefined {
    if (this.#suspended > 0) return undefined;
    if (this.#failed || this.#closed) return Promise.reject(this.#failed ?? new StoreError('the store is closed'));
    const bytes = encodeRecord(record);
    this.#sinceSnapshot += bytes.length;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ segment: this.#segment!, bytes, resolve, reject });
      if (!this.#writing) {
        this.#writing = true;
        // let the writes of this turn of the event loop join the batch
        setImmediate(() => this.#drain());
      }
    });
  }

  /** Runs `fn` with recording off: its changes are not logged (a reload to the disk's state). */
  suspended<T>(fn: () => T): T {
    this.#suspended++;
    try {
      return fn();
    } finally {
      this.#suspended--;
    }
  }

  /** Whether enough log has been written since the last snapshot that one is due. */
  get snapshotDue(): boolean {
    return this.#sinceSnapshot >= this.#options.snapshotBytes && this.#snapshotting === undefined && this.#failed === undefined;
  }

  #drain(): void {
    const queue = this.#queue;
    if (queue.length === 0 || this.#failed) {
      this.#writing = false;
      for (const wake of this.#idleWaiters.splice(0)) wake();
      return;
    }
    const segment = queue[0]!.segment;
    let count = 1;
    if (this.#options.fsync !== 'always') while (count < queue.length && queue[count]!.segment === segment) count++;
    const batch = queue.splice(0, count);
    const buffers = batch.map((p) => p.bytes);
    const total = buffers.reduce((n, b) => n + b.length, 0);
    const fail = (error: unknown) => {
      const failed = failure(error, this.dir);
      this.#failed = failed;
      this.#failedLimit = { seq: segment.seq, end: segment.durable };
      this.#failedAt = Date.now();
      this.#options.log(`writes fail: ${failed.message}`);
      // nothing after the failed batch can be durable before it: all of it fails
      const rejected = [...batch, ...this.#queue.splice(0)];
      for (const pending of rejected) pending.reject(failed);
      this.#writing = false;
      for (const wake of this.#idleWaiters.splice(0)) wake();
      this.onFailure?.(failed);
    };
    try {
      this.#options.inject?.('write');
    } catch (error) {
      fail(error);
      return;
    }
    writev(segment.fd, buffers, (error, written) => {
      if (error || written !== total) {
        return fail(error ?? Object.assign(new Error(`a short write (${written} of ${total} bytes)`), { code: 'ENOSPC' }));
      }
      const done = (syncSeconds?: number) => {
        segment.durable += total;
        for (const pending of batch) pending.resolve();
        if (this.#segment !== segment && !this.#queue.some((p) => p.segment === segment)) closeSync(segment.fd);
        this.onBatch?.({ records: batch.length, bytes: total, syncSeconds });
        this.#drain();
      };
      if (this.#options.fsync === 'off') return done();
      try {
        this.#options.inject?.('fsync');
      } catch (error) {
        return fail(error);
      }
      const syncStarted = performance.now();
      fdatasync(segment.fd, (syncError) => (syncError ? fail(syncError) : done((performance.now() - syncStarted) / 1000)));
    });
  }

  /** Resolves when everything recorded so far has been written (or has failed). */
  #idle(): Promise<void> {
    if (!this.#writing) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Takes a snapshot: `flush` hands record() the records of every change not yet logged
   * (the change hub's flush), then a new segment is started, and, while writes go on into
   * it, the older segments are awaited and a worker thread rebuilds the tree they hold in
   * a tree of its own, as a restart would, and writes it as the snapshot (fsynced, renamed,
   * read back: src/store/checkpoint.ts); then the segments and snapshots it covers go. The
   * station's tree is not read, so no part of it holds the event loop.
   */
  snapshot(flush: () => void = () => {}): Promise<void> {
    if (this.#snapshotting) return this.#snapshotting;
    if (this.#failed || this.#closed) return Promise.reject(this.#failed ?? new StoreError('the store is closed'));
    flush();
    const next = this.#openSegment(this.#segment!.seq + 1);
    const old = this.#segment!;
    this.#segment = next;
    this.#sinceSnapshot = 0;
    if (!this.#writing && !this.#queue.some((p) => p.segment === old)) closeSync(old.fd);
    const run = async () => {
      await this.#idle();
      if (this.#failed) throw this.#failed;
      const job = { dir: this.dir, limit: { seq: old.seq, end: old.durable }, idRange: this.#meta.station?.idRange ?? 0, segment: next.seq };
      const version = await checkpoint(job, this.#options.log);
      if (version === undefined) return;
      // the one before it stays, with the segments it needs, so that a damaged newest has one to fall back to
      const { segments, snapshots } = listDir(this.dir);
      const previous = snapshots.filter((v) => v < version).at(-1);
      if (previous === undefined) return;
      // a header that cannot be read keeps every segment: the log then still holds the tree
      const needed = readSnapshotHeader(join(this.dir, snapshotName(previous)))?.segment ?? 0;
      for (const seq of segments) if (seq < needed) unlinkSync(join(this.dir, segmentName(seq)));
      for (const v of snapshots) if (v < previous) unlinkSync(join(this.dir, snapshotName(v)));
    };
    this.#snapshotting = run().finally(() => {
      this.#snapshotting = undefined;
    });
    return this.#snapshotting;
  }

  /**
   * The tree as the disk holds it (snapshot plus durable log), rebuilt in `scratch`: what a
   * station reloads after a failed write so that nothing not durable stays visible.
   */
  durableState(scratch: Tree): void {
    const segment = this.#segment!;
    readState(this.dir, scratch, true, () => {}, this.#failedLimit ?? { seq: segment.seq, end: segment.durable });
  }

  /** Waits for pending records and a snapshot in progress, then lets go of the directory. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#idle();
    await this.#snapshotting?.catch(() => {});
    this.#closed = true;
    try {
      closeSync(this.#segment!.fd);
    } catch {
      // already closed
    }
    this.#unlock();
  }
}

function unwritable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
}

function failure(error: unknown, dir: string): StoreError {
  if (error instanceof StoreError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  const why =
    code === 'ENOSPC'
      ? `the disk is full (${(error as Error).message})`
      : code === 'EROFS'
        ? 'the file system is read-only'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : (error as Error)?.message ?? String(error);
  return new StoreError(`the write could not be made durable in ${dir}: ${why}; reads go on, writes are refused until the disk works again`);
}

interface State {
  version: number;
  snapshot?: number;
  records: number;
  nextSegment: number;
  logBytes: number;
  /** The last segment, when appends may go on in it. */
  reuse?: { seq: number; end: number };
}

/**
 * Rebuilds the tree a data directory holds into `tree`: the newest snapshot (a damaged one
 * is set aside, `.damaged`, with a log line, and the one before it taken, or the log from
 * its start), then every record after it. A torn tail (no good record after the bad one,
 * in its segment or any later one: what a crash leaves) is dropped and cut off the files,
 * with a log line; a bad record with good ones after it throws naming the file and offset,
 * unless `repair`, which keeps what precedes it and removes the rest. `limit` stops at a
 * segment's offset.
 */
export function readState(
  dir: string,
  tree: Tree,
  repair: boolean,
  log: (line: string) => void,
  limit?: { seq: number; end: number },
): State {
  const { segments, snapshots } = listDir(dir);
  const loaded = loadNewestSnapshot(dir, tree, snapshots, segments, log);
  let version = loaded?.version ?? 0;
  const firstSegment = loaded?.segment ?? 1;
  const snapshot = loaded?.version;
  let records = 0;
  let logBytes = 0;
  let next = Math.max(firstSegment, (segments.at(-1) ?? 0) + 1);
  let reuse: { seq: number; end: number } | undefined;
  const live = segments.filter((seq) => seq >= firstSegment && (limit === undefined || seq <= limit.seq));
  const read = (seq: number) => {
    const bytes = readFileSync(join(dir, segmentName(seq)));
    return readSegment(limit && seq === limit.seq ? bytes.subarray(0, limit.end) : bytes);
  };
  for (let i = 0; i < live.length; i++) {
    const seq = live[i]!;
    const file = join(dir, segmentName(seq));
    const segment = read(seq);
    for (const { payload, offset } of segment.records) {
      let v: number;
      try {
        // ops the snapshot holds already are skipped: it holds every op up to its version
        v = tree.applyRecord(payload, { after: snapshot ?? 0 });
      } catch (error) {
        if (!(error instanceof GroveError)) throw error;
        const why = `${file} at offset ${offset} holds a record that cannot be replayed (${error.message})`;
        if (!repair) {
          throw new StoreError(
            `the log cannot be replayed: ${why}. Its checksum is good, so this is a bug in Grove, not damage: keep the ` +
              'directory for a report. Start with --repair to keep everything before that record and drop the rest (back up the directory first)',
            file,
            offset,
          );
        }
        // the record may have applied in part: read the directory again, up to it
        log(`repair: ${why}; keeping the ${records} records before it, dropping the rest`);
        truncateSync(file, offset);
        for (const later of live.slice(i + 1)) renameSync(join(dir, segmentName(later)), join(dir, `${segmentName(later)}.dropped`));
        clearTree(tree);
        return readState(dir, tree, repair, log, limit);
      }
      version = Math.max(version, v);
      records++;
    }
    logBytes += segment.end;
    if (i === live.length - 1) reuse = { seq, end: segment.end };
    if (segment.problem === undefined || limit) continue;
    const { offset, torn, reason } = segment.problem;
    const later = live.slice(i + 1);
    // a crash at a segment switch leaves the older one torn and the newer ones empty (or zeros)
    if (torn && later.every((seq) => read(seq).records.length === 0)) {
      log(`dropped a torn last record in ${file} at offset ${offset} (${reason}): a crash in the middle of a write`);
      try {
        truncateSync(file, offset);
        for (const empty of later) truncateSync(join(dir, segmentName(empty)), 0);
      } catch (error) {
        if (!unwritable(error)) throw error;
      }
      reuse = later.length === 0 ? reuse : { seq: later.at(-1)!, end: 0 };
      break;
    }
    if (!repair) {
      throw new StoreError(
        `the log is damaged: ${file} at offset ${offset} has ${reason}; nothing after it was read. ` +
          'Start with --repair to keep everything before that point and drop the rest (back up the directory first)',
        file,
        offset,
      );
    }
    log(`repair: ${file} at offset ${offset} has ${reason}; keeping the ${records} records before it, dropping the rest`);
    truncateSync(file, offset);
    for (const dropped of later) renameSync(join(dir, segmentName(dropped)), join(dir, `${segmentName(dropped)}.dropped`));
    next = seq + 1;
    reuse = undefined;
    break;
  }
  return { version, snapshot, records, nextSegment: next, logBytes, reuse };
}

/**
 * Loads the newest snapshot that is whole into `tree` and returns its header, or undefined
 * when the log alone holds the tree. A damaged one is renamed `.damaged` (so that it is
 * never taken for the one to fall back to) and the one before it taken, as long as the
 * segments that one needs are still there; else the start stops, naming the damaged file.
 */
function loadNewestSnapshot(dir: string, tree: Tree, snapshots: number[], segments: number[], log: (line: string) => void): SnapshotHeader | undefined {
  let damaged: StoreError | undefined;
  for (let i = snapshots.length - 1; i >= -1; i--) {
    const header = i >= 0 ? loadSnapshot(dir, tree, snapshots[i]!) : undefined;
    if (header instanceof StoreError) {
      damaged ??= header;
      clearTree(tree);
      continue;
    }
    if (damaged === undefined) return header;
    // the log this one needs must be whole from its first segment on
    const needed = header?.segment ?? 1;
    if (segments.length > 0 && segments[0]! > needed) {
      throw new StoreError(
        `${damaged.message}, and the log the snapshot before it would be rebuilt from (from ${segmentName(needed)} on) is gone`,
        damaged.file,
        damaged.offset,
      );
    }
    if (header === undefined && segments.length === 0) break;
    log(`${damaged.message}: set aside as .damaged; rebuilding from ${header ? snapshotName(header.version) : 'the log from its start'} and the log after it`);
    for (const v of snapshots.slice(i + 1)) {
      try {
        renameSync(join(dir, snapshotName(v)), join(dir, `${snapshotName(v)}.damaged`));
      } catch (error) {
        if (!unwritable(error)) throw error;
      }
    }
    return header;
  }
  throw damaged!;
}

/** A snapshot loaded into `tree`, or the StoreError saying why it cannot be. */
function loadSnapshot(dir: string, tree: Tree, version: number): SnapshotHeader | StoreError {
  const file = join(dir, snapshotName(version));
  try {
    const { header, body } = readSnapshot(file);
    try {
      tree.loadSnapshot(body);
    } catch (error) {
      throw new StoreError(`snapshot ${file} cannot be loaded: ${(error as Error).message}`, file);
    }
    tree.advanceIds(header.nextId);
    tree.advanceVersion(header.version);
    return header;
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
}

function clearTree(tree: Tree): void {
  for (const child of tree.root.children()) {
    tree.root.remove(child);
    child.release();
  }
}
