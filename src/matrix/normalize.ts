import { invalidParameter } from '../errors.ts';
import type { CsrMatrix } from './csr.ts';
import { addInterleaved, checkMoments, expm1Moments, type GeneMoments } from './hvg.ts';
import { allocate, type BlockKernel, planRowBlocks, runRowBlocks } from './row-blocks.ts';

/**
 * How expression values become the log-scale matrix the later steps use:
 * - 'normalize-log1p': raw counts, scaled to a fixed library size, then log1p;
 * - 'log1p': already depth-normalized values (FPKM, TPM), log1p only;
 * - 'none': already on a log-like scale (qPCR −ΔCt), used as is.
 */
export type ExpressionTransform = 'normalize-log1p' | 'log1p' | 'none';

export interface NormalizeOptions {
  /** Library size each cell is scaled to. Default 1e4. */
  targetSum?: number;
  /**
   * Overwrite X's values instead of allocating new ones (X then holds the
   * result), so a large matrix is never held twice. Default false.
   */
  inPlace?: boolean;
  /**
   * Zeroed moments (`emptyGeneMoments(X.nCols)`) that the same pass fills with
   * the result's expm1 moments, the per-gene sums highly variable gene
   * selection needs, so it need not scan the matrix again.
   * normalizeTotalLog1p fills them in its pass; transformExpression fills
   * them for every transform (by a separate scan where the transform has none).
   */
  momentsInto?: GeneMoments;
  /**
   * Threads for a large matrix in shared memory (default: available cores);
   * the result does not depend on it.
   */
  threads?: number;
}

/**
 * scanpy's normalize_total(target_sum) followed by log1p: each cell's values
 * are scaled so they sum to `targetSum` (default 1e4), then log(1 + x).
 * Arithmetic is in float64 and each value is rounded once to float32, which
 * stays within an ulp of the reference's float32 path. Cells with a zero total
 * stay zero. Returns a matrix sharing X's structure arrays (and, with
 * `inPlace`, its values array).
 */
export function normalizeTotalLog1p(X: CsrMatrix, options: NormalizeOptions = {}): CsrMatrix {
  const { targetSum = 1e4, inPlace = false, momentsInto } = options;
  if (!(targetSum > 0 && Number.isFinite(targetSum))) {
    throw invalidParameter('target_sum', `must be a positive number, got ${targetSum}`);
  }
  const { nCols, indices, data } = X;
  if (momentsInto) checkMoments(momentsInto, nCols, 'momentsInto');
  // Rows split into blocks (by the matrix alone) that worker threads can take
  // when the matrix lies in shared memory; each block sums its own moments.
  const plan = planRowBlocks(X);
  const { blocks, shared } = plan;
  const out = inPlace ? data : allocate(Float32Array, data.length, shared);
  const acc = allocate(Float64Array, momentsInto ? blocks * 3 * nCols : 0, shared);
  runRowBlocks(
    'normalizeTotalLog1p',
    normalizeRows,
    { indptr: plan.indptr, indices, data, out, acc },
    plan.bounds,
    {
      targetSum,
      nCols,
      moments: momentsInto !== undefined,
      tableMax: TABLE_MAX,
      memoSlots: MEMO_SLOTS,
    },
    { threads: shared ? options.threads : 1 },
  );
  if (momentsInto) {
    for (let b = 0; b < blocks; b++) {
      addInterleaved(momentsInto, acc.subarray(b * 3 * nCols, (b + 1) * 3 * nCols));
    }
  }
  return { ...X, data: out };
}

interface NormalizeRowsParams {
  targetSum: number;
  nCols: number;
  moments: boolean;
  tableMax: number;
  memoSlots: number;
}

/**
 * normalize_total + log1p of rows first..last−1 into `out`, and, with
 * `moments`, their expm1 moments into block `block`'s part of `acc` (gene c's
 * sum, sum of squares and count at 3c..3c+2). A cell's counts repeat a few
 * small values (1, 2, 3, ...). When every count of a cell is a whole number up
 * to tableMax, log1p(count · scale) is computed once per value 0..max into a
 * table; otherwise it is remembered in a small direct-mapped table as it comes.
 * Either way the same calls on the same arguments, about a tenth as many of
 * them on UMI data. Both tables also keep expm1 of the float32 result, the
 * value the moments sum (as expm1Moments would). Runs in workers as is
 * (runRowBlocks), so it uses nothing from outside its parameters.
 */
