import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import { invalidParameter, ScgraphError } from '../errors.ts';
import type { CsrMatrix, DenseMatrix } from './csr.ts';
import { columnMeans } from './csr-ops.ts';
import { gramUpper } from './gram.ts';
import { lanczosTopEigen } from './lanczos.ts';
import { csrTimesDenseParallel } from './parallel-product.ts';
import { Random } from './random.ts';
import { csrTimesDense, csrTransposeTimesDense } from './sparse-products.ts';

export interface PcaOptions {
  /** Components to keep. Default 50, capped at min(cells, genes) - 1. */
  nComponents?: number;
  /** Seed of the random test matrix (randomized) or start vector (covariance). Default 0. */
  seed?: number;
  /** Randomized route: extra random directions beyond nComponents. Default 10. */
  oversamples?: number;
  /**
   * Randomized route: power iterations, each one product with A and one with
   * Aᵀ. Default 7. The covariance route instead runs Lanczos until its top
   * eigenpairs pass a residual bound.
   */
  powerIterations?: number;
  /**
   * 'covariance' forms the genes × genes covariance and runs Lanczos on it;
   * 'randomized' multiplies the sparse matrix every round; 'auto' (default)
   * takes the covariance route for at most `COVARIANCE_MAX_GENES` genes when
   * its estimated cost is lower (many cells), else the randomized one.
   */
  method?: PcaMethod;
}

export type PcaMethod = 'auto' | 'covariance' | 'randomized';

/**
 * Gene count up to which 'auto' uses the covariance route: its dense
 * genes × genes matrix is 128 MiB at 4096 genes, and every Lanczos step
 * costs genes² multiply-adds.
 */
export const COVARIANCE_MAX_GENES = 4096;

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
  /** The route taken: 'covariance' or 'randomized'. */
  method: Exclude<PcaMethod, 'auto'>;
  /** Products with the covariance (Lanczos steps), or rounds of AᵀA. */
  iterations: number;
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
  const {
    nComponents = 50,
    seed = 0,
    oversamples = 10,
    powerIterations = 7,
    method = 'auto',
  } = options;
  checkInteger('n_components', nComponents, 1);
  checkInteger('oversamples', oversamples, 0);
  checkInteger('power_iterations', powerIterations, 0);
  if (method !== 'auto' && method !== 'covariance' && method !== 'randomized') {
    throw invalidParameter('pca_method', `must be auto, covariance or randomized, got ${method}`);
  }
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
  if (
    method === 'covariance' ||
    (method === 'auto' &&
      m <= COVARIANCE_MAX_GENES &&
      covarianceIsCheaper(X, k, l, powerIterations))
  ) {
    return covariancePca(X, mu, k, seed, nComponents);
  }
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
    method: 'randomized',
    iterations: powerIterations,
  };
}

/**
 * Lanczos steps (products with C) the covariance route is expected to take,
 * 4k + 20, a little above those measured: 25 for k = 5, 60 for 20, 190 for
 * 50 at 50k cells; 45 for k = 5 on 300 cells × 200 genes.
 */
const LANCZOS_STEPS_PER_COMPONENT = 4;
const LANCZOS_EXTRA_STEPS = 20;
/**
 * A Lanczos step costs about this many sparse multiply-adds (of X·B) per
 * entry of C: it streams C from memory once and reorthogonalizes (measured
 * 1.0–1.5 ns per entry against 0.85 ns per sparse multiply-add at 50k).
 */
const DENSE_FMA_WEIGHT = 1.4;

/**
 * Whether the covariance route is expected to be cheaper than the randomized
 * SVD: its cost is the Gram matrix (per cell, half the square of its stored
 * values) plus Lanczos steps of genes² work, independent of the cell count,
 * and one sparse product for the embedding; the randomized route multiplies
 * the sparse matrix twice per power iteration. Small data sets (a few hundred
 * cells) go randomized, large ones covariance.
 */
function covarianceIsCheaper(X: CsrMatrix, k: number, l: number, powerIterations: number): boolean {
  let gram = 0;
  for (let i = 0; i < X.nRows; i++) {
    const r = X.indptr[i + 1] - X.indptr[i];
    gram += (r * (r + 1)) / 2;
  }
  const m = X.nCols;
  const steps = Math.min(m, LANCZOS_STEPS_PER_COMPONENT * k + LANCZOS_EXTRA_STEPS);
  const covariance = gram + DENSE_FMA_WEIGHT * steps * m * m + X.indptr[X.nRows] * k;
  const randomized = (2 * powerIterations + 3) * X.indptr[X.nRows] * l;
  return covariance <= randomized;
}

/**
 * Residual bound of the covariance route: every top-k Ritz pair has
 * ‖C·y − θ·y‖ ≤ this × θ, so each explained variance is within this
 * relative distance of an exact eigenvalue (in practice much closer: the error
 * is at most residual² / gap; 1e-12 from a 1e-10 run at 50k cells).
 */
