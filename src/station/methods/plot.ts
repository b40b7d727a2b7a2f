// tree.plot: what a plot of a node's numbers needs, computed where the numbers are. The
// core folds an array node's elements, or the numeric leaves among a node's children, into
// min/max runs (include/grove/plot.h): a client asks for one run per pixel column of its
// plot, and for a narrower range to zoom, and never reads a million values to draw them.
import { RawJson } from '../../rpc/index.js';
import type { StationContext } from '../context.js';
import { define, method, nodeAt, normalise, path } from './tree.js';

/** The most runs one call returns (the core's kMaxEnvelopeBuckets). */
const MAX_BUCKETS = 16_384;

const index = { type: 'integer', minimum: 0 };
const numbers = { type: 'array', items: { type: ['number', 'null'] } };

const PLOT = method({
  name: 'tree.plot',
  summary:
    "A plot of a node's numbers, downsampled: an array node's elements, or the integer and float leaves among its children, " +
    'over [from, to) in at most `buckets` runs of consecutive indices, each with its smallest and largest finite number.',
  access: 'read',
  params: {
    path,
    from: { ...index, description: 'The first index (default 0).' },
    to: { ...index, description: 'The end of the range, exclusive (default: the end).' },
    buckets: { type: 'integer', minimum: 1, maximum: MAX_BUCKETS, description: 'The most runs, such as the plot\'s width in pixels (default 1000).' },
  },
  required: ['path'],
  result: {
    type: 'object',
    properties: {
      total: { ...index, description: 'Elements or children in the whole node.' },
      from: index,
      to: { ...index, description: 'The end of the range, cut at total.' },
      plotted: { ...index, description: 'Finite numbers in the range.' },
      skipped: { ...index, description: 'The rest of the range: children that are no numbers, NaN, ±Infinity.' },
      starts: { type: 'array', items: index, description: "Each run's first index; a run ends where the next starts, the last at to." },
      low: { ...numbers, description: 'The smallest finite number of each run; null for a run with none.' },
      high: { ...numbers, description: 'The largest finite number of each run; null for a run with none.' },
    },
    required: ['total', 'from', 'to', 'plotted', 'skipped', 'starts', 'low', 'high'],
  },
  run: (p: { path: string; from?: number; to?: number; buckets?: number }, { station }) => {
    const envelope = nodeAt(station, normalise(station, p.path), (node) => node.plot({ from: p.from, to: p.to, buckets: p.buckets }));
    const { total, from, to, plotted, skipped, starts, low, high } = envelope;
    // written here: NaN (a run with no number) is null, and a few thousand numbers need no exact encoder
    return new RawJson(
      `{"total":${total},"from":${from},"to":${to},"plotted":${plotted},"skipped":${skipped},` +
        `"starts":${list(starts)},"low":${list(low)},"high":${list(high)}}`,
    );
  },
});

function list(values: Float64Array): string {
  return `[${Array.from(values, (x) => (Number.isNaN(x) ? 'null' : String(x))).join(',')}]`;
}

export function plotMethods(station: StationContext) {
  return [define(station, PLOT)];
}