const normalizeRows: BlockKernel<NormalizeRowsParams> = (a, block, first, last, params) => {
  const indptr = a.indptr as Float64Array;
  const indices = a.indices as Int32Array;
  const data = a.data as Float32Array;
  const out = a.out as Float32Array;
  const { targetSum, tableMax, memoSlots } = params;
  const acc = params.moments ? (a.acc as Float64Array) : undefined;
  const base = block * 3 * params.nCols;
  const mask = memoSlots - 1;
  const tableLog = new Float64Array(tableMax + 1);
  const tableExpm1 = new Float64Array(tableMax + 1);
  const memoRow = new Int32Array(memoSlots).fill(-1);
  const memoKey = new Float64Array(memoSlots);
  const memoValue = new Float64Array(memoSlots);
  const memoExpm1 = new Float64Array(memoSlots);
  for (let r = first; r < last; r++) {
    const start = indptr[r];
    const end = indptr[r + 1];
    let total = 0;
    let max = 0;
    let fractions = 0;
    for (let p = start; p < end; p++) {
      const v = data[p];
      total += v;
      if (v > max) max = v;
      fractions += v - (v | 0);
    }
    // scanpy divides empty cells by 1 instead of 0, which leaves them at zero.
    const scale = total === 0 ? 1 : targetSum / total;
    if (fractions === 0 && max <= tableMax) {
      for (let v = 0; v <= max; v++) {
        const y = Math.log1p(v * scale);
        tableLog[v] = y;
        if (acc) tableExpm1[v] = Math.fround(Math.expm1(Math.fround(y)));
      }
      if (acc) {
        for (let p = start; p < end; p++) {
          const v = data[p] | 0;
          out[p] = tableLog[v];
          const e = tableExpm1[v];
          const c = base + 3 * indices[p];
          acc[c] += e;
          acc[c + 1] += e * e;
          acc[c + 2]++;
        }
      } else {
        for (let p = start; p < end; p++) out[p] = tableLog[data[p] | 0];
      }
      continue;
    }
    for (let p = start; p < end; p++) {
      const v = data[p];
      const slot = (v | 0) & mask;
      if (memoRow[slot] !== r || memoKey[slot] !== v) {
        const y = Math.log1p(v * scale);
        memoRow[slot] = r;
        memoKey[slot] = v;
        memoValue[slot] = y;
        if (acc) memoExpm1[slot] = Math.fround(Math.expm1(Math.fround(y)));
      }
      out[p] = memoValue[slot];
      if (acc) {
        const e = memoExpm1[slot];
        const c = base + 3 * indices[p];
        acc[c] += e;
        acc[c + 1] += e * e;
        acc[c + 2]++;
      }
    }
  }
};

/** Largest count the per-cell table covers; a cell with a larger one uses the memo. */
const TABLE_MAX = 255;
/** Slots of the per-cell log1p memo (a power of two): counts up to 63 each get their own. */
const MEMO_SLOTS = 64;

/** log(1 + x) of every stored value, for inputs that are already depth-normalized. */
export function log1pOnly(
  X: CsrMatrix,
  options: Pick<NormalizeOptions, 'inPlace'> = {},
): CsrMatrix {
  const { data } = X;
  const out = options.inPlace ? data : new Float32Array(data.length);
  for (let p = 0; p < data.length; p++) out[p] = Math.log1p(data[p]);
  return { ...X, data: out };
}

/** Applies the chosen transform; 'none' returns X itself. */
export function transformExpression(
  X: CsrMatrix,
  transform: ExpressionTransform,
  options: NormalizeOptions = {},
): CsrMatrix {
  const { momentsInto, ...rest } = options;
  let out: CsrMatrix;
  switch (transform) {
    case 'normalize-log1p':
      return normalizeTotalLog1p(X, options);
    case 'log1p':
      out = log1pOnly(X, rest);
      break;
    case 'none':
      out = X;
      break;
    default:
      throw invalidParameter('transform', `unknown transform '${transform as string}'`);
  }
  if (momentsInto) expm1Moments(out, momentsInto);
  return out;
}
