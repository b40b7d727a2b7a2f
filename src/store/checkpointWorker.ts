// The worker thread of src/store/checkpoint.ts: rebuilds the directory's tree up to the
// job's limit in a tree of its own and writes it as a snapshot (temp file, fsync, rename,
// fsync of the directory, read back whole).
import { join } from 'node:path';
import { open } from 'node:fs/promises';
import { renameSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

import { Tree } from '../tree.js';
import type { CheckpointJob, CheckpointMessage } from './checkpoint.js';
import { fsyncDir, snapshotBuffers, snapshotName, verifySnapshot } from './log.js';
import { readState } from './store.js';

const post = (message: CheckpointMessage) => parentPort!.postMessage(message);

async function run({ dir, limit, idRange, segment }: CheckpointJob): Promise<number | undefined> {
  const tree = Tree.create();
  try {
    tree.idRange = idRange;
    // `limit` keeps readState to reading: nothing in the directory is cut or set aside past it
    const state = readState(dir, tree, false, (line) => post({ log: line }), limit);
    // nothing logged since the last snapshot: it is the one a restart starts from
    if (state.version === (state.snapshot ?? 0)) return undefined;
    const { body } = tree.snapshot();
    const buffers = await snapshotBuffers(state.version, tree.nextId, segment, body);
    const temp = join(dir, 'snapshot.tmp');
    const handle = await open(temp, 'w');
    try {
      for (const buffer of buffers) {
        // a write may take less than it is given
        for (let at = 0; at < buffer.length; ) at += (await handle.write(buffer, at)).bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    const file = join(dir, snapshotName(state.version));
    renameSync(temp, file);
    fsyncDir(dir);
    // read back whole before anything it replaces goes
    await verifySnapshot(file);
    return state.version;
  } finally {
    tree.close();
  }
}

run(workerData as CheckpointJob).then(
  (done) => post({ done }),
  (error: unknown) => post({ error: (error as Error)?.message ?? String(error) }),
);
