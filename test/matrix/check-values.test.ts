import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isScgraphError } from '../../src/errors.ts';
import { checkValues, firstNonInteger } from '../../src/matrix/check-values.ts';
import { csrFromDense } from './reference-fixture.ts';

const file = 'sample.h5ad';

test('checkValues accepts finite non-negative counts', () => {
  assert.doesNotThrow(() =>
    checkValues(
      csrFromDense([
        [0, 1],
        [2.5, 0],
      ]),
      { file },
    ),
  );
});

test('checkValues names the file, the count and the first non-finite position', () => {
  const X = csrFromDense([
    [1, 0, 0],
    [0, 0, Number.NaN],
    [Number.POSITIVE_INFINITY, 0, 0],
  ]);
  assert.throws(
    () => checkValues(X, { file, cellIds: ['a', 'b', 'c'], geneIds: ['g1', 'g2', 'g3'] }),
    (e) =>
      isScgraphError(e) &&
      e.kind === 'invalid-input' &&
      e.file === file &&
      e.message ===
        'sample.h5ad: 2 non-finite value(s) (NaN or Inf) in the expression matrix; ' +
          "first value NaN at cell 'b' (cell #2 of 3), gene 'g3' (gene #3 of 3)",
  );
});

test('checkValues reports non-finite values even where negatives are allowed', () => {
  const X = csrFromDense([[-1, Number.NEGATIVE_INFINITY]]);
  assert.throws(
    () => checkValues(X, { file, allowNegative: true }),
    /1 non-finite value\(s\).*first value -Infinity at cell #1 of 1, gene #2 of 2/,
  );
});

test('checkValues rejects negative counts and finds the row past empty rows', () => {
  const X = csrFromDense([
    [0, 0],
    [0, 0],
    [3, -2],
    [-1, 0],
  ]);
  assert.throws(
    () => checkValues(X, { file, matrixName: 'X' }),
    (e) =>
      isScgraphError(e) &&
      e.field === 'X' &&
      /2 negative value\(s\) where counts are expected; first value -2 at cell #3 of 4, gene #2 of 2/.test(
        e.message,
      ),
  );
});

test('checkValues allows negative values when asked', () => {
  assert.doesNotThrow(() => checkValues(csrFromDense([[-3.5, 1]]), { file, allowNegative: true }));
});

test('firstNonInteger finds the first fractional value and its row, within the limit', () => {
  // Rows 0 and 1 hold whole numbers (row 1 is empty); row 2's second value has a fraction.
  const X = csrFromDense([
    [1, 0, 3],
    [0, 0, 0],
    [2, 0.5, 0],
    [1.25, 0, 0],
  ]);
  assert.deepEqual(firstNonInteger(X, 100), { value: 0.5, row: 2 });
  // Only the first three stored values (1, 3, 2) are looked at.
  assert.equal(firstNonInteger(X, 3), undefined);
  assert.equal(firstNonInteger(csrFromDense([[4, 0, 7]]), 100), undefined);
});
