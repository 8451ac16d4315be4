import { invalidInput } from '../errors.ts';
import type { CsrMatrix } from './csr.ts';
import { allocate, type BlockKernel, planRowBlocks, runRowBlocks } from './row-blocks.ts';

export interface CheckValuesOptions {
  /** The file the matrix came from, as the user named it. */
  file: string;
  /** Whether negative values are legitimate (−ΔCt, centred data). Default false: counts. */
  allowNegative?: boolean;
  /** Which matrix of the file this is ('X', 'layers/counts' ...), for the message. */
  matrixName?: string;
  /** Cell ids, one per row, used to name the first offending cell. */
  cellIds?: readonly string[];
  /** Gene ids, one per column, used to name the first offending gene. */
  geneIds?: readonly string[];
}

/**
 * Rejects a matrix holding NaN or ±Inf anywhere, or negative values when
 * counts are expected. The error names the file, how many values are bad and
 * the first one in row order (cell, gene), so the user can find it.
 */
export function checkValues(X: CsrMatrix, options: CheckValuesOptions): void {
  const { file, allowNegative = false } = options;
  const { data } = X;
  const { blocks, bounds, shared, indptr } = planRowBlocks(X);
  // Per block: non-finite count, first non-finite position, negative count, first negative.
  const found = allocate(Float64Array, 4 * blocks, shared);
  runRowBlocks('checkValues', countBadValues, { indptr, data, found }, bounds, { allowNegative });
  let nonFinite = 0;
  let firstNonFinite = -1;
  let negative = 0;
  let firstNegative = -1;
  for (let b = 0; b < blocks; b++) {
    if (found[4 * b] > 0 && nonFinite === 0) firstNonFinite = found[4 * b + 1];
    if (found[4 * b + 2] > 0 && negative === 0) firstNegative = found[4 * b + 3];
    nonFinite += found[4 * b];
    negative += found[4 * b + 2];
  }
  if (nonFinite > 0) {
    throw invalidInput(
      file,
      `${nonFinite} non-finite value(s) (NaN or Inf) in the expression matrix; ` +
        `first ${describe(X, firstNonFinite, options)}`,
      { field: options.matrixName, found: String(data[firstNonFinite]) },
    );
  }
  if (negative > 0) {
    throw invalidInput(
      file,
      `${negative} negative value(s) where counts are expected; ` +
        `first ${describe(X, firstNegative, options)} ` +
        "(for log-scale data such as −ΔCt values, use transform 'none': --transform none)",
      { field: options.matrixName, found: String(data[firstNegative]) },
    );
  }
}

/** Counts the bad values of rows first..last−1 into `found` (runs in workers as is). */
const countBadValues: BlockKernel<{ allowNegative: boolean }> = (a, block, first, last, params) => {
  const { indptr, data, found } = a;
  let nonFinite = 0;
  let firstNonFinite = -1;
  let negative = 0;
  let firstNegative = -1;
  const end = indptr[last];
  for (let p = indptr[first]; p < end; p++) {
    const v = data[p];
    if (!Number.isFinite(v)) {
      if (nonFinite++ === 0) firstNonFinite = p;
    } else if (v < 0 && !params.allowNegative) {
      if (negative++ === 0) firstNegative = p;
    }
  }
  found[4 * block] = nonFinite;
  found[4 * block + 1] = firstNonFinite;
  found[4 * block + 2] = negative;
  found[4 * block + 3] = firstNegative;
};

/**
 * "value V at cell 'C' (cell #i of n), gene 'G' (gene #j of m)" for stored
 * position p, counting from 1 in the cells × genes matrix as read (not the
 * file's lines: a text reader reports those itself).
 */
function describe(X: CsrMatrix, p: number, options: CheckValuesOptions): string {
  const row = rowOf(X.indptr, p, X.nRows);
  const col = X.indices[p];
  const cell = options.cellIds?.[row];
  const gene = options.geneIds?.[col];
  const cellNo = `#${row + 1} of ${X.nRows}`;
  const geneNo = `#${col + 1} of ${X.nCols}`;
  const cellText = cell === undefined ? cellNo : `'${cell}' (cell ${cellNo})`;
  const geneText = gene === undefined ? geneNo : `'${gene}' (gene ${geneNo})`;
  return `value ${X.data[p]} at cell ${cellText}, gene ${geneText}`;
}

/**
 * The first of the first `limit` stored values that is not a whole number,
 * with its row, or undefined: whether a matrix looks like counts.
 */
export function firstNonInteger(
  X: CsrMatrix,
  limit: number,
): { value: number; row: number } | undefined {
  const end = Math.min(X.indptr[X.nRows], limit);
  for (let p = 0; p < end; p++) {
    if (!Number.isInteger(X.data[p])) return { value: X.data[p], row: rowOf(X.indptr, p, X.nRows) };
  }
  return undefined;
}

/** The row whose stored range holds position p (binary search on indptr). */
function rowOf(indptr: Float64Array, p: number, nRows: number): number {
  let lo = 0;
  let hi = nRows - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (indptr[mid] <= p) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
