import { availableParallelism } from 'node:os';
import type { CsrMatrix } from './csr.ts';
import { allocate, type BlockKernel, inSharedMemory, runRowBlocks } from './row-blocks.ts';

export interface GramOptions {
  /**
   * Threads, this one included, that compute row blocks (default: available
   * cores, at most GRAM_BLOCKS). The result does not depend on it.
   */
  threads?: number;
  /**
   * Stored values below which all blocks run on this thread: starting a worker
   * costs more than it saves (default 2,000,000).
   */
  workerThreshold?: number;
}

/**
 * Row blocks the Gram matrix is summed from, whatever the thread count: each
 * block's partial sum is computed alone and the partials are added in block
 * order, so the bits are the same on one thread or four.
 */
export const GRAM_BLOCKS = 4;
const DEFAULT_WORKER_THRESHOLD = 2_000_000;

/**
 * The upper triangle (with diagonal) of XᵀX, dense genes × genes float64 (the
 * lower triangle is left zero). Rows are cut into GRAM_BLOCKS blocks of about
 * equal work (a row with r stored values costs r(r+1)/2); each block's
 * partial triangle is computed by `gramRows` and the partials are summed in
 * block order. With more than one thread the blocks run on `runRowBlocks`'
 * workers, which read X in shared memory: X's own arrays when they lie there
 * (readers and the HVG subset put large ones there), else a copy of X.
 */
export function gramUpper(X: CsrMatrix, options: GramOptions = {}): Float64Array {
  const m = X.nCols;
  const bounds = blockBounds(X);
  const stored = X.indptr[X.nRows];
  const threshold = options.workerThreshold ?? DEFAULT_WORKER_THRESHOLD;
  const requested = Math.floor(options.threads ?? availableParallelism()) || 1;
  const threads = stored < threshold ? 1 : Math.max(1, Math.min(GRAM_BLOCKS, requested));
  const packed = (m * (m + 1)) / 2;
  // In shared memory when large, for the worker thread of Lanczos' products (denseProduct).
  const G = allocate(Float64Array, m * m);

  if (threads === 1) {
    // One partial, reused block after block.
    const partial = new Float64Array(packed);
    for (let b = 0; b < GRAM_BLOCKS; b++) {
      partial.fill(0);
      gramRows(X.indptr, X.indices, X.data, bounds[b], bounds[b + 1], m, partial);
      addPacked(G, partial, m);
    }
    return G;
  }

  const partials = allocate(Float64Array, GRAM_BLOCKS * packed, true);
  runRowBlocks(
    'gramUpper',
    gramBlock,
    {
      indptr: inSharedMemory(X.indptr),
      indices: inSharedMemory(X.indices),
      data: inSharedMemory(X.data),
      partials,
    },
    bounds,
    { m, packed },
    { threads, helpers: [gramRows] },
  );
  for (let b = 0; b < GRAM_BLOCKS; b++) {
    addPacked(G, partials.subarray(b * packed, (b + 1) * packed), m);
  }
  return G;
}

/** Block `block`'s rows into its own packed partial triangle (runRowBlocks kernel). */
const gramBlock: BlockKernel<{ m: number; packed: number }> = (a, block, first, last, p) => {
  const partials = a.partials as Float64Array;
  const out = partials.subarray(block * p.packed, (block + 1) * p.packed);
  gramRows(
    a.indptr as Float64Array,
    a.indices as Int32Array,
    a.data as Float32Array,
    first,
    last,
    p.m,
    out,
  );
};

/**
 * GRAM_BLOCKS + 1 row boundaries splitting the Gram work Σ r(r+1)/2 (r stored
 * values per row) evenly; they depend on the matrix only.
 */
function blockBounds(X: CsrMatrix): number[] {
  let total = 0;
  for (let i = 0; i < X.nRows; i++) {
    const r = X.indptr[i + 1] - X.indptr[i];
    total += (r * (r + 1)) / 2;
  }
  const bounds = [0];
  let done = 0;
  let row = 0;
  for (let b = 1; b < GRAM_BLOCKS; b++) {
    const target = (total * b) / GRAM_BLOCKS;
    while (row < X.nRows && done < target) {
      const r = X.indptr[row + 1] - X.indptr[row];
      done += (r * (r + 1)) / 2;
      row++;
    }
    bounds.push(row);
  }
  bounds.push(X.nRows);
  return bounds;
}

/** G's upper triangle += the packed triangle P (row a holds columns a..m−1). */
function addPacked(G: Float64Array, P: Float64Array, m: number): void {
  let p = 0;
  for (let a = 0; a < m; a++) {
    const row = a * m;
    for (let c = a; c < m; c++) G[row + c] += P[p++];
  }
}

/**
 * Adds Σ over rows first..last−1 of the products of each row's stored pairs
 * (a ≤ b by sorted column index) into the packed upper triangle `out` (row a
 * holds columns a..m−1). Bands of output rows are filled one at a time,
 * each by a pass over the rows that resumes where the previous band stopped,
 * so the scattered writes stay in cache (50k × 2000 on one thread: 1.8 s
 * with 262-row bands, 2.2 s with 64-row bands or one pass); four stored
 * values share each sweep of the rest of the row.
 * Every entry sums its terms in row order. Runs unchanged in workers (its
 * source is sent to them), so it uses nothing from outside its parameters.
 */
export function gramRows(
  indptr: Float64Array,
  indices: Int32Array,
  data: Float32Array,
  first: number,
  last: number,
  m: number,
  out: Float64Array,
): void {
  // Output rows per band: about 4 MiB, so that several threads' bands fit a shared L3 cache.
  const band = Math.max(8, Math.floor(2 ** 19 / m));
  // offset[a] + c is the packed index of (a, c) for c ≥ a.
  const offset = new Int32Array(m);
  for (let a = 0; a < m; a++) offset[a] = a * m - (a * (a + 1)) / 2;
  const cursor = indptr.slice(first, last);
  for (let g0 = 0; g0 < m; g0 += band) {
    const g1 = g0 + band;
    for (let r = first; r < last; r++) {
      let p = cursor[r - first];
      const end = indptr[r + 1];
      while (p + 3 < end && indices[p + 3] < g1) {
        const v0 = data[p];
        const v1 = data[p + 1];
        const v2 = data[p + 2];
        const v3 = data[p + 3];
        const i1 = indices[p + 1];
        const i2 = indices[p + 2];
        const b0 = offset[indices[p]];
        const b1 = offset[i1];
        const b2 = offset[i2];
        const b3 = offset[indices[p + 3]];
        out[b0 + indices[p]] += v0 * v0;
        out[b0 + i1] += v0 * v1;
        out[b0 + i2] += v0 * v2;
        out[b1 + i1] += v1 * v1;
        out[b1 + i2] += v1 * v2;
        out[b2 + i2] += v2 * v2;
        for (let b = p + 3; b < end; b++) {
          const c = indices[b];
          const d = data[b];
          out[b0 + c] += v0 * d;
          out[b1 + c] += v1 * d;
          out[b2 + c] += v2 * d;
          out[b3 + c] += v3 * d;
        }
        p += 4;
      }
      for (; p < end && indices[p] < g1; p++) {
        const v = data[p];
        const base = offset[indices[p]];
        for (let b = p; b < end; b++) out[base + indices[b]] += v * data[b];
      }
      cursor[r - first] = p;
    }
  }
}
