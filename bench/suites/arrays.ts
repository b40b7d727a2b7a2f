// Issue 3: the SIMD array kernels on 16M f32 elements (64 MiB per array), as memory
// bandwidth: node.sum() and node.dot() beside a JavaScript loop over the same buffer (a
// zero-copy view), and beside a plain copy of the buffer (TypedArray.set, a memmove),
// which is about as fast as memory can be read. Rates are bytes of the arrays read per
// second; for the copy, bytes of its source.
import { Tree } from '../../src/index.js';
import { native } from '../../src/native.js';
import { consume, measure, type Timing } from '../measure.js';
import { type Row, type Suite, withRatio } from '../report.js';

const LENGTH = 16 * 1024 * 1024;
const BYTES = LENGTH * Float32Array.BYTES_PER_ELEMENT;

function filled(seed: number): Float32Array {
  const out = new Float32Array(LENGTH);
  for (let i = 0; i < LENGTH; i++) out[i] = ((i * 2654435761 + seed) % 1000) / 1000 - 0.5;
  return out;
}

/** Bytes per second from the median time of one pass over `bytes`, in GB/s. */
function rate(bytes: number, timing: Timing): number {
  return bytes / timing.median;  // bytes per nanosecond = GB/s
}

function jsSum(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}

function jsDot(x: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

export const arraysSuite: Suite = {
  name: 'arrays',
  description: 'f32array kernels on 16M elements: native vs a JS loop vs a plain copy (memory bandwidth)',
  run({ quick }): Row[] {
    const tree = Tree.create();
    tree.set('x', filled(1));
    tree.set('y', filled(2));
    const x = tree.node('x');
    const y = tree.node('y');
    const xs = x.view() as Float32Array;
    const ys = y.view() as Float32Array;
    const target = new Float32Array(LENGTH);
    const options = { batch: 1, quick };

    const copy = measure(() => {
      target.set(xs);
      consume(target[LENGTH - 1]);
    }, options);
    const nativeSum = measure(() => consume(x.sum()), options);
    const loopSum = measure(() => consume(jsSum(xs)), options);
    const nativeDot = measure(() => consume(y.dot(x)), options);
    const loopDot = measure(() => consume(jsDot(xs, ys)), options);
    const isa = native.arrayStats().isa;
    x.release();
    y.release();
    tree.close();

    const copyRate = { name: 'plain copy (TypedArray.set) of the same buffer', value: rate(BYTES, copy) };
    const sumName = `sum of 16M f32: node.sum() (${isa})`;
    const dotName = `dot of 2 x 16M f32: node.dot() (${isa})`;
    return [
      withRatio({ suite: 'arrays', name: sumName, value: rate(BYTES, nativeSum), unit: 'GB/s', spread: nativeSum.spread,
        baseline: { name: 'JS loop over the view', value: rate(BYTES, loopSum) }, target: '>= 4x JS loop' }),
      withRatio({ suite: 'arrays', name: sumName, value: rate(BYTES, nativeSum), unit: 'GB/s', spread: nativeSum.spread,
        baseline: copyRate, target: '>= 0.7x copy bandwidth' }),
      withRatio({ suite: 'arrays', name: dotName, value: rate(2 * BYTES, nativeDot), unit: 'GB/s', spread: nativeDot.spread,
        baseline: { name: 'JS loop over the views', value: rate(2 * BYTES, loopDot) }, target: '>= 4x JS loop' }),
      withRatio({ suite: 'arrays', name: dotName, value: rate(2 * BYTES, nativeDot), unit: 'GB/s', spread: nativeDot.spread,
        baseline: copyRate, target: '>= 0.7x copy bandwidth' }),
      { suite: 'arrays', name: 'baseline: JS loop sum over the view', value: rate(BYTES, loopSum), unit: 'GB/s', spread: loopSum.spread },
      { suite: 'arrays', name: 'baseline: JS loop dot over the views', value: rate(2 * BYTES, loopDot), unit: 'GB/s', spread: loopDot.spread },
      { suite: 'arrays', name: `baseline: ${copyRate.name}`, value: copyRate.value, unit: 'GB/s', spread: copy.spread },
    ];
  },
};
