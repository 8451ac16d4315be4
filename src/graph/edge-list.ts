/**
 * Turning edge lists into CSR matrices: the one place where graph builders
 * sort columns, drop duplicates and mirror undirected edges.
 */
import type { CsrMatrix } from '../matrix/csr.ts';

/** Row length up to which csrFromEntries sorts by insertion. */
const INSERTION_SORT_MAX = 64;

/**
 * CSR of directed entries (rows[e], cols[e]) = values[e], columns sorted per
 * row. A repeated (row, col) keeps its first value; callers pass unique pairs.
 */
export function csrFromEntries(
  n: number,
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
  values: ArrayLike<number>,
): CsrMatrix {
  const counts = new Float64Array(n + 1);
  for (let e = 0; e < rows.length; e++) counts[rows[e] + 1]++;
  for (let i = 0; i < n; i++) counts[i + 1] += counts[i];
  const fill = counts.slice(0, n);
  const order = new Int32Array(rows.length);
  for (let e = 0; e < rows.length; e++) order[fill[rows[e]]++] = e;

  const indptr = new Float64Array(n + 1);
  const indices = new Int32Array(rows.length);
  const data = new Float32Array(rows.length);
  let out = 0;
  for (let i = 0; i < n; i++) {
    // A row's entries arrive in entry order; a stable insertion sort by column
    // (rows hold a few dozen entries) puts a repeated pair's first entry first.
    const start = counts[i];
    const end = counts[i + 1];
    if (end - start > INSERTION_SORT_MAX) {
      // Hubs (cells many others name as neighbours) would make insertion quadratic.
      const slice = Array.from(order.subarray(start, end));
      slice.sort((a, b) => cols[a] - cols[b] || a - b);
      order.set(slice, start);
    } else {
      for (let s = start + 1; s < end; s++) {
        const e = order[s];
        const c = cols[e];
        let t = s - 1;
        while (t >= start && cols[order[t]] > c) {
          order[t + 1] = order[t];
          t--;
        }
        order[t + 1] = e;
      }
    }
    for (let s = start; s < end; s++) {
      const e = order[s];
      if (s > start && cols[e] === cols[order[s - 1]]) continue;
      indices[out] = cols[e];
      data[out] = values[e];
      out++;
    }
    indptr[i + 1] = out;
  }
  return { nRows: n, nCols: n, indptr, indices: indices.slice(0, out), data: data.slice(0, out) };
}

/**
 * Symmetric CSR from undirected edges (a[e], b[e]) with weight w[e]: each edge
 * is stored in both directions; self-loops and repeats are dropped.
 */
export function symmetricCsr(
  n: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  w: ArrayLike<number>,
): CsrMatrix {
  const m = a.length;
  const rows = new Int32Array(2 * m);
  const cols = new Int32Array(2 * m);
  const vals = new Float64Array(2 * m);
  let e = 0;
  for (let i = 0; i < m; i++) {
    if (a[i] === b[i]) continue;
    rows[e] = a[i];
    cols[e] = b[i];
    vals[e++] = w[i];
    rows[e] = b[i];
    cols[e] = a[i];
    vals[e++] = w[i];
  }
  return csrFromEntries(n, rows.subarray(0, e), cols.subarray(0, e), vals.subarray(0, e));
}

/** The same sparsity pattern as `m` with every stored value set to `value`. */
export function withValues(m: CsrMatrix, value: number): CsrMatrix {
  return { ...m, data: new Float32Array(m.data.length).fill(value) };
}
