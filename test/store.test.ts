// The embedded store (README "Store"): a station keeps its tree in a data directory across
// restarts; damage to the log is dropped (a torn tail) or refused (in the middle) unless
// repaired; a failing disk refuses writes while reads go on, and undoes what was not durable.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import type { Station, StationOptions } from '../src/station/server.js';
import { listDir, segmentName } from '../src/store/log.js';
import { httpCaller, openStation, resultOf } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const dirs: string[] = [];
const stations: Station[] = [];
afterEach(async () => {
  for (const station of stations.splice(0)) await station.close().catch(() => {});
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'grove-store-'));
  dirs.push(dir);
  return dir;
}

async function open(data: string, options: StationOptions = {}): Promise<{ station: Station; call: (m: string, p?: unknown) => Promise<any> }> {
  const station = await openStation({ data, rateLimit: false, ...options });
  stations.push(station);
  const caller = httpCaller(station.url);
  return { station, call: async (method, params) => caller(method, params) };
}

async function close(station: Station): Promise<void> {
  stations.splice(stations.indexOf(station), 1);
  await station.close();
}

const lines: string[] = [];
const log = (line: string) => lines.push(line);

describe('store: restarts', () => {
  it('keeps every kind of write across a restart, with versions that only go up', async () => {
    const data = dataDir();
    let { station, call } = await open(data);
    resultOf(await call('tree.set', { path: 'a/n', value: 5, type: 'u8' }));
    resultOf(await call('tree.set', { path: 'a/s', value: 'hello' }));
    resultOf(await call('tree.set', { path: 'list', value: [] }));
    for (const score of [3, 1, 2]) resultOf(await call('tree.add', { path: 'list', value: { score } }));
    resultOf(await call('tree.sort', { path: 'list', member: 'score', descending: true }));
    resultOf(await call('tree.set', { path: 'gone', value: 1 }));
    resultOf(await call('tree.delete', { path: 'gone' }));
    const { version } = resultOf(
      await call('tree.transact', {
        ops: [
          { method: 'tree.set', params: { path: 't/x', value: 1 } },
          { method: 'tree.set', params: { path: 't/y', value: 2 } },
        ],
      }),
    );
    resultOf(await call('tree.increment', { path: 'a/n', by: 2 }));
    const before = station.tree.exportJSON('', 'typed');
    const last = station.tree.version;
    expect(last).toBeGreaterThanOrEqual(version);
    await close(station);

    ({ station, call } = await open(data));
    expect(station.tree.exportJSON('', 'typed')).toBe(before);
    expect(station.tree.version).toBeGreaterThanOrEqual(last);
    const next = resultOf(await call('tree.set', { path: 'after', value: true })).version;
    expect(next).toBeGreaterThan(last);
    expect(resultOf(await call('tree.get', { path: 'list' })).map((e: { score: number }) => e.score)).toEqual([3, 2, 1]);
  });

  it('loads the demo only into an empty store', async () => {
    const data = dataDir();
    let { station, call } = await open(data, { demo: true });
    expect(resultOf(await call('tree.get', { path: 'settings/volume' }))).toBe(70);
    // every type of the demo comes back exactly from its snapshot
    const demo = station.tree.exportJSON('', 'typed');
    await close(station);
    ({ station, call } = await open(data, { demo: true }));
    expect(station.tree.exportJSON('', 'typed')).toBe(demo);
    resultOf(await call('tree.set', { path: 'settings/volume', value: 10, type: 'u8' }));
    await close(station);
    ({ station, call } = await open(data, { demo: true }));
    expect(resultOf(await call('tree.get', { path: 'settings/volume' }))).toBe(10);
  });

  it('snapshots in the background, compacts the log, and recovers from snapshot plus log', async () => {
    const data = dataDir();
    let { station } = await open(data, { storeOptions: { snapshotBytes: 4096, log } });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 500; i++) writes.push(station.context.hub.write('t', () => station.tree.set(`k/${i % 50}`, i)) as Promise<unknown>);
    await Promise.all(writes);
    await station.store!.snapshot(() => station.context.hub.flush());
    for (let i = 0; i < 20; i++) await station.context.hub.write('t', () => station.tree.set(`after/${i}`, i));
    const { segments, snapshots } = listDir(data);
    expect(snapshots).toHaveLength(1);
    expect(segments.length).toBeLessThanOrEqual(2);
    const before = station.tree.exportJSON('', 'typed');
    const version = station.tree.version;
    station.context.hub.close(); // a crash: no snapshot at close, no flush
    await close(station);
    ({ station } = await open(data));
    expect(station.tree.exportJSON('', 'typed')).toBe(before);
    expect(station.tree.version).toBeGreaterThanOrEqual(version);
  });
});

