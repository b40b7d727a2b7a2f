// Snapshots taken while writes go on, model-based (issue 14): a store snapshot is rebuilt
// from the log by a worker thread (src/store/checkpoint.ts) while random writes of every
// kind keep coming; the data directory is copied at random moments, each copy being what
// a crash at that moment leaves (a snapshot half written, renamed but not read back, its
// older segments not yet deleted, ...). Each copy is started again: it holds exactly what
// the station held when it was taken, every node with its id and version, the ids and
// versions tree.list answers, and the root hash; so does the directory itself at the end.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

import type { Station } from '../src/station/server.js';
import { ErrorCode } from '../src/wire/errors.js';
import { stateOf, type TreeState } from './helpers/identity.js';
import { httpCaller, openStation, resultOf } from './helpers/station.js';
import { transact, write } from './helpers/writes.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'grove-snapshot-model-'));
  dirs.push(dir);
  return dir;
}

/**
 * What a crash now leaves of `dir`: each file as it is (the page cache survives a process's
 * crash). The snapshot's worker thread runs meanwhile: a file it renames away between the
 * listing and the read is one the crash left before the rename.
 */
function crashImage(dir: string): string {
  const image = tempDir();
  for (const name of readdirSync(dir)) {
    if (name === 'LOCK') continue;
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    writeFileSync(join(image, name), bytes);
  }
  return image;
}

function state(station: Station): Promise<TreeState> {
  return stateOf(httpCaller(station.url), () => station.tree.exportJSON('', 'snapshot'));
}

async function restarted(dir: string): Promise<TreeState> {
  const station = await openStation({ data: dir, storeOptions: { log: () => {} } });
  try {
    return await state(station);
  } finally {
    await station.close();
  }
}

const step = fc.oneof(
  { weight: 70, arbitrary: write },
  { weight: 10, arbitrary: transact },
  { weight: 4, arbitrary: fc.record({ method: fc.constant('snapshot') }) },
  { weight: 4, arbitrary: fc.record({ method: fc.constant('crash') }) },
);

/** A few thousand nodes beside the random ones, so that a snapshot takes a while to rebuild. */
const ballast = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`o${i}`, Object.fromEntries(Array.from({ length: 20 }, (_, j) => [`m${j}`, i * j]))]));

describe('store: snapshots while writes go on', () => {
  it('every crash image, taken at random while a snapshot is made, restarts to exactly the state of its moment', async () => {
    let duringSnapshot = 0;
    let images = 0;
    let snapshots = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 60, maxLength: 120 }), async (steps) => {
        const data = tempDir();
        // snapshots only when the run asks for them
        const station = await openStation({ data, storeOptions: { snapshotBytes: 2 ** 40, log: () => {} } });
        const call = httpCaller(station.url);
        const crashes: { image: string; before: TreeState }[] = [];
        let snapshotting: Promise<void> | undefined;
        try {
          resultOf(await call('tree.set', { path: 'ballast', value: ballast }));
          for (const { method, params } of steps) {
            if (method === 'snapshot') {
              snapshotting ??= station.store!.snapshot(() => station.context.hub.flush()).then(() => {
                snapshots++;
                snapshotting = undefined;
              });
            } else if (method === 'crash') {
              // the state is read before the copy: no write comes between them
              const before = await state(station);
              crashes.push({ image: crashImage(data), before });
            } else {
              if (snapshotting) duringSnapshot++;
              const reply = await call(method, params);
              // refusals are part of the model; a station error never is
              if (reply.error) expect(reply.error.code, JSON.stringify({ method, params, error: reply.error })).not.toBe(ErrorCode.InternalError);
            }
          }
          await snapshotting;
          crashes.push({ image: crashImage(data), before: await state(station) });
        } finally {
          await snapshotting?.catch(() => {});
          await station.close();
        }
        for (const { image, before } of crashes) {
          expect(await restarted(image), `crash image ${image}`).toEqual(before);
          images++;
        }
        // the directory itself, closed cleanly, after a last snapshot
        const last = crashes.at(-1)!.before;
        expect(await restarted(data)).toEqual(last);
      }),
      { numRuns: 8, seed: Number(process.env.GROVE_MODEL_SEED ?? 20261203), endOnFailure: true },
    );
    console.log(`snapshot model: ${images} crash images, ${snapshots} snapshots, ${duringSnapshot} writes while one was made`);
    expect(images).toBeGreaterThan(20);
    expect(snapshots).toBeGreaterThan(8);
    // the property is about writes that race a snapshot: enough of them must have
    expect(duringSnapshot).toBeGreaterThan(40);
  }, 600_000);
});
