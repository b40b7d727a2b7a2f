// The locking build (build-locking/Release/grove_locked.node, chosen with GROVE_VARIANT=locking)
// is the benchmarks' baseline: it must be the same tree behind the same API, differing
// only in how readers are kept safe. It is built here, as the benchmarks build it (never at
// install). The workers load the compiled package (dist/), so run `npm run build` first.
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';

import { buildLockingAddon } from '../bench/lockingBuild.js';

const fixture = fileURLToPath(new URL('./fixtures/bench-variant-worker.mjs', import.meta.url));

async function runIn(variant: string | undefined): Promise<Record<string, unknown>> {
  const env = { ...process.env };
  if (variant === undefined) delete env.GROVE_VARIANT;
  else env.GROVE_VARIANT = variant;
  const worker = new Worker(fixture, { env });
  const exited = once(worker, 'exit');
  const [message] = await Promise.race([
    once(worker, 'message'),
    once(worker, 'error').then(([e]) => Promise.reject(e)),
    exited.then(([code]) => Promise.reject(new Error(`the worker exited with ${code} before answering`))),
  ]);
  await exited;
  return message as Record<string, unknown>;
}

describe('the locking build', () => {
  // a first build compiles the locking core and the bindings: minutes on a busy machine
  beforeAll(() => buildLockingAddon(), 600_000);

  it('answers exactly as the lockless build does', async () => {
    const [lockless, locking, byDefault] = await Promise.all([runIn('lockless'), runIn('locking'), runIn(undefined)]);
    expect(lockless.variant).toBe('lockless');
    expect(byDefault.variant).toBe('lockless');
    expect(locking.variant).toBe('locking');
    const { variant: _a, ...expected } = lockless;
    const { variant: _b, ...actual } = locking;
    expect(actual).toEqual(expected);
    expect(expected.error).toBe('NOT_FOUND');
    expect(expected.count).toBe(39);
  });

  it('refuses an unknown GROVE_VARIANT by name', async () => {
    await expect(runIn('fast')).rejects.toThrow("GROVE_VARIANT must be 'lockless', 'locking' or 'testing', got 'fast'");
  });
});
