import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cutEqualWidth, emptyGeneMoments, highlyVariableGenes } from '../../src/matrix/hvg.ts';
import { normalizeTotalLog1p } from '../../src/matrix/normalize.ts';
import { csrFromDense, reference, relDiff } from './reference-fixture.ts';

test('highlyVariableGenes selects the same genes as the reference hvg_seurat', () => {
  const { indices, mask, selectedNnz } = highlyVariableGenes(reference.normalized, {
    nTop: reference.hvg.nTop,
  });
  assert.deepEqual(Array.from(indices), reference.hvg.indices);
  const { indptr, indices: columns } = reference.normalized;
  let expectedNnz = 0;
  for (let p = 0; p < indptr[reference.normalized.nRows]; p++) {
    if (reference.hvg.indices.includes(columns[p])) expectedNnz++;
  }
  assert.equal(selectedNnz, expectedNnz);
  assert.equal(
    mask.reduce((s, v) => s + v, 0),
    reference.hvg.indices.length,
  );
});

test('highlyVariableGenes matches the reference means, dispersions and normalized dispersions', () => {
  const result = highlyVariableGenes(reference.normalized, { nTop: reference.hvg.nTop });
  const check = (name: string, ours: ArrayLike<number>, theirs: ArrayLike<number>, tol: number) => {
    for (let g = 0; g < theirs.length; g++) {
      if (Number.isNaN(theirs[g])) {
        assert.ok(Number.isNaN(ours[g]), `${name}[${g}] should be NaN, got ${ours[g]}`);
      } else {
        const d = Math.min(relDiff(ours[g], theirs[g]), Math.abs(ours[g] - theirs[g]));
        assert.ok(d <= tol, `${name}[${g}]: ${ours[g]} vs ${theirs[g]}`);
      }
    }
  };
  check('means', result.means, reference.hvg.means, 1e-9);
  check('dispersions', result.dispersions, reference.hvg.dispersions, 1e-9);
  check('dispersionsNorm', result.dispersionsNorm, reference.hvg.dispersionsNorm, 1e-5);
});

test('highlyVariableGenes on our own normalization gives the reference selection', () => {
  const { indices } = highlyVariableGenes(normalizeTotalLog1p(reference.counts), {
    nTop: reference.hvg.nTop,
  });
  assert.deepEqual(Array.from(indices), reference.hvg.indices);
});

test('highlyVariableGenes on moments gathered while normalizing matches the reference means and selection', () => {
  const moments = emptyGeneMoments(reference.counts.nCols);
  const X = normalizeTotalLog1p(reference.counts, { momentsInto: moments });
  const result = highlyVariableGenes(X, { nTop: reference.hvg.nTop, moments });
  assert.deepEqual(Array.from(result.indices), reference.hvg.indices);
  for (let g = 0; g < reference.hvg.means.length; g++) {
    assert.ok(relDiff(result.means[g], reference.hvg.means[g]) <= 1e-6, `means[${g}]`);
  }
  assert.throws(
    () => highlyVariableGenes(X, { moments: emptyGeneMoments(X.nCols + 1) }),
    /moments.*genes/,
  );
});

test('highlyVariableGenes keeps every gene when there are no more than nTop', () => {
  const X = normalizeTotalLog1p(
    csrFromDense([
      [1, 0, 3],
      [0, 2, 1],
      [4, 1, 0],
    ]),
  );
  const { mask, indices } = highlyVariableGenes(X, { nTop: 3 });
  assert.deepEqual(Array.from(mask), [1, 1, 1]);
  assert.deepEqual(Array.from(indices), [0, 1, 2]);
});

test('highlyVariableGenes scores a gene alone in its bin as 1', () => {
  // Genes 0-2 share a low-mean bin; gene 3's mean is far above, alone in the top bin.
  const X = csrFromDense([
    [0.1, 0.2, 0.0, 5.0],
    [0.0, 0.1, 0.3, 6.0],
    [0.2, 0.0, 0.1, 4.0],
    [0.1, 0.3, 0.2, 5.5],
  ]);
  const { dispersionsNorm } = highlyVariableGenes(X, { nTop: 1 });
  assert.equal(dispersionsNorm[3], 1);
});

test('highlyVariableGenes gives a constant gene zero variance, so an undefined dispersion', () => {
  // 50 cells: gene 0 constant (a sum of squares minus squared sum leaves -1.1e-14 here),
  // gene 1 cycling 0, 0.25, 0.5, 0.75, 1. sklearn mean_variance_axis(csr(expm1(X)), 0) gives
  // means [3.6226127, 0.7536057] and variances [0, 0.37241668]; scanpy turns the 0 into NaN.
  const X = csrFromDense(
    Array.from({ length: 50 }, (_, i) => [1.5309600830078125, (i % 5) * 0.25]),
  );
  const { dispersions } = highlyVariableGenes(X, { nTop: 1 });
  assert.ok(Number.isNaN(dispersions[0]), `dispersion of the constant gene: ${dispersions[0]}`);
  const expected = Math.log((0.37241668 * 50) / 49 / 0.7536057);
  assert.ok(Math.abs(dispersions[1] - expected) < 1e-6, `${dispersions[1]} vs ${expected}`);
});

test('cutEqualWidth bins like pandas.cut with integer bins', () => {
  // pandas.cut([0, 1, 2, 3, 4, 10], 5, labels=False) -> [0, 0, 0, 1, 1, 4]
  assert.deepEqual(
    Array.from(cutEqualWidth(Float64Array.from([0, 1, 2, 3, 4, 10]), 5)),
    [0, 0, 0, 1, 1, 4],
  );
  // A constant input widens the range by 0.1% each side: pandas.cut([2, 2], 4, labels=False) -> [1, 1]
  assert.deepEqual(Array.from(cutEqualWidth(Float64Array.from([2, 2]), 4)), [1, 1]);
  // Right-closed intervals: 2.5 is the upper edge of bin 0 of (0, 10] in 4 bins.
  assert.deepEqual(
    Array.from(cutEqualWidth(Float64Array.from([0, 2.5, 2.50001, 10]), 4)),
    [0, 0, 1, 3],
  );
});

test('highlyVariableGenes rejects bad options and too few cells', () => {
  const X = csrFromDense([[1, 2]]);
  assert.throws(() => highlyVariableGenes(X), /at least 2 cells/);
  assert.throws(() => highlyVariableGenes(csrFromDense([[1], [2]]), { nTop: 0 }), /n_top_genes/);
});
