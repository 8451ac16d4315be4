import type { CsrMatrix } from '../matrix/csr.ts';
import type { GraphDataset } from './types.ts';

/** A directed edge list sorted by (source, target). */
export interface EdgeList {
  readonly source: Int32Array;
  readonly target: Int32Array;
  readonly weight: Float32Array;
}

/**
 * The edges of an undirected graph in both directions, without self loops,
 * sorted by (source, target): the `edge_index` PyTorch Geometric expects.
 * The adjacency is symmetrized on the way (an edge stored one way only gets its
 * reverse; when both are stored with different weights the larger wins), so a
 * graph that is symmetric already comes out unchanged.
 */
export function edgeListFromAdjacency(adjacency: CsrMatrix): EdgeList {
  const n = adjacency.nRows;
  const t = transpose(adjacency);
  // At most every stored entry plus its reverse.
  const capacity = 2 * adjacency.indptr[n];
  const source = new Int32Array(capacity);
  const target = new Int32Array(capacity);
  const weight = new Float32Array(capacity);
  let e = 0;
  for (let i = 0; i < n; i++) {
    let a = adjacency.indptr[i];
    let b = t.indptr[i];
    const aEnd = adjacency.indptr[i + 1];
    const bEnd = t.indptr[i + 1];
    // Merge the two sorted rows; equal columns keep the larger weight.
    while (a < aEnd || b < bEnd) {
      const ja = a < aEnd ? adjacency.indices[a] : Number.POSITIVE_INFINITY;
      const jb = b < bEnd ? t.indices[b] : Number.POSITIVE_INFINITY;
      const j = Math.min(ja, jb);
      let w = Number.NEGATIVE_INFINITY;
      if (ja === j) w = Math.max(w, adjacency.data[a++]);
      if (jb === j) w = Math.max(w, t.data[b++]);
      if (j === i) continue;
      source[e] = i;
      target[e] = j;
      weight[e++] = w;
    }
  }
  return { source: source.slice(0, e), target: target.slice(0, e), weight: weight.slice(0, e) };
}

/** Counting-sort transpose; rows of the result come out with sorted columns. */
function transpose(m: CsrMatrix): CsrMatrix {
  const nnz = m.indptr[m.nRows];
  const indptr = new Float64Array(m.nCols + 1);
  for (let k = 0; k < nnz; k++) indptr[m.indices[k] + 1]++;
  for (let j = 0; j < m.nCols; j++) indptr[j + 1] += indptr[j];
  const next = indptr.slice(0, m.nCols);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  for (let i = 0; i < m.nRows; i++) {
    for (let k = m.indptr[i]; k < m.indptr[i + 1]; k++) {
      const p = next[m.indices[k]]++;
      indices[p] = i;
      data[p] = m.data[k];
    }
  }
  return { nRows: m.nCols, nCols: m.nRows, indptr, indices, data };
}

/** The edges graph.npz carries: those of the dataset's primary graph. */
export function primaryEdgeList(dataset: GraphDataset): EdgeList {
  const graph = dataset.primaryGraph === 'spatial' ? dataset.spatialGraph! : dataset.graph!;
  return edgeListFromAdjacency(graph.connectivities);
}
