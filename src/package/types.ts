import type { CsrMatrix, DenseMatrix } from '../matrix/csr.ts';
import type { Table } from '../read/dataset.ts';

/** Which part of a split a cell is in. -1: in no part (unlabeled or excluded). */
export const SPLIT_TRAIN = 0;
export const SPLIT_VAL = 1;
export const SPLIT_TEST = 2;
export const SPLIT_NAMES = ['train', 'val', 'test'] as const;

/** A cell graph: symmetric weights plus the distances they came from. */
export interface CellGraph {
  /** 'knn' (expression kNN) or one of the spatial kinds. */
  readonly kind:
    | 'knn'
    | 'spatial-knn'
    | 'spatial-radius'
    | 'delaunay'
    | 'visium-grid'
    | 'from-file';
  /** Symmetric edge weights (UMAP fuzzy connectivities for kNN; 1 for spatial). */
  readonly connectivities: CsrMatrix;
  /** Edge lengths (expression or physical distance), same pattern or the directed kNN. */
  readonly distances: CsrMatrix;
  /** The parameters that made it (k, method, radius, ...), recorded as given. */
  readonly params: Readonly<Record<string, string | number | boolean | null>>;
}

/** Everything a built dataset holds; the package writers turn it into files. */
export interface GraphDataset {
  readonly name: string;
  readonly cellIds: readonly string[];
  /** Cell metadata of the kept cells, including the label and a 'split' column when made. */
  readonly obs: Table;
  /** Genes of the processed matrix (the highly variable ones). */
  readonly geneIds: readonly string[];
  readonly var: Table;
  /** Processed expression, cells × geneIds (normalized, log1p). */
  readonly X: CsrMatrix;
  /** Node features for graph.npz (PCA by default). */
  readonly features: DenseMatrix;
  /** PCA embedding when computed (obsm['X_pca']). */
  readonly pca?: DenseMatrix;
  /** Spatial coordinates (obsm['spatial']). */
  readonly spatial?: DenseMatrix;
  /** The expression kNN graph (obsp connectivities/distances). */
  readonly graph?: CellGraph;
  /** The spatial graph (obsp spatial_connectivities/spatial_distances). */
  readonly spatialGraph?: CellGraph;
  /** Which graph graph.npz's edge_index comes from. */
  readonly primaryGraph: 'expression' | 'spatial';
  /** Integer labels per cell (-1 unlabeled) and their names, when a label column was chosen. */
  readonly labels?: {
    readonly column: string;
    readonly codes: Int32Array;
    readonly names: readonly string[];
  };
  /** Split assignment per cell (SPLIT_TRAIN/VAL/TEST or -1). */
  readonly split?: { readonly kind: string; readonly assignment: Int8Array };
  /** Parameters and stats written into h5ad `uns` and the manifest. */
  readonly uns: Readonly<Record<string, unknown>>;
}
