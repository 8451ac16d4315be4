import { invalidParameter } from '../errors.ts';
import type { CsrMatrix } from './csr.ts';

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
  const { targetSum = 1e4, inPlace = false } = options;
  if (!(targetSum > 0 && Number.isFinite(targetSum))) {
    throw invalidParameter('target_sum', `must be a positive number, got ${targetSum}`);
  }
  const { nRows, indptr, data } = X;
  const out = inPlace ? data : new Float32Array(data.length);
  // A cell's counts repeat a few small values (1, 2, 3, ...), so log1p(count · scale) is
  // remembered per cell in a small direct-mapped table: the same calls on the same
  // arguments, about a tenth as many of them on UMI data.
  const memoRow = new Int32Array(MEMO_SLOTS).fill(-1);
  const memoKey = new Float64Array(MEMO_SLOTS);
  const memoValue = new Float64Array(MEMO_SLOTS);
  for (let r = 0; r < nRows; r++) {
    const start = indptr[r];
    const end = indptr[r + 1];
    let total = 0;
    for (let p = start; p < end; p++) total += data[p];
    // scanpy divides empty cells by 1 instead of 0, which leaves them at zero.
    const scale = total === 0 ? 1 : targetSum / total;
    for (let p = start; p < end; p++) {
      const v = data[p];
      const slot = (v | 0) & MEMO_MASK;
      if (memoRow[slot] === r && memoKey[slot] === v) {
        out[p] = memoValue[slot];
      } else {
        const y = Math.log1p(v * scale);
        memoRow[slot] = r;
        memoKey[slot] = v;
        memoValue[slot] = y;
        out[p] = y;
      }
    }
  }
  return { ...X, data: out };
}

/** Slots of the per-cell log1p table: counts up to 63 each get their own. */
const MEMO_SLOTS = 64;
const MEMO_MASK = MEMO_SLOTS - 1;

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
  switch (transform) {
    case 'normalize-log1p':
      return normalizeTotalLog1p(X, options);
    case 'log1p':
      return log1pOnly(X, options);
    case 'none':
      return X;
    default:
      throw invalidParameter('transform', `unknown transform '${transform as string}'`);
  }
}
