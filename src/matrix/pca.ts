import {
  EigenvalueDecomposition,
  Matrix,
  QrDecomposition,
  SingularValueDecomposition,
} from 'ml-matrix';
import { invalidParameter, ScgraphError } from '../errors.ts';
import type { CsrMatrix, DenseMatrix } from './csr.ts';
import { columnMeans } from './csr-ops.ts';
import { Random } from './random.ts';
import { csrTimesDense, csrTransposeTimesDense } from './sparse-products.ts';

export interface PcaOptions {
  /** Components to keep. Default 50, capped at min(cells, genes) - 1. */
  nComponents?: number;
  /** Seed of the random test matrix. Default 0. */
  seed?: number;
  /** Extra random directions beyond nComponents. Default 10. */
  oversamples?: number;
  /** Power iterations (each one product with A and one with Aᵀ). Default 7. */
  powerIterations?: number;
}

export interface PcaResult {
  /** Cells × components, U·S (float32, like scanpy's X_pca). */
  embedding: DenseMatrix;
  /** Components × genes, unit rows (the principal axes). */
  components: DenseMatrix;
  singularValues: Float64Array;
  /** S² / (cells - 1). */
  explainedVariance: Float64Array;
  /** Explained variance over the total variance of the centred matrix. */
  explainedVarianceRatio: Float64Array;
  /** Components computed: the request, or less when capped by the data size. */
  nComponents: number;
  nComponentsRequested: number;
  /** Gene means that were subtracted (implicitly). */
  mean: Float64Array;
}

/**
 * Principal components of the rows of X by randomized SVD (Halko, Martinsson
 * & Tropp), centring implicitly: every product with A = X - 1μᵀ is computed
 * as X·B - 1(μᵀB) or Xᵀ·Y - μ(1ᵀY), so the sparse matrix is never densified.
 *
 * Like sklearn's randomized_svd: a seeded Gaussian test matrix with
 * nComponents + oversamples columns, `powerIterations` rounds of AᵀA, an
 * orthonormal basis Q of the range, the SVD of QᵀA, and svd_flip's sign rule
 * (the largest |u| entry of each component is positive). Power rounds are
 * normalized by a Householder QR of the genes-side block (cheap, genes × l);
 * the final cells-side basis is orthonormalized through its Gram matrix, twice.
 */
export function pca(X: CsrMatrix, options: PcaOptions = {}): PcaResult {
  const { nComponents = 50, seed = 0, oversamples = 10, powerIterations = 7 } = options;
  checkInteger('n_components', nComponents, 1);
  checkInteger('oversamples', oversamples, 0);
  checkInteger('power_iterations', powerIterations, 0);
  const n = X.nRows;
  const m = X.nCols;
  if (n < 2 || m < 2) {
    throw new ScgraphError(
      'empty-result',
      `PCA needs at least 2 cells and 2 genes, got ${n} × ${m}`,
    );
  }
  const k = Math.min(nComponents, Math.min(n, m) - 1);
  const l = Math.min(k + oversamples, n, m);

  const mu = columnMeans(X);
  const basis = rangeBasis(X, mu, l, seed, powerIterations);
  // Z = Aᵀ·basis = Bᵀ where B = basisᵀA; its SVD Bᵀ = V S Whᵀ gives A ≈ (basis·Wh) S Vᵀ.
  const Z = new Float64Array(m * l);
  centredTransposeTimes(X, mu, basis, l, Z);
  const svd = new SingularValueDecomposition(Matrix.from1DArray(m, l, Z));
  const V = svd.leftSingularVectors;
  const Wh = svd.rightSingularVectors;
  const s = svd.diagonal;

  const U = new Float64Array(n * k);
  const whk = new Float64Array(l * k);
  for (let a = 0; a < l; a++) for (let j = 0; j < k; j++) whk[a * k + j] = Wh.get(a, j);
  denseTimesSmall(basis, n, l, whk, k, U);

  const components = new Float64Array(k * m);
  for (let j = 0; j < k; j++) for (let g = 0; g < m; g++) components[j * m + g] = V.get(g, j);
  flipSigns(U, n, k, components, m);

  const singularValues = Float64Array.from(s.slice(0, k));
  const embedding = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) embedding[i * k + j] = U[i * k + j] * singularValues[j];
  }
  const totalVariance = centredTotalVariance(X, mu);
  const explainedVariance = singularValues.map((v) => (v * v) / (n - 1));
  const explainedVarianceRatio = explainedVariance.map((v) =>
    totalVariance > 0 ? v / totalVariance : 0,
  );
  return {
    embedding: { nRows: n, nCols: k, data: embedding },
    components: { nRows: k, nCols: m, data: components },
    singularValues,
    explainedVariance,
    explainedVarianceRatio,
    nComponents: k,
    nComponentsRequested: nComponents,
    mean: mu,
  };
}

/**
 * An orthonormal basis (cells × l) of the range of A·(AᵀA)^q·Ω for a seeded
 * Gaussian Ω (genes × l). sklearn LU-normalizes after every product; here each
 * AᵀA round is normalized once, by a QR of the genes-side block: the span is
 * the same and the cost genes × l² instead of cells × l² per round.
 */
function rangeBasis(
  X: CsrMatrix,
  mu: Float64Array,
  l: number,
  seed: number,
  powerIterations: number,
): Float64Array {
  const n = X.nRows;
  const m = X.nCols;
  const rng = new Random(seed);
  let Q: Float64Array = new Float64Array(m * l);
  for (let i = 0; i < Q.length; i++) Q[i] = rng.normal();
  const Y = new Float64Array(n * l);
  const Z = new Float64Array(m * l);
  for (let it = 0; it < powerIterations; it++) {
    centredTimes(X, mu, Q, l, Y);
    centredTransposeTimes(X, mu, Y, l, Z);
    Q = householderQ(Z, m, l);
  }
  centredTimes(X, mu, Q, l, Y);
  orthonormalizeTall(Y, n, l);
  orthonormalizeTall(Y, n, l);
  return Y;
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw invalidParameter(name, `must be an integer >= ${min}, got ${value}`);
  }
}

