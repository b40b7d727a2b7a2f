// A store snapshot made off the event loop (Store.snapshot): a worker thread rebuilds, in
// a tree of its own, the tree the data directory holds up to a point of its log, exactly as
// a restart would (readState), and writes that tree as the next snapshot. The station's
// tree is never read, so its writes go on while the worker runs, and the snapshot holds
// exactly the records before that point: no fuzzy window, no tolerant replay.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { packageRoot } from '../packageRoot.js';
import { StoreError } from './log.js';

/** What the worker is given: the directory, where its log stops, and what the snapshot starts the log at. */
export interface CheckpointJob {
  dir: string;
  /** The last segment the snapshot holds, and its durable end. */
  limit: { seq: number; end: number };
  /** The station's id range (grove.json), as the restart sets it. */
  idRange: number;
  /** The first segment after the snapshot. */
  segment: number;
}

/** What the worker posts: log lines, then its end: the snapshot's version, or none when the log held nothing newer than the last snapshot. */
export type CheckpointMessage = { log: string } | { done: number | undefined } | { error: string };

/** The compiled worker (dist/): a worker thread runs JavaScript, in a checkout as in the installed package. */
const WORKER = join(packageRoot, 'dist', 'src', 'store', 'checkpointWorker.js');

/** Runs the worker; resolves with the version of the snapshot written (fsynced, renamed, read back), or undefined when none was due. */
export function checkpoint(job: CheckpointJob, log: (line: string) => void): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: job });
    let ended = false;
    const end = (settle: () => void) => {
      if (ended) return;
      ended = true;
      settle();
    };
    worker.on('message', (message: CheckpointMessage) => {
      if ('log' in message) log(message.log);
      else if ('done' in message) end(() => resolve(message.done));
      else end(() => reject(new StoreError(`the snapshot could not be written: ${message.error}`)));
    });
    worker.once('error', (error) => end(() => reject(new StoreError(`the snapshot could not be written: ${error.message}`))));
    worker.once('exit', (code) => end(() => reject(new StoreError(`the snapshot's worker thread stopped (exit code ${code}) before it was written`))));
  });
}
