/**
 * k-nearest-neighbour search in an embedding (PCA space), the first step of
 * the expression graph. Conventions follow scanpy: each cell is its own
 * neighbour #1, so k = 15 gives 14 other cells; distances are Euclidean.
 */
import hnswlib from 'hnswlib-node';
import { invalidParameter } from '../errors.ts';
import type { DenseMatrix } from '../matrix/csr.ts';

export type KnnMethod = 'auto' | 'exact' | 'hnsw';

export interface KnnOptions {
  /** Neighbours per cell, self included (default 15). */
  k?: number;
  /** 'auto' (default): exact below `exactThreshold` cells, HNSW at or above. */
  method?: KnnMethod;
  /** Cell count from which 'auto' switches to HNSW (default 5,000). */
  exactThreshold?: number;
  /** Seed for the HNSW level assignment (default 0). */
  seed?: number;
  /** HNSW graph degree (default 16). */
  hnswM?: number;
  /** HNSW construction beam width (default 100). */
  efConstruction?: number;
  /** HNSW query beam width (default 64). */
  efSearch?: number;
  /** Called now and then with the number of cells done so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface KnnResult {
  readonly k: number;
  /** Row-major n × k neighbour indices; column 0 is the cell itself. */
  readonly indices: Int32Array;
  /** Row-major n × k Euclidean distances, ascending per row (column 0 is 0). */
  readonly distances: Float32Array;
  /** The method actually used (never 'auto'). */
  readonly method: 'exact' | 'hnsw';
  /** HNSW parameters when the method was 'hnsw'. */
  readonly params?: { readonly m: number; readonly efConstruction: number; readonly ef: number };
}

/*
 * Chosen with bench/knn-candidates.ts on a 20,000-cell synthetic clustered PCA
 * embedding (50 dims, one core): M=16, efConstruction=100, ef=64 gave recall@15
 * 0.995 vs exact in 3.2 s (ef=32: 0.978; M=12/efC=64/ef=32: 0.946); at 50,000 cells
 * 0.984 (efC=200/ef=100: 0.998 at ~2.5× the time). Exact search
 * is O(n²·d): 0.4 s at 2,000 cells, 1.9 s at 5,000, 9.4 s at 10,000, so 'auto'
 * keeps exact results up to where they stay cheap.
 */
export const KNN_DEFAULTS = {
  k: 15,
  exactThreshold: 5000,
  hnswM: 16,
  efConstruction: 100,
  efSearch: 64,
} as const;

/**
 * k nearest neighbours of every row of `points`, self first, each row sorted
 * by (distance, index) so ties resolve to the lower index.
 *
 * Exact search is a blocked brute force in float64. HNSW (hnswlib) inserts
 * points one at a time in index order with a fixed seed, so the index and the
 * graph are the same on every run; its distances are recomputed in float64.
 *
 * @example knn(pca, { k: 15 }) // exact below 5,000 cells, HNSW above
 */
export function knn(points: DenseMatrix, options: KnnOptions = {}): KnnResult {
  const k = options.k ?? KNN_DEFAULTS.k;
  const n = points.nRows;
  const dim = points.nCols;
  if (!Number.isInteger(k) || k < 1) {
    throw invalidParameter('k', `must be a positive integer, got ${k}`);
  }
  if (k > n) {
    throw invalidParameter('k', `is ${k} but there are only ${n} cells (k counts the cell itself)`);
  }
  if (points.data.length !== n * dim) {
    throw invalidParameter('points', `data length ${points.data.length} is not ${n} × ${dim}`);
  }
  for (let i = 0; i < points.data.length; i++) {
    if (!Number.isFinite(points.data[i])) {
      const row = Math.floor(i / dim);
      throw invalidParameter('points', `row ${row} has a non-finite value (${points.data[i]})`);
    }
  }
  const method = options.method ?? 'auto';
  if (method !== 'auto' && method !== 'exact' && method !== 'hnsw') {
    throw invalidParameter('method', `must be 'auto', 'exact' or 'hnsw', got '${method}'`);
  }
  const threshold = options.exactThreshold ?? KNN_DEFAULTS.exactThreshold;
  const useExact = method === 'exact' || (method === 'auto' && n < threshold);
  const x = Float64Array.from(points.data);
  if (useExact) return exactKnn(x, n, dim, k, options.onProgress);
  return hnswKnn(x, points.data, n, dim, k, options);
}

