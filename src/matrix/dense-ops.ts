import type { DenseMatrix } from './csr.ts';

/** The rows `rows` of a dense matrix, in that order, keeping its value type. */
export function takeDenseRows(m: DenseMatrix, rows: ArrayLike<number>): DenseMatrix {
  const { nCols } = m;
  const data =
    m.data instanceof Float64Array
      ? new Float64Array(rows.length * nCols)
      : new Float32Array(rows.length * nCols);
  for (let r = 0; r < rows.length; r++) {
    data.set(m.data.subarray(rows[r] * nCols, (rows[r] + 1) * nCols), r * nCols);
  }
  return { nRows: rows.length, nCols, data };
}
