// Timing helpers. Nanosecond operations run `batch` times per benchmark.js sample so
// that timer resolution does not dominate; every result feeds a sink so V8 cannot drop
// the work; medians are reported with the spread of the samples.
import Benchmark from 'benchmark';

export interface Timing {
  /** Median nanoseconds per operation. */
  median: number;
  /** Relative median absolute deviation of the samples, in percent. */
  spread: number;
  samples: number;
}

let sink = 0;
/** Keeps a value alive so that the work producing it is not optimised away. */
export function consume(value: unknown): void {
  sink ^= typeof value === 'number' ? value : value === undefined ? 0 : 1;
}
export function sinkValue(): number {
  return sink;
}

export interface MeasureOptions {
  /** Operations per call of `fn` (fn runs its own loop of this many). */
  batch: number;
  quick: boolean;
}

/** Times `fn`, which performs `batch` operations per call, with benchmark.js. */
export function measure(fn: () => void, { batch, quick }: MeasureOptions): Timing {
  return summarise(samples(fn, batch, quick ? 5 : 30, quick ? 0.3 : 3));
}

/** Nanoseconds per operation of each benchmark.js sample of `fn`. */
function samples(fn: () => void, batch: number, minSamples: number, maxTime: number): number[] {
  const bench = new Benchmark(fn, { minSamples, maxTime, initCount: 1 });
  bench.run({ async: false });
  if (bench.error) throw bench.error;
  return bench.stats.sample.map((seconds) => (seconds * 1e9) / batch);
}

/**
 * Times several functions that are compared with each other, taking turns in short rounds
 * (benchmark.js in each) so that a machine busy with something else for a while slows all
 * of them alike; each result pools its samples from every round.
 */
export function measureInTurns<K extends string>(cases: Record<K, () => void>, { batch, quick }: MeasureOptions): Record<K, Timing> {
  const [rounds, maxTime] = quick ? [1, 0.1] : [8, 0.4];
  const pooled = new Map<K, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of Object.entries(cases) as [K, () => void][]) {
      pooled.set(name, [...(pooled.get(name) ?? []), ...samples(fn, batch, 5, maxTime)]);
    }
  }
  return Object.fromEntries([...pooled].map(([name, values]) => [name, summarise(values)])) as Record<K, Timing>;
}

/** Median and spread of a list of per-operation nanoseconds (or any numbers). */
export function summarise(values: number[]): Timing {
  const sorted = [...values].sort((a, b) => a - b);
  const median = at(sorted, 0.5);
  const deviations = sorted.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
  return { median, spread: median === 0 ? 0 : (100 * at(deviations, 0.5)) / median, samples: values.length };
}

function at(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

/** Median wall time in milliseconds of `runs` calls of a one-shot `fn`. */
export function timeRuns(fn: () => void, runs: number): Timing {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    globalThis.gc?.();
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return summarise(times);
}