describe('store: background snapshots', () => {
  it('takes one by itself once enough log is written, and keeps taking writes', async () => {
    const data = dataDir();
    const { station, call } = await open(data, { storeOptions: { snapshotBytes: 2048 } });
    for (let i = 0; i < 60; i++) resultOf(await call('tree.set', { path: `k/${i}`, value: 'x'.repeat(50) }));
    await new Promise((resolve) => setTimeout(resolve, 1300));
    resultOf(await call('tree.set', { path: 'after', value: 1 }));
    expect(listDir(data).snapshots.length).toBe(1);
    const before = station.tree.exportJSON('', 'typed');
    await close(station);
    const again = await open(data);
    expect(again.station.tree.exportJSON('', 'typed')).toBe(before);
  });
});

describe('store: a damaged log', () => {
  async function written(): Promise<{ data: string; file: string; bytes: Buffer; tree: string }> {
    const data = dataDir();
    const { station } = await open(data);
    for (let i = 0; i < 20; i++) await station.context.hub.write('t', () => station.tree.set(`k${i}`, 'x'.repeat(40)));
    const tree = station.tree.exportJSON('', 'typed');
    await close(station);
    const seq = listDir(data).segments.at(-1)!;
    const file = join(data, segmentName(seq));
    return { data, file, bytes: readFileSync(file), tree };
  }

  it('drops a torn last record with a log line', async () => {
    const { data, file, bytes } = await written();
    writeFileSync(file, bytes.subarray(0, bytes.length - 7));
    lines.length = 0;
    const { station } = await open(data, { storeOptions: { log } });
    expect(lines.join('\n')).toMatch(/torn last record/);
    expect(station.tree.get('')).toMatchObject({ k18: 'x'.repeat(40) });
    expect(station.tree.tryNode('k19')).toBeUndefined();
  });

  it('refuses to start on a byte flipped in the middle, naming file and offset; --repair keeps what precedes it', async () => {
    const { data, file, bytes } = await written();
    const at = Math.floor(bytes.length / 2);
    bytes[at] ^= 0x55;
    writeFileSync(file, bytes);
    const error = await openStation({ data }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain(file);
    expect(error?.message).toMatch(/at offset \d+/);
    const offset = Number(/at offset (\d+)/.exec(error!.message)![1]);
    expect(offset).toBeLessThanOrEqual(at);
    const { station } = await open(data, { repair: true, storeOptions: { log } });
    const kept = Object.keys(station.tree.get('') as object);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(20);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `k${i}`));
  });
});

describe('store: a failing disk', () => {
  it('refuses writes with a clear error, undoes what was not durable, serves reads, and resumes', async () => {
    const data = dataDir();
    let failing = false;
    const inject = (phase: string) => {
      if (failing && phase === 'fsync') throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
    };
    const { station, call } = await open(data, { storeOptions: { inject, log } });
    resultOf(await call('tree.set', { path: 'kept', value: 1 }));
    failing = true;
    const replies = await Promise.all([call('tree.set', { path: 'lost', value: 1 }), call('tree.set', { path: 'kept', value: 2 })]);
    for (const reply of replies) {
      expect(reply.error?.code).toBe(ErrorCode.StoreFailed);
      expect(reply.error?.message).toMatch(/could not be made durable/);
    }
    expect(resultOf(await call('tree.get', { path: '' }))).toEqual({ kept: 1 });
    // later writes fail fast, without touching the tree
    const fast = await call('tree.set', { path: 'lost', value: 2 });
    expect(fast.error?.code).toBe(ErrorCode.StoreFailed);
    expect(station.tree.tryNode('lost')).toBeUndefined();
    failing = false;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    resultOf(await call('tree.set', { path: 'back', value: 3 }));
    await close(station);
    const again = await open(data);
    expect(again.station.tree.get('')).toEqual({ kept: 1, back: 3 });
  });
});

