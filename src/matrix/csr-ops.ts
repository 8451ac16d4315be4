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

/**
 * Whether a square matrix equals its transpose, stored values and all (an
 * explicit zero counts as a stored value). Row order within rows does not matter.
 */
export function isSymmetric(X: CsrMatrix): boolean {
  if (X.nRows !== X.nCols) return false;
  const t = transposeCsr(X);
  // Xᵀᵀ is X with sorted rows, comparable entry by entry with Xᵀ.
  const sorted = transposeCsr(t);
  for (let i = 0; i <= X.nRows; i++) if (t.indptr[i] !== sorted.indptr[i]) return false;
  for (let p = 0; p < t.indices.length; p++) {
    if (t.indices[p] !== sorted.indices[p] || t.data[p] !== sorted.data[p]) return false;
  }
  return true;
}

/** Mean of each column over all rows (implicit zeros included), in float64. */
export function columnMeans(X: CsrMatrix): Float64Array {
  const mean = new Float64Array(X.nCols);
  const total = X.indptr[X.nRows];
  for (let p = 0; p < total; p++) mean[X.indices[p]] += X.data[p];
  for (let c = 0; c < X.nCols; c++) mean[c] /= X.nRows;
  return mean;
}

/**
 * Sorts the (column, value) pairs at start..end−1 by column. With unique
 * columns the order is total; a repeated column keeps its pairs in stored order.
 */
export function sortRowByColumn(
  indices: Int32Array,
  data: Float32Array,
  start: number,
  end: number,
): void {
  if (end - start < 32) {
    for (let i = start + 1; i < end; i++) {
      const c = indices[i];
      const v = data[i];
      let j = i - 1;
      while (j >= start && indices[j] > c) {
        indices[j + 1] = indices[j];
        data[j + 1] = data[j];
        j--;
      }
      indices[j + 1] = c;
      data[j + 1] = v;
    }
    return;
  }
  const keys = indices.slice(start, end);
  const values = data.slice(start, end);
  const order = Array.from(keys.keys()).sort((a, b) => keys[a] - keys[b]);
  for (let k = 0; k < order.length; k++) {
    indices[start + k] = keys[order[k]];
    data[start + k] = values[order[k]];
  }
}
