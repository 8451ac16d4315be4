import { availableParallelism } from 'node:os';
import type { CsrMatrix } from './csr.ts';
import {
  allocate,
  type BlockKernel,
  inSharedMemory,
  ROW_BLOCKS,
  rowBlockBounds,
  runRowBlocks,
} from './row-blocks.ts';
import { csrTimesDense } from './sparse-products.ts';

export interface ParallelProductOptions {
  /** Threads, this one included (default: available cores, at most ROW_BLOCKS). */
  threads?: number;
  /** Stored values below which the product runs on this thread alone (default 4,000,000). */
  workerThreshold?: number;
  /** Wait for the workers to take their rows instead of taking them back (for tests). */
  waitForWorker?: boolean;
}

const DEFAULT_WORKER_THRESHOLD = 4_000_000;

/**
 * X (n × m) times B (m × k) as csrTimesDense computes it, with the rows cut
 * into ROW_BLOCKS blocks of about equal stored values that `runRowBlocks`
 * hands to worker threads too. Each output row depends on its own input row
 * only, so the bits are those of csrTimesDense whatever the split. Workers
 * read X in shared memory: X's own arrays when they lie there (readers and
 * the HVG subset put large ones there), else a copy of X. An error in a
 * worker is thrown here.
 */
export function csrTimesDenseParallel(
  X: CsrMatrix,
  B: Float64Array,
  k: number,
  options: ParallelProductOptions = {},
): Float64Array {
  const n = X.nRows;
  const threshold = options.workerThreshold ?? DEFAULT_WORKER_THRESHOLD;
  const threads = Math.floor(options.threads ?? availableParallelism()) || 1;
  if (threads < 2 || X.indptr[n] < threshold || n < 2) return csrTimesDense(X, B, k);
  const out = allocate(Float64Array, n * k, true);
  runRowBlocks(
    'csrTimesDenseParallel',
    productBlock,
    {
      indptr: inSharedMemory(X.indptr),
      indices: inSharedMemory(X.indices),
      data: inSharedMemory(X.data),
      b: inSharedMemory(B),
      out,
    },
    rowBlockBounds(X.indptr, n, ROW_BLOCKS),
    { nCols: X.nCols, k },
    {
      threads,
      helpers: [csrTimesDense],
      ...(options.waitForWorker ? { waitForWorkers: true } : {}),
    },
  );
  return out;
}

/** Rows first..last−1 of X·B into the same rows of `out` (runRowBlocks kernel). */
const productBlock: BlockKernel<{ nCols: number; k: number }> = (a, _block, first, last, p) => {
  const rows = {
    nRows: last - first,
    nCols: p.nCols,
    indptr: (a.indptr as Float64Array).subarray(first, last + 1),
    indices: a.indices as Int32Array,
    data: a.data as Float32Array,
  };
  csrTimesDense(
    rows,
    a.b as Float64Array,
    p.k,
    (a.out as Float64Array).subarray(first * p.k, last * p.k),
  );
};