/** Query rows per block: their heaps and the candidate block stay in cache together. */
const QUERY_BLOCK = 64;
/** Candidate rows per block (~200 KB of float64 at 50 dims). */
const POINT_BLOCK = 512;

function exactKnn(
  x: Float64Array,
  n: number,
  dim: number,
  k: number,
  onProgress?: (done: number, total: number) => void,
): KnnResult {
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = i * dim; d < (i + 1) * dim; d++) s += x[d] * x[d];
    sq[i] = s;
  }
  const m = k - 1; // others per row; self is placed first afterwards
  const heapD = new Float64Array(QUERY_BLOCK * Math.max(m, 1));
  const heapI = new Int32Array(QUERY_BLOCK * Math.max(m, 1));
  const sizes = new Int32Array(QUERY_BLOCK);
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);

  for (let q0 = 0; q0 < n; q0 += QUERY_BLOCK) {
    const q1 = Math.min(n, q0 + QUERY_BLOCK);
    sizes.fill(0);
    for (let p0 = 0; p0 < n; p0 += POINT_BLOCK) {
      const p1 = Math.min(n, p0 + POINT_BLOCK);
      for (let q = q0; q < q1; q++) {
        const h = (q - q0) * m;
        const qo = q * dim;
        const sqq = sq[q];
        for (let p = p0; p < p1; p++) {
          if (p === q) continue;
          const po = p * dim;
          let dot = 0;
          for (let d = 0; d < dim; d++) dot += x[qo + d] * x[po + d];
          const d2 = sqq + sq[p] - 2 * dot;
          const b = q - q0;
          if (sizes[b] < m) {
            heapPush(heapD, heapI, h, sizes[b], d2, p);
            sizes[b]++;
          } else if (m > 0 && before(d2, p, heapD[h], heapI[h])) {
            heapReplaceTop(heapD, heapI, h, m, d2, p);
          }
        }
      }
    }
    for (let q = q0; q < q1; q++) {
      const h = (q - q0) * m;
      writeRow(x, dim, q, k, heapI.subarray(h, h + m), indices, distances);
    }
    onProgress?.(q1, n);
  }
  return { k, indices, distances, method: 'exact' };
}

/** Strict (distance, index) order: smaller distance first, then lower index. */
function before(d1: number, i1: number, d2: number, i2: number): boolean {
  return d1 < d2 || (d1 === d2 && i1 < i2);
}

// Max-heap on (distance, index) in a slice of shared arrays: the root is the
// worst of the current best, so most candidates are rejected by one compare.
function heapPush(
  hd: Float64Array,
  hi: Int32Array,
  base: number,
  size: number,
  d: number,
  i: number,
) {
  let c = size;
  while (c > 0) {
    const parent = (c - 1) >> 1;
    if (!before(hd[base + parent], hi[base + parent], d, i)) break;
    hd[base + c] = hd[base + parent];
    hi[base + c] = hi[base + parent];
    c = parent;
  }
  hd[base + c] = d;
  hi[base + c] = i;
}

function heapReplaceTop(
  hd: Float64Array,
  hi: Int32Array,
  base: number,
  size: number,
  d: number,
  i: number,
) {
  let c = 0;
  for (;;) {
    const l = 2 * c + 1;
    if (l >= size) break;
    const r = l + 1;
    let big = l;
    if (r < size && before(hd[base + l], hi[base + l], hd[base + r], hi[base + r])) big = r;
    if (!before(d, i, hd[base + big], hi[base + big])) break;
    hd[base + c] = hd[base + big];
    hi[base + c] = hi[base + big];
    c = big;
  }
  hd[base + c] = d;
  hi[base + c] = i;
}

