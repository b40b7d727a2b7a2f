// Issue 8, suite 1: concurrent reads of one shared tree from 1 and 2 reader threads (the
// machine's cores), with and without a concurrent writer, in the lockless build and in
// the locking build (the same tree with its child lists behind one reader-writer mutex).
// Both builds run in this one process, their phases interleaved round by round so that a
// machine busy with something else for a while slows both alike; each figure is the
// median over the rounds.
import { buildLockingAddon } from '../lockingBuild.js';
import { type Row, type Suite, withRatio } from '../report.js';
import { summarise } from '../measure.js';
import { ThreadGroup } from '../threads.js';
import type { ReadWriteData } from '../workers/readWrite.js';

const VARIANTS = ['lockless', 'locking'] as const;
type Variant = (typeof VARIANTS)[number];

/** The writer's pace: a steady stream, well below what one core can do, so that readers keep the cores. */
const WRITES_PER_SECOND = 20_000;

// Workers 0 and 1 read; worker 2 writes.
const CONFIGS = [
  { key: '1r', readers: 1, writer: false, label: '1 reader' },
  { key: '2r', readers: 2, writer: false, label: '2 readers' },
  { key: '1rw', readers: 1, writer: true, label: '1 reader + writer' },
  { key: '2rw', readers: 2, writer: true, label: '2 readers + writer' },
] as const;
type ConfigKey = (typeof CONFIGS)[number]['key'];

const workerFile = new URL('../workers/readWrite.js', import.meta.url);
const spinFile = new URL('../workers/spin.js', import.meta.url);

async function startGroup(variant: Variant): Promise<ThreadGroup> {
  const env = { ...process.env, GROVE_VARIANT: variant };
  const { group } = await ThreadGroup.start(
    3,
    workerFile,
    (index, ready): Omit<ReadWriteData, 'phases'> => ({
      role: index < 2 ? 'reader' : 'writer',
      variant,
      token: index === 0 ? undefined : (ready[0] as { token: number }).token,
      writesPerSecond: WRITES_PER_SECOND,
    }),
    env,
  );
  return group;
}

interface Sample {
  reads: number;
  writes: number;
}

const CONTROL_KEYS = ['1', '2'] as const;

export const concurrencySuite: Suite = {
  name: 'concurrency',
  description: `tree.value from 1 and 2 reader threads, with and without a writer (${WRITES_PER_SECOND / 1000}k writes/s), lockless vs locking build`,
  charts: [{ id: 'reader-scaling', title: 'Reads of one shared tree by reader threads', x: 'reader threads', y: 'reads per second, all readers' }],
  async run({ quick }) {
    const [rounds, ms] = quick ? [3, 150] : [15, 500];
    const groups = new Map<Variant, ThreadGroup>();
    let spinners: ThreadGroup | undefined;
    try {
      buildLockingAddon();
      for (const variant of VARIANTS) groups.set(variant, await startGroup(variant));
      spinners = (await ThreadGroup.start(2, spinFile, () => ({}))).group;
      const samples = new Map<string, Sample[]>();
      const control = new Map<string, number[]>();
      for (let round = 0; round <= rounds; round++) {
        for (const threads of CONTROL_KEYS) {
          const results = spinners.run(threads === '1' ? [0] : [0, 1], round === 0 ? 50 : ms);
          if (round > 0) control.set(threads, [...(control.get(threads) ?? []), results.reduce((sum, r) => sum + r.rate, 0)]);
        }
        for (const variant of VARIANTS) {
          for (const config of CONFIGS) {
            const active = [...Array(config.readers).keys(), ...(config.writer ? [2] : [])];
            const results = groups.get(variant)!.run(active, round === 0 ? 50 : ms); // round 0 warms up
            if (round === 0) continue;
            const sample = {
              reads: results.slice(0, config.readers).reduce((sum, r) => sum + r.rate, 0),
              writes: config.writer ? results[config.readers]!.rate : 0,
            };
            const key = `${variant}:${config.key}`;
            samples.set(key, [...(samples.get(key) ?? []), sample]);
          }
        }
      }
      const one = summarise(control.get('1')!);
      const two = summarise(control.get('2')!);
      return [
        ...rows(samples),
        withRatio({
          suite: 'concurrency',
          name: 'machine check: a plain JS loop on 2 threads (no Grove)',
          value: two.median,
          unit: 'ops/s',
          spread: two.spread,
          baseline: { name: 'the same on 1 thread', value: one.median },
          target: 'about 2x on an idle 2-core machine: what reader scaling can show at most',
        }),
      ];
    } finally {
      await Promise.all([...groups.values(), ...(spinners ? [spinners] : [])].map((g) => g.close()));
    }
  },
};

function rows(samples: Map<string, Sample[]>): Row[] {
  const reads = (variant: Variant, key: ConfigKey) => summarise(samples.get(`${variant}:${key}`)!.map((s) => s.reads));
  const writes = (variant: Variant, key: ConfigKey) => summarise(samples.get(`${variant}:${key}`)!.map((s) => s.writes));
  const out: Row[] = [];
  for (const variant of VARIANTS) {
    for (const config of CONFIGS) {
      const t = reads(variant, config.key);
      const row: Row = {
        suite: 'concurrency',
        name: `${variant}: ${config.label}`,
        value: t.median,
        unit: 'reads/s',
        spread: t.spread,
        point: { chart: 'reader-scaling', series: `${variant}${config.writer ? ', with a writer' : ''}`, x: config.readers },
      };
      if (config.readers === 2) {
        const one = reads(variant, config.writer ? '1rw' : '1r').median;
        out.push(
          withRatio({
            ...row,
            baseline: { name: `one reader${config.writer ? ' + writer' : ''}`, value: one },
            target: variant === 'lockless' && config.writer ? '>= 1.8x one reader' : undefined,
          }),
        );
      } else {
        out.push(row);
      }
    }
    const w = writes(variant, '2rw');
    out.push({ suite: 'concurrency', name: `${variant}: the writer, beside 2 readers (paced at ${WRITES_PER_SECOND / 1000}k/s)`, value: w.median, unit: 'writes/s', spread: w.spread });
  }
  for (const config of CONFIGS) {
    const lockless = reads('lockless', config.key);
    out.push(
      withRatio({
        suite: 'concurrency',
        name: `lockless vs locking: ${config.label}`,
        value: lockless.median,
        unit: 'reads/s',
        spread: lockless.spread,
        baseline: { name: 'locking build', value: reads('locking', config.key).median },
        target: config.key === '2rw' ? '>= 3x the locking build' : undefined,
      }),
    );
  }
  return out;
}
