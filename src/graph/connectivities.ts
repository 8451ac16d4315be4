/**
 * UMAP fuzzy connectivities from a kNN result, as scanpy's `pp.neighbors`
 * stores them in `obsp['connectivities']` (umap-learn's fuzzy_simplicial_set
 * with set_op_mix_ratio = 1 and local_connectivity = 1), and scanpy's
 * `obsp['distances']`.
 *
 * Arithmetic follows umap-learn's float32 steps (rho, sigma, memberships and
 * the fuzzy union are float32) so values match the reference to ~1e-6.
 */
import { invalidParameter } from '../errors.ts';
import type { CsrMatrix } from '../matrix/csr.ts';
import {
  allocate,
  type BlockKernel,
  equalRowBounds,
  inSharedMemory,
  ROW_BLOCKS,
  runRowBlocks,
} from '../matrix/row-blocks.ts';
import { csrFromEntries } from './edge-list.ts';
import type { KnnResult } from './knn.ts';

const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;
const N_ITER = 64;

const f32 = Math.fround;

type KnnLike = Pick<KnnResult, 'k' | 'indices' | 'distances'>;

/**
 * Per-cell bandwidth `sigma` and nearest-neighbour distance `rho`, found by
 * binary search so that Σ_j exp(-(d_ij - rho_i)/sigma_i) = log2(k) over the
 * k-1 non-self neighbours (umap-learn's smooth_knn_dist, 64 iterations,
 * tolerance 1e-5, local_connectivity 1, bandwidth 1).
 */
export function smoothKnnDist(
  distances: Float32Array,
  n: number,
  k: number,
): { sigma: Float32Array; rho: Float32Array } {
  // Rows are independent: with many cells, blocks of them go to worker threads.
  const parallel = n >= SMOOTH_BLOCK_MIN_ROWS;
  const rho = allocate(Float32Array, n, parallel);
  const sigma = allocate(Float32Array, n, parallel);
  const blocks = parallel ? ROW_BLOCKS : 1;
  runRowBlocks(
    'smoothKnnDist',
    smoothRows,
    { distances: parallel ? inSharedMemory(distances) : distances, rho, sigma },
    equalRowBounds(n, blocks),
    {
      k,
      meanAll: meanF32(distances, 0, n * k),
      tolerance: SMOOTH_K_TOLERANCE,
      iterations: N_ITER,
      minScale: MIN_K_DIST_SCALE,
    },
    { helpers: [meanF32] },
  );
  return { sigma, rho };
}

/** Cells from which smoothKnnDist cuts its rows into blocks for worker threads. */
const SMOOTH_BLOCK_MIN_ROWS = 50_000;

/** smoothKnnDist's search for rows first..last−1 (runs in workers as is, with meanF32). */
const smoothRows: BlockKernel<{
  k: number;
  meanAll: number;
  tolerance: number;
  iterations: number;
  minScale: number;
}> = (a, _block, first, last, params) => {
  const distances = a.distances as Float32Array;
  const { rho, sigma } = a;
  const { k, meanAll } = params;
  const target = Math.log2(k);
  for (let i = first; i < last; i++) {
    const row = i * k;
    // local_connectivity = 1: rho is the smallest positive distance in the row.
    for (let j = 0; j < k; j++) {
      if (distances[row + j] > 0) {
        rho[i] = distances[row + j];
        break;
      }
    }
    let lo = 0;
    let hi = Number.POSITIVE_INFINITY;
    let mid = 1;
    for (let it = 0; it < params.iterations; it++) {
      let psum = 0;
      for (let j = 1; j < k; j++) {
        const d = Math.fround(distances[row + j] - rho[i]);
        psum += d > 0 ? Math.exp(-(d / mid)) : 1;
      }
      if (Math.abs(psum - target) < params.tolerance) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Number.POSITIVE_INFINITY ? mid * 2 : (lo + hi) / 2;
      }
    }
    sigma[i] = mid;
    const floor = params.minScale * (rho[i] > 0 ? meanF32(distances, row, row + k) : meanAll);
    if (sigma[i] < floor) sigma[i] = floor;
  }
};

/** Mean of a float32 range accumulated in float32, as numba's np.mean does. */
function meanF32(values: Float32Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s = Math.fround(s + values[i]);
  return Math.fround(s / (end - start));
}

