// A control for the concurrency suite: plain JS arithmetic in a worker, no Grove at all.
// Run on 1 and 2 threads beside the readers, it shows how much parallelism the machine
// actually gave (it is shared), which bounds what any reader scaling can show.
import { parentPort, workerData } from 'node:worker_threads';

import { consume } from '../measure.js';
import { type PhaseChannel, servePhases } from '../threads.js';

const { phases } = workerData as { phases: PhaseChannel };
parentPort!.postMessage({});

servePhases(phases, (stopped) => {
  let operations = 0;
  let x = 0;
  do {
    for (let i = 0; i < 10_000; i++) x = (Math.imul(x, 31) + i) | 0;
    operations += 10_000;
  } while (!stopped());
  consume(x);
  return operations;
});
