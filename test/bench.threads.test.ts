// The worker-thread harness of the scaling benchmarks: workers run timed phases together,
// only those asked take part, and each reports what it did over the time it ran. The
// workers are the compiled ones (dist/), so run `npm run build` first.
import { describe, expect, it } from 'vitest';

import { ThreadGroup } from '../bench/threads.js';

const spin = new URL('../dist/bench/workers/spin.js', import.meta.url);

describe('ThreadGroup', () => {
  it('runs the chosen workers for about the time asked, phase after phase', async () => {
    const { group, ready } = await ThreadGroup.start(2, spin, () => ({}));
    try {
      expect(ready).toEqual([{}, {}]);
      const one = group.run([1], 60);
      expect(one).toHaveLength(1);
      expect(one[0]!.operations).toBeGreaterThan(0);
      expect(one[0]!.seconds).toBeGreaterThanOrEqual(0.05);
      expect(one[0]!.seconds).toBeLessThan(5);
      const both = group.run([0, 1], 60);
      expect(both.map((r) => r.rate).every((rate) => rate > 0)).toBe(true);
    } finally {
      await group.close();
    }
  });

  it('reports a worker that fails to start', async () => {
    const missing = new URL('../dist/bench/workers/no-such-worker.js', import.meta.url);
    await expect(ThreadGroup.start(1, missing, () => ({}))).rejects.toThrow();
  });
});
