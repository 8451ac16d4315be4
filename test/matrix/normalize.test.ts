import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CsrMatrix } from '../../src/matrix/csr.ts';
import { emptyGeneMoments } from '../../src/matrix/hvg.ts';
import { log1pOnly, normalizeTotalLog1p, transformExpression } from '../../src/matrix/normalize.ts';
import { csrFromDense, reference, relDiff } from './reference-fixture.ts';

test('normalizeTotalLog1p matches the reference normalize_log1p within 1e-6 relative', () => {
  const out = normalizeTotalLog1p(reference.counts);
  const expected = reference.normalized.data;
  assert.equal(out.data.length, expected.length);
  let worst = 0;
  for (let p = 0; p < expected.length; p++) {
    worst = Math.max(worst, relDiff(out.data[p], expected[p]));
  }
  assert.ok(worst <= 1e-6, `worst relative difference ${worst}`);
  assert.ok(out.data instanceof Float32Array);
  assert.equal(out.indices, reference.counts.indices);
});

test('normalizeTotalLog1p scales each cell to the target sum and leaves empty cells at zero', () => {
  const X = csrFromDense([
    [1, 0, 3],
    [0, 0, 0],
    [2, 2, 0],
  ]);
  const out = normalizeTotalLog1p(X, { targetSum: 100 });
  // Row 0: 1 → 25, 3 → 75; row 2: 2 → 50 each.
  const expected = [Math.log1p(25), Math.log1p(75), Math.log1p(50), Math.log1p(50)];
  assert.deepEqual(Array.from(out.data), expected.map(Math.fround));
  assert.deepEqual(Array.from(out.indptr), [0, 2, 2, 4]);
});

test('normalizeTotalLog1p rejects a non-positive target sum', () => {
  assert.throws(() => normalizeTotalLog1p(csrFromDense([[1]]), { targetSum: 0 }), /target_sum/);
});

test('log1pOnly applies log1p without library-size scaling', () => {
  const X = csrFromDense([[0.5, 0, 10]]);
  assert.deepEqual(
    Array.from(log1pOnly(X).data),
    [Math.log1p(0.5), Math.log1p(10)].map(Math.fround),
  );
});

test('transformExpression dispatches on the transform and passes none through', () => {
  const X = csrFromDense([
    [1, 3],
    [-2, 4],
  ]);
  assert.equal(transformExpression(X, 'none'), X);
  assert.deepEqual(transformExpression(X, 'log1p').data, log1pOnly(X).data);
  const counts = csrFromDense([[1, 3]]);
  assert.deepEqual(
    transformExpression(counts, 'normalize-log1p', { targetSum: 4 }).data,
    normalizeTotalLog1p(counts, { targetSum: 4 }).data,
  );
});

test('normalizeTotalLog1p in place writes the same values into the input array', () => {
  const expected = normalizeTotalLog1p(reference.counts);
  const input = { ...reference.counts, data: reference.counts.data.slice() };
  const out = normalizeTotalLog1p(input, { inPlace: true });
  assert.equal(out.data, input.data);
  assert.deepEqual(Array.from(out.data), Array.from(expected.data));
});

test('normalizeTotalLog1p gives log1p(count · scale) for fractional, large, zero and small counts alike', () => {
  // Row 0 whole counts (per-cell table), row 1 fractional and row 2 a count
  // above the table (memo), row 3 an explicitly stored zero beside whole counts.
  const rows = [
    [1, 2, 0, 2, 7],
    [0.5, 0, 2.25, 1, 0],
    [300, 1, 0, 3, 1],
    [0, 0, 1, 4, 0],
  ];
  const X = csrFromDense(rows);
  const withZero = {
    ...X,
    indptr: Float64Array.from([0, 4, 7, 11, 14]),
    indices: Int32Array.from([...X.indices.subarray(0, 11), 0, 2, 3]),
    data: Float32Array.from([...X.data.subarray(0, 11), 0, 1, 4]),
  };
  const out = normalizeTotalLog1p(withZero, { targetSum: 1000 });
  for (let r = 0; r < rows.length; r++) {
    const start = withZero.indptr[r];
    const end = withZero.indptr[r + 1];
    const total = rows[r].reduce((a, b) => a + b, 0);
    for (let p = start; p < end; p++) {
      const expected = Math.fround(Math.log1p((withZero.data[p] * 1000) / total));
      assert.ok(
        Math.abs(out.data[p] - expected) <= 1e-7 * Math.max(1, expected),
        `row ${r} value ${withZero.data[p]}: ${out.data[p]} vs ${expected}`,
      );
    }
  }
});

/** Per-column sums of fround(expm1(x)), its square, and the stored count, worked out plainly. */
function plainMoments(X: CsrMatrix) {
  const sum = new Array<number>(X.nCols).fill(0);
  const squares = new Array<number>(X.nCols).fill(0);
  const stored = new Array<number>(X.nCols).fill(0);
  for (let p = 0; p < X.indptr[X.nRows]; p++) {
    const e = Math.fround(Math.expm1(X.data[p]));
    sum[X.indices[p]] += e;
    squares[X.indices[p]] += e * e;
    stored[X.indices[p]] += 1;
  }
  return { sum, squares, stored };
}

test('normalizeTotalLog1p fills the expm1 moments of its result in the same pass', () => {
  const fractional = csrFromDense([
    [0.5, 3, 0, 1000],
    [2, 0, 1.5, 1],
    [0, 0, 0, 0],
    [1, 1, 1, 1],
  ]);
  for (const X of [reference.counts, fractional]) {
    const moments = emptyGeneMoments(X.nCols);
    const out = normalizeTotalLog1p(X, { momentsInto: moments });
    const expected = plainMoments(out);
    assert.deepEqual(Array.from(moments.sum), expected.sum);
    assert.deepEqual(Array.from(moments.squares), expected.squares);
    assert.deepEqual(Array.from(moments.stored), expected.stored);
    assert.deepEqual(Array.from(out.data), Array.from(normalizeTotalLog1p(X).data));
  }
  assert.throws(
    () => normalizeTotalLog1p(fractional, { momentsInto: emptyGeneMoments(3) }),
    /momentsInto.*3 genes.*has 4/,
  );
});

test('transformExpression fills the moments for every transform', () => {
  const X = csrFromDense([
    [0.5, 3, 0],
    [2, 0, 1.5],
  ]);
  for (const transform of ['normalize-log1p', 'log1p', 'none'] as const) {
    const moments = emptyGeneMoments(X.nCols);
    const out = transformExpression(X, transform, { momentsInto: moments });
    assert.deepEqual(Array.from(moments.sum), plainMoments(out).sum, transform);
    assert.deepEqual(Array.from(moments.stored), [2, 1, 1], transform);
  }
});
