import assert from 'node:assert/strict';
import { test } from 'node:test';
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
