// SIMD array nodes: the kernels against plain JavaScript loops on the lengths around the
// vector widths and 1M (so the unaligned tails run too), zero-copy views that stay valid
// after their node's array is replaced or resized, reference counts the finalizers drop,
// and views of one buffer from two threads.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { type ArrayValue, GroveError, Tree, type TypeName } from '../src/index.js';
import { native } from '../src/native.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let tree: Tree;
beforeEach(() => {
  tree = Tree.create();
});
afterEach(() => {
  tree.close();
});

const LENGTHS = [0, 1, 2, 7, 8, 15, 16, 17, 63, 64, 65, 1000, 1 << 20];

type FloatArray = Float32Array | Float64Array;

function random(n: number, Kind: { new (n: number): FloatArray }, seed: number): FloatArray {
  const out = new Kind(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out[i] = (x / 2147483648) * 200 - 100;
  }
  return out;
}

// The plain JavaScript references: accumulate in double, elementwise in the element type.
const reference = {
  sum: (x: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]!;
    return s;
  },
  dot: (x: ArrayLike<number>, y: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
    return s;
  },
  min: (x: ArrayLike<number>) => (x.length === 0 ? undefined : Math.min(...Array.from(x))),
  max: (x: ArrayLike<number>) => (x.length === 0 ? undefined : Math.max(...Array.from(x))),
};

function closeTo(actual: number, expected: number, n: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-10 * (n + 1) * 1e4);
}

describe.each([
  ['f32array', Float32Array],
  ['f64array', Float64Array],
] as const)('%s kernels', (type, Kind) => {
  it.each(LENGTHS)('match the JavaScript reference on %i elements', (n) => {
    const x = random(n, Kind, n + 1);
    const y = random(n, Kind, n + 2);
    tree.set('x', x, type);
    tree.set('y', y, type);
    const [nx, ny] = [tree.node('x'), tree.node('y')];
    closeTo(nx.sum() as number, reference.sum(x), n);
    closeTo(nx.dot(ny) as number, reference.dot(x, y), n);
    if (n <= 100_000) {
      expect(nx.min()).toBe(reference.min(x));
      expect(nx.max()).toBe(reference.max(x));
    } else {
      expect(nx.min()).toBe(x.reduce((a, b) => Math.min(a, b)));
      expect(nx.max()).toBe(x.reduce((a, b) => Math.max(a, b)));
    }
    // scale and axpy round once per operation in the element type: bit-for-bit the same.
    const round = type === 'f32array' ? Math.fround : (v: number) => v;
    const a = round(0.75);
    nx.scale(0.75);
    const scaled = nx.view();
    expect(scaled.every((v, i) => v === round(a * x[i]!))).toBe(true);
    ny.axpy(0.75, nx);
    const axpy = ny.view();
    expect(axpy.every((v, i) => v === round(round(a * scaled[i]!) + y[i]!))).toBe(true);
  });

  it('make min and max NaN when any element is NaN', () => {
    for (const at of [0, 5, 63, 64]) {
      const x = random(65, Kind, 3);
      x[at] = NaN;
      tree.set('x', x, type);
      expect(tree.node('x').min()).toBeNaN();
      expect(tree.node('x').max()).toBeNaN();
    }
  });
});

describe('integer array kernels', () => {
  it.each([
    ['i32array', Int32Array],
    ['i16array', Int16Array],
    ['u8array', Uint8Array],
  ] as const)('%s: exact sums, dot, min and max', (type, Kind) => {
    for (const n of [0, 1, 63, 64, 65, 100_000]) {
      const x = new Kind(n).map((_, i) => (i * 7919) % 200) as InstanceType<typeof Kind>;
      tree.set('x', Array.from(x), type);
      const node = tree.node('x');
      expect(node.sum()).toBe(reference.sum(x));
      expect(node.dot(node)).toBe(reference.dot(x, x));
      expect(node.min()).toBe(reference.min(x));
      expect(node.max()).toBe(n === 0 ? undefined : x.reduce((a, b) => Math.max(a, b)));
    }
  });

  it('refuse results outside the element range, and factors that are not integers', () => {
    tree.set('b', [200, 100], 'u8array');
    const b = tree.node('b');
    expect(() => b.scale(2)).toThrow('scale(): element 0 of the result is out of range for u8array (0..255)');
    expect(() => b.scale(0.5)).toThrow('scale() of u8array takes an integer factor, not 0.5');
    expect(b.view()).toEqual(new Uint8Array([200, 100]));  // nothing written
    b.scale(1);
    tree.set('i', [2147483647, 2147483647], 'i32array');
    expect(tree.node('i').dot(tree.node('i'))).toBe(2n * 2147483647n ** 2n);  // exact, beyond 2^53
  });

  it('need arrays of one type and length', () => {
    tree.set('f', [1, 2], 'f32array');
    tree.set('d', [1, 2], 'f64array');
    tree.set('g', [1, 2, 3], 'f32array');
    tree.set('n', 1);
    expect(() => tree.node('f').dot(tree.node('d'))).toThrow('dot() takes two arrays of one type, not f32array and f64array');
    expect(() => tree.node('f').dot(tree.node('g'))).toThrow('dot() takes two arrays of one length, not 2 and 3');
    expect(() => tree.node('n').sum()).toThrow(GroveError);
    expect(() => tree.node('n').view()).toThrow(/'n' is a i64 node; it works on f32array/);
  });
});

