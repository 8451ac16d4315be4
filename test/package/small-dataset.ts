import type { CsrMatrix } from '../../src/matrix/csr.ts';
import type { GraphDataset } from '../../src/package/types.ts';
import type { Column } from '../../src/read/dataset.ts';

/**
 * A hand-built dataset small enough that every expected value in the tests
 * can be worked out from the rules below:
 * - 50 cells `cell-0..49`, 6 genes `G0..G5`; X[i, i % 6] = (i + 1) / 10 and,
 *   when i % 3 == 0, X[i, (i + 2) % 6] = 1.5.
 * - Expression graph: a ring where i joins i±1 and i±2 (mod 50), weight
 *   1 / ring distance, plus a self loop on cell 0 (weight 1) that graph.npz
 *   must drop: 201 stored entries, 200 directed edges.
 * - Spatial: cell i at (i % 10, floor(i / 10)); graph joins 4-neighbours of
 *   that 10 × 5 grid: 85 undirected edges, 170 stored entries.
 * - Labels A/B/C = i % 3, except cell 7 unlabeled; split by i % 5 (0-2 train,
 *   3 val, 4 test), cell 7 in no part.
 */
export const N = 50;
export const G = 6;
export const UNLABELED = 7;

export function xValue(i: number, j: number): number {
  if (j === i % G) return (i + 1) / 10;
  if (i % 3 === 0 && j === (i + 2) % G) return 1.5;
  return 0;
}

function csrFromRows(nCols: number, rows: [number, number][][]): CsrMatrix {
  const indptr = new Float64Array(rows.length + 1);
  const indices: number[] = [];
  const data: number[] = [];
  rows.forEach((row, i) => {
    const sorted = [...row].sort((a, b) => a[0] - b[0]);
    for (const [j, v] of sorted) {
      indices.push(j);
      data.push(v);
    }
    indptr[i + 1] = indices.length;
  });
  return {
    nRows: rows.length,
    nCols,
    indptr,
    indices: Int32Array.from(indices),
    data: Float32Array.from(data),
  };
}

function ringRows(weight: (d: number) => number): [number, number][][] {
  return Array.from({ length: N }, (_, i) => {
    const row: [number, number][] = [1, 2].flatMap((d) => [
      [(i + d) % N, weight(d)] as [number, number],
      [(i - d + N) % N, weight(d)] as [number, number],
    ]);
    if (i === 0) row.push([0, 1]);
    return row;
  });
}

function gridRows(): [number, number][][] {
  return Array.from({ length: N }, (_, i) => {
    const x = i % 10;
    const y = Math.floor(i / 10);
    const row: [number, number][] = [];
    if (x > 0) row.push([i - 1, 1]);
    if (x < 9) row.push([i + 1, 1]);
    if (y > 0) row.push([i - 10, 1]);
    if (y < 4) row.push([i + 10, 1]);
    return row;
  });
}

export function smallDataset(overrides: Partial<GraphDataset> = {}): GraphDataset {
  const cells = Array.from({ length: N }, (_, i) => i);
  const X = csrFromRows(
    G,
    cells.map((i) =>
      Array.from({ length: G }, (_, j) => [j, xValue(i, j)] as [number, number]).filter(
        ([, v]) => v !== 0,
      ),
    ),
  );
  const features = {
    nRows: N,
    nCols: 4,
    data: Float32Array.from({ length: N * 4 }, (_, k) => Math.floor(k / 4) * 0.5 + (k % 4)),
  };
  const codes = Int32Array.from(cells, (i) => (i === UNLABELED ? -1 : i % 3));
  const assignment = Int8Array.from(cells, (i) =>
    i === UNLABELED ? -1 : i % 5 < 3 ? 0 : i % 5 === 3 ? 1 : 2,
  );
  const obs = new Map<string, Column>([
    ['n_counts', { kind: 'numeric', values: Float64Array.from(cells, (i) => i * 1.5) }],
    ['n_genes', { kind: 'integer', values: Float64Array.from(cells, (i) => (i % 6) + 1) }],
    [
      'is_doublet',
      { kind: 'boolean', values: Uint8Array.from(cells, (i) => (i % 10 === 0 ? 1 : 0)) },
    ],
    ['note', { kind: 'string', values: cells.map((i) => `note ${i} é`) }],
    [
      'batch',
      {
        kind: 'categorical',
        codes: Int32Array.from(cells, (i) => i % 2),
        categories: ['b1', 'b2'],
      },
    ],
  ]);
  const genes = Array.from({ length: G }, (_, j) => j);
  const vars = new Map<string, Column>([
    ['highly_variable', { kind: 'boolean', values: new Uint8Array(G).fill(1) }],
    ['means', { kind: 'numeric', values: Float64Array.from(genes, (j) => j / 4) }],
    ['dispersions_norm', { kind: 'numeric', values: Float64Array.from(genes, (j) => 1 - j) }],
  ]);
  return {
    name: 'small',
    cellIds: cells.map((i) => `cell-${i}`),
    obs,
    geneIds: genes.map((j) => `G${j}`),
    var: vars,
    X,
    features,
    pca: features,
    spatial: {
      nRows: N,
      nCols: 2,
      data: Float64Array.from({ length: N * 2 }, (_, k) =>
        k % 2 === 0 ? Math.floor(k / 2) % 10 : Math.floor(k / 20),
      ),
    },
    graph: {
      kind: 'knn',
      connectivities: csrFromRows(
        N,
        ringRows((d) => 1 / d),
      ),
      distances: csrFromRows(
        N,
        ringRows((d) => d),
      ),
      params: { k: 4, method: 'umap', metric: 'euclidean', n_pcs: 4, seed: 0 },
    },
    spatialGraph: {
      kind: 'spatial-knn',
      connectivities: csrFromRows(N, gridRows()),
      distances: csrFromRows(N, gridRows()),
      params: { k: 4 },
    },
    primaryGraph: 'expression',
    labels: { column: 'cell_type', codes, names: ['A', 'B', 'C'] },
    split: { kind: 'stratified', assignment },
    uns: {
      qc: { min_genes: 1, min_cells: 1, max_mito: null },
      normalize: { target_sum: 10000, log1p: true },
      hvg: { n_top_genes: 2000, flavor: 'seurat', fractions: [0.5, 0.25] },
      tool: 'scgraph',
    },
    ...overrides,
  };
}
