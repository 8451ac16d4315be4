import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EigenvalueDecomposition, Matrix, QrDecomposition } from 'ml-matrix';
import type { CsrMatrix } from '../../src/matrix/csr.ts';
import { gramUpper } from '../../src/matrix/gram.ts';
import { lanczosTopEigen, tridiagonalEigen } from '../../src/matrix/lanczos.ts';
import { pca } from '../../src/matrix/pca.ts';
import { subsetCsr } from '../../src/matrix/qc.ts';
import { Random } from '../../src/matrix/random.ts';
import { rowBlockTesting } from '../../src/matrix/row-blocks.ts';
import { csrFromDense, reference, relDiff } from './reference-fixture.ts';

// The reference's HVG matrix (300 cells × 200 genes of normalized log data).
const Xh = subsetCsr(reference.normalized, null, Int32Array.from(reference.hvg.indices));

// Both routes answer the same questions against the same exact reference.
for (const method of ['covariance', 'randomized'] as const) {
  const result = pca(Xh, { nComponents: reference.pca.nComponents, seed: 0, method });

  test(`pca (${method}) explained variance of the top 10 components matches the exact SVD within 1e-3`, () => {
    assert.equal(result.nComponents, 50);
    for (let j = 0; j < 10; j++) {
      const ev = result.explainedVariance[j];
      const evr = result.explainedVarianceRatio[j];
      assert.ok(relDiff(ev, reference.pca.explainedVariance[j]) < 1e-3, `variance ${j}: ${ev}`);
      assert.ok(relDiff(evr, reference.pca.explainedVarianceRatio[j]) < 1e-3, `ratio ${j}: ${evr}`);
      assert.ok(relDiff(result.singularValues[j], reference.pca.singularValues[j]) < 1e-3);
    }
  });

  test(`pca (${method}) top 5 components point along the exact ones (|cosine| > 0.999)`, () => {
    const m = Xh.nCols;
    const comps = result.components.data;
    for (let j = 0; j < 5; j++) {
      let dot = 0;
      let a2 = 0;
      let b2 = 0;
      for (let g = 0; g < m; g++) {
        const a = comps[j * m + g];
        const b = reference.pca.componentsTop5[j * m + g];
        dot += a * b;
        a2 += a * a;
        b2 += b * b;
      }
      const cosine = Math.abs(dot) / Math.sqrt(a2 * b2);
      assert.ok(cosine > 0.999, `component ${j}: |cosine| ${cosine}`);
    }
  });

  // U·S = Q·Qᵀ·A·V: equal to A·V up to how far Q has converged. On this data the
  // first 3 components (wide spectral gaps) agree to float32 rounding (~5e-7) and
  // components 4-5 (gaps of ~5%) to ~2e-4 on values of magnitude ~3-10.
  test(`pca (${method}) embedding equals the centred matrix times the components (top 5)`, () => {
    const { nRows: n, nCols: m } = Xh;
    const k = result.nComponents;
    const dense = new Float64Array(n * m);
    for (let r = 0; r < n; r++) {
      for (let p = Xh.indptr[r]; p < Xh.indptr[r + 1]; p++)
        dense[r * m + Xh.indices[p]] = Xh.data[p];
    }
    let worst = 0;
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < 5; j++) {
        let s = 0;
        for (let g = 0; g < m; g++) {
          s += (dense[r * m + g] - result.mean[g]) * result.components.data[j * m + g];
        }
        worst = Math.max(worst, Math.abs(s - result.embedding.data[r * k + j]));
      }
    }
    assert.ok(worst < 1e-3, `worst difference ${worst}`);
    assert.ok(result.embedding.data instanceof Float32Array);
  });

  test(`pca (${method}) components are orthonormal and the largest entry of each U column is positive`, () => {
    const { nCols: m } = Xh;
    const k = result.nComponents;
    const c = result.components.data;
    for (let a = 0; a < k; a++) {
      for (let b = a; b < k; b++) {
        let dot = 0;
        for (let g = 0; g < m; g++) dot += c[a * m + g] * c[b * m + g];
        assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-10, `components ${a}·${b} = ${dot}`);
      }
    }
    const e = result.embedding.data;
    for (let j = 0; j < k; j++) {
      let best = 0;
      for (let i = 0; i < Xh.nRows; i++)
        if (Math.abs(e[i * k + j]) > Math.abs(best)) best = e[i * k + j];
      assert.ok(best > 0, `column ${j} has its largest entry negative`);
    }
  });

  test(`pca (${method}) with the same seed gives identical bytes, another seed the same spectrum`, () => {
    const again = pca(Xh, { nComponents: 50, seed: 0, method });
    assert.deepEqual(
      Buffer.from(again.embedding.data.buffer),
      Buffer.from(result.embedding.data.buffer),
    );
    assert.deepEqual(again.singularValues, result.singularValues);
    const other = pca(Xh, { nComponents: 50, seed: 7, method });
    for (let j = 0; j < 10; j++) {
      assert.ok(relDiff(other.explainedVariance[j], result.explainedVariance[j]) < 1e-3);
    }
  });

  test(`pca (${method}) caps the components at min(cells, genes) - 1 and handles rank deficiency`, () => {
    // 4 cells, two of them identical: the centred matrix has rank 2.
    const X = csrFromDense([
      [1, 0, 2, 0, 1],
      [0, 3, 0, 1, 0],
      [1, 0, 2, 0, 1],
      [2, 1, 0, 0, 4],
    ]);
    const small = pca(X, { nComponents: 50, method });
    assert.equal(small.nComponents, 3);
    assert.equal(small.nComponentsRequested, 50);
    assert.equal(small.embedding.nCols, 3);
    assert.ok(small.explainedVariance[2] < 1e-12 * small.explainedVariance[0]);
    const ratioSum = small.explainedVarianceRatio.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(ratioSum - 1) < 1e-12, `ratios sum to ${ratioSum}`);
    for (const v of small.embedding.data) assert.ok(Number.isFinite(v));
  });
}