/**
 * Writes row q: self first, then `others` by (true float64 distance, index).
 * Recomputing from differences avoids the cancellation of the norm formula.
 */
function writeRow(
  x: Float64Array,
  dim: number,
  q: number,
  k: number,
  others: ArrayLike<number>,
  indices: Int32Array,
  distances: Float32Array,
) {
  const cand: { i: number; d: number }[] = [];
  for (let j = 0; j < others.length; j++) {
    const p = others[j];
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const diff = x[q * dim + d] - x[p * dim + d];
      s += diff * diff;
    }
    cand.push({ i: p, d: Math.sqrt(s) });
  }
  cand.sort((a, b) => a.d - b.d || a.i - b.i);
  indices[q * k] = q;
  distances[q * k] = 0;
  for (let j = 0; j < k - 1; j++) {
    indices[q * k + 1 + j] = cand[j].i;
    distances[q * k + 1 + j] = cand[j].d;
  }
}

function hnswKnn(
  x: Float64Array,
  raw: ArrayLike<number>,
  n: number,
  dim: number,
  k: number,
  options: KnnOptions,
): KnnResult {
  const m = options.hnswM ?? KNN_DEFAULTS.hnswM;
  const efConstruction = options.efConstruction ?? KNN_DEFAULTS.efConstruction;
  const ef = Math.max(options.efSearch ?? KNN_DEFAULTS.efSearch, k + 1);
  const seed = options.seed ?? 0;
  const onProgress = options.onProgress;

  const index = new hnswlib.HierarchicalNSW('l2', dim);
  index.initIndex({ maxElements: n, m, efConstruction, randomSeed: seed >>> 0 });
  const row = new Array<number>(dim);
  const load = (i: number) => {
    for (let d = 0; d < dim; d++) row[d] = raw[i * dim + d];
    return row;
  };
  // Single-threaded, index-ordered insertion: the only way hnswlib builds the same graph twice.
  // Known shortcoming: hnswlib's SIMD distance kernels may round differently on CPUs
  // with other instruction sets, which can change near-tie neighbours there.
  const step = Math.max(1, Math.floor(n / 100));
  for (let i = 0; i < n; i++) {
    index.addPoint(load(i), i);
    if ((i + 1) % step === 0) onProgress?.(Math.floor((i + 1) / 2), n);
  }
  index.setEf(ef);

  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  const others = new Int32Array(k - 1);
  for (let i = 0; i < n; i++) {
    const found = index.searchKnn(load(i), k).neighbors;
    // Self is placed first whether or not the search found it; keep the k-1 best others.
    let c = 0;
    for (let j = 0; j < found.length && c < k - 1; j++) {
      if (found[j] !== i) others[c++] = found[j];
    }
    if (c < k - 1) {
      // hnswlib returned too few (tiny or degenerate inputs): fall back to exact for this row.
      exactRow(x, n, dim, i, others);
    }
    writeRow(x, dim, i, k, others, indices, distances);
    if ((i + 1) % step === 0) onProgress?.(Math.floor((n + i + 1) / 2), n);
  }
  onProgress?.(n, n);
  return { k, indices, distances, method: 'hnsw', params: { m, efConstruction, ef } };
}

/** Exact k-1 nearest others of row q (rare fallback). */
function exactRow(x: Float64Array, n: number, dim: number, q: number, out: Int32Array) {
  const d2 = new Float64Array(n);
  const order: number[] = [];
  for (let p = 0; p < n; p++) {
    if (p === q) continue;
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const diff = x[q * dim + d] - x[p * dim + d];
      s += diff * diff;
    }
    d2[p] = s;
    order.push(p);
  }
  order.sort((a, b) => d2[a] - d2[b] || a - b);
  for (let j = 0; j < out.length; j++) out[j] = order[j];
}