const LANCZOS_TOLERANCE = 1e-6;

/**
 * The covariance route: C = (XᵀX − n·μμᵀ)/(n − 1) from one pass over the
 * stored values (on worker threads when large; the same bits on any number),
 * then Lanczos on the dense C for its top-k eigenpairs, and one sparse
 * product for the embedding X·V − 1(μᵀV). Eigenvalues of C are the explained
 * variances, so no cells-side basis is ever formed.
 */
function covariancePca(
  X: CsrMatrix,
  mu: Float64Array,
  k: number,
  seed: number,
  nComponentsRequested: number,
): PcaResult {
  const n = X.nRows;
  const m = X.nCols;
  const C = gramUpper(X);
  // Centre, scale and mirror the upper triangle; the trace is the total variance.
  let trace = 0;
  for (let a = 0; a < m; a++) {
    const row = a * m;
    for (let b = a; b < m; b++) {
      const v = (C[row + b] - n * mu[a] * mu[b]) / (n - 1);
      C[row + b] = v;
      C[b * m + a] = v;
    }
    trace += C[row + a];
  }

  const eigen = lanczosTopEigen(C, m, k, { seed, tolerance: LANCZOS_TOLERANCE });
  const components = eigen.vectors;
  const V = transpose(components, k, m);
  // The one product with all cells: the two halves of the rows on two threads.
  const U = csrTimesDenseParallel(X, V, k);
  subtractMeanTimes(mu, V, k, U);
  flipSigns(U, n, k, components, m);
  const embedding = Float32Array.from(U);

  const explainedVariance = Float64Array.from(eigen.values, (v) => Math.max(v, 0));
  const singularValues = explainedVariance.map((v) => Math.sqrt(v * (n - 1)));
  const explainedVarianceRatio = explainedVariance.map((v) => (trace > 0 ? v / trace : 0));
  return {
    embedding: { nRows: n, nCols: k, data: embedding },
    components: { nRows: k, nCols: m, data: components },
    singularValues,
    explainedVariance,
    explainedVarianceRatio,
    nComponents: k,
    nComponentsRequested,
    mean: mu,
    method: 'covariance',
    iterations: eigen.products,
  };
}

/** The transpose of a row-major rows × cols matrix. */
function transpose(A: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = A[i * cols + j];
  return out;
}

/**
 * The orthonormal factor of a Householder QR of the m × l matrix whose
 * columns are the rows of At (l × m), returned the same way (l × m). A
 * column with nothing left after the earlier reflections gets no reflection,
 * so Q stays orthonormal when the input is rank deficient. Columns are
 * contiguous, so every reflection is a run of dot products and axpys (about
 * 10× faster than ml-matrix's QrDecomposition on 2000 × 60).
 */
function householderQt(At: Float64Array, m: number, l: number): Float64Array {
  const R = Float64Array.from(At);
  const beta = new Float64Array(l);
  for (let j = 0; j < l; j++) {
    const v = j * m;
    let norm2 = 0;
    for (let i = j; i < m; i++) norm2 += R[v + i] * R[v + i];
    if (norm2 === 0) continue;
    const x0 = R[v + j];
    const alpha = x0 > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    // v = x − αe₁ in place; |v|² = |x|² − x0² + (x0 − α)².
    const v0 = x0 - alpha;
    R[v + j] = v0;
    beta[j] = 2 / (norm2 - x0 * x0 + v0 * v0);
    for (let c = j + 1; c < l; c++) reflect(R, v, R, c * m, j, m, beta[j]);
  }
  // Q = H₀…H_{l−1} applied to the first l columns of the identity, last reflection first.
  const Qt = new Float64Array(l * m);
  for (let c = 0; c < l; c++) Qt[c * m + c] = 1;
  for (let j = l - 1; j >= 0; j--) {
    if (beta[j] === 0) continue;
    for (let c = j; c < l; c++) reflect(R, j * m, Qt, c * m, j, m, beta[j]);
  }
  return Qt;
}

/** y ← (I − β·v·vᵀ)·y over entries from..size−1; v and y start at offsets of V and Y. */
function reflect(
  V: Float64Array,
  v: number,
  Y: Float64Array,
  y: number,
  from: number,
  size: number,
  b: number,
): void {
  let s = 0;
  for (let i = from; i < size; i++) s += V[v + i] * Y[y + i];
  s *= b;
  for (let i = from; i < size; i++) Y[y + i] -= s * V[v + i];
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
  subtractMeanTimes(mu, B, l, out);
}

/** out −= 1(μᵀB): turns X·B into (X − 1μᵀ)·B. */
function subtractMeanTimes(mu: Float64Array, B: Float64Array, l: number, out: Float64Array): void {
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

/** The orthonormal factor of a Householder QR of A (rows × cols, rows ≥ cols), row-major. */
function householderQ(A: Float64Array, rows: number, cols: number): Float64Array {
  return transpose(householderQt(transpose(A, rows, cols), rows, cols), cols, rows);
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