test('pca rejects bad options and a matrix too small to have components', () => {
  assert.throws(() => pca(Xh, { nComponents: 0 }), /n_components/);
  assert.throws(() => pca(Xh, { powerIterations: -1 }), /power_iterations/);
  assert.throws(() => pca(csrFromDense([[1, 2, 3]])), /at least 2 cells/);
  assert.throws(() => pca(Xh, { method: 'exact' as 'auto' }), /pca_method/);
});

test('pca (covariance) iterates until all 50 explained variances match the exact SVD within 1e-6', () => {
  const r = pca(Xh, { nComponents: 50, seed: 0, method: 'covariance' });
  for (let j = 0; j < 50; j++) {
    const ev = r.explainedVariance[j];
    assert.ok(relDiff(ev, reference.pca.explainedVariance[j]) < 1e-6, `variance ${j}: ${ev}`);
  }
});

test('pca auto picks the covariance route for many cells, the randomized one for few', () => {
  // 300 cells × 200 genes: the genes² rounds cost more than multiplying the small matrix.
  assert.equal(pca(Xh, { nComponents: 5 }).method, 'randomized');
  // 20,000 cells × 20 genes, all stored: the 20 × 20 covariance is the cheap route.
  const n = 20_000;
  const g = 20;
  const rng = new Random(3);
  const many: CsrMatrix = {
    nRows: n,
    nCols: g,
    indptr: Float64Array.from({ length: n + 1 }, (_, i) => i * g),
    indices: Int32Array.from({ length: n * g }, (_, p) => p % g),
    data: Float32Array.from({ length: n * g }, () => rng.next() + 0.1),
  };
  assert.equal(pca(many, { nComponents: 5 }).method, 'covariance');
});

/** C = Q·diag(values)·Qᵀ for a seeded random orthogonal Q, row-major m × m. */
function symmetricWithSpectrum(values: number[], seed: number): Float64Array {
  const m = values.length;
  const rng = new Random(seed);
  const Q = new QrDecomposition(
    Matrix.from1DArray(
      m,
      m,
      Array.from({ length: m * m }, () => rng.normal()),
    ),
  ).orthogonalMatrix;
  const C = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += Q.get(a, j) * values[j] * Q.get(b, j);
      C[a * m + b] = s;
    }
  }
  for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) C[a * m + b] = C[b * m + a];
  return C;
}