describe('views', () => {
  it('are zero-copy: every view of one buffer shares one ArrayBuffer', () => {
    tree.set('a', new Float32Array([1, 2, 3]));
    const a = tree.node('a');
    const first = a.view();
    const second = a.view();
    expect(first).toBeInstanceOf(Float32Array);
    expect(second.buffer).toBe(first.buffer);
    expect(first.byteOffset).toBe(0);
    expect(Array.from(first)).toEqual([1, 2, 3]);
    expect(a.value).not.toBe(first);  // value is a copy
    expect(a.value).toEqual(first);
  });

  it('keep reading the buffer they were taken from after a resize or a set', () => {
    tree.set('a', new Float64Array([1, 2, 3, 4]));
    const a = tree.node('a');
    const before = a.view();
    a.resize(6);
    expect(Array.from(before)).toEqual([1, 2, 3, 4]);
    expect(Array.from(a.view())).toEqual([1, 2, 3, 4, 0, 0]);
    const resized = a.view();
    a.resize(2);
    a.value = new Float64Array([9, 9]);
    a.scale(2);
    expect(Array.from(before)).toEqual([1, 2, 3, 4]);
    expect(Array.from(resized)).toEqual([1, 2, 3, 4, 0, 0]);
    expect(Array.from(a.view())).toEqual([18, 18]);
    tree.delete('a');
    a.release();
    tree.close();
    gc();
    expect(Array.from(before)).toEqual([1, 2, 3, 4]);  // the view's own reference keeps the buffer
  });

  it('hold a reference that their finalizer drops', async () => {
    tree.set('big', new Float32Array(1 << 16).fill(1));
    const before = native.arrayStats().views;
    let view: ArrayValue | undefined = tree.node('big').view();
    expect(native.arrayStats().views).toBe(before + 1);
    tree.delete('big');
    gc();
    expect(view.length).toBe(1 << 16);
    expect(view[100]).toBe(1);  // the view's reference keeps the buffer after its node is gone
    view = undefined;
    for (let i = 0; i < 50 && native.arrayStats().views > before; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(native.arrayStats().views).toBeLessThanOrEqual(before);  // finalized: its reference dropped
  });

  it('of an empty array are empty', () => {
    tree.set('e', new Int16Array(0));
    expect(tree.node('e').view()).toEqual(new Int16Array(0));
    expect(tree.node('e').sum()).toBe(0);
    expect(tree.node('e').min()).toBeUndefined();
  });

  it('of one buffer from two threads both read it, and a resize in one leaves the other view intact', async () => {
    const n = 100_000;
    const values = random(n, Float32Array, 11);
    tree.set('shared/a', values);
    const mine = tree.node('shared/a').view();
    const worker = new Worker(fileURLToPath(new URL('./fixtures/array-worker.mjs', import.meta.url)), {
      workerData: { tree: tree.share(), path: 'shared/a', resize: 10 },
    });
    // listened for from the start: a worker that is done before its message is read emits both in one turn
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const seen = await new Promise<{ sum: number; viewSum: number; length: number; first: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await exited;
    expect(seen.length).toBe(n);
    expect(seen.first).toBe(values[0]);
    closeTo(seen.sum, reference.sum(values), n);
    closeTo(seen.viewSum, reference.sum(values), n);
    expect(mine).toEqual(values);  // the worker's resize gave the node a new buffer
    expect(tree.node('shared/a').view().length).toBe(10);
  });
});

describe('array values', () => {
  it.each([
    ['f32array', new Float32Array([1.5, -2])],
    ['f64array', new Float64Array([Math.PI])],
    ['i32array', new Int32Array([-(2 ** 31)])],
    ['i16array', new Int16Array([-1, 1])],
    ['u8array', new Uint8Array([0, 255])],
  ] as [TypeName, ArrayValue][])('%s reads as its TypedArray and writes from any exact form', (type, value) => {
    tree.set('a', value, type);
    expect(tree.value('a')).toEqual(value);
    tree.set('a', Array.from(value), type);
    expect(tree.value('a')).toEqual(value);
  });
});
