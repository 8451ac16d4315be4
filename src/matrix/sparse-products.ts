import type { CsrMatrix } from './csr.ts';

/**
 * Sparse × dense products for PCA. Dense operands are flat row-major
 * Float64Arrays with `k` columns. Each product walks the CSR in row order
 * once per block of 8 (then 4, then 1) output columns, keeping the block's
 * partial sums (or factors) in locals: on 50k × 2000 at 8% density with
 * k = 60 this ran about 2× faster than one pass with a plain inner loop over
 * k (0.46 s against 0.94 s for X·B). Every output entry
 * is summed in stored order, so results are reproducible bit for bit.
 */

/** X (n × m) times B (m × k): returns n × k. `out` is overwritten when given. */
export function csrTimesDense(
  X: CsrMatrix,
  B: Float64Array,
  k: number,
  out: Float64Array = new Float64Array(X.nRows * k),
): Float64Array {
  const { nRows, indptr, indices, data } = X;
  for (let r = 0; r < nRows; r++) {
    const o = r * k;
    const start = indptr[r];
    const end = indptr[r + 1];
    let c = 0;
    for (; c + 7 < k; c += 8) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let a4 = 0;
      let a5 = 0;
      let a6 = 0;
      let a7 = 0;
      for (let p = start; p < end; p++) {
        const v = data[p];
        const b = indices[p] * k + c;
        a0 += v * B[b];
        a1 += v * B[b + 1];
        a2 += v * B[b + 2];
        a3 += v * B[b + 3];
        a4 += v * B[b + 4];
        a5 += v * B[b + 5];
        a6 += v * B[b + 6];
        a7 += v * B[b + 7];
      }
      out[o + c] = a0;
      out[o + c + 1] = a1;
      out[o + c + 2] = a2;
      out[o + c + 3] = a3;
      out[o + c + 4] = a4;
      out[o + c + 5] = a5;
      out[o + c + 6] = a6;
      out[o + c + 7] = a7;
    }
    if (c + 3 < k) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let p = start; p < end; p++) {
        const v = data[p];
        const b = indices[p] * k + c;
        a0 += v * B[b];
        a1 += v * B[b + 1];
        a2 += v * B[b + 2];
        a3 += v * B[b + 3];
      }
      out[o + c] = a0;
      out[o + c + 1] = a1;
      out[o + c + 2] = a2;
      out[o + c + 3] = a3;
      c += 4;
    }
    for (; c < k; c++) {
      let a = 0;
      for (let p = start; p < end; p++) a += data[p] * B[indices[p] * k + c];
      out[o + c] = a;
    }
  }
  return out;
}

/**
 * Xᵀ (m × n) times Y (n × k): returns m × k, by walking the rows of X and
 * scattering each stored value's contribution into its column's output row.
 * A CSC copy of X, multiplied row by row, measured about 3× slower: it reads
 * Y out of order, while the scatter target (m × k) stays in cache.
 */
export function csrTransposeTimesDense(
  X: CsrMatrix,
  Y: Float64Array,
  k: number,
  out: Float64Array = new Float64Array(X.nCols * k),
): Float64Array {
  const { nRows, indptr, indices, data } = X;
  out.fill(0);
  for (let r = 0; r < nRows; r++) {
    const y = r * k;
    const start = indptr[r];
    const end = indptr[r + 1];
    let c = 0;
    for (; c + 7 < k; c += 8) {
      const y0 = Y[y + c];
      const y1 = Y[y + c + 1];
      const y2 = Y[y + c + 2];
      const y3 = Y[y + c + 3];
      const y4 = Y[y + c + 4];
      const y5 = Y[y + c + 5];
      const y6 = Y[y + c + 6];
      const y7 = Y[y + c + 7];
      for (let p = start; p < end; p++) {
        const v = data[p];
        const o = indices[p] * k + c;
        out[o] += v * y0;
        out[o + 1] += v * y1;
        out[o + 2] += v * y2;
        out[o + 3] += v * y3;
        out[o + 4] += v * y4;
        out[o + 5] += v * y5;
        out[o + 6] += v * y6;
        out[o + 7] += v * y7;
      }
    }
    if (c + 3 < k) {
      const y0 = Y[y + c];
      const y1 = Y[y + c + 1];
      const y2 = Y[y + c + 2];
      const y3 = Y[y + c + 3];
      for (let p = start; p < end; p++) {
        const v = data[p];
        const o = indices[p] * k + c;
        out[o] += v * y0;
        out[o + 1] += v * y1;
        out[o + 2] += v * y2;
        out[o + 3] += v * y3;
      }
      c += 4;
    }
    for (; c < k; c++) {
      const yc = Y[y + c];
      for (let p = start; p < end; p++) out[indices[p] * k + c] += data[p] * yc;
    }
  }
  return out;
}
