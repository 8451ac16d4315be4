import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columnMeans, isSymmetric, transposeCsr } from '../../src/matrix/csr-ops.ts';
import { csrTimesDenseParallel } from '../../src/matrix/parallel-product.ts';
import { Random } from '../../src/matrix/random.ts';
import { csrTimesDense, csrTransposeTimesDense } from '../../src/matrix/sparse-products.ts';
import { csrFromDense } from './reference-fixture.ts';

// 37 × 23 at ~30% density, k = 13 (one block of 8 plus 5 single columns).
const rng = new Random(42);
const rows = Array.from({ length: 37 }, () =>
  Array.from({ length: 23 }, () => (rng.next() < 0.3 ? 1 + rng.int(9) : 0)),
);
const X = csrFromDense(rows);
const k = 13;

function dense(n: number, seed: number): Float64Array {
  const r = new Random(seed);
  return Float64Array.from({ length: n }, () => r.normal());
}

test('csrTimesDense equals the dense product', () => {
  const B = dense(23 * k, 1);
  const out = csrTimesDense(X, B, k);
  for (let i = 0; i < 37; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < 23; j++) s += rows[i][j] * B[j * k + c];
      assert.ok(Math.abs(out[i * k + c] - s) < 1e-12, `(${i}, ${c})`);
    }
  }
});

test('csrTransposeTimesDense equals the dense transposed product and overwrites out', () => {
  const Y = dense(37 * k, 2);
  const out = csrTransposeTimesDense(X, Y, k, new Float64Array(23 * k).fill(99));
  for (let j = 0; j < 23; j++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let i = 0; i < 37; i++) s += rows[i][j] * Y[i * k + c];
      assert.ok(Math.abs(out[j * k + c] - s) < 1e-12, `(${j}, ${c})`);
    }
  }
});

test('transposeCsr swaps rows and columns with sorted indices', () => {
  const T = transposeCsr(
    csrFromDense([
      [1, 0, 2],
      [0, 3, 4],
    ]),
  );
  assert.equal(T.nRows, 3);
  assert.equal(T.nCols, 2);
  assert.deepEqual(Array.from(T.indptr), [0, 1, 2, 4]);
  assert.deepEqual(Array.from(T.indices), [0, 1, 0, 1]);
  assert.deepEqual(Array.from(T.data), [1, 3, 2, 4]);
});

test('isSymmetric compares a matrix with its transpose, whatever the order within rows', () => {
  const sym = csrFromDense([
    [0, 2, 5],
    [2, 0, 0],
    [5, 0, 1],
  ]);
  assert.equal(isSymmetric(sym), true);
  // The same matrix with row 0 stored out of column order.
  const shuffled = {
    ...sym,
    indices: Int32Array.from([2, 1, 0, 0, 2]),
    data: Float32Array.from([5, 2, 2, 5, 1]),
  };
  assert.equal(isSymmetric(shuffled), true);
  // kNN distances: j is among i's neighbours but not the reverse.
  const directed = csrFromDense([
    [0, 2, 0],
    [0, 0, 3],
    [0, 3, 0],
  ]);
  assert.equal(isSymmetric(directed), false);
  // Same pattern, one weight differs.
  const skewed = csrFromDense([
    [0, 2],
    [2.5, 0],
  ]);
  assert.equal(isSymmetric(skewed), false);
  assert.equal(isSymmetric(csrFromDense([[1, 0, 0]])), false);
});

test('columnMeans averages over all rows, implicit zeros included', () => {
  const means = columnMeans(
    csrFromDense([
      [1, 0, 2],
      [0, 0, 4],
    ]),
  );
  assert.deepEqual(Array.from(means), [0.5, 0, 3]);
});

test('csrTimesDenseParallel gives csrTimesDense bit for bit, with a worker or without', () => {
  const B = dense(23 * k, 7);
  const expected = csrTimesDense(X, B, k);
  const options = { threads: 2, workerThreshold: 0 };
  assert.deepEqual(csrTimesDenseParallel(X, B, k, options), expected);
  assert.deepEqual(csrTimesDenseParallel(X, B, k, { ...options, waitForWorker: true }), expected);
  assert.deepEqual(csrTimesDenseParallel(X, B, k, { threads: 1 }), expected);
  // Empty rows at either end move the cut; a single row leaves nothing to split.
  const padded = csrFromDense([new Array(23).fill(0), ...rows, new Array(23).fill(0)]);
  assert.deepEqual(
    csrTimesDenseParallel(padded, B, k, { ...options, waitForWorker: true }),
    csrTimesDense(padded, B, k),
  );
  const one = csrFromDense([rows[0]]);
  assert.deepEqual(csrTimesDenseParallel(one, B, k, options), csrTimesDense(one, B, k));
});