/** out = (X - 1μᵀ)·B for B (m × l). */
function centredTimes(
  X: CsrMatrix,
  mu: Float64Array,
  B: Float64Array,
  l: number,
  out: Float64Array,
): void {
  csrTimesDense(X, B, l, out);
  const shift = new Float64Array(l);
  for (let g = 0; g < mu.length; g++) {
    const mg = mu[g];
    for (let c = 0; c < l; c++) shift[c] += mg * B[g * l + c];
  }
  for (let o = 0; o < out.length; o += l) for (let c = 0; c < l; c++) out[o + c] -= shift[c];
}

/** out = (X - 1μᵀ)ᵀ·Y for Y (n × l). */
function centredTransposeTimes(
  X: CsrMatrix,
  mu: Float64Array,
  Y: Float64Array,
  l: number,
  out: Float64Array,
): void {
  csrTransposeTimesDense(X, Y, l, out);
  const colSum = new Float64Array(l);
  for (let o = 0; o < Y.length; o += l) for (let c = 0; c < l; c++) colSum[c] += Y[o + c];
  for (let g = 0; g < mu.length; g++) {
    const mg = mu[g];
    for (let c = 0; c < l; c++) out[g * l + c] -= mg * colSum[c];
  }
}

/** The orthonormal factor of a Householder QR of A (rows × cols, rows ≥ cols). */
function householderQ(A: Float64Array, rows: number, cols: number): Float64Array {
  const q = new QrDecomposition(Matrix.from1DArray(rows, cols, A)).orthogonalMatrix;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = q.get(i, j);
  return out;
}

/**
 * An orthonormal basis of the columns of the tall Y (n × l) as Y·V·Λ^(-1/2)
 * from the eigen-decomposition YᵀY = VΛVᵀ. Directions with a singular value
 * below 1e-6 of the largest (numerically absent) become zero columns. Run it
 * twice for orthogonality to working precision (as in CholeskyQR2). Overwrites Y.
 */
function orthonormalizeTall(Y: Float64Array, n: number, l: number): void {
  const G = new Float64Array(l * l);
  for (let o = 0; o < Y.length; o += l) {
    for (let a = 0; a < l; a++) {
      const ya = Y[o + a];
      if (ya === 0) continue;
      const row = a * l;
      for (let b = a; b < l; b++) G[row + b] += ya * Y[o + b];
    }
  }
  const gram = new Matrix(l, l);
  for (let a = 0; a < l; a++) {
    for (let b = a; b < l; b++) {
      gram.set(a, b, G[a * l + b]);
      gram.set(b, a, G[a * l + b]);
    }
  }
  const evd = new EigenvalueDecomposition(gram, { assumeSymmetric: true });
  const lambda = evd.realEigenvalues;
  const vectors = evd.eigenvectorMatrix;
  const largest = Math.max(...lambda);
  const M = new Float64Array(l * l);
  for (let j = 0; j < l; j++) {
    if (!(lambda[j] > 1e-12 * largest)) continue;
    const scale = 1 / Math.sqrt(lambda[j]);
    for (let a = 0; a < l; a++) M[a * l + j] = vectors.get(a, j) * scale;
  }
  // In place, one row at a time: Y is the largest buffer PCA holds (cells × l).
  const row = new Float64Array(l);
  for (let o = 0; o < n * l; o += l) {
    row.set(Y.subarray(o, o + l));
    denseTimesSmall(row, 1, l, M, l, Y.subarray(o, o + l));
  }
}

/** out (n × q) = A (n × l) · M (l × q), all row-major. */
function denseTimesSmall(
  A: Float64Array,
  n: number,
  l: number,
  M: Float64Array,
  q: number,
  out: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const a = i * l;
    const o = i * q;
    for (let j = 0; j < q; j++) out[o + j] = 0;
    for (let t = 0; t < l; t++) {
      const v = A[a + t];
      if (v === 0) continue;
      const mrow = t * q;
      for (let j = 0; j < q; j++) out[o + j] += v * M[mrow + j];
    }
  }
}

/**
 * sklearn's svd_flip with the u-based rule: each column of U gets the sign
 * that makes its largest-magnitude entry (first one on ties) positive, and
 * the matching row of the components follows.
 */
function flipSigns(U: Float64Array, n: number, k: number, comps: Float64Array, m: number): void {
  for (let j = 0; j < k; j++) {
    let best = 0;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const v = Math.abs(U[i * k + j]);
      if (v > best) {
        best = v;
        at = i;
      }
    }
    if (U[at * k + j] >= 0) continue;
    for (let i = 0; i < n; i++) U[i * k + j] = -U[i * k + j];
    for (let g = 0; g < m; g++) comps[j * m + g] = -comps[j * m + g];
  }
}

/** Sum over genes of the column variance (ddof 1) of X, from its stored values. */
function centredTotalVariance(X: CsrMatrix, mu: Float64Array): number {
  const squares = new Float64Array(X.nCols);
  const stored = new Float64Array(X.nCols);
  const end = X.indptr[X.nRows];
  for (let p = 0; p < end; p++) {
    const c = X.indices[p];
    const d = X.data[p] - mu[c];
    squares[c] += d * d;
    stored[c]++;
  }
  let total = 0;
  for (let c = 0; c < X.nCols; c++) {
    total += squares[c] + (X.nRows - stored[c]) * mu[c] * mu[c];
  }
  return total / (X.nRows - 1);
}
