// The worker-thread harness for scaling: a group of workers that run timed phases
// together. The main thread picks which workers take part in a phase, releases them at
// once through shared memory, lets them run for a while, and tells them to stop; each
// worker counts its operations and times its own span with hrtime, so that a rate is
// operations over the time that worker actually ran. Idle workers sleep in Atomics.wait
// and cost nothing.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

// Layout of the shared Int32Array.
const GENERATION = 0; // bumped to start a phase; -1 asks the workers to exit
const STOP = 1; // set to end the running phase
const DONE = 2; // workers that finished the phase
const PAUSE = 3; // always 0: a word to sleep on (Atomics.wait with a timeout)
const ACTIVE = 4; // one flag per worker: takes part in this phase

/** What each worker receives (with its own fields) in workerData.phases. */
export interface PhaseChannel {
  control: SharedArrayBuffer;
  results: SharedArrayBuffer;
  index: number;
}

export interface WorkerResult {
  operations: number;
  seconds: number;
  /** operations / seconds */
  rate: number;
}

export class ThreadGroup {
  readonly #workers: Worker[];
  readonly #control: Int32Array;
  readonly #results: Float64Array;

  private constructor(workers: Worker[], control: Int32Array, results: Float64Array) {
    this.#workers = workers;
    this.#control = control;
    this.#results = results;
  }

  /**
   * Starts workers one after another, each from `file` with the workerData `data(i, previous
   * ready messages)` plus its phase channel, and waits for each one's first message (its
   * "ready", which may carry what later workers need, e.g. a shared tree).
   */
  static async start(
    count: number,
    file: URL,
    data: (index: number, ready: unknown[]) => object,
    env: NodeJS.ProcessEnv = process.env,
  ): Promise<{ group: ThreadGroup; ready: unknown[] }> {
    const control = new SharedArrayBuffer(4 * (ACTIVE + count));
    const results = new SharedArrayBuffer(8 * 2 * count);
    const workers: Worker[] = [];
    const ready: unknown[] = [];
    try {
      for (let index = 0; index < count; index++) {
        const worker = new Worker(file, { workerData: { ...data(index, ready), phases: { control, results, index } }, env });
        workers.push(worker);
        const [message] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([e]) => Promise.reject(e))])) as [unknown];
        ready.push(message);
      }
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return { group: new ThreadGroup(workers, new Int32Array(control), new Float64Array(results)), ready };
  }

  /** Runs the workers at `active` together for about `ms` milliseconds (blocks this thread). */
  run(active: number[], ms: number): WorkerResult[] {
    const c = this.#control;
    for (let i = 0; i < this.#workers.length; i++) Atomics.store(c, ACTIVE + i, active.includes(i) ? 1 : 0);
    Atomics.store(c, STOP, 0);
    Atomics.store(c, DONE, 0);
    Atomics.add(c, GENERATION, 1);
    Atomics.notify(c, GENERATION);
    Atomics.wait(c, PAUSE, 0, ms);
    Atomics.store(c, STOP, 1);
    const deadline = Date.now() + 30_000;
    for (let done = Atomics.load(c, DONE); done < active.length; done = Atomics.load(c, DONE)) {
      if (Date.now() > deadline) throw new Error(`only ${done} of ${active.length} workers finished a phase within 30 s`);
      Atomics.wait(c, DONE, done, 100);
    }
    return active.map((i) => {
      const operations = this.#results[2 * i]!;
      const seconds = this.#results[2 * i + 1]! / 1e9;
      return { operations, seconds, rate: operations / seconds };
    });
  }

  async close(): Promise<void> {
    Atomics.store(this.#control, GENERATION, -1);
    Atomics.notify(this.#control, GENERATION);
    await Promise.all(this.#workers.map((w) => once(w, 'exit')));
  }
}

/**
 * The worker side: runs `work` in each phase this worker takes part in, until the group
 * returns (close()). `work` loops until `stopped()` and returns how many operations it did.
 */
export function servePhases(channel: PhaseChannel, work: (stopped: () => boolean) => number): void {
  const control = new Int32Array(channel.control);
  const results = new Float64Array(channel.results);
  const stopped = () => Atomics.load(control, STOP) !== 0;
  let generation = 0;
  for (;;) {
    Atomics.wait(control, GENERATION, generation);
    generation = Atomics.load(control, GENERATION);
    if (generation < 0) return;
    if (Atomics.load(control, ACTIVE + channel.index) !== 1) continue;
    const start = process.hrtime.bigint();
    const operations = work(stopped);
    results[2 * channel.index] = operations;
    results[2 * channel.index + 1] = Number(process.hrtime.bigint() - start);
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
}

/** Sleeps this thread for about `ms` milliseconds (a worker's pause between bursts). */
export function sleep(channel: PhaseChannel, ms: number): void {
  Atomics.wait(new Int32Array(channel.control), PAUSE, 0, ms);
}
