import assert from 'node:assert/strict';
import { test } from 'node:test';
import { denseProduct, rowsTimesVector } from '../../src/matrix/dense-product.ts';
import { Random } from '../../src/matrix/random.ts';
import { allocate, rowBlockTesting } from '../../src/matrix/row-blocks.ts';

const M = 1203; // above the split order, odd so the halves differ in length

function symmetric(shared: boolean): Float64Array {
  const rng = new Random(3);
  const C = allocate(Float64Array, M * M, shared);
  for (let a = 0; a < M; a++) {
    for (let b = a; b < M; b++) {
      const v = rng.normal();
      C[a * M + b] = v;
      C[b * M + a] = v;
    }
  }
  return C;
}

test('denseProduct with a worker gives the bits of one thread, product after product', () => {
  const C = symmetric(true);
  const rng = new Random(4);
  const product = denseProduct(C, M, { threads: 2 });
  rowBlockTesting.waitForWorkers = true;
  try {
    for (let step = 0; step < 5; step++) {
      const x = Float64Array.from({ length: M }, () => rng.normal());
      const y = new Float64Array(M);
      product.times(x, y);
      const expected = new Float64Array(M);
      rowsTimesVector(C, M, x, expected, 0, M);
      assert.deepEqual(y, expected);
      // And against a plain sum per row, within rounding.
      for (const i of [0, 601, M - 1]) {
        let s = 0;
        for (let t = 0; t < M; t++) s += C[i * M + t] * x[t];
        assert.ok(Math.abs(y[i] - s) <= 1e-12 * Math.max(1, Math.abs(s)), `row ${i}`);
      }
    }
  } finally {
    rowBlockTesting.waitForWorkers = false;
    product.close();
  }
});

test('denseProduct stays on this thread for a matrix outside shared memory', () => {
  const C = symmetric(false);
  const product = denseProduct(C, M, { threads: 2 });
  const x = new Float64Array(M).fill(1);
  const y = new Float64Array(M);
  product.times(x, y);
  product.close();
  let s = 0;
  for (let t = 0; t < M; t++) s += C[5 * M + t];
  assert.equal(y[5], s);
});