describe('store: offline export and import of a data directory', () => {
  const grove = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['dist/src/cli/main.js', ...args], (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('exports and imports typed JSON, and refuses a directory a station holds', async () => {
    const data = dataDir();
    const { station, call } = await open(data);
    resultOf(await call('tree.set', { path: 'cfg/level', value: 7, type: 'u16' }));
    const held = await grove(['export', '--data', data]);
    expect(held.code).not.toBe(0);
    expect(held.stderr).toMatch(/in use by process \d+/);
    await close(station);

    const exported = await grove(['export', '--data', data, 'cfg']);
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toEqual({ name: 'cfg', type: 'object', children: [{ name: 'level', type: 'u16', value: 7 }] });
    const file = join(data, '..', `${data.split('/').pop()}-backup.json`);
    writeFileSync(file, exported.stdout);
    dirs.push(file);
    const imported = await grove(['import', '--data', data, 'copy', file]);
    expect(imported.code).toBe(0);
    const again = await open(data);
    expect(again.station.tree.get('', { format: 'typed' })).toMatchObject({
      children: [{ name: 'cfg' }, { name: 'copy', children: [{ name: 'level', type: 'u16', value: 7 }] }],
    });
  });
});

/** A small tmpfs to fill up or make read-only: root only (skipped elsewhere). */
function tmpfs(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'grove-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  mounts.push(dir);
  return dir;
}
const mounts: string[] = [];
afterAll(() => {
  for (const dir of mounts) {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
});
const canMount = tmpfs();

describe.skipIf(canMount === undefined)('store: a real failing disk (tmpfs, as root)', () => {
  it('a full disk: writes fail with "the disk is full", what was acknowledged stays, reads go on', async () => {
    const data = canMount!;
    const { station, call } = await open(data);
    const big = 'x'.repeat(8000);
    let acknowledged = 0;
    let error: { code: number; message: string } | undefined;
    for (let i = 0; i < 200 && error === undefined; i++) {
      const reply = await call('tree.set', { path: `k/${i}`, value: big });
      if (reply.error) error = reply.error;
      else acknowledged = i + 1;
    }
    expect(error?.code).toBe(ErrorCode.StoreFailed);
    expect(error?.message).toMatch(/the disk is full/);
    const keys = Object.keys(resultOf(await call('tree.get', { path: 'k' })));
    expect(keys).toHaveLength(acknowledged);
    expect((await call('tree.set', { path: 'more', value: 1 })).error?.code).toBe(ErrorCode.StoreFailed);
    await close(station);
    const again = await open(data);
    expect(Object.keys(again.station.tree.get('k') as object)).toHaveLength(acknowledged);
  });

  it('a read-only file system: the station serves what it holds, refuses writes clearly, and takes them once writable', async () => {
    const data = tmpfs()!;
    let { station, call } = await open(data);
    resultOf(await call('tree.set', { path: 'a', value: 1 }));
    await close(station);
    execFileSync('mount', ['-o', 'remount,ro', data]);
    try {
      ({ station, call } = await open(data, { storeOptions: { log } }));
      const reply = await call('tree.set', { path: 'b', value: 2 });
      expect(reply.error?.code).toBe(ErrorCode.StoreFailed);
      expect(reply.error?.message).toMatch(/read-only/);
      expect(resultOf(await call('tree.get', { path: '' }))).toEqual({ a: 1 });
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', data]);
    }
    await new Promise((resolve) => setTimeout(resolve, 1100));
    resultOf(await call('tree.set', { path: 'c', value: 3 }));
    await close(station);
    ({ station } = await open(data));
    expect(station.tree.get('')).toEqual({ a: 1, c: 3 });
  });
});
