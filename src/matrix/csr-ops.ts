import type { CsrMatrix } from './csr.ts';

/** Xᵀ as a CSR matrix (equivalently, X in compressed-column form), rows sorted. */
export function transposeCsr(X: CsrMatrix): CsrMatrix {
  const { nRows, nCols, indptr, indices, data } = X;
  const total = indptr[nRows];
  const tIndptr = new Float64Array(nCols + 1);
  for (let p = 0; p < total; p++) tIndptr[indices[p] + 1]++;
  for (let c = 0; c < nCols; c++) tIndptr[c + 1] += tIndptr[c];
  const next = tIndptr.slice(0, nCols);
  const tIndices = new Int32Array(total);
  const tData = new Float32Array(total);
  for (let r = 0; r < nRows; r++) {
    for (let p = indptr[r]; p < indptr[r + 1]; p++) {
      const q = next[indices[p]]++;
      tIndices[q] = r;
      tData[q] = data[p];
    }
  }
  return { nRows: nCols, nCols: nRows, indptr: tIndptr, indices: tIndices, data: tData };
}

/** Mean of each column over all rows (implicit zeros included), in float64. */
export function columnMeans(X: CsrMatrix): Float64Array {
  const mean = new Float64Array(X.nCols);
  const total = X.indptr[X.nRows];
  for (let p = 0; p < total; p++) mean[X.indices[p]] += X.data[p];
  for (let c = 0; c < X.nCols; c++) mean[c] /= X.nRows;
  return mean;
}