test('lanczos top eigenpairs match an exact eigen-decomposition of a dense symmetric matrix within 1e-6', () => {
  // A Gram matrix of random data (120 × 80): a smooth, clustered-free spectrum like PCA's noise tail.
  const rows = 120;
  const m = 80;
  const k = 12;
  const rng = new Random(11);
  const A = Array.from({ length: rows * m }, () => rng.normal());
  const C = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += A[r * m + a] * A[r * m + b];
      C[a * m + b] = s;
    }
  }
  const result = lanczosTopEigen(C, m, k, { seed: 0, tolerance: 1e-6 });
  assert.ok(result.products < m, `${result.products} products`);

  const exact = new EigenvalueDecomposition(Matrix.from1DArray(m, m, C), { assumeSymmetric: true });
  const order = exact.realEigenvalues.map((v, i) => [v, i]).sort((x, y) => y[0] - x[0]);
  for (let i = 0; i < k; i++) {
    const [value, column] = order[i];
    assert.ok(
      relDiff(result.values[i], value) < 1e-6,
      `value ${i}: ${result.values[i]} vs ${value}`,
    );
    let cosine = 0;
    for (let g = 0; g < m; g++)
      cosine += result.vectors[i * m + g] * exact.eigenvectorMatrix.get(g, column);
    assert.ok(1 - Math.abs(cosine) < 1e-6, `vector ${i}: |cosine| ${Math.abs(cosine)}`);
  }
});

test('lanczos restarts after breakdowns and is exact at the step cap (repeated and zero eigenvalues)', () => {
  const spectrum = [5, 5, 5, 2, 2, 1, 0, 0, 0, 0];
  const m = spectrum.length;
  const C = symmetricWithSpectrum(spectrum, 5);
  const k = 6;
  const result = lanczosTopEigen(C, m, k, { seed: 3, tolerance: 1e-6 });
  assert.ok(result.products <= m);
  for (let i = 0; i < k; i++) {
    assert.ok(Math.abs(result.values[i] - spectrum[i]) < 1e-10, `value ${i}: ${result.values[i]}`);
  }
  // The vectors are orthonormal eigenvectors even inside the repeated eigenvalues' spaces.
  for (let i = 0; i < k; i++) {
    const y = result.vectors.subarray(i * m, (i + 1) * m);
    for (let a = 0; a < m; a++) {
      let s = 0;
      for (let b = 0; b < m; b++) s += C[a * m + b] * y[b];
      assert.ok(Math.abs(s - result.values[i] * y[a]) < 1e-10, `residual of pair ${i}`);
    }
    for (let j = 0; j <= i; j++) {
      let dot = 0;
      for (let g = 0; g < m; g++) dot += y[g] * result.vectors[j * m + g];
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-10, `vectors ${i}·${j} = ${dot}`);
    }
  }
});

test('tridiagonalEigen: the last-row variant gives the last row of the full eigenvectors', () => {
  const rng = new Random(2);
  const diagonal = Array.from({ length: 30 }, () => rng.normal());
  const offDiagonal = Array.from({ length: 29 }, () => rng.normal());
  const all = tridiagonalEigen(diagonal, offDiagonal, 'all');
  const last = tridiagonalEigen(diagonal, offDiagonal, 'last');
  assert.deepEqual(last.values, all.values);
  assert.deepEqual(last.rows, all.rows.subarray(29 * 30));
});

test('gramUpper on worker threads gives the same bytes as on one thread, and equals XᵀX', () => {
  // 800 genes: more than one band of output rows (about 4 MiB each).
  const n = 600;
  const m = 800;
  const rng = new Random(9);
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < n; i++) {
    // Rows of very different lengths, so the work-balanced blocks differ in row count.
    const density = i % 7 === 0 ? 0.5 : 0.05;
    for (let g = 0; g < m; g++) {
      if (rng.next() < density) {
        indices.push(g);
        data.push(rng.normal());
      }
    }
    indptr.push(indices.length);
  }
  const X: CsrMatrix = {
    nRows: n,
    nCols: m,
    indptr: Float64Array.from(indptr),
    indices: Int32Array.from(indices),
    data: Float32Array.from(data),
  };
  const one = gramUpper(X, { threads: 1 });
  // Workers take their blocks (none is taken back), so the worker path is the one checked.
  rowBlockTesting.waitForWorkers = true;
  try {
    for (const threads of [2, 3, 4]) {
      const many = gramUpper(X, { threads, workerThreshold: 0 });
      assert.ok(Buffer.from(many.buffer).equals(Buffer.from(one.buffer)), `${threads} threads`);
    }
  } finally {
    rowBlockTesting.waitForWorkers = false;
  }
  // Reference: every row's stored pairs added straight into a full matrix.
  const expected = new Float64Array(m * m);
  for (let i = 0; i < n; i++) {
    for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) {
      for (let q = p; q < X.indptr[i + 1]; q++) {
        expected[X.indices[p] * m + X.indices[q]] += X.data[p] * X.data[q];
      }
    }
  }
  for (let e = 0; e < m * m; e++) {
    assert.ok(
      Math.abs(one[e] - expected[e]) <= 1e-12 * Math.max(1, Math.abs(expected[e])),
      `entry ${e}`,
    );
  }
});
