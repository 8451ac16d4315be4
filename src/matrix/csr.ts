/**
 * Compressed sparse row matrix, the in-memory shape of an expression matrix
 * (cells × genes) and of a cell graph (cells × cells).
 *
 * `indptr` is a Float64Array so that a matrix may hold more than 2^31 stored
 * values; its entries are exact integers. Column indices within a row are
 * sorted ascending and unique; `canonicalize` establishes that for readers
 * whose source may not guarantee it.
 */
export interface CsrMatrix {
  readonly nRows: number;
  readonly nCols: number;
  readonly indptr: Float64Array;
  readonly indices: Int32Array;
  readonly data: Float32Array;
}

export function nnz(m: CsrMatrix): number {
  return m.indptr[m.nRows];
}

/** An empty-valued CSR of the given shape. */
export function emptyCsr(nRows: number, nCols: number): CsrMatrix {
  return {
    nRows,
    nCols,
    indptr: new Float64Array(nRows + 1),
    indices: new Int32Array(0),
    data: new Float32Array(0),
  };
}

/** Dense row-major matrix, used for embeddings (PCA, spatial coordinates). */
export interface DenseMatrix {
  readonly nRows: number;
  readonly nCols: number;
  /** Row-major values, length nRows * nCols. */
  readonly data: Float32Array | Float64Array;
}
