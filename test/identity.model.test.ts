// Stable node identity, model-based: random sequences of every write method (children
// sharing names, unnamed adds, a patch of one of two same-named children, sort, replace,
// delete, transact, fresh deep paths, writes from a worker thread) against a station in a
// child process, SIGKILLed or SIGTERMed at random points and started again on its data
// directory, with snapshots taken after little log. The model is the station itself just
// before the crash, once its last write was acknowledged: after every restart it holds
// exactly that, every node with its id and version, the ids and versions tree.list
// answers, and the root hash.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

import { stateOf, type TreeState } from './helpers/identity.js';
import { leaf, path, transact, write } from './helpers/writes.js';
import { type Caller, httpCaller, resultOf } from './helpers/station.js';
import { ErrorCode } from '../src/wire/errors.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/durable-station.mjs', import.meta.url));
/** Little enough log that most restarts read a snapshot and the segments after it. */
const SNAPSHOT_BYTES = 8 * 1024;

/** A station in a child process, on a data directory. */
class StationProcess {
  readonly call: Caller;
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (message: any) => void>();
  #next = 0;

  private constructor(child: ChildProcess, url: string) {
    this.#child = child;
    this.call = httpCaller(url);
  }

  static start(data: string): Promise<StationProcess> {
    const child = spawn(process.execPath, [FIXTURE, data, String(SNAPSHOT_BYTES)], { stdio: ['pipe', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
      let station: StationProcess | undefined;
      child.once('exit', (code, signal) => station === undefined && reject(new Error(`the station exited (${code ?? signal}) before it listened`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const message = JSON.parse(line);
        if (message.url) resolve((station = new StationProcess(child, message.url)));
        else if (station) station.#waiting.get(message.id)?.(message);
      });
    });
  }

  /** Sends a command of the fixture's and waits for its answer. */
  command(command: object): Promise<any> {
    const id = ++this.#next;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.#child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
    });
  }

  async state(): Promise<TreeState> {
    const { nodes } = await this.command({ dump: true });
    return stateOf(this.call, () => nodes);
  }

  stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    return new Promise((resolve) => {
      this.#child.once('exit', () => resolve());
      this.#child.kill(signal);
    });
  }
}

// about four restarts in a run of 300 steps
const step = fc.oneof(
  { weight: 60, arbitrary: write },
  { weight: 10, arbitrary: transact },
  { weight: 9, arbitrary: fc.record({ method: fc.constant('worker'), params: fc.record({ path, value: leaf }) }) },
  { weight: 1, arbitrary: fc.record({ method: fc.constant('restart'), params: fc.record({ signal: fc.constantFrom('SIGKILL' as const, 'SIGTERM' as const) }) }) },
);

const dirs: string[] = [];
let running: StationProcess | undefined;
afterEach(async () => {
  await running?.stop('SIGKILL');
  running = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('after a crash or a stop, a station holds exactly what was acknowledged', () => {
  it('through random writes of every kind, worker writes, snapshots and restarts', async () => {
    let operations = 0;
    let restarts = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 250, maxLength: 400 }), async (steps) => {
        const data = mkdtempSync(join(tmpdir(), 'grove-model-'));
        dirs.push(data);
        running = await StationProcess.start(data);
        const restart = async (signal: 'SIGKILL' | 'SIGTERM') => {
          // every write before this one is durable once it is: the worker's too (the station drains them first)
          resultOf(await running!.call('tree.set', { path: 'barrier', value: restarts }));
          const before = await running!.state();
          await running!.stop(signal);
          running = await StationProcess.start(data);
          expect(await running.state(), `after ${signal}`).toEqual(before);
          restarts++;
        };
        for (const { method, params } of steps) {
          operations++;
          if (method === 'restart') {
            await restart((params as { signal: 'SIGKILL' | 'SIGTERM' }).signal);
          } else if (method === 'worker') {
            await running.command({ worker: params });
          } else {
            const reply = await running.call(method, params);
            // refusals are part of the model; a station error never is
            if (reply.error) expect(reply.error.code, JSON.stringify({ method, params, error: reply.error })).not.toBe(ErrorCode.InternalError);
          }
        }
        await restart('SIGKILL');
        await running.stop('SIGKILL');
        running = undefined;
      }),
      { numRuns: 6, seed: Number(process.env.GROVE_MODEL_SEED ?? 20261202), endOnFailure: true },
    );
    console.log(`identity model: ${operations} operations, ${restarts} restarts`);
    expect(operations).toBeGreaterThan(1500);
    expect(restarts).toBeGreaterThan(15);
  }, 600_000);
});