/**
 * Symmetric fuzzy connectivities: memberships a_ij = exp(-(d_ij - rho_i)/sigma_i)
 * (1 within rho, 0 for self), combined by fuzzy union a_ij + a_ji - a_ij·a_ji.
 * Zero entries are not stored.
 *
 * @example fuzzyConnectivities(knn(pca), pca.nRows)
 */
export function fuzzyConnectivities(result: KnnLike, n: number): CsrMatrix {
  const { k, indices, distances } = checkKnn(result, n);
  const { sigma, rho } = smoothKnnDist(distances, n, k);

  // Directed memberships, stored per row (forward) and per column (backward).
  const a = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const e = i * k + j;
      const c = indices[e];
      if (c < 0 || c === i) continue;
      const d = f32(distances[e] - rho[i]);
      a[e] = d <= 0 || sigma[i] === 0 ? 1 : f32(Math.exp(-f32(d / sigma[i])));
    }
  }
  const inCount = new Int32Array(n + 1);
  for (let e = 0; e < n * k; e++) if (a[e] !== 0) inCount[indices[e] + 1]++;
  for (let i = 0; i < n; i++) inCount[i + 1] += inCount[i];
  const inPos = inCount.slice(0, n);
  const inFrom = new Int32Array(inCount[n]);
  const inVal = new Float32Array(inCount[n]);
  for (let e = 0; e < n * k; e++) {
    if (a[e] === 0) continue;
    const c = indices[e];
    inFrom[inPos[c]] = Math.floor(e / k);
    inVal[inPos[c]++] = a[e];
  }

  // At most every directed membership, once forward and once backward.
  const capacity = 2 * inCount[n];
  const rows = new Int32Array(capacity);
  const cols = new Int32Array(capacity);
  const vals = new Float32Array(capacity); // values are float32 already
  let count = 0;
  const fwd = new Float32Array(n); // a_ij of the current row i, by column j
  const fwdRow = new Int32Array(n).fill(-1); // which row last set fwd[j]
  for (let i = 0; i < n; i++) {
    for (let e = i * k; e < (i + 1) * k; e++) {
      if (a[e] === 0) continue;
      fwd[indices[e]] = a[e];
      fwdRow[indices[e]] = i;
    }
    for (let p = inCount[i]; p < inCount[i + 1]; p++) {
      const j = inFrom[p];
      const back = inVal[p];
      if (fwdRow[j] === i) {
        // Both directions: scipy computes (A + Aᵀ) - A∘Aᵀ in float32, in that order.
        fwd[j] = f32(f32(fwd[j] + back) - f32(fwd[j] * back));
      } else {
        rows[count] = i;
        cols[count] = j;
        vals[count++] = back;
      }
    }
    for (let e = i * k; e < (i + 1) * k; e++) {
      if (a[e] === 0 || fwd[indices[e]] === 0) continue;
      rows[count] = i;
      cols[count] = indices[e];
      vals[count++] = fwd[indices[e]];
    }
  }
  return csrFromEntries(
    n,
    rows.subarray(0, count),
    cols.subarray(0, count),
    vals.subarray(0, count),
  );
}

/**
 * The kNN distances as a CSR matrix without self-edges (scanpy's
 * `obsp['distances']`): row i holds the k-1 nearest other cells of i.
 */
export function knnDistanceMatrix(result: KnnLike, n: number): CsrMatrix {
  const { k, indices, distances } = checkKnn(result, n);
  const rows = new Int32Array(n * k);
  const cols = new Int32Array(n * k);
  const vals = new Float32Array(n * k);
  let count = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const c = indices[i * k + j];
      if (c < 0 || c === i) continue;
      rows[count] = i;
      cols[count] = c;
      vals[count++] = distances[i * k + j];
    }
  }
  return csrFromEntries(
    n,
    rows.subarray(0, count),
    cols.subarray(0, count),
    vals.subarray(0, count),
  );
}

function checkKnn(result: KnnLike, n: number): KnnLike {
  const { k, indices, distances } = result;
  if (indices.length !== n * k || distances.length !== n * k) {
    throw invalidParameter(
      'knn',
      `expected ${n} × ${k} = ${n * k} indices and distances, got ${indices.length} and ${distances.length}`,
    );
  }
  for (let e = 0; e < indices.length; e++) {
    if (indices[e] >= n) {
      throw invalidParameter('knn', `neighbour index ${indices[e]} out of range for ${n} cells`);
    }
  }
  return result;
}
